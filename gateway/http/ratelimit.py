"""Every rate limit of the gateway, per client address and route class, in one place.

A sliding window of 60 s per (route class, client address), in memory as the storage browser
document's own: each worker process counts for itself, so with N workers a client may get up
to N times the figure before every worker refuses it (README, *Web console*). The address is
the TCP peer's: Junction trusts no X-Forwarded-For, so behind a proxy every client shares the
proxy's address. A refused request answers 429 with `retryAfter` (gateway/browser/errors.py).
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque

MAX_CLIENTS = 10_000  # addresses remembered per limit (oldest forgotten first)


class RateLimit:
    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
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

    def hit(self, client: str, now: float | None = None) -> float | None:
        """Count one request; None when allowed, else the time at which one would be."""
        now = time.time() if now is None else now
        blocked = self.blocked_until(client, now)
        if blocked is None:
            self.record(client, now)
        return blocked


# route class -> its limit (the document's figures, per minute per client address)
LIMITS: dict[str, RateLimit] = {
    "login": RateLimit(5),  # failed sign-ins (a success does not count: people behind one NAT)
    "sse-ticket": RateLimit(20),  # one-time EventSource tickets
    "search-contains": RateLimit(5),  # `contains` searches (they scan); `startsWith` is not limited
}


def limit_of(route_class: str) -> RateLimit:
    return LIMITS[route_class]
