"""The metadata database: one interface (`Database`), two engines.

`SqliteDatabase` (here) is the embedded default; `PostgresDatabase` (pg.py) serves several
gateway instances over one namespace. Both run a unit of work the same way: `transaction(fn)`
or `query(fn)` calls a synchronous `fn(conn)` on a connection's own thread, where `conn`
behaves as a `sqlite3.Connection` (execute/executemany, rows by name and index, `lastrowid`).
`open_database(url)` picks the engine from a `--meta` URL.

SQLite: one writer behind a lock, one reader, WAL so they never block.

Every write is a transaction run under `Database.write()` or `Database.transaction()`; the
reader connection sees only committed state (WAL snapshot), so no request ever observes
half of another's commit.

Hot paths use `transaction(fn)` / `query(fn)`: the whole unit of work runs as one
synchronous function on the connection's own thread, one event-loop round trip instead
of one per statement. While the writer lock is held that difference is what bounds the
number of small writes per second.
"""

from __future__ import annotations

import abc
import asyncio
import re
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from gateway.datadir import make_private_dir, touch_private

from .group_commit import GroupCommitter, WriterTurn
from .schema import COMPONENTS

T = TypeVar("T")
# statement parameters, as sqlite3 takes them
Params = tuple[Any, ...]

# synchronous=FULL: in WAL mode every COMMIT fsyncs the WAL before it returns, so a committed
# (acknowledged) write survives power loss; NORMAL would only survive a killed process.
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
)


