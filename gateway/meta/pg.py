"""PostgreSQL engine: several gateway instances over one namespace.

Why psycopg 3 (a synchronous driver on threads) and not asyncpg: every unit of work in the
stores is one synchronous function run on a connection's thread (`transaction(fn)`), about
200 statement sites written against sqlite3's interface. psycopg keeps that model whole: a
`PgConnection` here looks like a sqlite3 connection to the store code, so both engines run
the very same functions, and a unit of work stays one event-loop round trip.

Atomicity across instances: every write transaction runs SERIALIZABLE, which gives what
SQLite's single writer gave (a conditional write, a quota check, a version's promotion see a
state no concurrent commit invalidates); PostgreSQL aborts one of two conflicting
transactions and `transaction` runs it again from the start, so of two instances racing on
`If-None-Match: *` exactly one commits and the other's retry sees the winner. Reads run on a
REPEATABLE READ READ ONLY snapshot.

Faults: a lost or refused connection is `DatabaseUnavailable`, which the front ends answer
503 (retryable); the broken connection is dropped and the next unit of work reconnects.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

import psycopg
from psycopg import errors as pg_errors
from psycopg.adapt import Dumper, Loader

from gateway.domain.errors import ErrorCode, JunctionError

from .db import Database, Params, redacted, statements
from .dialect import PG_COMPAT, postgres_ddl, postgres_sql, serial_tables
from .schema import COMPONENTS

log = logging.getLogger("junction.meta")
T = TypeVar("T")

SERIAL = serial_tables(COMPONENTS)
POOL_SIZE = 8
# Serialization failures under contention are retried for up to RETRY_FOR seconds, each wait
# jittered and longer than the last (capped), so a slow, loaded database does not exhaust a fixed
# count while the writer ahead is still committing; past that the caller gets 503 SlowDown.
RETRY_FOR = 10.0
RETRY_WAIT_MAX = 0.05
CONNECT_TIMEOUT = 5
STARTUP_WAIT = 60.0  # seconds a starting instance waits for its database
# SQLSTATEs after which the whole transaction is run again: serialization failure, deadlock.
RETRY_STATES = frozenset({"40001", "40P01"})
# A unique violation the store code did not handle may be a concurrent insert of the same key
# that a retry will see as existing: retried a few times, then it is the error it says.
UNIQUE_RETRIES = 3


class DatabaseUnavailable(JunctionError):
    """The database cannot be reached (or went away mid-request): retryable, 503."""

    def __init__(self, detail: str) -> None:
        super().__init__(ErrorCode.ServiceUnavailable, "The metadata database is unavailable; retry.")
        self.reason = detail  # the driver's message: logged, never sent to the client


# ---------------------------------------------------------------- rows and cursors


class PgRow:
    """A result row addressed as sqlite3.Row is: by index, by column name (case-insensitive), keys()."""

    __slots__ = ("_values", "_index")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        self._values = tuple(values)
        self._index = index

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, str):
            position = self._index.get(key) if key in self._index else self._index.get(key.lower())
            if position is None:
                raise IndexError(f"no such column: {key}")
            return self._values[position]
        return self._values[key]

    def keys(self) -> list[str]:
        return list(self._index)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"PgRow({dict(zip(self._index, self._values, strict=False))})"


def _row_factory(cursor: Any) -> Callable[[Sequence[Any]], PgRow]:
    index: dict[str, int] = {}
    for position, column in enumerate(cursor.description or ()):
        index.setdefault(column.name, position)  # as sqlite3.Row: the first column of a name wins
    return lambda values: PgRow(values, index)


class PgCursor:
    """The part of sqlite3.Cursor the stores use."""

    def __init__(self, rows: list[PgRow], rowcount: int, lastrowid: int | None) -> None:
        self._rows = rows
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    def fetchone(self) -> PgRow | None:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[PgRow]:
        rows, self._rows = self._rows, []
        return rows

    def __iter__(self) -> Iterator[PgRow]:
        return iter(self.fetchall())

    def close(self) -> None:
        self._rows = []


class PgConnection:
    """A psycopg connection that the store code can use as a sqlite3 connection."""

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Iterable[Any] = ()) -> PgCursor:
        text, returning = postgres_sql(sql, SERIAL)
        values = tuple(params)
        try:
            with self.raw.cursor(row_factory=_row_factory) as cur:
                cur.execute(cast(Any, text), values)
                rows = cur.fetchall() if cur.description is not None else []
                rowcount = cur.rowcount
        except pg_errors.IntegrityError as exc:
            raise sqlite3.IntegrityError(str(exc)) from exc  # store code catches sqlite3's, on either engine
        lastrowid = None
        if returning:
            lastrowid = rows[0][0] if rows else None
            rows = []
        return PgCursor(rows, rowcount, lastrowid)

    def executemany(self, sql: str, seq: Iterable[Iterable[Any]]) -> PgCursor:
        total = 0
        for params in seq:
            total += max(self.execute(sql, params).rowcount, 0)
        return PgCursor([], total, None)


# ---------------------------------------------------------------- type adaptation


class _BoolAsInt(Dumper):
    """Flags are INTEGER 0/1 columns (as in SQLite): a Python bool is sent as an integer."""

    oid = psycopg.postgres.types["int8"].oid

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


class _NumericAsNumber(Loader):
    """SUM() over BIGINT is NUMERIC in PostgreSQL; the stores expect int (or float), as SQLite gives."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        try:
            return int(text)
        except ValueError:
            return float(text)


