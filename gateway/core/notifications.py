"""Bucket notifications: the configurations (S3's and the console's), the webhook targets they
name, and the events object writes and deletes put on the delivery queue.

Events are emitted here, by the core's write and delete operations, whichever front end asked
(S3, the native /v1 API, the web console). An event is queued in the metadata store right
after the write committed, so a queued event survives a restart; a failure to queue is logged
and never fails the write. `notify_delivery.Delivery` sends the queue to the webhooks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlsplit

from gateway.domain.errors import ErrorCode, JunctionError, invalid_argument
from gateway.domain.models import Bucket, Deletion, ObjectInfo
from gateway.domain.notifications import (
    NotificationConfig,
    TargetConfig,
    build_configuration,
    check_configuration,
    target_arn,
)
from gateway.meta.notify_store import Target
from gateway.meta.store import MetaStore

from .audit_scope import CURRENT
from .config_cache import BucketConfigCache
from .notify_delivery import DeliveryLimits

log = logging.getLogger("junction.notify")

GENERATION_FILE = "notify.gen"  # replaced after every configuration change, in any worker
CACHE_SECONDS = 5.0  # another instance's change is seen after at most this long
TARGET_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
FULL_WARNING_SECONDS = 60.0  # a full queue is logged at most this often per webhook and process


@dataclass(slots=True)
class ObjectEvent:
    """What an event says about the object (size and ETag are absent from removals)."""

    key: str
    size: int | None = None
    etag: str | None = None
    version_id: str | None = None


class NotificationService:
    def __init__(self, store: MetaStore, data_dir: Path, region: str, limits: DeliveryLimits | None = None) -> None:
        self._store = store
        self._region = region
        self._limits = limits or DeliveryLimits()
        self._full_logged: dict[str, float] = {}
        self._cache = BucketConfigCache(data_dir / GENERATION_FILE, self._config, CACHE_SECONDS)
        self.on_queued: list[Any] = []  # callables woken when events were queued (the delivery loop)

    # ------------------------------------------------------------ configuration

    async def get(self, bucket: str) -> NotificationConfig:
        """The bucket's configuration (empty when none: S3 answers an empty document)."""
        row = await self._store.buckets.get(bucket)
        return await self._config(row.id) or NotificationConfig()

    async def put_parsed(
        self, bucket: str, parsed: Sequence[dict[str, Any]], *, skip_validation: bool = False
    ) -> NotificationConfig:
        """PutBucketNotificationConfiguration: configurations as the XML parser returned them;
        `skip_validation` (x-amz-skip-destination-validation) accepts webhook ids not registered
        yet (their events wait in the queue as failed deliveries until one is)."""
        config = NotificationConfig(
            [build_configuration(p["kind"], p["arn"], p["events"], p["rules"], p["id"]) for p in parsed]
        )
        await self.put(bucket, config, skip_validation=skip_validation)
        return config

    async def put(self, bucket: str, config: NotificationConfig, *, skip_validation: bool = False) -> None:
        """Replace the bucket's configuration (an empty one removes it), after S3's checks."""
        row = await self._store.buckets.get(bucket)
        known = None if skip_validation else {t.id for t in await self._store.notify.targets()}
        check_configuration(config, known)
        if config.configurations:
            await self._store.notify.put_config(row.id, config.to_json())
        else:
            await self._store.notify.delete_config(row.id)
        self._cache.changed()

    async def _config(self, bucket_id: int) -> NotificationConfig | None:
        text = await self._store.notify.config(bucket_id)
        return None if text is None else NotificationConfig.from_json(text)

    async def cached_config(self, bucket_id: int) -> NotificationConfig | None:
        return await self._cache.get(bucket_id)

    # ------------------------------------------------------------ webhook targets

    async def targets(self) -> list[Target]:
        return await self._store.notify.targets()

    async def target(self, target_id: str) -> Target:
        target = await self._store.notify.target(target_id)
        if target is None:
            raise JunctionError(ErrorCode.NotFound, f"No webhook target with id {target_id}")
        return target

    async def put_target(self, target_id: str, url: str) -> str:
        """Register (or re-point) a webhook; returns its ARN."""
        if not TARGET_ID.match(target_id):
            raise invalid_argument("A webhook id is 1-64 letters, digits, '.', '_' or '-'", argument="id")
        check_url(url)
        await self._store.notify.put_target(target_id, url)
        return target_arn(target_id)

    async def delete_target(self, target_id: str) -> None:
        """Remove a webhook no bucket's configuration names (one that does is refused)."""
        users = await self.buckets_using(target_id)
        if users:
            raise invalid_argument(f"The webhook {target_id} is used by the notifications of: {', '.join(users)}")
        if not await self._store.notify.delete_target(target_id):
            raise JunctionError(ErrorCode.NotFound, f"No webhook target with id {target_id}")

    async def buckets_using(self, target_id: str) -> list[str]:
        return [
            name
            for name, text in await self._store.notify.configured()
            if target_id in NotificationConfig.from_json(text).target_ids
        ]

    async def target_for_url(self, url: str, *, register: bool) -> str:
        """The id of the webhook registered for `url`; with `register`, one is registered
        (id `wh-` and a digest of the URL) when none is."""
        check_url(url)
        for target in await self._store.notify.targets():
            if target.url == url:
                return target.id
        if not register:
            raise JunctionError(
                ErrorCode.AccessDenied, "Only gateway administrators may register a new webhook endpoint"
            )
        target_id = "wh-" + hashlib.sha256(url.encode()).hexdigest()[:12]
        await self._store.notify.put_target(target_id, url)
        return target_id

    async def queue_state(self) -> dict[str, dict[str, Any]]:
        """target id -> {"queued": n, "failed": n, "lastError": the newest failed event's error}."""
        counts: dict[str, dict[str, Any]] = dict(await self._store.notify.counts())
        errors = await self._store.notify.last_errors()
        return {
            target: {**counts.get(target, {"queued": 0, "failed": 0}), "lastError": errors.get(target, "")}
            for target in counts.keys() | errors.keys()
        }

    # ------------------------------------------------------------ events

    async def emit(self, bucket_id: int, event_name: str, obj: ObjectEvent) -> None:
        """Queue the event `event_name` ("ObjectCreated:Put", ...) for the configuration it
        matches, if any. Never raises: a write must not fail because its event could not be queued."""
        try:
            config = await self.cached_config(bucket_id)
            matched = config.match(event_name, obj.key) if config else None
            if matched is None:
                return
            bucket = await self._store.buckets.get_by_id(bucket_id)
            if bucket is None:
                return  # deleted meanwhile
            body = json.dumps(self.record_document(bucket, event_name, obj, matched), separators=(",", ":"))
            limits = self._limits
            if await self._store.notify.enqueue([(matched.target_id, body)], limits.queue_limit, limits.failed_keep):
                self._log_full(matched.target_id)
        except Exception:
            log.exception("could not queue the %s event of bucket %d", event_name, bucket_id)
            return
        for wake in self.on_queued:
            wake()

    def _log_full(self, target_id: str) -> None:
        now = time.monotonic()
        if now - self._full_logged.get(target_id, -FULL_WARNING_SECONDS) >= FULL_WARNING_SECONDS:
            self._full_logged[target_id] = now
            log.warning(
                "the queue of webhook %s is full (%d events waiting): new events are dropped until it drains",
                target_id,
                self._limits.queue_limit,
            )

    def record_document(
        self, bucket: Bucket, event_name: str, obj: ObjectEvent, config: TargetConfig
    ) -> dict[str, Any]:
        """AWS's event message (event structure version 2.1) with one record."""
        scope = CURRENT.get()
        now = time.time()
        s3_object: dict[str, Any] = {"key": quote_plus(obj.key, safe="/")}
        if obj.size is not None:
            s3_object["size"] = obj.size
        if obj.etag is not None:
            s3_object["eTag"] = obj.etag
        if obj.version_id not in (None, "null", ""):
            s3_object["versionId"] = obj.version_id
        s3_object["sequencer"] = f"{time.time_ns():016X}"
        record = {
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": self._region,
            "eventTime": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z",
            "eventName": event_name,
            "userIdentity": {"principalId": (scope.access_key or scope.user) if scope else ""},
            "requestParameters": {"sourceIPAddress": scope.address if scope else ""},
            "responseElements": {
                "x-amz-request-id": scope.request_id if scope else "",
                "x-amz-id-2": scope.request_id if scope else "",
            },
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": config.id,
                "bucket": {
                    "name": bucket.name,
                    "ownerIdentity": {"principalId": bucket.owner},
                    "arn": f"arn:aws:s3:::{bucket.name}",
                },
                "object": s3_object,
            },
        }
        return {"Records": [record]}

    def test_document(self, bucket: str = "") -> dict[str, Any]:
        """S3's `s3:TestEvent` message, sent by the console's test-endpoint."""
        now = time.time()
        return {
            "Service": "Amazon S3",
            "Event": "s3:TestEvent",
            "Time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z",
            "Bucket": bucket,
            "RequestId": (scope.request_id if (scope := CURRENT.get()) else ""),
            "HostId": "",
        }


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid_argument("A webhook endpoint is an http:// or https:// URL", argument="endpoint")


