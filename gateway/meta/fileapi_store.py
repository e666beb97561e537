"""Rows of the file-server API: endpoint permissions per role (a small table, read whole)."""

from __future__ import annotations

import sqlite3

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
