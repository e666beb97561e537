"""The one service layer every front end calls: wires the store, spaces and services."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gateway.domain.models import Bucket, ListedPage, ListPage
from gateway.meta.engine import open_database
from gateway.meta.records import CommitGuard
from gateway.meta.store import MetaStore

from .access_control import AccessService
from .accounts import AccountService
from .attributes import AttributesService
from .audit import PRUNE_EVERY, AuditLog
from .authz import Authorizer, Identity
from .blobs import BlobIO
from .buckets import BucketService
from .console_transfers import ConsoleTransfers
from .cors import CorsService
from .deferred_digest import DeferredDigests
from .endpoint_roles import EndpointRoles
from .exports import ExportService
from .ftp_logins import FtpLoginService
from .identity import IdentityService, authorize
from .jobs import JobService
from .leases import Lease
from .lifecycle import LifecycleService
from .listing import list_listed, list_page
from .liveness import OWNERS_DIR
from .multipart import MultipartService
from .native_multipart import NativeMultipart
from .native_ops import NativeService
from .notifications import NotificationService
from .notify_delivery import Delivery, DeliveryLimits, Poster
from .object_lock import ObjectLockService
from .objects import ObjectService
from .quotas import QuotaService, quota_guard
from .ratelimit_share import Hit, RateLimitSharing
from .secretbox import SecretBox
from .sessions import SessionService
from .settings import SettingsService
from .spaces import Spaces
from .sse.keys import MasterKeys, parse_kms_keys
from .sse.service import EncryptionService
from .storage_classes import StorageClassService
from .sync import SyncService
from .tagging import TaggingService
from .transfers import Transfers
from .upload_progress import UploadProgressService
from .user_directory import UserDirectory
from .userspaces import UserSpaceService
from .versioning import VersioningService

log = logging.getLogger("junction.core")


class Core:
    def __init__(
        self,
        data_dir: Path,
        *,
        meta_url: str = "",
        root_access_key: str,
        root_secret_key: str,
        gc_interval: float = 60.0,
        orphan_grace: float = 24 * 3600.0,
        secrets_key: str = "",
        local_roots: list[Path] | None = None,
        storage_classes: dict[str, str] | None = None,
        master_key: str = "",
        kms_keys: str = "",
        sse_c_over_http: bool = False,
        lifecycle_day_seconds: float = 86400.0,
        audit_retention_days: float = 90.0,
        region: str = "us-east-1",
        notify_retry_seconds: float = 2.0,
        notify_limits: DeliveryLimits | None = None,
        primary: bool = True,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()  # user-space roots must be absolute
        box = SecretBox.for_data_dir(self.data_dir, secrets_key)
        self.store = MetaStore(open_database(meta_url, self.data_dir), box)
        self.spaces = Spaces(self.store, self.data_dir, box)
        # Local user spaces may only point inside these directories: <data dir>/spaces and the
        # configured ones (never the data dir itself: it holds the metadata and the secrets key)
        self.local_roots = [(self.data_dir / "spaces").resolve(), *(Path(p).resolve() for p in local_roots or [])]
        self.jobs = JobService(self.store, self.data_dir)  # holds this process's liveness lock
        self.blobs = BlobIO(self.store, self.spaces, owner=self.jobs.owner, owners_dir=self.data_dir / OWNERS_DIR)
        self.guards: list[CommitGuard] = [quota_guard]  # run inside every commit transaction
        self.identity = IdentityService(self.store, self.data_dir)
        self.store.buckets.cache_names(self.identity.generation.current)  # a deletion bumps it (buckets.py)
        # Who may do what: bucket owners, ACLs, bucket policies, ownership controls, public access blocks
        self.access = AccessService(self.store, self.identity)
        self.authorizer = Authorizer(self.access)
        self.accounts = AccountService(self.store, self.identity, self.authorizer)
        self.directory = UserDirectory(self.store, self.accounts)  # seed 004's users, roles, paths
        self.ftp_logins = FtpLoginService(self.store, self.accounts, self.identity)  # FTP/SFTP logins
        self.endpoint_roles = EndpointRoles(self.store)  # seed 004's roles per file-API endpoint
        self.sessions = SessionService(self.store, self.identity, self.data_dir)  # web console sign-ins
        self.upload_progress = UploadProgressService(self.data_dir)  # browser uploads, for SSE
        self.buckets = BucketService(self.store, self.identity.changed)
        self.storage_classes = StorageClassService(self.store, self.spaces, storage_classes)
        self.sse = EncryptionService(
            self.store,
            MasterKeys.load(self.data_dir, master_key),
            parse_kms_keys(kms_keys),
            allow_http=sse_c_over_http,
        )
        self.objects = ObjectService(self.store, self.blobs, self.guards, self.storage_classes, self.sse)
        self.digests = DeferredDigests(self.store, self.blobs)
        self.multipart = MultipartService(self.store, self.blobs, self.objects, self.guards, self.digests)
        self.tagging = TaggingService(self.store)
        self.object_lock = ObjectLockService(self.store)  # S3 Object Lock
        self.cors = CorsService(self.store)
        self.attributes = AttributesService(self.store)
        self.exports = ExportService(self.store, self.identity)
        self.quotas = QuotaService(self.store)
        self.versioning = VersioningService(self.store)
        self.userspaces = UserSpaceService(self.store, self.spaces, self.local_roots)
        self.native = NativeService(self.store, self.spaces, self.objects, self.blobs, self.guards)
        self.native_multipart = NativeMultipart(self.store, self.objects, self.blobs, self.guards)
        self.transfers = Transfers(self.store, self.spaces, self.objects, self.native)
        self.sync = SyncService(self.store, self.spaces, self.jobs, self.data_dir)
        # the browser console's transfers between buckets, packages and user spaces (jobs too)
        self.console_transfers = ConsoleTransfers(
            self.store,
            self.spaces,
            self.objects,
            self.jobs,
            self.authorize,
            self.list_objects,
            limit=lambda: self.settings.get("max-concurrent-transfers"),
        )
        self.lifecycle = LifecycleService(
            self.store, self.objects, self.blobs, self.jobs, self.data_dir, lifecycle_day_seconds
        )
        self.sync.schedule(self.lifecycle.tick, self.lifecycle.check_every)  # the one scheduler runs both
        # run-time settings (seed 003): the configured audit retention is the default until changed
        self.settings = SettingsService(self.store, {"audit-retention": audit_retention_days})
        self.audit = AuditLog(self.store, audit_retention_days, retention=lambda: self.settings.get("audit-retention"))
        self.settings.on_change("audit-retention", self.audit.retention_changed)
        # Bucket notifications: every object write and delete emits here; the queue is delivered
        # by one process per namespace (lease), once the app hands it an HTTP client
        notify_limits = notify_limits or DeliveryLimits()
        self.notifications = NotificationService(self.store, self.data_dir, region, notify_limits)
        self.objects.events = self.tagging.events = self.access.events = self.notifications
        self.delivery = Delivery(
            self.store, self.jobs.owner, self.jobs.owner_dead, retry_base=notify_retry_seconds, limits=notify_limits
        )
        self.notifications.on_queued.append(self.delivery.wake)
        self.sync.schedule(self.audit.prune, PRUNE_EVERY)
        self._root = (root_access_key, root_secret_key)
        self._gc_interval = gc_interval
        self._orphan_grace = orphan_grace
        self._gc_task: asyncio.Task[None] | None = None
        self._primary = primary  # the first worker process: start-up reports are logged once, by it
        self._rate_limits: RateLimitSharing | None = None

    def share_rate_limits(self, drain: Callable[[], list[Hit]], merge: Callable[[list[Hit]], None]) -> None:
        """Keep the front ends' in-memory rate limits in step with every other process (call before start)."""
        self._rate_limits = RateLimitSharing(self.store.cluster, self.jobs.owner, drain, merge)

    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        await self.store.open()
        await self.spaces.open()
        await self.store.credentials.put(self._root[0], self._root[1], "root")
        await self.identity.start(self._root[0])
        adopted = await self.exports.adopt_legacy()
        if adopted:
            log.info("gave %d console exports made before accounts existed their users and policies", adopted)
        sealed = await self.store.credentials.seal_plain_secrets()
        if sealed:
            log.info("sealed %d access-key secrets stored in plain text by an earlier version", sealed)
        unopenable = await self.store.credentials.unopenable_secrets() if self._primary else []
        if unopenable:
            log.error(
                "%d access keys cannot authenticate: their sealed secrets do not open with the current secrets key "
                "(JUNCTION_SECRETS_KEY or the data dir's secrets.key changed?): %s",
                len(unopenable),
                ", ".join(unopenable[:10]) + (" ..." if len(unopenable) > 10 else ""),
            )
        self.jobs.open()
        await self.jobs.keep_alive()
        await self.jobs.recover()
        self.identity.watch_shared()
        self.sync.start()
        self.audit.start()
        if self._gc_interval > 0:
            self._gc_task = asyncio.create_task(self._collect_forever(), name="junction-gc")
        if self._rate_limits is not None:
            self._rate_limits.start()

    def start_delivery(self, poster: Poster) -> None:
        """Deliver queued notification events with `poster` (the app's HTTP client)."""
        self.delivery.start(poster)

    async def stop(self) -> None:
        await self.delivery.stop()
        if self._gc_task is not None:
            self._gc_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._gc_task
        if self._rate_limits is not None:
            with contextlib.suppress(Exception):  # the database may already be gone: limits are not data
                await self._rate_limits.stop()
        await self.sync.stop()
        await self.identity.stop()
        await self.jobs.stop()
        await self.digests.stop()
        await self.audit.stop()  # after everything that may still record; before the store closes
        await self.blobs.close()  # before the store closes: unused reservations are forgotten
        await self.spaces.close()
        await self.store.close()

    async def _collect_forever(self) -> None:
        # one collector per namespace: the "gc" lease outlives two intervals, so its holder keeps
        # it from run to run; another instance takes over once it lapses (or its holder died)
        lease = Lease(
            self.store.cluster, "gc", self.jobs.owner, 2 * self._gc_interval + 10, is_dead=self.jobs.owner_dead
        )
        while True:
            try:
                if await lease.held():
                    collected = await self.blobs.collect(self._orphan_grace)
                    if collected:
                        log.info("collected %d unreferenced blobs", collected)
            except Exception:
                log.exception("blob collection failed")
            await asyncio.sleep(self._gc_interval)

    async def reclaimable(self) -> dict[str, Any]:
        """Dry runs of `junction admin gc`: what the collector may delete now (older than the
        grace) and what `--grace 0` would (that includes writes in flight, if any)."""
        aged = await self.blobs.reclaim(self._orphan_grace, dry_run=True)
        everything = await self.blobs.reclaim(0, dry_run=True)
        return {
            "graceSeconds": self._orphan_grace,
            "reclaimable": aged.as_json(),
            "withoutGrace": everything.as_json(),
        }

    # ------------------------------------------------------------ identities

    async def secret_for(self, access_key: str) -> str | None:
        """The secret of an Active key of an enabled account and user (cached; see core/identity.py)."""
        return await self.identity.secret_for(access_key)

    async def resolve(self, access_key: str) -> Identity:
        return await self.identity.resolve(access_key)

    async def claim_token(self, signature: str, now: float, expires: float) -> bool:
        """Record a used console token (False: used before, a replay), shared by all workers."""
        return await self.store.console.claim_token(signature, now, expires)

    async def authorize(
        self,
        identity: Identity,
        action: str,
        *,
        bucket: Bucket | None = None,
        key: str | None = None,
        context: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Raise AccessDenied unless `identity` may do `action` (see `core.identity.authorize`)."""
        await authorize(self.authorizer, identity, action, bucket=bucket, key=key, context=context)

    # ------------------------------------------------------------ listing

    async def list_objects(
        self, bucket: str, *, prefix: str = "", delimiter: str = "", marker: str = "", max_keys: int = 1000
    ) -> ListPage:
        bucket_row = await self.store.buckets.get(bucket)
        return await list_page(
            self.store.objects, bucket_row.id, prefix=prefix, delimiter=delimiter, marker=marker, max_keys=max_keys
        )

    async def list_listed(
        self, bucket: str, *, prefix: str = "", delimiter: str = "", marker: str = "", max_keys: int = 1000
    ) -> ListedPage:
        """`list_objects` with each object as ListObjects shows it (gateway/core/listing.py `list_listed`)."""
        bucket_row = await self.store.buckets.get(bucket)
        return await list_listed(
            self.store.objects, bucket_row.id, prefix=prefix, delimiter=delimiter, marker=marker, max_keys=max_keys
        )
