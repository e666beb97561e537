"""Access keys and their secrets (root, admin, and the scoped keys of console exports)."""

from __future__ import annotations

import aiosqlite

from .db import Database
from .rows import timestamp


class CredentialsStore:
    """The credentials table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, access_key: str) -> aiosqlite.Row | None:
        return await self.db.fetchone("SELECT * FROM credentials WHERE access_key = ?", (access_key,))

    async def put(self, access_key: str, secret_key: str, kind: str, **fields: object) -> None:
        columns = ["access_key", "secret_key", "kind", "created", *fields]
        values = [access_key, secret_key, kind, timestamp(), *fields.values()]
        marks = ", ".join("?" for _ in columns)
        async with self.db.write() as conn:
            await conn.execute(f"INSERT OR REPLACE INTO credentials ({', '.join(columns)}) VALUES ({marks})", values)

    async def of_kinds(self, *kinds: str) -> list[aiosqlite.Row]:
        """The credentials of these kinds (e.g. root, admin), oldest first."""
        marks = ", ".join("?" for _ in kinds)
        return await self.db.fetchall(
            f"SELECT access_key, kind, created FROM credentials WHERE kind IN ({marks}) ORDER BY created", kinds
        )

    async def delete(self, access_key: str) -> None:
        await self.db.transaction(
            lambda conn: conn.execute("DELETE FROM credentials WHERE access_key = ?", (access_key,))
        )
