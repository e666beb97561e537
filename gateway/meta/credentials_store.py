"""Access keys and their secrets (root, admin, and the scoped keys of console exports).

Secrets are stored sealed by the sealer the store is given (the core's SecretBox): SigV4 needs
them back, so they are encrypted, not hashed. Without a sealer they are stored as given (tools, tests).
"""

from __future__ import annotations

import sqlite3
from typing import Protocol

import aiosqlite

from .db import Database
from .rows import timestamp


class SecretSealer(Protocol):
    def seal_text(self, secret: str) -> str: ...
    def open_text(self, stored: str) -> str: ...
    def is_sealed(self, stored: str) -> bool: ...
    def can_open(self, stored: str) -> bool: ...


class CredentialsStore:
    """The credentials table."""

    def __init__(self, db: Database, box: SecretSealer | None = None) -> None:
        self.db = db
        self.box = box

    async def get(self, access_key: str) -> aiosqlite.Row | None:
        """The credential row; its `secret_key` is as stored (sealed): read it with `open_secret`."""
        return await self.db.fetchone("SELECT * FROM credentials WHERE access_key = ?", (access_key,))

    def seal_secret(self, secret_key: str) -> str:
        return self.box.seal_text(secret_key) if self.box else secret_key

    def open_secret(self, stored: str) -> str:
        return self.box.open_text(stored) if self.box else stored

    async def seal_plain_secrets(self) -> int:
        """Seal the secrets of rows written before sealing existed (or by hand); return how many."""
        if self.box is None:
            return 0
        box = self.box

        def seal(conn: sqlite3.Connection) -> int:
            rows = conn.execute("SELECT access_key, secret_key FROM credentials").fetchall()
            plain = [
                (box.seal_text(r["secret_key"]), r["access_key"]) for r in rows if not box.is_sealed(r["secret_key"])
            ]
            conn.executemany("UPDATE credentials SET secret_key = ? WHERE access_key = ?", plain)
            return len(plain)

        return await self.db.transaction(seal)

    async def unopenable_secrets(self) -> list[str]:
        """Access keys whose sealed secret the current key cannot open (the key was changed or lost)."""
        if self.box is None:
            return []
        box = self.box
        rows = await self.db.fetchall("SELECT access_key, secret_key FROM credentials")
        return [
            row["access_key"]
            for row in rows
            if box.is_sealed(row["secret_key"]) and not box.can_open(row["secret_key"])
        ]

    async def put(self, access_key: str, secret_key: str, kind: str, **fields: object) -> None:
        columns = ["access_key", "secret_key", "kind", "created", *fields]
        values = [access_key, self.seal_secret(secret_key), kind, timestamp(), *fields.values()]
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO credentials ({', '.join(columns)}) VALUES ({marks})"

        def replace(conn: sqlite3.Connection) -> None:
            # the whole row is replaced, columns not given back to their defaults (what SQLite's
            # INSERT OR REPLACE did, cascades included), in SQL both engines run
            conn.execute("DELETE FROM credentials WHERE access_key = ?", (access_key,))
            conn.execute(sql, values)

        await self.db.transaction(replace)

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
