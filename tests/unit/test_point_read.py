"""SqliteDatabase.point_read: a GET's object lookup on the event loop's own connection. It sees
every commit made before it (by this process's writer or another process's connection: no
snapshot outlives the call), and it never waits for a lock on the loop: a read SQLite answers
BUSY runs again on the reader thread while the loop goes on."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.meta.db import SqliteDatabase


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    database = SqliteDatabase(tmp_path / "meta.sqlite3")
    await database.open()
    await database.transaction(lambda conn: conn.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)"))
    yield database
    await database.close()


def value_of(key: str):  # type: ignore[no-untyped-def]
    def read(conn: sqlite3.Connection) -> str | None:
        assert threading.get_ident() == threading.main_thread().ident, "not read on the loop's thread"
        row = conn.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
        return None if row is None else str(row["v"])

    return read


def upsert(key: str, value: str):  # type: ignore[no-untyped-def]
    def write(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO kv VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", (key, value))

    return write


async def test_sees_every_commit_made_before_it(db: SqliteDatabase) -> None:
    assert await db.point_read(value_of("a")) is None
    await db.transaction(upsert("a", "1"))
    assert await db.point_read(value_of("a")) == "1"
    other = sqlite3.connect(db.path, isolation_level=None)  # another worker process's connection
    try:
        for version in range(2, 12):
            other.execute(
                "INSERT INTO kv VALUES ('a', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", (str(version),)
            )
            assert await db.point_read(value_of("a")) == str(version)
        other.execute("DELETE FROM kv WHERE k = 'a'")
        assert await db.point_read(value_of("a")) is None
    finally:
        other.close()


async def test_cannot_write(db: SqliteDatabase) -> None:
    with pytest.raises(sqlite3.OperationalError):
        await db.point_read(upsert("b", "1"))
    assert await db.point_read(value_of("b")) is None


async def test_a_busy_answer_on_the_loop_is_read_again_on_the_reader_thread(db: SqliteDatabase) -> None:
    """SQLite answers a WAL reader BUSY only in rare moments (another connection recovering the
    WAL index after a crash), which a test cannot stage: the read meets it as its statement's
    error, here raised by the read itself the first time it runs on the loop's thread."""
    await db.transaction(upsert("a", "1"))
    loop_thread = threading.get_ident()
    threads: list[bool] = []

    def read(conn: sqlite3.Connection) -> str | None:
        on_loop = threading.get_ident() == loop_thread
        threads.append(on_loop)
        if on_loop and len(threads) == 1:
            conn.execute("SELECT v FROM kv").fetchall()  # the snapshot is open: it must be ended
            raise sqlite3.OperationalError("database is locked")
        row = conn.execute("SELECT v FROM kv WHERE k = 'a'").fetchone()
        return None if row is None else str(row["v"])

    assert await db.point_read(read) == "1"
    assert threads == [True, False]
    await db.transaction(upsert("a", "2"))  # the loop's connection holds no snapshot after the error
    assert await db.point_read(value_of("a")) == "2"
    assert threads == [True, False]


async def test_other_errors_are_not_retried(db: SqliteDatabase) -> None:
    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("SELECT v FROM nowhere")

    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await db.point_read(broken)
    assert await db.point_read(value_of("a")) is None  # and the connection still reads


async def test_another_threads_loop_reads_on_the_reader_thread(db: SqliteDatabase) -> None:
    """The loop's connection is one thread's: a loop in another thread (none in the gateway
    today) must not interleave its transactions with it."""
    await db.transaction(upsert("a", "1"))
    assert await db.point_read(value_of("a")) == "1"  # the loop's connection, opened by this thread
    readers: list[int] = []

    def read(conn: sqlite3.Connection) -> str | None:
        readers.append(threading.get_ident())
        row = conn.execute("SELECT v FROM kv WHERE k = 'a'").fetchone()
        return None if row is None else str(row["v"])

    def other_loop() -> tuple[int, str | None]:
        return threading.get_ident(), asyncio.run(db.point_read(read))

    caller, result = await asyncio.to_thread(other_loop)
    assert result == "1"
    assert readers and readers[0] not in (caller, threading.main_thread().ident)
