"""FTP/SFTP logins and the servers' on/off switch (shared by every worker and instance)."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError

from .db import Database

COLUMNS = "f.name, f.user_id, f.password_hash, f.home, f.permissions, f.public_keys, f.owns_user, f.created"


class FtpStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, name: str) -> dict[str, Any] | None:
        """The login with the linked user's name, account and state."""
        row = await self.db.fetchone(
            f"SELECT {COLUMNS}, u.name AS user_name, u.account_id, u.disabled "
            "FROM ftp_users f JOIN users u ON u.id = f.user_id WHERE f.name = ?",
            (name,),
        )
        return dict(row) if row else None

    async def all(self, account_id: str | None) -> list[dict[str, Any]]:
        """Every login (of the account's users, when given), by name."""
        sql = (
            f"SELECT {COLUMNS}, u.name AS user_name, u.account_id, u.disabled "
            "FROM ftp_users f JOIN users u ON u.id = f.user_id"
        )
        params: tuple[Any, ...] = ()
        if account_id is not None:
            sql += " WHERE u.account_id = ?"
            params = (account_id,)
        return [dict(r) for r in await self.db.fetchall(sql + " ORDER BY f.name", params)]

    async def create(
        self, name: str, user_id: int, password_hash: str, home: str, permissions: str, public_keys: str, owns: bool
    ) -> None:
        def insert(conn: sqlite3.Connection) -> None:
            if conn.execute("SELECT 1 FROM ftp_users WHERE name = ?", (name,)).fetchone():
                raise JunctionError(ErrorCode.InvalidRequest, f"an FTP user named {name!r} exists")
            conn.execute(
                "INSERT INTO ftp_users (name, user_id, password_hash, home, permissions, public_keys, owns_user, "
                "created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (name, user_id, password_hash, home, permissions, public_keys, 1 if owns else 0, time.time()),
            )

        await self.db.transaction(insert)

    async def update(self, name: str, fields: dict[str, str]) -> None:
        """Set some of password_hash, home, permissions, public_keys."""
        allowed = {"password_hash", "home", "permissions", "public_keys"}
        assert set(fields) <= allowed
        if not fields:
            return
        assignments = ", ".join(f"{k} = ?" for k in fields)
        await self.db.transaction(
            lambda conn: conn.execute(f"UPDATE ftp_users SET {assignments} WHERE name = ?", (*fields.values(), name))
        )

    async def delete(self, name: str) -> None:
        await self.db.transaction(lambda conn: conn.execute("DELETE FROM ftp_users WHERE name = ?", (name,)))

    async def flag(self, name: str) -> bool | None:
        """A shared switch: "enabled" (what /api/ftp/start|stop asked; None: never asked, the
        configuration decides) or "running" (whether the process serving FTP/SFTP has them up)."""
        row = await self.db.fetchone("SELECT enabled FROM ftp_switch WHERE name = ?", (name,))
        return None if row is None else bool(row["enabled"])

    async def set_flag(self, name: str, value: bool) -> None:
        await self.db.transaction(
            lambda conn: conn.execute(
                "INSERT INTO ftp_switch (name, enabled) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled",
                (name, 1 if value else 0),
            )
        )
