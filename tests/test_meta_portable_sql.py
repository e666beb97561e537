"""Store SQL stays in the subset SQLite and PostgreSQL both run (README "Metadata on PostgreSQL").

The stores hold one copy of their SQL for both engines, so a construct only SQLite knows would
pass every SQLite test and fail on PostgreSQL. This scan names the usual ones and the portable
form to use instead; tests/test_meta_contract.py and the BOTH_ENGINES suites check behaviour.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.meta.dialect import postgres_ddl
from gateway.meta.schema import COMPONENTS

META = Path(__file__).resolve().parent.parent / "gateway" / "meta"
ENGINE_MODULES = {"db.py", "pg.py", "dialect.py", "engine.py"}

NOT_PORTABLE = [
    (re.compile(r"INSERT\s+OR\s+(REPLACE|IGNORE)", re.I), "INSERT ... ON CONFLICT (key) DO UPDATE / DO NOTHING"),
    (re.compile(r"\bREPLACE\s+INTO\b", re.I), "INSERT ... ON CONFLICT (key) DO UPDATE"),
    (re.compile(r"\.write\(\)"), "a unit of work: db.transaction(fn)"),
    (re.compile(r"\baiosqlite\.(Connection|Cursor)\b"), "db.transaction(fn) / db.query(fn) on the engine's connection"),
    (re.compile(r"\bIFNULL\s*\(|\bGLOB\b|\bstrftime\s*\(|\bjulianday\s*\(", re.I), "COALESCE / LIKE / timestamps"),
    (re.compile(r"\browid\b", re.I), "an explicit id column"),
]


def store_modules() -> list[Path]:
    return sorted(p for p in META.glob("*.py") if p.name not in ENGINE_MODULES)


@pytest.mark.parametrize("path", store_modules(), ids=lambda p: p.name)
def test_store_sql_is_portable(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = [
        f"{path.name}:{text[: m.start()].count(chr(10)) + 1}: {m.group(0)!r} -> use {portable}"
        for pattern, portable in NOT_PORTABLE
        for m in pattern.finditer(text)
        if not _in_comment(text, m.start())
    ]
    assert found == []


def _in_comment(text: str, offset: int) -> bool:
    line_start = text.rfind("\n", 0, offset) + 1
    line = text[line_start:offset]
    return "#" in line or line.lstrip().startswith(("-", '"""')) or _in_docstring(text, offset)


def _in_docstring(text: str, offset: int) -> bool:
    return text[:offset].count('"""') % 2 == 1 and not text[:offset].rstrip().endswith(("(", ","))


def test_every_migration_translates_for_postgres() -> None:
    """Every statement of every component translates (no PRAGMA left, types mapped)."""
    for component, scripts in COMPONENTS.items():
        for script in scripts:
            for statement in script.split(";"):
                if not statement.strip():
                    continue
                ddl = postgres_ddl(statement)
                if ddl is None:
                    continue
                assert "AUTOINCREMENT" not in ddl.upper(), (component, ddl)
                assert not re.search(r"\bINTEGER\b|\bREAL\b|\bBLOB\b", ddl), (component, ddl)
