"""Web console sessions: spent token and ticket ids, and the user lookups a login needs."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from .db import Database
from .identity_store import KeySnapshot, user_snapshot

Row = dict[str, Any]


class SessionsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def spend(self, spent_id: str, expires: float) -> bool:
        """Record `spent_id` as used; False when it already was (a replayed ticket)."""

        def insert(conn: sqlite3.Connection) -> bool:
            conn.execute("DELETE FROM console_spent WHERE expires < ?", (time.time(),))
            cur = conn.execute("INSERT OR IGNORE INTO console_spent (id, expires) VALUES (?, ?)", (spent_id, expires))
            return cur.rowcount == 1

        return await self.db.transaction(insert)

    async def is_spent(self, spent_id: str) -> bool:
        return await self.db.fetchone("SELECT 1 FROM console_spent WHERE id = ?", (spent_id,)) is not None

    async def users_named(self, name: str, account: str | None = None) -> list[Row]:
        """Users called `name` (in the account with this id or name, when given), with their account's name."""
        sql = (
            "SELECT u.id, u.name, u.account_id, u.password_hash, u.disabled, a.name AS account_name "
            "FROM users u JOIN accounts a ON a.id = u.account_id WHERE u.name = ?"
        )
        params: tuple[Any, ...] = (name,)
        if account is not None:
            sql += " AND (a.id = ? OR a.name = ?)"
            params = (name, account, account)
        return [dict(r) for r in await self.db.fetchall(sql + " ORDER BY a.created", params)]

    async def user_snapshot(self, user_id: int) -> KeySnapshot | None:
        """A user with its account, policies and rules, as if it signed with a key of its own."""
        return await self.db.query(lambda conn: user_snapshot(conn, user_id))