async def object_created(events: NotificationService | None, obj: ObjectInfo, kind: str) -> None:
    """The hook of every write that makes an object current: kind is Put, Post, Copy or
    CompleteMultipartUpload."""
    if events is not None:
        event = ObjectEvent(obj.key, obj.size, obj.etag, obj.version_id)
        await events.emit(obj.bucket_id, f"ObjectCreated:{kind}", event)


async def object_removed(
    events: NotificationService | None,
    bucket_id: int,
    key: str,
    deletion: Deletion | None,
    *,
    latest: bool,
    family: str = "ObjectRemoved",
) -> None:
    """The hook of every delete: `latest` for a delete of the key (not of one version), which on
    a versioned bucket creates a delete marker; `family` is LifecycleExpiration for a rule's."""
    if events is None:
        return
    marker = latest and deletion is not None and deletion.delete_marker
    name = f"{family}:DeleteMarkerCreated" if marker else f"{family}:Delete"
    await events.emit(bucket_id, name, ObjectEvent(key, version_id=deletion.version_id if deletion else None))


async def object_transitioned(events: NotificationService | None, bucket_id: int, obj: ObjectInfo) -> None:
    """s3:LifecycleTransition: a lifecycle rule moved the version to another storage class."""
    if events is not None:
        await events.emit(bucket_id, "LifecycleTransition", ObjectEvent(obj.key, obj.size, obj.etag, obj.version_id))
