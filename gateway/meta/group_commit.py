"""Group commit: concurrent writers' units of work share one durable transaction.

With `synchronous=FULL` every COMMIT waits for an fsync of the WAL, and commits are
serialised, so one commit per object caps small writes at one per fsync. Here the units of
work that arrive while a commit is in progress wait for it to end, then run together in the
next transaction, each inside its own SAVEPOINT: a unit that raises is rolled back alone
(exactly as if it had been its own transaction) and the others commit. Every caller is
answered only after the COMMIT that holds its writes returned, so an acknowledged write is
as durable as before; a lone writer commits at once, without waiting for company.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import os
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_GROUP = 128  # units of work per transaction: bounds how long one commit holds the writer


@dataclass(slots=True)
class Unit:
    fn: Callable[[sqlite3.Connection], Any]
    durable: bool
    future: asyncio.Future[Any] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


# (ok, result or exception) per unit, in order
Outcome = tuple[bool, Any]


class WriterTurn:
    """Whose turn it is to write, among the worker processes sharing one database: an flock on
    `<db>.writer-lock` held from BEGIN to COMMIT. SQLite alone would make a second writer poll
    with growing sleeps (1, 2, 5, 10 ... 100 ms) while the first commits in about one; a
    blocked flock is woken the moment the lock is released. SQLite's own locking still decides
    correctness (and keeps other processes, like `junction admin`, in line)."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)

    def __enter__(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        os.close(self._fd)


def run_group(conn: sqlite3.Connection, units: list[Unit], turn: WriterTurn | None = None) -> list[Outcome]:
    """Run `units` in one transaction on the writer's thread; one outcome per unit.

    The whole transaction can still fail (the COMMIT's fsync, or an error after which SQLite
    rolled everything back): then every unit fails with that error, none was committed.
    """
    with turn or contextlib.nullcontext():
        return _run_group(conn, units)


def _run_group(conn: sqlite3.Connection, units: list[Unit]) -> list[Outcome]:
    durable = any(u.durable for u in units)
    if not durable:
        conn.execute("PRAGMA synchronous=NORMAL")  # only outside a transaction
    try:
        conn.execute("BEGIN IMMEDIATE")
        outcomes: list[Outcome] = []
        try:
            for unit in units:
                outcomes.append(_run_unit(conn, unit))
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            return [(False, exc)] * len(units)
        return outcomes
    finally:
        if not durable:
            conn.execute("PRAGMA synchronous=FULL")


def _run_unit(conn: sqlite3.Connection, unit: Unit) -> Outcome:
    conn.execute("SAVEPOINT unit")
    try:
        result = unit.fn(conn)
    except Exception as exc:
        if not conn.in_transaction:  # SQLite rolled the whole transaction back (disk full, I/O error)
            raise
        conn.execute("ROLLBACK TO unit")
        conn.execute("RELEASE unit")
        return False, exc
    conn.execute("RELEASE unit")
    return True, result


class GroupCommitter:
    """Queues units of work and commits them in groups, one group at a time.

    `run_on_writer(fn)` runs a function on the writer connection's thread; `lock` is the
    writer lock that `Database.write()` also takes, so a group never interleaves with it.
    """

    def __init__(
        self,
        run_on_writer: Callable[[Callable[[], list[Outcome]]], Awaitable[list[Outcome]]],
        writer: Callable[[], sqlite3.Connection],
        lock: asyncio.Lock,
        turn: Callable[[], WriterTurn | None] = lambda: None,
    ) -> None:
        self._run_on_writer = run_on_writer
        self._writer = writer
        self._lock = lock
        self._turn = turn
        self._queue: list[Unit] = []
        self._draining: asyncio.Task[None] | None = None

    async def submit(self, fn: Callable[[sqlite3.Connection], Any], durable: bool) -> Any:
        unit = Unit(fn, durable)
        self._queue.append(unit)
        if self._draining is None:
            self._draining = asyncio.create_task(self._drain(), name="junction-group-commit")
        return await unit.future

    async def _drain(self) -> None:
        try:
            while self._queue:
                group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
                group = [u for u in group if not u.future.done()]  # cancelled while queued: never run
                if not group:
                    continue
                try:
                    async with self._lock:
                        outcomes = await self._run_on_writer(
                            functools.partial(run_group, self._writer(), group, self._turn())
                        )
                except BaseException as exc:  # the thread hop itself failed, or we are cancelled
                    outcomes = [(False, exc)] * len(group)
                    if isinstance(exc, asyncio.CancelledError):
                        _settle(group, outcomes)
                        raise
                _settle(group, outcomes)
        finally:
            self._draining = None


def _settle(group: list[Unit], outcomes: list[Outcome]) -> None:
    for unit, (ok, value) in zip(group, outcomes, strict=True):
        if unit.future.done():  # the caller went away (a cancelled request): nothing to tell
            continue
        if ok:
            unit.future.set_result(value)
        else:
            unit.future.set_exception(value)
