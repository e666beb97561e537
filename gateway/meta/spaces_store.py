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

from .store import MetaStore


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


async def list_spaces(store: MetaStore) -> list[SpaceRow]:
    return [_row(r) for r in await store.db.fetchall("SELECT * FROM spaces ORDER BY id")]


async def get_space(store: MetaStore, space_id: int) -> SpaceRow:
    row = await store.db.fetchone("SELECT * FROM spaces WHERE id = ?", (space_id,))
    if row is None:
        raise no_such_space(space_id)
    return _row(row)


async def create_space(
    store: MetaStore,
    *,
    name: str,
    storage: dict,
    sealed_credential: str,
    shard_max_size: int | None,
    features: list,
    working_dir: str,
) -> SpaceRow:
    def insert(conn: sqlite3.Connection) -> int:
        if conn.execute("SELECT 1 FROM spaces WHERE name = ?", (name,)).fetchone():
            raise JunctionError(
                ErrorCode.UserSpaceAlreadyExists, f"A user space named {name!r} already exists", name=name
            )
        cur = conn.execute(
            "INSERT INTO spaces (name, storage, credential, shard_max_size, features, working_dir, revision, created)"
            " VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
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
        return int(cur.lastrowid)

    return await get_space(store, await store.db.transaction(insert))


async def update_space(store: MetaStore, space_id: int, changes: dict[str, Any]) -> SpaceRow:
    """Apply column changes (already encoded) and bump the revision, atomically."""
    allowed = {"name", "storage", "credential", "shard_max_size", "features", "working_dir"}
    assert set(changes) <= allowed, changes

    def update(conn: sqlite3.Connection) -> None:
        if conn.execute("SELECT 1 FROM spaces WHERE id = ?", (space_id,)).fetchone() is None:
            raise no_such_space(space_id)
        if (
            "name" in changes
            and conn.execute("SELECT 1 FROM spaces WHERE name = ? AND id != ?", (changes["name"], space_id)).fetchone()
        ):
            raise JunctionError(
                ErrorCode.UserSpaceAlreadyExists, f"A user space named {changes['name']!r} already exists"
            )
        sets = "".join(f"{column} = ?, " for column in changes)
        conn.execute(f"UPDATE spaces SET {sets}revision = revision + 1 WHERE id = ?", (*changes.values(), space_id))

    await store.db.transaction(update)
    return await get_space(store, space_id)


async def delete_space(store: MetaStore, space_id: int) -> bool:
    """Delete the space unless blocks still live there; False when it did not exist."""

    def delete(conn: sqlite3.Connection) -> bool:
        if conn.execute("SELECT 1 FROM spaces WHERE id = ?", (space_id,)).fetchone() is None:
            return False
        live = conn.execute("SELECT COUNT(*) FROM blobs WHERE space_id = ? AND state = 'live'", (space_id,)).fetchone()
        if live[0]:
            raise JunctionError(
                ErrorCode.UserSpaceNotEmpty,
                f"The user space still holds {live[0]} blocks of objects; delete or move those objects first",
                user_space=space_id,
            )
        conn.execute("DELETE FROM blobs WHERE space_id = ?", (space_id,))
        conn.execute("DELETE FROM spaces WHERE id = ?", (space_id,))
        return True

    return await store.db.transaction(delete)


async def space_usage(store: MetaStore, space_id: int) -> int:
    """Bytes of the blocks objects and upload parts hold in the space (a shared block counts once)."""
    row = await store.db.fetchone(
        "SELECT COALESCE(SUM(size), 0) AS used FROM blobs WHERE space_id = ? AND state = 'live'", (space_id,)
    )
    return int(row["used"]) if row else 0