def _adapt(conn: psycopg.Connection[Any]) -> None:
    conn.adapters.register_dumper(bool, _BoolAsInt)
    conn.adapters.register_loader("numeric", _NumericAsNumber)


# ---------------------------------------------------------------- the engine


class PostgresDatabase(Database):
    engine = "postgresql"

    def __init__(self, url: str, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        self._pool_size = pool_size
        self._idle: list[psycopg.Connection[Any]] = []
        self._idle_lock = threading.Lock()
        self._slots: asyncio.Semaphore | None = None
        self._inline: psycopg.Connection[Any] | None = None  # read_now's
        self._inline_lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    # -- connections

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable(str(exc)) from exc
        _adapt(conn)
        return conn

    def _take(self) -> psycopg.Connection[Any]:
        with self._idle_lock:
            while self._idle:
                conn = self._idle.pop()
                if not conn.closed:
                    return conn
        return self._connect()

    def _drop_idle(self) -> None:
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def _give_back(self, conn: psycopg.Connection[Any]) -> None:
        if conn.closed or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.close()
            return
        with self._idle_lock:
            self._idle.append(conn)

    async def _run(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        """Run `work(conn)` on a pooled connection, on a pool thread."""
        assert self._slots is not None and self._executor is not None, "database not open"

        def run() -> T:
            conn = self._take()
            try:
                return work(conn)
            except _Stale as exc:
                # the connection died while idle (a database restart): nothing of this unit ran,
                # so it runs once more on a new connection; the other idle ones are dropped too
                conn.close()
                self._drop_idle()
                conn = self._connect()
                try:
                    return work(conn)
                except (_Stale, psycopg.OperationalError) as again:
                    conn.close()
                    raise DatabaseUnavailable(str(again)) from exc
            except psycopg.OperationalError as exc:
                conn.close()  # broken mid-unit (server gone, network): the next unit reconnects
                self._drop_idle()
                raise DatabaseUnavailable(str(exc)) from exc
            finally:
                self._give_back(conn)

        async with self._slots:
            return await asyncio.get_running_loop().run_in_executor(self._executor, run)

    async def open(self) -> None:
        self._slots = asyncio.Semaphore(self._pool_size)
        self._executor = ThreadPoolExecutor(self._pool_size, thread_name_prefix="junction-pg")
        deadline = time.monotonic() + STARTUP_WAIT
        while True:  # an instance may start before its database accepts connections (compose, restarts)
            try:
                await self._run(self._migrate)
                break
            except DatabaseUnavailable as exc:
                if time.monotonic() > deadline:
                    raise
                log.warning("metadata database %s not reachable yet (%s): retrying", redacted(self.url), exc.reason)
                await asyncio.sleep(1.0)
        log.info("metadata on %s", redacted(self.url))

    async def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        with self._idle_lock:
            for conn in self._idle:
                conn.close()
            self._idle = []
        with self._inline_lock:
            if self._inline is not None:
                self._inline.close()
                self._inline = None
        self._executor = None

    # -- migrations

    def _migrate(self, conn: psycopg.Connection[Any]) -> None:
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version BIGINT NOT NULL)"
            )
        except pg_errors.UniqueViolation:
            pass  # another instance created it at the same moment
        components = {"pgcompat": PG_COMPAT, **COMPONENTS}
        # one read first: an up-to-date database (every start but the first) takes no lock at all,
        # instead of one locked transaction per migration (about sixty round trips per instance)
        applied = {row[0]: row[1] for row in conn.execute("SELECT component, version FROM schema_versions").fetchall()}
        for component, migrations in components.items():
            for version, script in enumerate(migrations, start=1):
                if applied.get(component, 0) < version:  # _apply checks again under the table lock
                    self._apply(conn, component, version, script)

    def _apply(self, conn: psycopg.Connection[Any], component: str, version: int, script: str) -> None:
        """Apply one migration unless applied; the table lock makes instances that start together
        apply each migration once (PostgreSQL's DDL is transactional: all of it or none)."""
        with conn.transaction():
            conn.execute("LOCK TABLE schema_versions IN EXCLUSIVE MODE")
            row = conn.execute("SELECT version FROM schema_versions WHERE component = %s", (component,)).fetchone()
            if row is not None and row[0] >= version:
                return
            for statement in statements(script):
                ddl = statement if component == "pgcompat" else postgres_ddl(statement)  # pgcompat: PostgreSQL's own
                if ddl:
                    conn.execute(cast(Any, ddl))
            conn.execute(
                "INSERT INTO schema_versions (component, version) VALUES (%s, %s) "
                "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
                (component, version),
            )

    def read_now(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """A small read on the calling thread (it blocks the event loop for one round trip: only
        for rare lookups inside synchronous code), on a connection of its own."""
        with self._inline_lock:
            for attempt in (0, 1):
                try:
                    if self._inline is None or self._inline.closed:
                        self._inline = self._connect()
                    return cast(list[sqlite3.Row], PgConnection(self._inline).execute(sql, params).fetchall())
                except psycopg.OperationalError as exc:
                    if self._inline is not None:
                        self._inline.close()
                    self._inline = None
                    if attempt:
                        raise DatabaseUnavailable(str(exc)) from exc
        raise AssertionError("unreachable")

    async def schema_versions(self) -> dict[str, int]:
        rows = await self.fetchall("SELECT component, version FROM schema_versions")
        return {row[0]: row[1] for row in rows}

    # -- units of work

    async def transaction(self, fn: Callable[[sqlite3.Connection], T], *, durable: bool = True) -> T:
        def work(conn: psycopg.Connection[Any]) -> T:
            adapter = cast(sqlite3.Connection, PgConnection(conn))
            give_up = time.monotonic() + RETRY_FOR
            for attempt in itertools.count():
                _begin(conn, "BEGIN ISOLATION LEVEL SERIALIZABLE")
                try:
                    if not durable:
                        conn.execute("SET LOCAL synchronous_commit = off")
                    result = fn(adapter)
                    conn.execute("COMMIT")
                    return result
                except pg_errors.Error as exc:
                    _rollback(conn)
                    if exc.sqlstate not in RETRY_STATES:
                        raise
                    if time.monotonic() > give_up:
                        raise JunctionError(
                            ErrorCode.SlowDown, "The metadata database is too contended; retry."
                        ) from exc
                except sqlite3.IntegrityError as exc:
                    _rollback(conn)
                    if not isinstance(exc.__cause__, pg_errors.UniqueViolation) or attempt >= UNIQUE_RETRIES:
                        raise
                except BaseException:
                    _rollback(conn)
                    raise
                # jittered: racing retries spread out
                time.sleep(random.uniform(0, min(RETRY_WAIT_MAX, 0.001 * 2 ** min(attempt, 10))))
            raise AssertionError("unreachable")

        return await self._run(work)

    async def query(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def work(conn: psycopg.Connection[Any]) -> T:
            _begin(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                return fn(cast(sqlite3.Connection, PgConnection(conn)))
            finally:
                _rollback(conn)

        return await self._run(work)

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        row = await self._run(lambda conn: _read(conn, sql, params).fetchone())
        return cast(sqlite3.Row | None, row)

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        rows = await self._run(lambda conn: _read(conn, sql, params).fetchall())
        return cast(list[sqlite3.Row], rows)


class _Stale(Exception):
    """The first statement of a unit failed on a connection: it died while idle in the pool."""


def _begin(conn: psycopg.Connection[Any], sql: str) -> None:
    try:
        conn.execute(cast(Any, sql))
    except psycopg.OperationalError as exc:
        raise _Stale(str(exc)) from exc


def _read(conn: psycopg.Connection[Any], sql: str, params: Params) -> PgCursor:
    """A single-statement read (autocommit): safe to run again on a fresh connection."""
    try:
        return PgConnection(conn).execute(sql, params)
    except psycopg.OperationalError as exc:
        raise _Stale(str(exc)) from exc


def _rollback(conn: psycopg.Connection[Any]) -> None:
    if not conn.closed and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        conn.execute("ROLLBACK")