class Database(abc.ABC):
    """What the stores need of an engine: whole units of work, and single-statement reads."""

    engine = ""  # "sqlite" | "postgresql"

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and apply pending migrations."""

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def transaction(self, fn: Callable[[sqlite3.Connection], T], *, durable: bool = True) -> T:
        """Run `fn(conn)` as one atomic write transaction (retried whole if the engine asks)."""

    @abc.abstractmethod
    async def query(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a read-only `fn(conn)` on one consistent snapshot."""

    async def point_read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """`query(fn)` for a read of a few rows by index (an object's row and blocks, on every
        GET): an engine that can answer it without a thread hop does (SQLite, below)."""
        return await self.query(fn)

    @abc.abstractmethod
    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None: ...

    @abc.abstractmethod
    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]: ...

    @abc.abstractmethod
    async def schema_versions(self) -> dict[str, int]:
        """The applied migration version of each component."""

    @abc.abstractmethod
    def read_now(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """A small read on the calling thread, blocking it: only inside a synchronous lookup."""


def redacted(url: str) -> str:
    """The URL without its password, for logs."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


class SqliteDatabase(Database):
    engine = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._inline: sqlite3.Connection | None = None  # read_now's, opened on first use
        self._loop_reader: sqlite3.Connection | None = None  # point_read's, the event loop's own
        self._loop_thread = 0  # the thread that opened it (the loop's): only it uses the connection
        self._lock = asyncio.Lock()
        self._turn: WriterTurn | None = None
        self._group = GroupCommitter(self._on_writer_thread, self._raw_writer, self._lock, lambda: self._turn)

    async def open(self) -> None:
        make_private_dir(self.path.parent)
        touch_private(self.path)  # 0600 whatever the umask; SQLite gives -wal and -shm the same mode
        self._writer = await self._connect()
        self._turn = WriterTurn(self.path.with_name(self.path.name + ".writer-lock"))
        await self._migrate()
        self._reader = await self._connect()

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        for pragma in PRAGMAS:
            # a new database turning to WAL while another worker process opens it can answer
            # "database is locked" at once: SQLite does not call the busy handler there (a worker
            # of four died at start about one start in fifteen)
            for attempt in range(100):
                try:
                    await conn.execute(pragma)
                    break
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) and "busy" not in str(exc) or attempt == 99:
                        await conn.close()
                        raise
                    await asyncio.sleep(0.05)
        return conn

    async def _migrate(self) -> None:
        """Apply every pending migration, all in one transaction on the writer's thread.

        One write lock and one fsync for a new data dir instead of one of each per migration
        (about sixty), which the worker processes starting together also queued for. An
        up-to-date database costs one read and takes no lock."""
        writer = self._writer
        assert writer is not None
        await _on_thread(writer, lambda: migrate(_sqlite(writer)))

    async def schema_versions(self) -> dict[str, int]:
        rows = await self.fetchall("SELECT component, version FROM schema_versions")
        return {row[0]: row[1] for row in rows}

    def read_now(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """A read on the calling thread, without a hop: only for rare, small reads inside a
        synchronous lookup (a cache noticing that another process changed what it holds)."""
        if self._inline is None:
            self._inline = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._inline.row_factory = sqlite3.Row
            self._inline.execute("PRAGMA busy_timeout=10000")
        return self._inline.execute(sql, params).fetchall()

    async def point_read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run the read-only `fn(conn)` on the calling thread (the event loop's), in one snapshot,
        on a connection of its own: a GET's object lookup costs a thread hop more than the lookup.

        It never waits for a lock: in WAL mode a reader takes none that a writer holds (the
        snapshot is the WAL index in shared memory), and with no busy timeout the rare moment
        a reader would have to wait (another connection recovering the WAL index after a crash)
        answers SQLITE_BUSY at once: then the read runs on the reader thread, which may wait.
        What it may wait on is the page cache, like the `stat` of the generation files and the
        open of the blob that the same GET makes on the loop: the rows of a point lookup
        (a few index and table pages) are the pages every request touches."""
        conn = self._loop_reader
        if conn is None:
            if self._reader is None:
                raise RuntimeError("database not open")
            conn = self._loop_reader = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout=0")
            conn.execute("PRAGMA query_only=ON")
            self._loop_thread = threading.get_ident()
        elif threading.get_ident() != self._loop_thread:  # one thread's connection: another loop hops
            return await self.query(fn)
        conn.execute("BEGIN")  # deferred: takes no lock, the first read takes the snapshot
        try:
            return fn(conn)
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
        finally:
            conn.execute("COMMIT")  # a read transaction: commits (ends) even after an error
        return await self.query(fn)  # SQLITE_BUSY: this once, on the reader thread (it may wait)

    async def close(self) -> None:
        if self._turn is not None:
            self._turn.close()
            self._turn = None
        if self._inline is not None:
            self._inline.close()
            self._inline = None
        if self._loop_reader is not None:
            self._loop_reader.close()
            self._loop_reader = None
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    async def transaction(self, fn: Callable[[sqlite3.Connection], T], *, durable: bool = True) -> T:
        """Run `fn(conn)` as one write transaction on the writer thread and return its result.

        Concurrent calls are committed in groups (gateway/meta/group_commit.py): each `fn`
        runs in its own savepoint, so one that raises is undone alone, and every caller is
        answered after the COMMIT holding its writes has reached the disk.

        `durable=False` skips the WAL fsync at this commit (synchronous=NORMAL for it alone)
        when no durable unit shares it: only for a record whose loss on power failure is
        harmless and that a later durable commit makes durable anyway (it fsyncs the whole
        WAL, earlier frames included). A blob's registration is one: lost, it leaves a stray
        file `junction admin gc` finds.
        """
        assert self._writer is not None, "database not open"
        result: T = await self._group.submit(fn, durable)
        return result

    def _on_writer_thread(self, fn: Callable[[], T]) -> Awaitable[T]:
        assert self._writer is not None, "database not open"
        return _on_thread(self._writer, fn)

    def _raw_writer(self) -> sqlite3.Connection:
        assert self._writer is not None, "database not open"
        return _sqlite(self._writer)

    async def query(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a read-only `fn(conn)` on the reader thread (one consistent snapshot)."""
        assert self._reader is not None, "database not open"
        reader = self._reader

        def run() -> T:
            conn = _sqlite(reader)
            conn.execute("BEGIN")
            try:
                return fn(conn)
            finally:
                conn.execute("COMMIT")

        return await _on_thread(reader, run)

    @property
    def reader(self) -> aiosqlite.Connection:
        assert self._reader is not None, "database not open"
        return self._reader

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        return await self._read_statement(sql, params, lambda cur: cur.fetchone())

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        return await self._read_statement(sql, params, lambda cur: cur.fetchall())

    async def _read_statement(self, sql: str, params: Params, fetch: Callable[[sqlite3.Cursor], T]) -> T:
        """Execute, fetch and close in one hop on the reader thread. A statement left open
        between hops holds the reader's snapshot, and every other read on the connection
        meanwhile (from other requests) would miss writes committed since: a PUT answered
        200 could then HEAD as 404 (seen with rclone's parallel uploads)."""
        reader = self.reader

        def run() -> T:
            cur = _sqlite(reader).execute(sql, params)
            try:
                return fetch(cur)
            finally:
                cur.close()

        return await _on_thread(reader, run)


def _sqlite(conn: aiosqlite.Connection) -> sqlite3.Connection:
    """The sqlite3 connection behind `conn`, used only from its own thread (inside `_on_thread`)."""
    raw: sqlite3.Connection = conn._conn
    return raw


def _on_thread(conn: aiosqlite.Connection, fn: Callable[[], T]) -> Awaitable[T]:
    """Run `fn` on `conn`'s thread. aiosqlite has no public "run this on your thread" call;
    its private, untyped `_execute` is that call, given its type here once."""
    execute: Callable[[Callable[[], T]], Awaitable[T]] = conn._execute
    return execute(fn)


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema of `conn`'s database up to date (see `SqliteDatabase._migrate`); the
    versions are read again under the write lock, since several processes may start at once."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
    if not _pending(conn):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        for component, version, script in _pending(conn):
            for statement in statements(script):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_versions (component, version) VALUES (?, ?) "
                "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
                (component, version),
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _pending(conn: sqlite3.Connection) -> list[tuple[str, int, str]]:
    """(component, version, script) of every migration not applied yet, in order."""
    applied = {row[0]: row[1] for row in conn.execute("SELECT component, version FROM schema_versions")}
    return [
        (component, version, script)
        for component, migrations in COMPONENTS.items()
        for version, script in enumerate(migrations, start=1)
        if applied.get(component, 0) < version
    ]


def statements(script: str) -> list[str]:
    """Split a migration on ';' (so migrations must not put ';' in comments or strings)."""
    parts = [s.strip() for s in script.split(";") if s.strip()]
    for statement in parts:
        if not sqlite3.complete_statement(statement + ";"):
            raise ValueError(f"migration statement is incomplete (a ';' in a comment?): {statement[:60]!r}")
    return parts


def inserted_id(cur: sqlite3.Cursor) -> int:
    """The rowid of the row an INSERT just made (the drivers type it optional: None before any INSERT)."""
    rowid = cur.lastrowid
    assert rowid is not None, "the statement inserted no row"
    return rowid
