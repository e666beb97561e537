"""Persistence of the access data: bucket ACL, policy, ownership, public access block; object ACLs.

Values are stored as text the core gives (JSON documents it builds and parses, see
`gateway.core.access_data`); this layer neither interprets nor validates them. Object ACLs
are written with the object inside its commit (`s3ext_store.write_object_extras`), so they
change atomically with the object; `put_object_acl` changes one afterwards (PutObjectAcl).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .db import Database

BUCKET_FIELDS = ("grants", "policy", "ownership", "public_access_block")


@dataclass(frozen=True, slots=True)
class BucketAccessRow:
    """One bucket's stored access settings; None means "not configured"."""

    grants: str | None = None
    policy: str | None = None
    ownership: str | None = None
    public_access_block: str | None = None


def write_object_acl(conn: sqlite3.Connection, object_id: int, acl: str | None) -> None:
    conn.execute("DELETE FROM object_acl WHERE object_id = ?", (object_id,))
    if acl is not None:
        conn.execute("INSERT INTO object_acl (object_id, acl) VALUES (?, ?)", (object_id, acl))


class AccessStore:
    """Whole units of work on the access tables (one transaction or read each)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def all_buckets(self) -> dict[int, BucketAccessRow]:
        """Every bucket's settings at once: the core caches them whole (few rows, read rarely)."""
        rows = await self.db.fetchall("SELECT * FROM bucket_access")
        return {r["bucket_id"]: BucketAccessRow(*(r[f] for f in BUCKET_FIELDS)) for r in rows}

    async def bucket(self, bucket_id: int) -> BucketAccessRow:
        row = await self.db.fetchone("SELECT * FROM bucket_access WHERE bucket_id = ?", (bucket_id,))
        return BucketAccessRow(*(row[f] for f in BUCKET_FIELDS)) if row else BucketAccessRow()

    async def set_bucket_field(self, bucket_id: int, field: str, value: str | None) -> bool:
        """Set one setting (None clears it); False when the bucket no longer exists."""
        if field not in BUCKET_FIELDS:
            raise ValueError(field)

        def put(conn: sqlite3.Connection) -> bool:
            if not conn.execute("SELECT 1 FROM buckets WHERE id = ?", (bucket_id,)).fetchone():
                return False
            conn.execute("INSERT OR IGNORE INTO bucket_access (bucket_id) VALUES (?)", (bucket_id,))
            conn.execute(f"UPDATE bucket_access SET {field} = ? WHERE bucket_id = ?", (value, bucket_id))
            return True

        return await self.db.transaction(put)

    async def object_acl(self, bucket_id: int, key: str, version_id: str | None = None) -> str | None:
        """The ACL of the key's current object, or of its version `version_id` (stored form, ''
        for null) wherever it lives (current row or history); None when it has the default."""
        if version_id is None:
            row = await self.db.fetchone(
                "SELECT a.acl FROM objects o JOIN object_acl a ON a.object_id = o.id "
                "WHERE o.bucket_id = ? AND o.key = ?",
                (bucket_id, key),
            )
        else:
            row = await self.db.fetchone(
                "SELECT a.acl FROM objects o JOIN object_acl a ON a.object_id = o.id "
                "WHERE o.bucket_id = ? AND o.key = ? AND o.version_id = ? UNION ALL "
                "SELECT a.acl FROM object_versions v JOIN version_acl a ON a.version_row = v.id "
                "WHERE v.bucket_id = ? AND v.key = ? AND v.version_id = ?",
                (bucket_id, key, version_id, bucket_id, key, version_id),
            )
        return str(row["acl"]) if row else None

    async def put_object_acl(self, bucket_id: int, key: str, version_id: str | None, acl: str | None) -> bool:
        """Replace the ACL of the key's current object or of one version (None: the default);
        False when there is no such object or version."""

        def put(conn: sqlite3.Connection) -> bool:
            sql = "SELECT id FROM objects WHERE bucket_id = ? AND key = ?"
            params: tuple[object, ...] = (bucket_id, key)
            if version_id is not None:
                sql, params = sql + " AND version_id = ?", (*params, version_id)
            row = conn.execute(sql, params).fetchone()
            if row is not None:
                write_object_acl(conn, row[0], acl)
                return True
            if version_id is None:
                return False
            row = conn.execute(
                "SELECT id FROM object_versions WHERE bucket_id = ? AND key = ? AND version_id = ? "
                "AND delete_marker = 0",
                (bucket_id, key, version_id),
            ).fetchone()
            if row is None:
                return False
            conn.execute("DELETE FROM version_acl WHERE version_row = ?", (row[0],))
            if acl is not None:
                conn.execute("INSERT INTO version_acl (version_row, acl) VALUES (?, ?)", (row[0], acl))
            return True

        return await self.db.transaction(put)

    async def upload_acl(self, upload_id: str) -> str | None:
        row = await self.db.fetchone("SELECT acl FROM upload_acl WHERE upload_id = ?", (upload_id,))
        return str(row["acl"]) if row else None

    async def put_upload_acl(self, upload_id: str, acl: str) -> None:
        await self.db.transaction(
            lambda conn: conn.execute(
                "INSERT OR REPLACE INTO upload_acl (upload_id, acl) VALUES (?, ?)", (upload_id, acl)
            )
        )
