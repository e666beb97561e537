"""Per-bucket configurations kept in this process, so that a hot path (every GET, HEAD or
PUT asks for a bucket's lifecycle rules and notifications) adds no SQL.

Every change replaces a generation file in the data dir (any worker's change), and a lookup
that sees another generation drops the whole cache; an entry is read again after `seconds`
anyway (a change on another instance, a bucket id reused).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Generic, TypeVar

from .identity import Generation

T = TypeVar("T")


class BucketConfigCache(Generic[T]):
    def __init__(self, generation_file: Path, load: Callable[[int], Awaitable[T | None]], seconds: float) -> None:
        self._generation = Generation(generation_file)
        self._load = load
        self._seconds = seconds
        self._seen: tuple[int, int, int] | None = None
        self._cached: dict[int, tuple[float, T | None]] = {}

    def changed(self) -> None:
        """A configuration changed here: every worker drops its cache at its next lookup."""
        self._generation.bump()

    async def get(self, bucket_id: int) -> T | None:
        seen = self._generation.current()
        if seen != self._seen:
            self._seen, self._cached = seen, {}
        now = time.monotonic()
        entry = self._cached.get(bucket_id)
        if entry is None or now - entry[0] > self._seconds:
            entry = (now, await self._load(bucket_id))
            self._cached[bucket_id] = entry
        return entry[1]
