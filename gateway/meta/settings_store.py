"""Gateway-wide settings: one row per setting that was changed from its default."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from .db import Database


class SettingsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def all(self) -> dict[str, Any]:
        """Every stored value, by setting name (a setting never changed has no row)."""
        rows = await self.db.fetchall("SELECT name, value FROM gateway_settings")
        return {row["name"]: json.loads(row["value"]) for row in rows}

    async def get(self, name: str) -> Any | None:
        row = await self.db.fetchone("SELECT value FROM gateway_settings WHERE name = ?", (name,))
        return None if row is None else json.loads(row["value"])

    async def put(self, name: str, value: Any, updated_by: str) -> None:
        text = json.dumps(value)

        def upsert(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO gateway_settings (name, value, updated, updated_by) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated = excluded.updated, "
                "updated_by = excluded.updated_by",
                (name, text, time.time(), updated_by),
            )

        await self.db.transaction(upsert)
