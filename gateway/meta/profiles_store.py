"""User profiles: a user's full name and settings, by user id (gone with the user)."""

from __future__ import annotations

import sqlite3

from .db import Database


class ProfilesStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, account_id: str, user: str) -> dict[str, str]:
        row = await self.db.fetchone(
            "SELECT p.full_name, p.settings FROM user_profiles p JOIN users u ON u.id = p.user_id "
            "WHERE u.account_id = ? AND u.name = ?",
            (account_id, user),
        )
        return {"name": row["full_name"], "settings": row["settings"]} if row else {"name": "", "settings": ""}

    async def all(self, account_id: str) -> dict[str, dict[str, str]]:
        rows = await self.db.fetchall(
            "SELECT u.name, p.full_name, p.settings FROM user_profiles p JOIN users u ON u.id = p.user_id "
            "WHERE u.account_id = ?",
            (account_id,),
        )
        return {r["name"]: {"name": r["full_name"], "settings": r["settings"]} for r in rows}

    async def put(self, account_id: str, user: str, *, name: str | None = None, settings: str | None = None) -> None:
        """Set the given fields (None: unchanged) of an existing user's profile."""

        def upsert(conn: sqlite3.Connection) -> None:
            found = conn.execute(
                "SELECT id FROM users WHERE account_id = ? AND name = ?", (account_id, user)
            ).fetchone()
            if found is None:
                return
            conn.execute("INSERT OR IGNORE INTO user_profiles (user_id) VALUES (?)", (found[0],))
            if name is not None:
                conn.execute("UPDATE user_profiles SET full_name = ? WHERE user_id = ?", (name, found[0]))
            if settings is not None:
                conn.execute("UPDATE user_profiles SET settings = ? WHERE user_id = ?", (settings, found[0]))

        await self.db.transaction(upsert)
