"""User-space rows: the storage a space points at, its sealed credential, its shard store.

Credentials arrive here already sealed by `gateway.core.secretbox`; this module never sees
them in the clear. A space still holding live blocks cannot be deleted (its objects would
lose their bytes), which `delete_space` checks in the same transaction as the delete.
"""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import SpaceRow

from .db import Database, inserted_id
from .rows import timestamp


def no_such_space(space_id: object) -> JunctionError:
    return JunctionError(ErrorCode.NoSuchUserSpace, user_space=space_id)


def _row(row: Any) -> SpaceRow:
    return SpaceRow(
        id=row["id"],
        name=row["name"],
        storage=json.loads(row["storage"]),
        sealed_credential=row["credential"],
        shard_max_size=row["shard_max_size"],
        features=json.loads(row["features"] or "[]"),
        working_dir=row["working_dir"],
        revision=row["revision"],
        created=row["created"],
    )


class SpacesStore:
    """The spaces table and the blob usage of each space; one transaction or read per method."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def list_all(self) -> list[SpaceRow]:
        return [_row(r) for r in await self.db.fetchall("SELECT * FROM spaces ORDER BY id")]

    def list_all_now(self) -> list[SpaceRow]:
        """`list_all`, synchronously (the spaces registry's refresh inside a synchronous lookup)."""
        return [_row(r) for r in self.db.read_now("SELECT * FROM spaces ORDER BY id")]

    async def get(self, space_id: int) -> SpaceRow:
        row = await self.db.fetchone("SELECT * FROM spaces WHERE id = ?", (space_id,))
        if row is None:
            raise no_such_space(space_id)
        return _row(row)

    async def create(
        self,
        *,
        name: str,
        storage: dict[str, Any],
        sealed_credential: str,
        shard_max_size: int | None,
        features: list[Any],
        working_dir: str,
    ) -> SpaceRow:
        def insert(conn: sqlite3.Connection) -> int:
            if conn.execute("SELECT 1 FROM spaces WHERE name = ?", (name,)).fetchone():
                raise JunctionError(
                    ErrorCode.UserSpaceAlreadyExists, f"A user space named {name!r} already exists", name=name
                )
            cur = conn.execute(
                "INSERT INTO spaces (name, storage, credential, shard_max_size, features, working_dir, revision, "
                "created) VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
                (
                    name,
                    json.dumps(storage),
                    sealed_credential,
                    shard_max_size,
                    json.dumps(features),
                    working_dir,
                    time.time(),
                ),
            )
            return inserted_id(cur)

        return await self.get(await self.db.transaction(insert))

    async def update(self, space_id: int, changes: dict[str, Any]) -> SpaceRow:
        """Apply column changes (already encoded) and bump the revision, atomically."""
        allowed = {"name", "storage", "credential", "shard_max_size", "features", "working_dir"}
        assert set(changes) <= allowed, changes

        def update(conn: sqlite3.Connection) -> None:
            if conn.execute("SELECT 1 FROM spaces WHERE id = ?", (space_id,)).fetchone() is None:
                raise no_such_space(space_id)
            if (
                "name" in changes
                and conn.execute(
                    "SELECT 1 FROM spaces WHERE name = ? AND id != ?", (changes["name"], space_id)
                ).fetchone()
            ):
                raise JunctionError(
                    ErrorCode.UserSpaceAlreadyExists, f"A user space named {changes['name']!r} already exists"
                )
            sets = "".join(f"{column} = ?, " for column in changes)
            conn.execute(f"UPDATE spaces SET {sets}revision = revision + 1 WHERE id = ?", (*changes.values(), space_id))

        await self.db.transaction(update)
        return await self.get(space_id)

    async def delete(self, space_id: int) -> bool:
        """Delete the space unless blocks still live there; False when it did not exist."""

        def delete(conn: sqlite3.Connection) -> bool:
            if conn.execute("SELECT 1 FROM spaces WHERE id = ?", (space_id,)).fetchone() is None:
                return False
            live = conn.execute(
                "SELECT COUNT(*) FROM blobs WHERE space_id = ? AND state = 'live'", (space_id,)
            ).fetchone()
            if live[0]:
                raise JunctionError(
                    ErrorCode.UserSpaceNotEmpty,
                    f"The user space still holds {live[0]} blocks of objects; delete or move those objects first",
                    user_space=space_id,
                )
            conn.execute("DELETE FROM blobs WHERE space_id = ?", (space_id,))
            conn.execute("DELETE FROM spaces WHERE id = ?", (space_id,))
            return True

        return await self.db.transaction(delete)

    async def usage(self, space_id: int) -> int:
        """Bytes of the blocks objects and upload parts hold in the space (a shared block counts once)."""
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(size), 0) AS used FROM blobs WHERE space_id = ? AND state = 'live'", (space_id,)
        )
        return int(row["used"]) if row else 0

    async def ensure(self, name: str, storage: dict[str, Any], credential: dict[str, Any], working_dir: str) -> int:
        """Return the id of the space called `name`, creating it if absent."""

        def ensure(conn: sqlite3.Connection) -> int:
            conn.execute(
                "INSERT INTO spaces (name, storage, credential, working_dir, created) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (name, json.dumps(storage), json.dumps(credential), working_dir, timestamp()),
            )
            row = conn.execute("SELECT id FROM spaces WHERE name = ?", (name,)).fetchone()
            assert row is not None  # inserted just above if it was absent
            return int(row["id"])

        return await self.db.transaction(ensure)
