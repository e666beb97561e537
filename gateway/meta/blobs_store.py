"""Blob records: registered before their bytes are written, collected once nothing refers to them."""

from __future__ import annotations

import sqlite3

import aiosqlite

from .db import Database, inserted_id
from .rows import timestamp


class BlobsStore:
    """The blobs table, as the blob writer and the collector use it."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def new(self, space_id: int, key: str) -> int:
        """Register a blob about to be written, so a crash leaves a collectable record."""

        def insert(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                "INSERT INTO blobs (space_id, key, state, created) VALUES (?, ?, 'pending', ?)",
                (space_id, key, timestamp()),
            )
            return inserted_id(cur)

        return await self.db.transaction(insert)

    async def abandon(self, blob_id: int) -> None:
        """A write failed: mark its pending blob dead for the collector."""
        async with self.db.write() as conn:
            await conn.execute("UPDATE blobs SET state = 'dead' WHERE id = ? AND refcount = 0", (blob_id,))

    async def collectable(self, pending_older_than: float, limit: int = 500) -> list[aiosqlite.Row]:
        return await self.db.fetchall(
            "SELECT id, space_id, key FROM blobs WHERE state = 'dead' OR (state = 'pending' AND created < ?) LIMIT ?",
            (pending_older_than, limit),
        )

    async def forget(self, blob_id: int) -> None:
        async with self.db.write() as conn:
            await conn.execute("DELETE FROM blobs WHERE id = ? AND refcount = 0", (blob_id,))
