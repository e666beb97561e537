"""Placement: a bucket's location constraint and the storage class -> user space mappings
(gateway-wide, and per bucket overriding them). Each method is one unit of work."""

from __future__ import annotations

import sqlite3

from .db import Database
from .settings_cache import SettingsCache


class PlacementStore:
    def __init__(self, db: Database, settings: SettingsCache | None = None) -> None:
        self.db = db
        self._settings = settings or SettingsCache(None)

    async def bucket_region(self, bucket_id: int) -> str | None:
        row = await self.db.fetchone("SELECT region FROM bucket_location WHERE bucket_id = ?", (bucket_id,))
        return str(row["region"]) if row else None

    async def set_bucket_region(self, bucket_id: int, region: str) -> None:
        await self.db.transaction(
            lambda conn: conn.execute(
                "INSERT INTO bucket_location (bucket_id, region) VALUES (?, ?) "
                "ON CONFLICT (bucket_id) DO UPDATE SET region = excluded.region",
                (bucket_id, region),
            )
        )

    async def classes(self, bucket_id: int | None = None) -> dict[str, str]:
        """class -> space reference: the gateway-wide table, or one bucket's overrides."""
        found = await self._settings.read(("classes", bucket_id), lambda: self._classes(bucket_id))
        return dict(found)  # a copy: callers may change theirs

    async def _classes(self, bucket_id: int | None) -> dict[str, str]:
        if bucket_id is None:
            rows = await self.db.fetchall("SELECT class, space FROM storage_classes ORDER BY class", ())
        else:
            rows = await self.db.fetchall(
                "SELECT class, space FROM bucket_storage_classes WHERE bucket_id = ? ORDER BY class", (bucket_id,)
            )
        return {str(r["class"]): str(r["space"]) for r in rows}

    async def set_classes(self, mapping: dict[str, str], bucket_id: int | None = None) -> None:
        """Replace the whole table (gateway-wide, or one bucket's) with `mapping`."""

        def replace(conn: sqlite3.Connection) -> None:
            if bucket_id is None:
                conn.execute("DELETE FROM storage_classes")
                conn.executemany("INSERT INTO storage_classes (class, space) VALUES (?, ?)", mapping.items())
            else:
                conn.execute("DELETE FROM bucket_storage_classes WHERE bucket_id = ?", (bucket_id,))
                conn.executemany(
                    "INSERT INTO bucket_storage_classes (bucket_id, class, space) VALUES (?, ?, ?)",
                    [(bucket_id, c, s) for c, s in mapping.items()],
                )

        try:
            await self.db.transaction(replace)
        finally:
            self._settings.changed()
