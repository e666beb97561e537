"""Blob records: registered before their bytes are written, collected once nothing refers to them.

States: `pending` (registered for one write now starting), `reserved` (registered ahead of a
write by a running process, in batches: see core/blobs.py), `live` (referenced), `dead`
(unreferenced), `reclaiming` (taken by a collector). A reserved blob is collected only once
its owner process is dead, or (`mine`) by its own process's collector for a write in flight
that outlived the grace; age alone never takes it, so an idle process's reservations stay
usable whatever a collector's grace.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import aiosqlite

from .db import Database, inserted_id
from .rows import timestamp

_ORPHANED = "(created < ? OR owner IN ({marks}))"
_RESERVED_ORPHANED = "(state = 'reserved' AND (owner IN ({marks}) OR id IN ({mine})))"


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


class BlobsStore:
    """The blobs table, as the blob writer and the collector use it."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def new(self, space_id: int, key: str, owner: str = "", salt: bytes | None = None) -> int:
        """Register a blob about to be written, so a crash leaves a collectable record.

        Committed before the first byte is written (so a file never exists without its row
        while the gateway runs) but not fsynced: the commit that references the blob syncs it,
        and after a power loss in between, the file is a stray `junction admin gc` removes.
        """

        def insert(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                "INSERT INTO blobs (space_id, key, state, created, owner) VALUES (?, ?, 'pending', ?, ?)",
                (space_id, key, timestamp(), owner),
            )
            blob_id = inserted_id(cur)
            if salt is not None:  # an encrypted blob (sse_schema.py)
                conn.execute("INSERT INTO blob_salts (blob_id, salt) VALUES (?, ?)", (blob_id, salt))
            return blob_id

        return await self.db.transaction(insert, durable=False)

    async def reserve(self, space_id: int, keys: Sequence[str], owner: str) -> list[int]:
        """Register blobs for writes to come, all in one (not fsynced) transaction: a small
        write then takes its registration from memory instead of a transaction of its own.
        Committed before any of their files is written, as `new`'s; lost to a power failure,
        their files are strays `junction admin gc` removes."""

        def insert(conn: sqlite3.Connection) -> list[int]:
            now = timestamp()
            return [
                inserted_id(
                    conn.execute(
                        "INSERT INTO blobs (space_id, key, state, created, owner) VALUES (?, ?, 'reserved', ?, ?)",
                        (space_id, key, now, owner),
                    )
                )
                for key in keys
            ]

        return await self.db.transaction(insert, durable=False)

    async def unreserve(self, blob_ids: Sequence[int]) -> None:
        """Forget reservations never used (no file was written for them)."""
        await self.db.transaction(
            lambda conn: conn.executemany(
                "DELETE FROM blobs WHERE id = ? AND state = 'reserved' AND refcount = 0", [(b,) for b in blob_ids]
            ),
            durable=False,
        )

    async def keys(self, space_id: int) -> set[str]:
        """Every blob key the store knows in a space (for finding stray files)."""
        rows = await self.db.fetchall("SELECT key FROM blobs WHERE space_id = ?", (space_id,))
        return {row["key"] for row in rows}

    async def abandon(self, blob_id: int) -> None:
        """A write failed: mark its pending blob dead for the collector (not fsynced: lost to a
        power failure, the blob is pending again and the collector takes it after the grace)."""
        await self.db.transaction(
            lambda conn: conn.execute("UPDATE blobs SET state = 'dead' WHERE id = ? AND refcount = 0", (blob_id,)),
            durable=False,
        )

    async def pending_owners(self) -> list[str]:
        """The processes that have blobs pending (being written, or orphaned if they died)."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT owner FROM blobs WHERE state IN ('pending', 'reserved') AND owner != ''"
        )
        return [row["owner"] for row in rows]

    async def collectable(
        self,
        pending_older_than: float,
        limit: int = 500,
        after_id: int = 0,
        dead_owners: Sequence[str] = (),
        mine: Sequence[int] = (),
    ) -> list[aiosqlite.Row]:
        """Dead blobs, pending ones older than the cutoff or written by a process that died (a
        crashed or abandoned write), reserved ones of a dead process or among `mine`, and ones a
        collector claimed but did not finish; ordered by id, from `after_id` on."""
        return await self.db.fetchall(
            "SELECT id, space_id, key, size, state FROM blobs WHERE id > ? AND (state IN ('dead', 'reclaiming') "
            f"OR (state = 'pending' AND {_ORPHANED.format(marks=_marks(dead_owners))}) "
            f"OR {_RESERVED_ORPHANED.format(marks=_marks(dead_owners), mine=_marks(mine))}) ORDER BY id LIMIT ?",
            (after_id, pending_older_than, *dead_owners, *dead_owners, *mine, limit),
        )

    async def claim(
        self, blob_id: int, pending_older_than: float, dead_owners: Sequence[str] = (), mine: Sequence[int] = ()
    ) -> bool:
        """Take an unreferenced blob for deletion; False when a write committed it meanwhile.

        A claimed blob can no longer be committed (`rows.ref_blobs` refuses it), so a write that
        outlived the collector's grace fails instead of committing an object whose bytes are deleted.
        """

        def claim(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "UPDATE blobs SET state = 'reclaiming' WHERE id = ? AND refcount = 0 AND (state IN ('dead', "
                f"'reclaiming') OR (state = 'pending' AND {_ORPHANED.format(marks=_marks(dead_owners))}) "
                f"OR {_RESERVED_ORPHANED.format(marks=_marks(dead_owners), mine=_marks(mine))})",
                (blob_id, pending_older_than, *dead_owners, *dead_owners, *mine),
            )
            return cur.rowcount == 1

        # Not fsynced (nor is `forget`): what a claim guards against, a commit in this running
        # system, sees it at once; a power failure undoes it together with that write in flight,
        # and the collector simply deletes the (maybe already deleted) bytes and the row again.
        return await self.db.transaction(claim, durable=False)

    async def forget(self, blob_id: int) -> None:
        await self.db.transaction(
            lambda conn: conn.execute("DELETE FROM blobs WHERE id = ? AND refcount = 0", (blob_id,)), durable=False
        )
