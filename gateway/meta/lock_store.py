"""Units of work of S3 Object Lock: bucket configurations, version locks, upload locks.

Row-level logic is in locks.py; the rules (who may shorten what) are the core's
(`gateway.core.object_lock`), handed in as a function that runs inside the transaction, so
two racing PutObjectRetention calls cannot both shorten a retention that allowed only one.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.object_lock import LockConfig, LockState

from . import history, locks
from .db import Database
from .settings_cache import SettingsCache

LockChange = Callable[[LockState | None], LockState]

VERSIONING_REQUIRED = "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration"


class LockStore:
    def __init__(self, db: Database, settings: SettingsCache | None = None) -> None:
        self.db = db
        self._settings = settings or SettingsCache(None)

    async def config(self, bucket_id: int) -> LockConfig | None:
        return await self._settings.read(
            ("lock", bucket_id), lambda: self.db.query(lambda conn: locks.bucket_config(conn, bucket_id))
        )

    async def put_config(self, bucket_id: int, config: LockConfig, *, enable_versioning: bool = False) -> None:
        """Enable Object Lock on the bucket with `config` (or replace its configuration).

        Versioning must be Enabled already (InvalidBucketState otherwise), unless
        `enable_versioning`: a bucket created with Object Lock gets versioning with it."""

        def put(conn: sqlite3.Connection) -> None:
            if enable_versioning:
                conn.execute(
                    "INSERT INTO bucket_versioning (bucket_id, status) VALUES (?, ?) "
                    "ON CONFLICT (bucket_id) DO UPDATE SET status = excluded.status",
                    (bucket_id, history.ENABLED),
                )
            elif history.status(conn, bucket_id) != history.ENABLED:
                raise JunctionError(ErrorCode.InvalidBucketState, VERSIONING_REQUIRED)
            conn.execute(
                "INSERT INTO bucket_object_lock (bucket_id, config) VALUES (?, ?) "
                "ON CONFLICT (bucket_id) DO UPDATE SET config = excluded.config",
                (bucket_id, config.to_json()),
            )

        try:
            await self.db.transaction(put)
        finally:
            self._settings.changed()

    async def lock(self, bucket_id: int, key: str, version_id: str) -> LockState | None:
        """The lock of one version (stored id); NoSuchVersion, or 405 for a delete marker."""
        return await self.db.query(lambda conn: locks.read_lock(conn, bucket_id, key, version_id))

    async def update(self, bucket_id: int, key: str, version_id: str, change: LockChange) -> LockState:
        """Replace one version's lock with `change(current lock)`, atomically."""

        def update(conn: sqlite3.Connection) -> LockState:
            new = change(locks.read_lock(conn, bucket_id, key, version_id))
            locks.write_lock(conn, bucket_id, key, version_id, new)
            return new

        return await self.db.transaction(update)

    async def put_upload_lock(self, upload_id: str, lock: LockState) -> None:
        await self.db.transaction(
            lambda conn: conn.execute(
                "INSERT INTO upload_lock (upload_id, lock) VALUES (?, ?) "
                "ON CONFLICT (upload_id) DO UPDATE SET lock = excluded.lock",
                (upload_id, lock.to_json()),
            )
        )

    async def upload_lock(self, upload_id: str) -> LockState | None:
        row = await self.db.fetchone("SELECT lock FROM upload_lock WHERE upload_id = ?", (upload_id,))
        return LockState.from_json(row["lock"]) if row else None

    async def has_locked_versions(self, bucket_id: int) -> bool:
        return await self.db.query(lambda conn: locks.bucket_has_locked_versions(conn, bucket_id, time.time()))
