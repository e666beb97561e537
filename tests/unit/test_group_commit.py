"""Group commit (gateway/meta/group_commit.py) on a real SQLite file.

Concurrent `Database.transaction` calls share COMMITs, yet each behaves as its own
transaction: one that raises is undone alone, and every caller is answered only once its
writes are committed (visible to another connection, i.e. on disk in the WAL).
"""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from gateway.meta.db import SqliteDatabase


class Boom(Exception):
    pass


async def open_db(tmp_path):
    db = SqliteDatabase(tmp_path / "meta.sqlite3")
    await db.open()
    await db.transaction(lambda conn: conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)"))
    commits: list[str] = []
    raw = db._raw_writer()
    await db._on_writer_thread(
        lambda: raw.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    )
    return db, commits


def rows(tmp_path) -> dict[str, int]:
    """What another connection sees: only committed state."""
    with sqlite3.connect(tmp_path / "meta.sqlite3") as conn:
        return dict(conn.execute("SELECT k, v FROM t").fetchall())


def test_concurrent_writers_share_commits_and_a_failing_one_is_undone_alone(tmp_path):
    async def main():
        db, commits = await open_db(tmp_path)
        seen_at_answer: dict[str, bool] = {}

        def insert(i: int):
            def fn(conn: sqlite3.Connection) -> int:
                conn.execute("INSERT INTO t VALUES (?, ?)", (f"k{i}", i))
                if i == 7:
                    raise Boom("refused after writing")
                return i

            return fn

        async def writer(i: int):
            try:
                result = await db.transaction(insert(i))
            except Boom:
                return "boom"
            seen_at_answer[f"k{i}"] = f"k{i}" in rows(tmp_path)
            return result

        results = await asyncio.gather(*(writer(i) for i in range(40)))
        await db.close()
        return results, commits, seen_at_answer

    results, commits, seen_at_answer = asyncio.run(main())
    assert results == [i if i != 7 else "boom" for i in range(40)]
    stored = rows(tmp_path)
    assert sorted(stored) == sorted(f"k{i}" for i in range(40) if i != 7)  # k7's insert was rolled back
    assert all(seen_at_answer.values()) and len(seen_at_answer) == 39  # committed before each answer
    assert 1 <= len(commits) < 40  # they shared commits


def test_a_unit_sees_the_writes_of_the_units_before_it(tmp_path):
    async def main():
        db, _ = await open_db(tmp_path)

        def bump(conn: sqlite3.Connection) -> int:
            conn.execute("INSERT INTO t VALUES ('n', 0) ON CONFLICT(k) DO UPDATE SET v = v + 1")
            return int(conn.execute("SELECT v FROM t WHERE k = 'n'").fetchone()[0])

        got = await asyncio.gather(*(db.transaction(bump) for _ in range(25)))
        await db.close()
        return got

    assert sorted(asyncio.run(main())) == list(range(25))  # serialisable, as separate transactions
    assert rows(tmp_path) == {"n": 24}


def test_a_writer_cancelled_while_queued_never_runs(tmp_path):
    async def main():
        db, _ = await open_db(tmp_path)
        ran: list[int] = []

        def mark(i: int):
            def fn(conn: sqlite3.Connection) -> None:
                ran.append(i)
                conn.execute("INSERT INTO t VALUES (?, ?)", (f"c{i}", i))

            return fn

        first = asyncio.ensure_future(db.transaction(mark(0)))
        await asyncio.sleep(0)  # the first group is under way
        queued = [asyncio.ensure_future(db.transaction(mark(i))) for i in (1, 2, 3)]
        await asyncio.sleep(0)
        queued[1].cancel()
        await first
        await asyncio.gather(*queued, return_exceptions=True)
        await db.close()
        return ran, queued[1].cancelled()

    ran, cancelled = asyncio.run(main())
    assert cancelled and 2 not in ran and sorted(ran) == [0, 1, 3]
    assert sorted(rows(tmp_path)) == ["c0", "c1", "c3"]


def test_errors_reach_their_own_caller_only(tmp_path):
    async def main():
        db, _ = await open_db(tmp_path)

        def duplicate(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO t VALUES ('same', 1)")

        outcomes = await asyncio.gather(*(db.transaction(duplicate) for _ in range(5)), return_exceptions=True)
        await db.close()
        return outcomes

    outcomes = asyncio.run(main())
    assert outcomes.count(None) == 1
    assert all(isinstance(o, sqlite3.IntegrityError) for o in outcomes if o is not None)
    assert rows(tmp_path) == {"same": 1}


@pytest.mark.parametrize("durable", [True, False])
def test_durable_flag_restores_full_sync(tmp_path, durable):
    async def main():
        db, _ = await open_db(tmp_path)
        await db.transaction(lambda conn: conn.execute("INSERT INTO t VALUES ('x', 1)"), durable=durable)
        level = await db.transaction(lambda conn: conn.execute("PRAGMA synchronous").fetchone()[0])
        await db.close()
        return level

    assert asyncio.run(main()) == 2  # FULL again after a non-durable commit
