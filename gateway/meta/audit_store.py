"""The audit log's rows: appended in batches, read newest first a page at a time, pruned by age."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from .db import Database

Row = dict[str, Any]
COLUMNS = (
    "time",
    "front_end",
    "account",
    "user_name",
    "access_key",
    "action",
    "resource",
    "method",
    "status",
    "size",
    "address",
    "request_id",
)
FILTERS = ("front_end", "account", "user_name", "access_key", "method", "status")


class AuditStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def append(self, entries: Sequence[Row]) -> None:
        """One transaction for a whole batch. Not fsynced on its own (durable=False): the next
        durable commit of any write makes it durable, and a batch is small."""
        if not entries:
            return
        sql = f"INSERT INTO audit_log ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"
        rows = [tuple(entry.get(c, "") for c in COLUMNS) for entry in entries]

        def insert(conn: sqlite3.Connection) -> None:
            conn.executemany(sql, rows)

        await self.db.transaction(insert, durable=False)

    async def page(
        self,
        *,
        limit: int,
        before: int | None = None,
        since: float | None = None,
        until: float | None = None,
        action: str = "",
        resource: str = "",
        equal: dict[str, Any] | None = None,
    ) -> list[Row]:
        """Newest first, `limit` rows with id < `before`; `action` and `resource` match as prefixes."""
        where: list[str] = []
        params: list[Any] = []
        if before is not None:
            where.append("id < ?")
            params.append(before)
        if since is not None:
            where.append("time >= ?")
            params.append(since)
        if until is not None:
            where.append("time < ?")
            params.append(until)
        for column, value in (equal or {}).items():
            if column not in FILTERS:
                raise ValueError(f"cannot filter the audit log on {column}")
            where.append(f"{column} = ?")
            params.append(value)
        for column, prefix in (("action", action), ("resource", resource)):
            if prefix:
                where.append(f"substr({column}, 1, ?) = ?")
                params.extend((len(prefix), prefix))
        sql = "SELECT id, " + ", ".join(COLUMNS) + " FROM audit_log"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(limit)
        return [dict(r) for r in await self.db.fetchall(sql, tuple(params))]

    async def prune(self, older_than: float) -> int:
        """Delete entries from before `older_than` (epoch seconds); how many went."""

        def delete(conn: sqlite3.Connection) -> int:
            return conn.execute("DELETE FROM audit_log WHERE time < ?", (older_than,)).rowcount

        return await self.db.transaction(delete)
