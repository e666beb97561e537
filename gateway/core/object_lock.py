"""S3 Object Lock in the core: bucket configurations, retentions and legal holds, and the lock
a new version is written with.

The rules are AWS's: a bucket's configuration needs versioning Enabled (a bucket created with
Object Lock gets it) and, once present, versioning cannot be suspended; an active COMPLIANCE
retention can only be extended; an active GOVERNANCE retention can be extended, but shortening,
removing or changing its mode needs the caller's `s3:BypassGovernanceRetention` (the front end
decides that and passes `bypass_governance`). Deletions of locked versions are refused by the
store itself (gateway.meta.locks), whatever front end asks. `is_locked` is the predicate a
lifecycle feature must obey.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import ObjectInfo
from gateway.domain.object_lock import (
    COMPLIANCE,
    GOVERNANCE,
    MAX_DAYS,
    MAX_YEARS,
    MODES,
    DefaultRetention,
    LockConfig,
    LockState,
    lock_active,
    parse_iso8601,
)
from gateway.meta import history
from gateway.meta.locks import PROTECTED
from gateway.meta.store import MetaStore

from .versioning import missing_key, parse_version_id

__all__ = ["LockRequest", "ObjectLockService", "is_locked"]

MISSING_CONFIGURATION = "Bucket is missing Object Lock Configuration"
PAST_DATE = "The retain until date must be in the future!"


def is_locked(version: ObjectInfo, now: float | None = None) -> bool:
    """Whether this version (current or noncurrent: `ObjectInfo.lock` comes with both) may not be
    deleted or expired at `now`: an unexpired retention of either mode, or a legal hold. A lifecycle
    expiration must skip it; deletes are refused by the store whatever calls them."""
    return lock_active(version.lock, time.time() if now is None else now)


@dataclass(frozen=True, slots=True)
class LockRequest:
    """The x-amz-object-lock-* headers of a write, as sent (None when absent)."""

    mode: str | None = None
    retain_until: str | None = None
    legal_hold: str | None = None

    @property
    def present(self) -> bool:
        return self.mode is not None or self.retain_until is not None or self.legal_hold is not None

    def state(self, now: float) -> LockState | None:
        """The lock asked for, validated as S3 validates these headers (400 InvalidArgument)."""
        if not self.present:
            return None
        mode, until = "", 0.0
        if (self.mode is None) != (self.retain_until is None):
            raise JunctionError(
                ErrorCode.InvalidArgument,
                "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
            )
        if self.mode is not None and self.retain_until is not None:
            mode = self.mode.strip()
            if mode not in MODES:
                raise JunctionError(ErrorCode.InvalidArgument, "Unknown wormMode directive.")
            parsed = parse_iso8601(self.retain_until)
            if parsed is None:
                raise JunctionError(
                    ErrorCode.InvalidArgument, "The retain until date must be provided in ISO 8601 format"
                )
            if parsed <= now:
                raise JunctionError(ErrorCode.InvalidArgument, PAST_DATE)
            until = parsed
        hold: bool | None = None
        if self.legal_hold is not None:
            hold = _legal_hold_status(self.legal_hold, ErrorCode.InvalidArgument)
        return LockState(mode=mode, retain_until=until, legal_hold=hold)


def _legal_hold_status(value: str, code: ErrorCode) -> bool:
    status = value.strip()
    if status not in ("ON", "OFF"):
        raise JunctionError(code, "Legal Hold must be either of 'ON' or 'OFF'")
    return status == "ON"


def validate_default_retention(mode: str | None, days: int | None, years: int | None) -> DefaultRetention:
    """A DefaultRetention as PutObjectLockConfiguration sends it."""
    if mode not in MODES:
        raise JunctionError(ErrorCode.MalformedXML, "DefaultRetention needs a Mode of GOVERNANCE or COMPLIANCE")
    if (days is None) == (years is None):
        raise JunctionError(ErrorCode.MalformedXML, "DefaultRetention needs exactly one of Days and Years")
    value, limit = (days, MAX_DAYS) if days is not None else (years, MAX_YEARS)
    assert value is not None
    if not 0 < value <= limit:
        raise JunctionError(ErrorCode.InvalidRetentionPeriod)
    return DefaultRetention(mode, days, years)


class ObjectLockService:
    def __init__(self, store: MetaStore) -> None:
        self._store = store

    async def config(self, bucket: str) -> LockConfig:
        bucket_row = await self._store.buckets.get(bucket)
        config = await self._store.locks.config(bucket_row.id)
        if config is None:
            raise JunctionError(ErrorCode.ObjectLockConfigurationNotFoundError)
        return config

    async def put_config(self, bucket: str, enabled: str | None, rule: DefaultRetention | None) -> None:
        """PutObjectLockConfiguration: `enabled` must be "Enabled" (Object Lock cannot be turned off)."""
        if enabled != "Enabled":
            raise JunctionError(ErrorCode.MalformedXML, "ObjectLockEnabled must be Enabled")
        bucket_row = await self._store.buckets.get(bucket)
        await self._store.locks.put_config(bucket_row.id, LockConfig(rule))

    async def enable_for_new_bucket(self, bucket_id: int) -> None:
        """CreateBucket with x-amz-bucket-object-lock-enabled: lock on, versioning Enabled."""
        await self._store.locks.put_config(bucket_id, LockConfig(), enable_versioning=True)

    async def enabled(self, bucket_id: int) -> bool:
        return await self._store.locks.config(bucket_id) is not None

    async def applies_to_writes(self, bucket_id: int, request: LockRequest, upload_id: str | None = None) -> bool:
        """Whether a write would carry a lock (asked for, given to its upload, or the bucket's
        default retention)."""
        if request.present or (upload_id is not None and await self._store.locks.upload_lock(upload_id)):
            return True
        config = await self._store.locks.config(bucket_id)
        return config is not None and config.default is not None

    async def lock_for_write(self, bucket_id: int, request: LockRequest) -> LockState | None:
        """The lock a write asked for (the store adds the bucket's default retention to writes that
        ask for none); asking on a bucket without Object Lock is refused."""
        state = request.state(time.time())
        if state is not None and await self._store.locks.config(bucket_id) is None:
            raise JunctionError(ErrorCode.InvalidRequest, "Bucket is missing ObjectLockConfiguration")
        return state

    async def put_upload_lock(self, upload_id: str, lock: LockState) -> None:
        await self._store.locks.put_upload_lock(upload_id, lock)

    # ------------------------------------------------------------ one version

    async def _version(self, bucket: str, key: str, version_id: str | None) -> tuple[int, str]:
        """(bucket id, stored version id) of the addressed version; the bucket must have Object Lock."""
        bucket_row = await self._store.buckets.get(bucket)
        if await self._store.locks.config(bucket_row.id) is None:
            raise JunctionError(ErrorCode.InvalidRequest, MISSING_CONFIGURATION)
        if version_id is not None:
            return bucket_row.id, parse_version_id(version_id)
        try:
            current = await self._store.objects.get(bucket_row.id, key, with_blocks=False)
        except JunctionError as exc:
            if exc.code != ErrorCode.NoSuchKey:
                raise
            raise await missing_key(self._store, bucket_row.id, key) from None
        return bucket_row.id, history.stored(current.version_id)

    async def retention(self, bucket: str, key: str, version_id: str | None) -> LockState:
        bucket_id, stored_id = await self._version(bucket, key, version_id)
        lock = await self._store.locks.lock(bucket_id, key, stored_id)
        if lock is None or not lock.mode:
            raise JunctionError(ErrorCode.NoSuchObjectLockConfiguration)
        return lock

    async def put_retention(
        self,
        bucket: str,
        key: str,
        version_id: str | None,
        *,
        mode: str | None,
        retain_until: float | None,
        bypass_governance: bool,
    ) -> None:
        """Set (mode and date) or remove (neither) a version's retention, under AWS's rules."""
        if (mode is None) != (retain_until is None):
            raise JunctionError(ErrorCode.MalformedXML, "Retention needs both Mode and RetainUntilDate")
        if mode is not None and mode not in MODES:
            raise JunctionError(ErrorCode.MalformedXML, "Retention Mode must be GOVERNANCE or COMPLIANCE")
        now = time.time()
        if retain_until is not None and retain_until <= now:
            raise JunctionError(ErrorCode.InvalidArgument, PAST_DATE)
        bucket_id, stored_id = await self._version(bucket, key, version_id)

        def change(old: LockState | None) -> LockState:
            current = old or LockState()
            if current.retained(now):
                allowed = _may_replace(current, mode or "", retain_until or 0.0, bypass_governance)
                if not allowed:
                    raise JunctionError(ErrorCode.AccessDenied, PROTECTED)
            return replace(current, mode=mode or "", retain_until=retain_until or 0.0)

        await self._store.locks.update(bucket_id, key, stored_id, change)

    async def legal_hold(self, bucket: str, key: str, version_id: str | None) -> bool:
        bucket_id, stored_id = await self._version(bucket, key, version_id)
        lock = await self._store.locks.lock(bucket_id, key, stored_id)
        if lock is None or lock.legal_hold is None:
            raise JunctionError(ErrorCode.NoSuchObjectLockConfiguration)
        return lock.legal_hold

    async def put_legal_hold(self, bucket: str, key: str, version_id: str | None, status: str | None) -> None:
        hold = _legal_hold_status(status or "", ErrorCode.MalformedXML)
        bucket_id, stored_id = await self._version(bucket, key, version_id)
        await self._store.locks.update(
            bucket_id, key, stored_id, lambda old: replace(old or LockState(), legal_hold=hold)
        )


def _may_replace(current: LockState, mode: str, until: float, bypass_governance: bool) -> bool:
    """Whether an active retention `current` may become (mode, until) ("" = removed)."""
    extends = mode == current.mode and until >= current.retain_until
    if current.mode == COMPLIANCE:
        return extends
    assert current.mode == GOVERNANCE
    return extends or bypass_governance
