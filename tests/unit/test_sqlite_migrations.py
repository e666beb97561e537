"""SQLite migrations (gateway/meta/db.py `migrate`): every pending migration in one
transaction. An older data dir is brought to the same schema as a new one, worker processes
starting together on a new data dir apply each migration once, and a migration that fails
leaves the database as it was."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from gateway.meta import db
from gateway.meta.schema import COMPONENTS


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def schema(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return sorted(conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall())


def versions(conn: sqlite3.Connection) -> dict[str, int]:
    return dict(conn.execute("SELECT component, version FROM schema_versions").fetchall())


def test_an_older_database_reaches_the_schema_of_a_new_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = connect(tmp_path / "fresh.sqlite3")
    db.migrate(fresh)

    old = connect(tmp_path / "old.sqlite3")
    halfway = {name: scripts[: len(scripts) // 2] for name, scripts in list(COMPONENTS.items())[:-3]}
    monkeypatch.setattr(db, "COMPONENTS", halfway)
    db.migrate(old)
    assert versions(old) == {name: len(scripts) for name, scripts in halfway.items() if scripts}
    monkeypatch.setattr(db, "COMPONENTS", COMPONENTS)
    db.migrate(old)

    assert versions(old) == versions(fresh) == {name: len(scripts) for name, scripts in COMPONENTS.items()}
    assert schema(old) == schema(fresh)
    before = old.total_changes
    db.migrate(old)  # up to date: nothing written
    assert old.total_changes == before


def _migrate_in_process(path: str, start: Any) -> None:
    start.wait()
    db.migrate(connect(Path(path)))


def test_workers_starting_together_apply_each_migration_once(tmp_path: Path) -> None:
    path = tmp_path / "meta.sqlite3"
    connect(path).close()  # the file and WAL mode exist, as SqliteDatabase.open makes them
    context = multiprocessing.get_context("fork")
    start = context.Event()
    workers = [context.Process(target=_migrate_in_process, args=(str(path), start)) for _ in range(4)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]  # none met "table already exists"
    conn = connect(path)
    assert versions(conn) == {name: len(scripts) for name, scripts in COMPONENTS.items()}


def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = connect(tmp_path / "meta.sqlite3")
    monkeypatch.setattr(db, "COMPONENTS", {"core": COMPONENTS["core"], "broken": ["CREATE TABLE t (x"]})
    with pytest.raises(sqlite3.OperationalError):
        db.migrate(conn)
    assert versions(conn) == {}
    assert [name for name, _ in schema(conn)] == ["schema_versions"]  # core's tables were rolled back too
