"""Buckets: create, find, measure and delete (with everything they hold)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from gateway.domain.errors import ErrorCode, JunctionError, no_such_bucket
from gateway.domain.models import Bucket

from . import history, locks
from .access_store import BucketAccessRow
from .db import Database, inserted_id
from .rows import bucket_of, timestamp, unref_blobs
from .settings_cache import SettingsCache

NAME_CACHE_SIZE = 10_000


class BucketsStore:
    """The buckets table; deleting a bucket releases every blob its objects, versions and uploads held.

    `get(name)` runs on every S3 request, so once `cache_names` is called it answers from a
    name -> Bucket cache. A bucket row never changes; it is only deleted, and every deletion
    (this process or another) is followed by a change of `generation()` (the core's
    access.gen stat), which empties the cache. Absent names are never cached: a bucket
    created by another process is found at once.
    """

    def __init__(self, db: Database, settings: SettingsCache | None = None) -> None:
        self._settings = settings or SettingsCache(None)
        self.db = db
        self._names: dict[str, Bucket] = {}
        self._generation: Callable[[], object] | None = None
        self._seen: object = None

    def cache_names(self, generation: Callable[[], object]) -> None:
        self._generation = generation
        self._names.clear()

    async def create(self, name: str, owner: str, access: BucketAccessRow | None = None) -> Bucket:
        """Create the bucket with its access settings (access_store) in one transaction."""

        def create(conn: sqlite3.Connection) -> Bucket:
            row = conn.execute("SELECT * FROM buckets WHERE name = ?", (name,)).fetchone()
            if row:
                code = ErrorCode.BucketAlreadyOwnedByYou if row["owner"] == owner else ErrorCode.BucketAlreadyExists
                raise JunctionError(code, "The requested bucket name is not available", bucket=name)
            now = timestamp()
            cur = conn.execute("INSERT INTO buckets (name, owner, created) VALUES (?, ?, ?)", (name, owner, now))
            bucket_id = inserted_id(cur)
            conn.execute("INSERT INTO packages (bucket_id, name, created) VALUES (?, '', ?)", (bucket_id, now))
            if access is not None:
                conn.execute(
                    "INSERT INTO bucket_access (bucket_id, grants, policy, ownership, public_access_block) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (bucket_id, access.grants, access.policy, access.ownership, access.public_access_block),
                )
            return Bucket(id=bucket_id, name=name, owner=owner, created=now)

        return await self.db.transaction(create)

    async def get(self, name: str) -> Bucket:
        generation = self._generation() if self._generation is not None else None
        if generation != self._seen:
            self._names.clear()
            self._seen = generation
        hit = self._names.get(name)
        if hit is not None:
            return hit
        row = await self.db.fetchone("SELECT * FROM buckets WHERE name = ?", (name,))
        if row is None:
            raise no_such_bucket(name)
        bucket = bucket_of(row)
        if self._generation is not None and self._seen == generation:  # no deletion seen meanwhile
            if len(self._names) >= NAME_CACHE_SIZE:
                self._names.clear()
            self._names[name] = bucket
        return bucket

    async def get_by_id(self, bucket_id: int) -> Bucket | None:
        row = await self.db.fetchone("SELECT * FROM buckets WHERE id = ?", (bucket_id,))
        return bucket_of(row) if row else None

    async def list_all(self) -> list[Bucket]:
        return [bucket_of(r) for r in await self.db.fetchall("SELECT * FROM buckets ORDER BY name")]

    async def usage(self, bucket_id: int) -> tuple[int, int]:
        """Return (bytes, object count) of the bucket's committed objects, noncurrent versions included."""
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(size), 0) AS bytes, COUNT(*) AS n FROM objects "
            "WHERE bucket_id = ? AND redundancy != 'multipartUpload'",
            (bucket_id,),
        )
        assert row is not None  # an aggregate always yields one row
        old_bytes, old_count = await self.db.query(lambda conn: history.noncurrent_usage(conn, bucket_id))
        return row["bytes"] + old_bytes, row["n"] + old_count

    async def delete(self, bucket_id: int, *, force: bool = False) -> None:
        """Delete the bucket; refuse while it holds objects unless `force`."""

        def delete(conn: sqlite3.Connection) -> None:
            if (
                not force
                and conn.execute(
                    "SELECT 1 FROM objects WHERE bucket_id = ? "
                    "UNION ALL SELECT 1 FROM object_versions WHERE bucket_id = ? LIMIT 1",
                    (bucket_id, bucket_id),
                ).fetchone()
            ):
                raise JunctionError(ErrorCode.BucketNotEmpty)
            if locks.bucket_has_locked_versions(conn, bucket_id, timestamp()):  # a forced delete spares them
                raise JunctionError(ErrorCode.AccessDenied, locks.PROTECTED)
            blob_rows = conn.execute(
                "SELECT b.blob_id FROM object_blocks b JOIN objects o ON o.id = b.object_id WHERE o.bucket_id = ? "
                "UNION ALL SELECT pa.blob_id FROM parts pa JOIN uploads u ON u.id = pa.upload_id WHERE u.bucket_id = ? "
                "UNION ALL SELECT vb.blob_id FROM version_blocks vb JOIN object_versions v ON v.id = vb.version_row "
                "WHERE v.bucket_id = ?",
                (bucket_id, bucket_id, bucket_id),
            ).fetchall()
            unref_blobs(conn, [r[0] for r in blob_rows])
            conn.execute("DELETE FROM credentials WHERE kind = 'export' AND bucket_id = ?", (bucket_id,))
            conn.execute("DELETE FROM buckets WHERE id = ?", (bucket_id,))

        try:
            await self.db.transaction(delete)
        finally:
            self._names.clear()  # this process at once; others when the core bumps the generation
            self._settings.changed()  # its settings went with it, and its id may be reused
