"""Delivery of queued notification events to their webhooks: at least once, in the background.

One process per namespace delivers (the "notify" lease, like the blob collector's), so with
several workers or instances a given event is POSTed by one of them; if that one dies while
an event is in flight, the next holder sends it again (at-least-once, as S3 promises). A
webhook that fails (connection refused, timeout, non-2xx) gets the event again after a delay
that doubles with each attempt, up to `MAX_DELAY`. Retries are bounded (`DeliveryLimits`): after
`max_attempts`, or once the event has waited `max_age_seconds`, it is given up and kept as
`failed`; the events queued behind a failing one that have waited that long are given up with
it, so a dead webhook's queue drains as fast as it fills. Failed events are kept for the
console (the newest `failed_keep` per webhook, for `failed_keep_seconds`), then pruned; a
webhook's queue holds at most `queue_limit` events (notify_store.py). A dead webhook holds back
only its own events, never a write nor another webhook.

The HTTP client is handed in (`Poster`): the core knows no HTTP framework.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from gateway.meta.notify_store import QueuedEvent
from gateway.meta.store import MetaStore

from .leases import Lease

log = logging.getLogger("junction.notify")

POLL_SECONDS = 1.0  # how often the holder looks for due events when nothing woke it
LEASE_SECONDS = 30.0
BATCH = 100
TIMEOUT_SECONDS = 10.0  # one POST; a webhook slower than this counts as failed
MAX_DELAY = 1800.0
PRUNE_SECONDS = 60.0  # how often the holder removes failed events past their keep time


@dataclass(frozen=True, slots=True)
class DeliveryLimits:
    """How long a failing webhook's events are retried and kept (README "Bucket notifications")."""

    max_attempts: int = 30  # with the default 2 s base: about twelve hours of retries
    max_age_seconds: float = 86400.0  # an event older than this is given up at its next failure
    queue_limit: int = 10000  # events waiting per webhook; more are dropped (kept as failed)
    failed_keep: int = 1000  # failed events kept per webhook, the newest
    failed_keep_seconds: float = 7 * 86400.0  # how long a failed event stays visible


class Poster(Protocol):
    async def post(self, url: str, body: bytes, timeout: float) -> int:
        """POST `body` as JSON; the HTTP status (raises OSError/TimeoutError when no answer came)."""
        ...

    async def close(self) -> None: ...


class Delivery:
    def __init__(
        self,
        store: MetaStore,
        holder: str,
        is_dead: Callable[[str], Awaitable[bool]],
        *,
        retry_base: float = 2.0,
        limits: DeliveryLimits | None = None,
    ) -> None:
        self._store = store
        self._lease = Lease(store.cluster, "notify", holder, LEASE_SECONDS, is_dead=is_dead)
        self._retry_base = retry_base
        self.limits = limits or DeliveryLimits()
        self._next_prune = 0.0
        self._poster: Poster | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def start(self, poster: Poster) -> None:
        self._poster = poster
        self._task = asyncio.create_task(self._run(), name="junction-notify")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
            with contextlib.suppress(Exception):
                await self._lease.release()
        if self._poster is not None:
            await self._poster.close()

    def wake(self) -> None:
        """An event was queued by this process: look now rather than at the next poll."""
        self._wake.set()

    def delay(self, attempts: int) -> float:
        """Seconds before attempt `attempts + 1`, after `attempts` failed ones."""
        return float(min(self._retry_base * 2 ** (attempts - 1), MAX_DELAY))

    async def probe(self, url: str, document: dict[str, object]) -> tuple[int | None, str]:
        """POST one message now (the console's test-endpoint): (status, error text)."""
        if self._poster is None:
            return None, "delivery is not running in this process"
        try:
            status = await self._poster.post(url, json.dumps(document).encode(), TIMEOUT_SECONDS)
        except (OSError, TimeoutError) as exc:
            return None, _describe(exc)
        return status, "" if 200 <= status < 300 else f"HTTP {status}"

    async def _run(self) -> None:
        while True:
            try:
                if await self._lease.held():
                    while await self.deliver_due():
                        pass
                    await self._prune()
            except Exception:
                log.exception("notification delivery failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
            self._wake.clear()

    async def _prune(self) -> None:
        """Remove the failed events kept longer than `failed_keep_seconds` (every PRUNE_SECONDS)."""
        now = time.time()
        if now < self._next_prune:
            return
        keep = self.limits.failed_keep_seconds
        self._next_prune = now + min(PRUNE_SECONDS, keep / 2)
        pruned = await self._store.notify.prune_failed(now - keep)
        if pruned:
            log.info("pruned %d failed notification events kept longer than %g s", pruned, keep)

    async def deliver_due(self) -> bool:
        """One batch of due events, each webhook's in order; True when the batch was full."""
        due = await self._store.notify.due(time.time(), BATCH)
        by_target: dict[str, list[QueuedEvent]] = {}
        for event in due:
            by_target.setdefault(event.target_id, []).append(event)
        await asyncio.gather(*(self._deliver_target(target, events) for target, events in by_target.items()))
        return len(due) == BATCH

    async def _deliver_target(self, target_id: str, events: list[QueuedEvent]) -> None:
        target = await self._store.notify.target(target_id)
        for event in events:
            # a target not registered (removed, or named under x-amz-skip-destination-validation)
            # fails like a dead webhook: the event waits for one to be registered under its id
            error = await self._send(target.url, event.body) if target else "no webhook is registered under this id"
            if not error:
                await self._store.notify.delivered(event.id)
                continue
            await self._failed(target_id, event, error)
            return  # the rest of this webhook's events wait: they would most likely fail too

    async def _failed(self, target_id: str, event: QueuedEvent, error: str) -> None:
        """Postpone the event, or give it up when its attempts or its time are spent; the
        webhook's other events that have waited too long are given up with it."""
        limits = self.limits
        attempts = event.attempts + 1
        now = time.time()
        cutoff = now - limits.max_age_seconds
        expired = f"expired after waiting more than {limits.max_age_seconds:g} s; last error: {error}"
        if attempts >= limits.max_attempts:
            log.warning("gave up on an event for webhook %s after %d attempts: %s", target_id, attempts, error)
            await self._store.notify.give_up(event, attempts, error, limits.failed_keep)
        elif event.created < cutoff:
            log.warning("gave up on an event for webhook %s: %s", target_id, expired)
            await self._store.notify.give_up(event, attempts, expired, limits.failed_keep)
        else:
            log.info(
                "webhook %s failed (%s); attempt %d in %.1f s", target_id, error, attempts + 1, self.delay(attempts)
            )
            await self._store.notify.postpone(event.id, attempts, now + self.delay(attempts), error)
        behind = await self._store.notify.expire(target_id, cutoff, expired, limits.failed_keep)
        if behind:
            log.warning("gave up on %d more events for webhook %s: %s", behind, target_id, expired)

    async def _send(self, url: str, body: str) -> str:
        assert self._poster is not None
        try:
            status = await self._poster.post(url, body.encode(), TIMEOUT_SECONDS)
        except (OSError, TimeoutError) as exc:
            return _describe(exc)
        return "" if 200 <= status < 300 else f"HTTP {status}"


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
