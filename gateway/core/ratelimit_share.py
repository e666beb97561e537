"""Rate limits counted once per namespace: every worker process and every gateway instance
publishes the hits it counted to the metadata store and merges the others', about once a second.

The limits themselves decide in memory (gateway/http/ratelimit.py) so that refusing a request
costs no database round trip; this task only keeps their counts in step. A client can therefore
exceed a limit by what it sends in one sharing interval, never by a factor of the process count.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from gateway.meta.cluster_store import ClusterStore

log = logging.getLogger("junction.ratelimit")

Hit = tuple[str, str, float]  # (route class, client address, time)
INTERVAL = 1.0  # seconds between two exchanges
WINDOW = 60.0  # the longest limit window (gateway/http/ratelimit.py)


class RateLimitSharing:
    def __init__(
        self,
        cluster: ClusterStore,
        holder: str,
        drain: Callable[[], list[Hit]],
        merge: Callable[[list[Hit]], None],
        interval: float = INTERVAL,
    ) -> None:
        self._cluster = cluster
        self._holder = holder
        self._drain = drain
        self._merge = merge
        self._interval = interval
        self._merged: dict[int, float] = {}  # ids already merged -> their time (forgotten after the window)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="junction-ratelimit-share")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.exchange()  # publish what is left, so a restarted worker does not reset a client

    async def exchange(self) -> None:
        """Publish this process's new hits, merge the others' not yet merged, forget old rows."""
        now = time.time()
        await self._cluster.publish_hits(self._holder, self._drain())
        fresh: list[Hit] = []
        for hit_id, route, client, at in await self._cluster.recent_hits(self._holder, now - WINDOW):
            if hit_id not in self._merged:
                self._merged[hit_id] = at
                fresh.append((route, client, at))
        self._merge(fresh)
        for hit_id in [i for i, at in self._merged.items() if at <= now - WINDOW]:
            del self._merged[hit_id]

    async def _run(self) -> None:
        rounds = 0
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.exchange()
                rounds += 1
                if rounds % 60 == 0:  # about once a minute: rows older than two windows go
                    await self._cluster.prune_hits(time.time() - 2 * WINDOW)
            except Exception as exc:  # the database away: limits stay per process until it is back
                log.warning("rate-limit sharing skipped a round: %s", exc)
