"""Rows of the file-server API: endpoint permissions per role, and gateway settings (JSON
values by name). Both are small tables read whole; the core caches neither."""

from __future__ import annotations

import sqlite3
import time

from .db import Database


class FileApiStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def endpoint_roles(self) -> dict[tuple[str, str], bool]:
        """(endpoint, role) -> allowed, for every stored row."""
        rows = await self.db.fetchall("SELECT endpoint, role, allowed FROM endpoint_roles")
        return {(r["endpoint"], r["role"]): bool(r["allowed"]) for r in rows}

    async def set_endpoint_roles(self, rows: dict[tuple[str, str], bool]) -> None:
        """Replace every stored row at once (one transaction: a reader sees old or new)."""

        def replace_all(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM endpoint_roles")
            for (endpoint, role), allowed in sorted(rows.items()):
                conn.execute(
                    "INSERT INTO endpoint_roles (endpoint, role, allowed) VALUES (?, ?, ?)",
                    (endpoint, role, 1 if allowed else 0),
                )

        await self.db.transaction(replace_all)

    async def settings(self) -> dict[str, str]:
        """name -> JSON text of the value."""
        rows = await self.db.fetchall("SELECT name, value FROM gateway_settings")
        return {r["name"]: r["value"] for r in rows}

    async def put_settings(self, values: dict[str, str]) -> None:
        now = time.time()

        def upsert(conn: sqlite3.Connection) -> None:
            for name, value in sorted(values.items()):
                conn.execute(
                    "INSERT INTO gateway_settings (name, value, updated) VALUES (?, ?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated = excluded.updated",
                    (name, value, now),
                )

        await self.db.transaction(upsert)
