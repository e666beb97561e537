"""The audit log: who changed what, through any front end.

A front end opens an `AuditScope` for each mutating request (gateway/http/audit.py does it
once for all of them); while it runs, every question put to the Authorizer notes its caller,
action and resource in the scope (a context variable, so no front end has to pass anything
along). When the request ends the scope becomes one entry, queued in memory and written in
batches by a background task: the data path never waits for the audit write. `stop()` writes
whatever is still queued, so a clean shutdown loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from gateway.meta.store import MetaStore

from .audit_scope import AuditScope

log = logging.getLogger("junction.audit")

FLUSH_EVERY = 0.5  # seconds between batch writes
BATCH = 500  # a full batch is written at once
PAGE_MAX = 1000
DAY = 86400.0
PRUNE_EVERY = 3600.0


def public(row: dict[str, Any]) -> dict[str, Any]:
    """An entry as the /api/logs page shows it."""
    return {
        "id": row["id"],
        "timestamp": datetime.fromtimestamp(row["time"], UTC).isoformat(timespec="milliseconds"),
        "time": row["time"],
        "frontEnd": row["front_end"],
        "account": row["account"],
        "user": row["user_name"] or ("root" if row["account"] else ""),
        "accessKey": row["access_key"],
        "action": row["action"],
        "resource": row["resource"],
        "method": row["method"],
        "result": row["status"],
        "size": row["size"],
        "ip": row["address"],
        "requestId": row["request_id"],
    }


class AuditLog:
    def __init__(
        self,
        store: MetaStore,
        retention_days: float = 90.0,
        retention: Callable[[], Awaitable[float]] | None = None,
    ) -> None:
        self.store = store
        self.retention_days = retention_days  # 0: keep forever
        self._retention = retention  # the current value (a setting other processes may change)
        self._pending: list[dict[str, Any]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._writing = asyncio.Lock()
        self._next_prune = 0.0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._write_forever(), name="junction-audit")

    async def stop(self) -> None:
        """Stop the writer, then write everything still queued (a clean shutdown keeps all)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    def record(self, scope: AuditScope, **request: Any) -> None:
        """Queue one entry: `request` carries front_end, method, path, status, size, address,
        request_id, time and the fallbacks (key, route) for a request the Authorizer never saw."""
        entry = {
            "time": request["time"],
            "front_end": request["front_end"],
            "account": scope.account,
            "user_name": scope.user,
            "access_key": scope.access_key or request.get("key", ""),
            "action": ",".join(scope.actions) or request["route"],
            "resource": scope.resource or request["path"],
            "method": request["method"],
            "status": request["status"],
            "size": request.get("size", 0),
            "address": request.get("address", ""),
            "request_id": request.get("request_id", ""),
        }
        self._pending.append(entry)
        if len(self._pending) >= BATCH:
            self._wake.set()

    async def flush(self) -> None:
        """Write the queued entries now (the query does this first, so a page shows its own writes)."""
        async with self._writing:
            batch, self._pending = self._pending, []
            if not batch:
                return
            try:
                await self.store.audit.append(batch)
            except Exception:
                self._pending[:0] = batch  # kept for the next attempt
                raise

    async def _write_forever(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), FLUSH_EVERY)
            self._wake.clear()
            try:
                await self.flush()
            except Exception:
                log.exception("writing the audit log failed; the entries are kept for the next attempt")

    async def page(self, *, limit: int = 100, before: int | None = None, **filters: Any) -> dict[str, Any]:
        await self.flush()
        limit = max(1, min(limit, PAGE_MAX))
        rows = await self.store.audit.page(limit=limit + 1, before=before, **filters)
        if self._retention is not None:
            self.retention_days = await self._retention()
        more = len(rows) > limit
        rows = rows[:limit]
        return {
            "logs": [public(r) for r in rows],
            "isTruncated": more,
            "nextBefore": rows[-1]["id"] if more else None,
            "retentionDays": self.retention_days,
        }

    def retention_changed(self, days: float) -> None:
        """A new retention set here: the next scheduler pass prunes with it."""
        self.retention_days = days
        self._next_prune = 0.0

    async def prune(self) -> None:
        """The scheduler's pass (it runs every scheduler tick; this acts at most every
        PRUNE_EVERY seconds): drop entries older than the retention."""
        now = time.time()
        if self._retention is not None and now >= self._next_prune:
            self.retention_days = await self._retention()
        if self.retention_days <= 0 or now < self._next_prune:
            return
        self._next_prune = now + min(PRUNE_EVERY, self.retention_days * DAY / 10)
        await self.flush()
        removed = await self.store.audit.prune(time.time() - self.retention_days * DAY)
        if removed:
            log.info("pruned %d audit entries older than %g days", removed, self.retention_days)
