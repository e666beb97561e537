"""Units of work of S3 bucket versioning: state, versions by id, history listings, version tags.

The row-level logic is in history.py; the object store's own commit and delete paths call it
inside their transactions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Deletion, ObjectVersion

from . import history, locks
from .db import Database
from .history import ENABLED, SUSPENDED
from .records import CommitGuard
from .s3ext_store import ObjectExtras, Tags


class VersionsStore:
    """A bucket's versioning state and its versions; one transaction or read per method."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def status(self, bucket_id: int) -> str:
        return await self.db.query(lambda conn: history.status(conn, bucket_id))

    async def set_status(self, bucket_id: int, new_status: str) -> None:
        if new_status not in (ENABLED, SUSPENDED):
            raise JunctionError(ErrorCode.MalformedXML, "Versioning status must be Enabled or Suspended")

        def put(conn: sqlite3.Connection) -> None:
            if new_status == SUSPENDED and locks.bucket_config(conn, bucket_id) is not None:
                raise JunctionError(
                    ErrorCode.InvalidBucketState,
                    "An Object Lock configuration is present on this bucket, "
                    "so the versioning state cannot be changed.",
                )
            conn.execute(
                "INSERT OR REPLACE INTO bucket_versioning (bucket_id, status) VALUES (?, ?)", (bucket_id, new_status)
            )

        await self.db.transaction(put)

    async def find(self, bucket_id: int, key: str, version_id: str) -> ObjectVersion | None:
        return await self.db.query(lambda conn: history.find_version(conn, bucket_id, key, version_id))

    async def latest_marker(self, bucket_id: int, key: str) -> ObjectVersion | None:
        return await self.db.query(lambda conn: history.latest_marker(conn, bucket_id, key))

    async def delete(
        self,
        bucket_id: int,
        key: str,
        version_id: str,
        guards: Iterable[CommitGuard] = (),
        *,
        bypass_governance: bool = False,
    ) -> Deletion:
        return await self.db.transaction(
            lambda conn: history.delete_version(
                conn, bucket_id, key, version_id, guards, bypass_governance=bypass_governance
            )
        )

    async def tags(self, bucket_id: int, key: str, version_id: str) -> Tags:
        return await self.db.query(lambda conn: history.read_tags(conn, bucket_id, key, version_id))

    async def put_tags(self, bucket_id: int, key: str, version_id: str, tags: Tags) -> None:
        await self.db.transaction(lambda conn: history.write_tags(conn, bucket_id, key, version_id, tags))

    async def extras(self, bucket_id: int, key: str, version_id: str) -> ObjectExtras:
        return await self.db.query(lambda conn: history.history_extras(conn, bucket_id, key, version_id))

    async def keys(self, bucket_id: int, *, prefix: str, start: str, inclusive: bool, limit: int) -> list[str]:
        return await self.db.query(
            lambda conn: history.version_keys(
                conn, bucket_id, prefix=prefix, start=start, inclusive=inclusive, limit=limit
            )
        )

    async def key_versions(self, bucket_id: int, key: str, *, after: str | None, limit: int) -> list[ObjectVersion]:
        return await self.db.query(lambda conn: history.key_versions(conn, bucket_id, key, after=after, limit=limit))
