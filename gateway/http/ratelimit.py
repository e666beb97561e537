"""Every rate limit of the gateway, per client address and route class, in one place.

A sliding window of 60 s per (route class, client address), decided in memory so that a
refusal costs no database round trip. What one process counts is shared with every other
worker process and gateway instance through the metadata store (gateway/core/ratelimit_share.py:
each process publishes its hits and merges the others' about once a second), so a client gets
the figure once per namespace, not once per process, give or take what it can send in that
second. The address is
the TCP peer's: Junction trusts no X-Forwarded-For, so behind a proxy every client shares the
proxy's address. A refused request answers 429 with `retryAfter` (gateway/browser/errors.py).
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque

from gateway.core.ratelimit_share import Hit

MAX_CLIENTS = 10_000  # addresses remembered per limit (oldest forgotten first)
OUTBOX_MAX = 10_000  # hits kept for publishing; with no sharing task running, the oldest are dropped


class RateLimit:
    def __init__(self, limit: int, window: float = 60.0, name: str = "", outbox: list[Hit] | None = None) -> None:
        self.limit = limit
        self.window = window
        self.name = name  # the route class
        self._outbox = outbox  # where hits to share with the other processes go (None: not shared)
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, client: str, now: float) -> deque[float]:
        hits = self._hits.pop(client, None) or deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        self._hits[client] = hits
        if len(self._hits) > MAX_CLIENTS:
            self._hits.popitem(last=False)
        return hits

    def blocked_until(self, client: str, now: float | None = None) -> float | None:
        """None when the client is under the limit, else the time it will be again (nothing counted)."""
        now = time.time() if now is None else now
        hits = self._recent(client, now)
        return hits[0] + self.window if len(hits) >= self.limit else None

    def record(self, client: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        self._recent(client, now).append(now)
        if self._outbox is not None:
            if len(self._outbox) >= OUTBOX_MAX:
                del self._outbox[: OUTBOX_MAX // 2]
            self._outbox.append((self.name, client, now))

    def merge(self, client: str, at: float) -> None:
        """Count a hit another process saw (kept in time order; not published again)."""
        if at <= time.time() - self.window:
            return
        hits = self._recent(client, time.time())
        hits.append(at)
        if len(hits) > 1 and hits[-2] > at:
            ordered = sorted(hits)
            hits.clear()
            hits.extend(ordered)

    def hit(self, client: str, now: float | None = None) -> float | None:
        """Count one request; None when allowed, else the time at which one would be."""
        now = time.time() if now is None else now
        blocked = self.blocked_until(client, now)
        if blocked is None:
            self.record(client, now)
        return blocked


class RateLimits:
    """The limits of one process by route class, and the hits it counted but has not yet shared."""

    def __init__(self, figures: dict[str, int]) -> None:
        self._outbox: list[Hit] = []
        self.limits = {name: RateLimit(limit, name=name, outbox=self._outbox) for name, limit in figures.items()}

    def drain(self) -> list[Hit]:
        """The hits counted here since the last call, to publish."""
        hits = self._outbox[:]
        self._outbox.clear()
        return hits

    def merge(self, hits: list[Hit]) -> None:
        """Count other processes' hits; a route class this process does not know is ignored."""
        for route, client, at in hits:
            limit = self.limits.get(route)
            if limit is not None:
                limit.merge(client, at)


# route class -> its limit (the document's figures, per minute per client address)
FIGURES = {
    "login": 5,  # failed sign-ins (a success does not count: people behind one NAT)
    "sse-ticket": 20,  # one-time EventSource tickets
    "search-contains": 5,  # `contains` searches (they scan); `startsWith` is not limited
    "api-key": 5,  # wrong X-API-KEY secrets on the file-server API
    "ftp-login": 5,  # failed FTP and SFTP password sign-ins (gateway/ftp/)
}
PROCESS = RateLimits(FIGURES)  # this process's (shared through Core.share_rate_limits, see app.py)


def limit_of(route_class: str) -> RateLimit:
    return PROCESS.limits[route_class]
