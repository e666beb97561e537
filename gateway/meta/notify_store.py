"""Bucket notifications: stored configurations, registered webhook targets, and the queue of
events waiting for delivery (notify_schema.py). One transaction or read per method.

The queue is bounded per webhook: an event that finds `queue_limit` events of its webhook
waiting is stored as failed at once, and at most `keep` failed events of a webhook are kept (the
newest; on a failed row `next_attempt` is when it failed). Both checks run in the transaction
that adds the rows, so the bound holds whoever writes (SQLite serialises writers; concurrent
PostgreSQL writers may overshoot it by the number of writes in flight)."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from .bucket_config import BucketConfigTable


@dataclass(slots=True)
class QueuedEvent:
    id: int
    target_id: str
    body: str
    attempts: int
    created: float


@dataclass(slots=True)
class Target:
    id: str
    url: str
    created: float


class NotifyStore(BucketConfigTable):
    TABLE = "bucket_notification"

    async def configured(self) -> list[tuple[str, str]]:
        """(bucket name, config JSON) of every bucket with a configuration."""
        rows = await self.db.fetchall(
            "SELECT b.name, n.config FROM bucket_notification n JOIN buckets b ON b.id = n.bucket_id ORDER BY b.name"
        )
        return [(r[0], r[1]) for r in rows]

    # ------------------------------------------------------------ webhook targets

    async def targets(self) -> list[Target]:
        rows = await self.db.fetchall("SELECT id, url, created FROM notify_targets ORDER BY id")
        return [Target(r[0], r[1], r[2]) for r in rows]

    async def target(self, target_id: str) -> Target | None:
        row = await self.db.fetchone("SELECT id, url, created FROM notify_targets WHERE id = ?", (target_id,))
        return None if row is None else Target(row[0], row[1], row[2])

    async def put_target(self, target_id: str, url: str) -> None:
        await self.db.transaction(
            lambda conn: conn.execute(
                "INSERT INTO notify_targets (id, url, created) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET url = excluded.url",
                (target_id, url, time.time()),
            )
        )

    async def delete_target(self, target_id: str) -> bool:
        return await self.db.transaction(
            lambda conn: conn.execute("DELETE FROM notify_targets WHERE id = ?", (target_id,)).rowcount == 1
        )

    # ------------------------------------------------------------ the queue

    async def enqueue(self, events: list[tuple[str, str]], queue_limit: int, keep: int) -> int:
        """Queue (target id, event JSON) pairs, due at once; returns how many found their
        webhook's queue full (stored as failed)."""
        now = time.time()

        def put(conn: sqlite3.Connection) -> int:
            dropped = 0
            for target, body in events:
                waiting = conn.execute(
                    "SELECT COUNT(*) FROM notify_queue WHERE target_id = ? AND state = 'queued'", (target,)
                ).fetchone()[0]
                if waiting < queue_limit:
                    conn.execute(
                        "INSERT INTO notify_queue (target_id, body, state, attempts, next_attempt, created) "
                        "VALUES (?, ?, 'queued', 0, ?, ?)",
                        (target, body, now, now),
                    )
                    continue
                dropped += 1
                error = f"dropped: the queue of this webhook is full ({queue_limit} events waiting)"
                conn.execute(
                    "INSERT INTO notify_queue (target_id, body, state, attempts, next_attempt, last_error, created) "
                    "VALUES (?, ?, 'failed', 0, ?, ?, ?)",
                    (target, body, now, error, now),
                )
                _trim_failed(conn, target, keep)
            return dropped

        return await self.db.transaction(put)

    async def due(self, now: float, limit: int) -> list[QueuedEvent]:
        rows = await self.db.fetchall(
            "SELECT id, target_id, body, attempts, created FROM notify_queue "
            "WHERE state = 'queued' AND next_attempt <= ? ORDER BY next_attempt, id LIMIT ?",
            (now, limit),
        )
        return [QueuedEvent(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    async def delivered(self, event_id: int) -> None:
        await self.db.transaction(
            lambda conn: conn.execute("DELETE FROM notify_queue WHERE id = ?", (event_id,)), durable=False
        )

    async def postpone(self, event_id: int, attempts: int, next_attempt: float, error: str) -> None:
        await self.db.transaction(
            lambda conn: conn.execute(
                "UPDATE notify_queue SET attempts = ?, next_attempt = ?, last_error = ? WHERE id = ?",
                (attempts, next_attempt, error[:500], event_id),
            )
        )

    async def give_up(self, event: QueuedEvent, attempts: int, error: str, keep: int) -> None:
        """Mark the event failed (kept, with the newest `keep` failed ones of its webhook)."""

        def fail(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE notify_queue SET state = 'failed', attempts = ?, next_attempt = ?, last_error = ? "
                "WHERE id = ? AND state = 'queued'",
                (attempts, time.time(), error[:500], event.id),
            )
            _trim_failed(conn, event.target_id, keep)

        await self.db.transaction(fail)

    async def expire(self, target_id: str, created_before: float, error: str, keep: int) -> int:
        """Mark failed the webhook's queued events created before `created_before`; how many."""

        def fail(conn: sqlite3.Connection) -> int:
            count = conn.execute(
                "UPDATE notify_queue SET state = 'failed', next_attempt = ?, last_error = ? "
                "WHERE target_id = ? AND state = 'queued' AND created < ?",
                (time.time(), error[:500], target_id, created_before),
            ).rowcount
            if count:
                _trim_failed(conn, target_id, keep)
            return int(count)

        return await self.db.transaction(fail)

    async def prune_failed(self, failed_before: float) -> int:
        """Remove the failed events that failed before `failed_before`; how many."""
        return await self.db.transaction(
            lambda conn: int(
                conn.execute(
                    "DELETE FROM notify_queue WHERE state = 'failed' AND next_attempt < ?", (failed_before,)
                ).rowcount
            )
        )

    async def last_errors(self) -> dict[str, str]:
        """target id -> the error of its newest failed event."""
        rows = await self.db.fetchall(
            "SELECT n.target_id, n.last_error FROM notify_queue n WHERE n.state = 'failed' AND n.id = "
            "(SELECT m.id FROM notify_queue m WHERE m.target_id = n.target_id AND m.state = 'failed' "
            "ORDER BY m.next_attempt DESC, m.id DESC LIMIT 1)"
        )
        return {r[0]: r[1] for r in rows}

    async def counts(self) -> dict[str, dict[str, int]]:
        """target id -> {"queued": n, "failed": n}."""
        rows = await self.db.fetchall("SELECT target_id, state, COUNT(*) FROM notify_queue GROUP BY target_id, state")
        out: dict[str, dict[str, int]] = {}
        for r in rows:
            out.setdefault(r[0], {"queued": 0, "failed": 0})[r[1]] = int(r[2])
        return out


def _trim_failed(conn: sqlite3.Connection, target_id: str, keep: int) -> None:
    """Keep only the newest `keep` failed events of the webhook."""
    conn.execute(
        "DELETE FROM notify_queue WHERE target_id = ? AND state = 'failed' AND id NOT IN "
        "(SELECT id FROM notify_queue WHERE target_id = ? AND state = 'failed' "
        "ORDER BY next_attempt DESC, id DESC LIMIT ?)",
        (target_id, target_id, keep),
    )
