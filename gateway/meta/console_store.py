"""Store functions of the console API: exports (scoped credentials) and quotas."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError

from . import history
from .credentials_store import CredentialsStore
from .db import Database, inserted_id
from .rows import prefix_successor

EXPORT_COLUMNS = (
    "e.id, e.bucket_id, e.access_key, e.created, c.description, c.iprange, c.apionly, c.readonly, c.appendonly"
)
EXPORT_FROM = "exports e JOIN credentials c ON c.access_key = e.access_key"


def _export(row: sqlite3.Row) -> dict[str, Any]:
    return {k: row[k] for k in row.keys()}


COLUMN_OF = {
    "desc": "description",
    "iprange": "iprange",
    "apionly": "apionly",
    "readonly": "readonly",
    "appendonly": "appendonly",
}


# ------------------------------------------------------------------ quotas


def _quota(row: sqlite3.Row) -> dict[str, Any]:
    return {k: row[k] for k in row.keys()}


def usage_under(conn: sqlite3.Connection, bucket_id: int, prefix: str) -> tuple[int, int]:
    """(bytes, objects) of committed objects whose key starts with `prefix`, noncurrent
    versions included (they are stored bytes too)."""
    sql = "SELECT COALESCE(SUM(size), 0), COUNT(*) FROM objects WHERE bucket_id = ? AND key >= ?"
    params: list[Any] = [bucket_id, prefix]
    upper = prefix_successor(prefix) if prefix else None
    if upper is not None:
        sql += " AND key < ?"
        params.append(upper)
    row = conn.execute(sql, params).fetchone()
    old_bytes, old_count = history.noncurrent_usage(conn, bucket_id, prefix)
    return row[0] + old_bytes, row[1] + old_count


class ConsoleStore:
    """Exports (scoped credentials) and quotas of the console API; one transaction or read per method."""

    def __init__(self, db: Database, credentials: CredentialsStore) -> None:
        self.db = db
        self._credentials = credentials  # seals the export keys' secrets

    async def claim_token(self, signature: str, now: float, expires: float) -> bool:
        """Record a state-changing token's signature; False when it was used before (a replay).
        Expired records go first, so the table holds only tokens still fresh."""

        def claim(conn: sqlite3.Connection) -> bool:
            conn.execute("DELETE FROM console_used_tokens WHERE expires < ?", (now,))
            cur = conn.execute(
                "INSERT INTO console_used_tokens (signature, expires) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (signature, expires),
            )
            return cur.rowcount == 1

        return await self.db.transaction(claim)

    async def list_exports(self, bucket_id: int) -> list[dict[str, Any]]:
        rows = await self.db.fetchall(
            f"SELECT {EXPORT_COLUMNS} FROM {EXPORT_FROM} WHERE e.bucket_id = ? ORDER BY e.id", (bucket_id,)
        )
        return [_export(r) for r in rows]

    async def get_export(self, bucket_id: int, export_id: int) -> dict[str, Any]:
        row = await self.db.fetchone(
            f"SELECT {EXPORT_COLUMNS} FROM {EXPORT_FROM} WHERE e.bucket_id = ? AND e.id = ?", (bucket_id, export_id)
        )
        if row is None:
            raise JunctionError(ErrorCode.NoSuchExport, f"export {export_id} does not exist in this volume")
        return _export(row)

    async def create_export(self, bucket_id: int, access_key: str, secret_key: str, fields: dict[str, Any]) -> int:
        """Insert the scoped credential and its export row in one transaction."""

        def insert(conn: sqlite3.Connection) -> int:
            now = time.time()
            conn.execute(
                "INSERT INTO credentials (access_key, secret_key, kind, bucket_id, description, iprange, apionly, "
                "readonly, appendonly, created) VALUES (?, ?, 'export', ?, ?, ?, ?, ?, ?, ?)",
                (
                    access_key,
                    self._credentials.seal_secret(secret_key),
                    bucket_id,
                    fields["desc"],
                    fields["iprange"],
                    int(fields["apionly"]),
                    int(fields["readonly"]),
                    int(fields["appendonly"]),
                    now,
                ),
            )
            cur = conn.execute(
                "INSERT INTO exports (access_key, bucket_id, created) VALUES (?, ?, ?)", (access_key, bucket_id, now)
            )
            return inserted_id(cur)

        return await self.db.transaction(insert)

    async def update_export(self, bucket_id: int, export_id: int, fields: dict[str, Any]) -> None:
        export = await self.get_export(bucket_id, export_id)
        if not fields:
            return
        assignments = ", ".join(f"{COLUMN_OF[name]} = ?" for name in fields)
        values = [int(v) if isinstance(v, bool) else v for v in fields.values()]

        def update(conn: sqlite3.Connection) -> None:
            conn.execute(f"UPDATE credentials SET {assignments} WHERE access_key = ?", (*values, export["access_key"]))

        await self.db.transaction(update)

    async def delete_export(self, bucket_id: int, export_id: int) -> None:
        export = await self.get_export(bucket_id, export_id)
        await self.db.transaction(
            lambda conn: conn.execute("DELETE FROM credentials WHERE access_key = ?", (export["access_key"],))
        )

    async def list_quotas(self, bucket_id: int) -> list[dict[str, Any]]:
        rows = await self.db.fetchall("SELECT * FROM quotas WHERE bucket_id = ? ORDER BY id", (bucket_id,))
        return [_quota(r) for r in rows]

    async def get_quota(self, bucket_id: int, quota_id: int) -> dict[str, Any]:
        row = await self.db.fetchone("SELECT * FROM quotas WHERE bucket_id = ? AND id = ?", (bucket_id, quota_id))
        if row is None:
            raise JunctionError(ErrorCode.NoSuchQuota, f"quota {quota_id} does not exist in this volume")
        return _quota(row)

    async def create_quota(self, bucket_id: int, path: str, prefix: str, size: int | None, inodes: int | None) -> int:
        def insert(conn: sqlite3.Connection) -> int:
            if conn.execute("SELECT 1 FROM quotas WHERE bucket_id = ? AND path = ?", (bucket_id, path)).fetchone():
                raise JunctionError(ErrorCode.QuotaExists, f"a quota for {path} already exists", field="path")
            cur = conn.execute(
                "INSERT INTO quotas (bucket_id, path, prefix, size, inodes, created) VALUES (?, ?, ?, ?, ?, ?)",
                (bucket_id, path, prefix, size, inodes, time.time()),
            )
            return inserted_id(cur)

        return await self.db.transaction(insert)

    async def update_quota(self, bucket_id: int, quota_id: int, fields: dict[str, Any]) -> None:
        await self.get_quota(bucket_id, quota_id)
        if not fields:
            return
        assignments = ", ".join(f"{name} = ?" for name in fields)

        def update(conn: sqlite3.Connection) -> None:
            try:
                conn.execute(f"UPDATE quotas SET {assignments} WHERE id = ?", (*fields.values(), quota_id))
            except sqlite3.IntegrityError:
                raise JunctionError(
                    ErrorCode.QuotaExists, "a quota for that path already exists", field="path"
                ) from None

        await self.db.transaction(update)

    async def delete_quota(self, bucket_id: int, quota_id: int) -> None:
        await self.get_quota(bucket_id, quota_id)
        await self.db.transaction(lambda conn: conn.execute("DELETE FROM quotas WHERE id = ?", (quota_id,)))

    async def quota_usage(self, bucket_id: int, prefix: str) -> tuple[int, int]:
        return await self.db.query(lambda conn: usage_under(conn, bucket_id, prefix))
