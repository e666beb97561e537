"""Leases this process takes in the shared database, so that with several gateway instances
over one namespace each periodic duty (the sync scheduler, the blob collector) has one holder,
and an instance that dies is replaced within the lease's time to live.

The holder renews once half the time to live has gone; the database is asked only then.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from gateway.meta.cluster_store import ClusterStore


class Lease:
    def __init__(
        self,
        cluster: ClusterStore,
        name: str,
        holder: str,
        ttl: float,
        is_dead: Callable[[str], Awaitable[bool]] | None = None,
    ) -> None:
        """`is_dead(holder)`: True when another holder is known to have died (its lock file is
        free), so its lease is taken at once instead of after it expires."""
        self._cluster = cluster
        self.name = name
        self.holder = holder
        self.ttl = ttl
        self._is_dead = is_dead
        self._valid_until = 0.0  # monotonic; taken before asking, so never later than the row's expiry

    async def held(self) -> bool:
        """True while this process holds the lease: renews it, or takes it once the holder's expired."""
        started = time.monotonic()
        if self._valid_until - started > self.ttl / 2:
            return True
        taken = await self._cluster.acquire(self.name, self.holder, self.ttl)
        if not taken and self._is_dead is not None:
            current = await self._cluster.lease(self.name)
            if current is not None and await self._is_dead(current[0]):
                taken = await self._cluster.acquire(self.name, self.holder, self.ttl, dead_holder=current[0])
        self._valid_until = started + self.ttl if taken else 0.0
        return taken

    async def release(self) -> None:
        """Give the lease up (a clean stop): another instance takes it at its next pass."""
        if self._valid_until:
            self._valid_until = 0.0
            await self._cluster.release(self.name, self.holder)
