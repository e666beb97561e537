"""What several gateway instances over one database share besides the namespace itself:
leases (one scheduler, one collector per namespace; each process's liveness), the identity
generation (cache invalidation without a shared disk), and cancel requests for jobs another
instance runs.

A lease is a row with a holder and an expiry, taken or renewed in a transaction: portable to
any engine with transactions (no advisory locks, no LISTEN/NOTIFY). Expiries use the instances'
clocks, so the instances' clocks must agree to well within a lease's time to live (NTP).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence

from .db import Database


class ClusterStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------ leases

    async def acquire(self, name: str, holder: str, ttl: float, *, dead_holder: str = "") -> bool:
        """Take or renew the lease `name` for `ttl` seconds; False while another holder's is
        unexpired, unless that holder is `dead_holder` (known to have died: taken at once)."""

        def take(conn: sqlite3.Connection) -> bool:
            now = time.time()
            row = conn.execute("SELECT holder, expires FROM leases WHERE name = ?", (name,)).fetchone()
            if row is not None and row["holder"] not in (holder, dead_holder) and row["expires"] > now:
                return False
            conn.execute(
                "INSERT INTO leases (name, holder, expires) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires",
                (name, holder, now + ttl),
            )
            return True

        return await self.db.transaction(take, durable=False)

    async def release(self, name: str, holder: str) -> None:
        await self.db.transaction(
            lambda conn: conn.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))
        )

    async def lease(self, name: str) -> tuple[str, float] | None:
        """(holder, expiry) of a lease, expired or not; None if never taken (or released)."""
        row = await self.db.fetchone("SELECT holder, expires FROM leases WHERE name = ?", (name,))
        return (row["holder"], row["expires"]) if row else None

    # ------------------------------------------------------------ generations

    async def bump(self, name: str) -> None:
        await self.db.transaction(
            lambda conn: conn.execute(
                "INSERT INTO generations (name, value) VALUES (?, 1) "
                "ON CONFLICT (name) DO UPDATE SET value = generations.value + 1",
                (name,),
            )
        )

    async def generation(self, name: str) -> int:
        row = await self.db.fetchone("SELECT value FROM generations WHERE name = ?", (name,))
        return int(row["value"]) if row else 0

    # ------------------------------------------------------------ job cancellation

    async def request_cancel(self, job_id: int) -> bool:
        """Flag a running job for its owner to cancel; False if it is not running."""
        return await self.db.transaction(
            lambda conn: (
                conn.execute(
                    "UPDATE jobs SET cancel_requested = 1 WHERE id = ? AND state = 'running'", (job_id,)
                ).rowcount
                == 1
            )
        )

    async def cancel_requested(self, job_id: int) -> bool:
        row = await self.db.fetchone("SELECT cancel_requested FROM jobs WHERE id = ?", (job_id,))
        return bool(row and row["cancel_requested"])

    # ------------------------------------------------------------ rate-limit hits

    async def publish_hits(self, holder: str, hits: Sequence[tuple[str, str, float]]) -> None:
        """Record hits counted by `holder`. Not fsynced: a limit forgotten in a crash is harmless."""
        if not hits:
            return
        rows = [(route, client, at, holder) for route, client, at in hits]
        await self.db.transaction(
            lambda conn: conn.executemany(
                "INSERT INTO rate_hits (route, client, at, holder) VALUES (?, ?, ?, ?)", rows
            ),
            durable=False,
        )

    async def recent_hits(self, holder: str, since: float) -> list[tuple[int, str, str, float]]:
        """Other holders' hits after `since`, with their ids (the reader skips those it has merged:
        ids may commit out of order on PostgreSQL, so no id cursor)."""
        rows = await self.db.fetchall(
            "SELECT id, route, client, at FROM rate_hits WHERE at > ? AND holder <> ?", (since, holder)
        )
        return [(int(r["id"]), r["route"], r["client"], float(r["at"])) for r in rows]

    async def prune_hits(self, before: float) -> int:
        return await self.db.transaction(
            lambda conn: conn.execute("DELETE FROM rate_hits WHERE at < ?", (before,)).rowcount, durable=False
        )
