"""Bucket notifications (`?notification`): Put/GetBucketNotificationConfiguration.

Destinations are Junction webhook targets, named by `arn:junction:sqs::<id>:webhook` in any of
the Topic/Queue/CloudFunction configurations (see gateway/domain/notifications.py); an ARN
naming no registered target is refused as S3 refuses a destination it cannot validate.
"""

from __future__ import annotations

from aiohttp import web

from gateway.domain.errors import ErrorCode, JunctionError
from s3xml import notification as documents
from s3xml.xml import MalformedXML

from .context import S3Call
from .responses import xml

MAX_DOCUMENT = 256 * 1024


async def get_bucket_notification_configuration(call: S3Call) -> web.Response:
    assert call.bucket is not None
    await call.authorize("s3:GetBucketNotification", await call.target())
    config = await call.core.notifications.get(call.bucket)
    return xml(documents.notification_configuration(config.configurations))


async def put_bucket_notification_configuration(call: S3Call) -> web.Response:
    assert call.bucket is not None
    await call.authorize("s3:PutBucketNotification", await call.target())
    body = await call.read_small_body(MAX_DOCUMENT)
    try:
        parsed = documents.parse_notification(body)
    except MalformedXML as exc:
        raise JunctionError(ErrorCode.MalformedXML, str(exc)) from None
    skip = (call.header("x-amz-skip-destination-validation") or "").lower() == "true"
    await call.core.notifications.put_parsed(call.bucket, [dict(p) for p in parsed], skip_validation=skip)
    return web.Response(status=200)
