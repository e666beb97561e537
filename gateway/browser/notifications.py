"""`/api/notifications` (seed 003): a bucket's notification configurations, the same ones
S3's Put/GetBucketNotificationConfiguration read and write, and `test-endpoint`; and
`/api/webhooks`, the webhook targets an administrator registers (named in S3 configurations
by `arn:junction:sqs::<id>:webhook`).

A configuration here names its webhook by `endpoint` (a URL), `targetId` or `arn`. A URL no
webhook is registered for is registered on the way (administrators only: the gateway will POST
to it, so who may choose where it POSTs is kept to them).
"""

from __future__ import annotations

from typing import Any

from gateway.core.notifications import check_url
from gateway.domain.errors import ErrorCode, JunctionError, invalid_argument
from gateway.domain.notifications import NotificationConfig, TargetConfig, build_configuration, target_arn, target_of

from .call import BrowserCall
from .system import require_admin


async def get_notifications(call: BrowserCall) -> dict[str, Any]:
    bucket = await call.bucket()
    await call.authorize("s3:GetBucketNotification", bucket)
    return await _listing(call, bucket.name)


async def put_notifications(call: BrowserCall) -> dict[str, Any]:
    bucket = await call.bucket()
    await call.authorize("s3:PutBucketNotification", bucket)
    body = await call.json()
    items = body.get("notifications", body.get("configurations"))
    if not isinstance(items, list):
        raise invalid_argument("notifications must be a list", argument="notifications")
    config = NotificationConfig([await _configuration(call, item) for item in items])
    await call.core.notifications.put(bucket.name, config)
    return await _listing(call, bucket.name)


async def delete_notification(call: BrowserCall) -> dict[str, Any]:
    bucket = await call.bucket()
    await call.authorize("s3:PutBucketNotification", bucket)
    notification_id = call.request.match_info["notification"]
    config = await call.core.notifications.get(bucket.name)
    kept = [c for c in config.configurations if c.id != notification_id]
    if len(kept) == len(config.configurations):
        raise JunctionError(ErrorCode.NotFound, f"No notification {notification_id} on bucket {bucket.name}")
    await call.core.notifications.put(bucket.name, NotificationConfig(kept))
    return {"message": "Notification removed", "id": notification_id}


async def test_endpoint(call: BrowserCall) -> dict[str, Any]:
    """POST S3's `s3:TestEvent` message to a webhook now and say how it answered."""
    body = await call.json()
    if isinstance(body.get("targetId"), str) or isinstance(body.get("arn"), str):
        target = await call.core.notifications.target(_target_id(body))
        url = target.url
    else:
        require_admin(call)  # an arbitrary URL: only administrators choose where the gateway POSTs
        given = body.get("endpoint", body.get("url"))
        if not isinstance(given, str):
            raise invalid_argument("endpoint is required", argument="endpoint")
        url = given
    bucket = body.get("bucket")
    document = call.core.notifications.test_document(bucket if isinstance(bucket, str) else "")
    status, error = await call.core.delivery.probe(_checked(url), document)
    return {
        "success": not error,
        "statusCode": status,
        "message": "The endpoint accepted the test event" if not error else f"The endpoint failed: {error}",
    }


# ------------------------------------------------------------------ webhook targets


async def list_webhooks(call: BrowserCall) -> dict[str, Any]:
    require_admin(call)
    state = await call.core.notifications.queue_state()
    webhooks = []
    for target in await call.core.notifications.targets():
        webhooks.append(
            {
                "id": target.id,
                "url": target.url,
                "arn": target_arn(target.id),
                "usedBy": await call.core.notifications.buckets_using(target.id),
                **state.get(target.id, {"queued": 0, "failed": 0, "lastError": ""}),
            }
        )
    return {"webhooks": webhooks}


async def put_webhook(call: BrowserCall) -> dict[str, Any]:
    require_admin(call)
    target_id = call.request.match_info["webhook"]
    url = (await call.json()).get("url")
    if not isinstance(url, str):
        raise invalid_argument("url is required", argument="url")
    arn = await call.core.notifications.put_target(target_id, url)
    return {"id": target_id, "url": url, "arn": arn}


async def delete_webhook(call: BrowserCall) -> dict[str, Any]:
    require_admin(call)
    await call.core.notifications.delete_target(call.request.match_info["webhook"])
    return {"message": "Webhook removed"}


# ------------------------------------------------------------------ shapes


async def _listing(call: BrowserCall, bucket: str) -> dict[str, Any]:
    config = await call.core.notifications.get(bucket)
    urls = {t.id: t.url for t in await call.core.notifications.targets()} if call.session.identity.admin else {}
    return {"bucket": bucket, "notifications": [_shown(c, urls) for c in config.configurations]}


def _shown(config: TargetConfig, urls: dict[str, str]) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "id": config.id,
        "type": config.kind,
        "targetId": config.target_id,
        "arn": config.arn,
        "events": config.events,
        "prefix": config.prefix,
        "suffix": config.suffix,
    }
    if config.target_id in urls:  # webhook URLs may carry tokens: administrators only
        shown["endpoint"] = urls[config.target_id]
    return shown


async def _configuration(call: BrowserCall, item: object) -> TargetConfig:
    if not isinstance(item, dict):
        raise invalid_argument("each notification is an object", argument="notifications")
    if isinstance(item.get("endpoint"), str):
        admin = call.session.identity.admin
        target_id = await call.core.notifications.target_for_url(item["endpoint"], register=admin)
    else:
        target_id = _target_id(item)
    events = item.get("events", ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"])
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise invalid_argument("events must be a list of event names", argument="events")
    rules = [(name, item[name]) for name in ("prefix", "suffix") if isinstance(item.get(name), str) and item[name]]
    config_id = item.get("id") if isinstance(item.get("id"), str) and item.get("id") else None
    kind = item.get("type", "Queue")
    return build_configuration(kind if isinstance(kind, str) else "", target_arn(target_id), events, rules, config_id)


def _target_id(item: dict[str, Any]) -> str:
    if isinstance(item.get("targetId"), str):
        return str(item["targetId"])
    target = target_of(item["arn"]) if isinstance(item.get("arn"), str) else None
    if target is None:
        raise invalid_argument("a notification names its webhook by endpoint, targetId or arn", argument="endpoint")
    return target


def _checked(url: str) -> str:
    check_url(url)
    return url
