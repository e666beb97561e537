"""`junction admin copy-meta --from URL --to URL`: move a deployment's metadata between engines
(typically a single node's SQLite file to the PostgreSQL that several instances will share).

Both databases are opened (so both are migrated to the same schema), the target must hold no
rows, every table is copied row for row in foreign-key order (ids included, so blob keys,
version ids and upload ids keep meaning what they meant), PostgreSQL's id generators are moved
past the copied ids, and then the copy is verified: every table's row count and a SHA-256 over
its rows in a canonical order, and every bucket's listing (key, size, ETag), must be equal on
both sides. Run it with the gateways stopped: a source that changes during the copy fails the
verification.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

from .db import Database
from .engine import open_database, redacted
from .schema import COMPONENTS

BATCH = 2000
_CREATE = re.compile(r"CREATE\s+TABLE\s+(\w+)\s*\((.*?)\n\s*\)", re.IGNORECASE | re.DOTALL)
_ALTER_REF = re.compile(r"ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+[^;]*?REFERENCES\s+(\w+)", re.IGNORECASE)
_REFERENCES = re.compile(r"REFERENCES\s+(\w+)", re.IGNORECASE)


def table_order() -> list[str]:
    """Every table the migrations create, each after the tables it references."""
    depends: dict[str, set[str]] = {}
    for scripts in COMPONENTS.values():
        for script in scripts:
            for name, body in _CREATE.findall(script):
                depends.setdefault(name, set()).update(_REFERENCES.findall(body))
            for name, target in _ALTER_REF.findall(script):
                depends.setdefault(name, set()).add(target)
    ordered: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in ordered or name in path:
            return
        for target in sorted(depends.get(name, ())):
            if target != name:
                visit(target, (*path, name))
        ordered.append(name)

    for name in depends:
        visit(name, ())
    return ordered


def _rows(conn: sqlite3.Connection, table: str, offset: int) -> list[Any]:
    first = conn.execute(f"SELECT * FROM {table} LIMIT 1").fetchone()
    if first is None:
        return []
    order = ", ".join(str(i) for i in range(1, len(first) + 1))  # every column: a total order of unique rows
    return conn.execute(f"SELECT * FROM {table} ORDER BY {order} LIMIT ? OFFSET ?", (BATCH, offset)).fetchall()


def _canonical(value: Any) -> Any:
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


async def table_digest(db: Database, table: str) -> tuple[int, str]:
    """(row count, SHA-256 over the rows in order) of one table."""

    def digest(conn: sqlite3.Connection) -> tuple[int, str]:
        sha = hashlib.sha256()
        count, offset = 0, 0
        while rows := _rows(conn, table, offset):
            for row in rows:
                sha.update(json.dumps([_canonical(v) for v in row], sort_keys=True).encode())
                sha.update(b"\n")
            count += len(rows)
            offset += len(rows)
        return count, sha.hexdigest()

    return await db.query(digest)


async def listing_digest(db: Database) -> dict[str, str]:
    """Per bucket, a SHA-256 over its current objects' (key, size, ETag) in key order."""

    def digest(conn: sqlite3.Connection) -> dict[str, str]:
        out: dict[str, str] = {}
        for bucket in conn.execute("SELECT id, name FROM buckets ORDER BY name").fetchall():
            sha = hashlib.sha256()
            for row in conn.execute(
                "SELECT key, size, etag FROM objects WHERE bucket_id = ? ORDER BY key", (bucket[0],)
            ).fetchall():
                sha.update(json.dumps([row[0], row[1], row[2]]).encode() + b"\n")
            out[bucket[1]] = sha.hexdigest()
        return out

    return await db.query(digest)


async def copy(source: Database, target: Database) -> dict[str, int]:
    """Copy every row; returns the row count per table."""
    tables = table_order()
    nonempty = [t for t in tables if (await table_digest(target, t))[0]]
    if nonempty:
        raise ValueError(f"the target already holds rows (tables: {', '.join(nonempty)}); copy into an empty database")
    counts: dict[str, int] = {}
    for table in tables:
        offset = 0
        counts[table] = 0
        while rows := await source.query(functools.partial(_rows, table=table, offset=offset)):
            columns = list(rows[0].keys())
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
            await target.transaction(functools.partial(_insert, sql=sql, values=[tuple(row) for row in rows]))
            offset += len(rows)
            counts[table] += len(rows)
    if target.engine == "postgresql":
        await target.transaction(_advance_identities)
    return counts


def _insert(conn: sqlite3.Connection, sql: str, values: list[tuple[Any, ...]]) -> None:
    conn.executemany(sql, values)


def _advance_identities(conn: sqlite3.Connection) -> None:
    """Move each generated-id sequence past the ids copied in (PostgreSQL only)."""
    rows = conn.execute(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND column_name = 'id' AND is_identity = 'YES'"
    ).fetchall()
    for row in rows:
        table = row[0]
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, "
            "false)"
        )


async def verify(source: Database, target: Database) -> list[str]:
    """The differences between the two databases (none: an exact copy)."""
    problems: list[str] = []
    for table in table_order():
        left, right = await table_digest(source, table), await table_digest(target, table)
        if left != right:
            problems.append(f"{table}: {left[0]} rows ({left[1][:12]}) vs {right[0]} rows ({right[1][:12]})")
    left_listing, right_listing = await listing_digest(source), await listing_digest(target)
    for bucket in sorted(set(left_listing) | set(right_listing)):
        if left_listing.get(bucket) != right_listing.get(bucket):
            problems.append(f"bucket {bucket}: listings differ")
    return problems


async def run(source_url: str, target_url: str, data_dir: Path) -> int:
    import sys

    if source_url == target_url:
        print("--from and --to name the same database", file=sys.stderr)
        return 2
    try:
        source, target = open_database(source_url, data_dir), open_database(target_url, data_dir)
    except ValueError as exc:
        print(f"junction: {exc}", file=sys.stderr)
        return 2
    await source.open()
    await target.open()
    try:
        try:
            counts = await copy(source, target)
        except ValueError as exc:
            print(f"junction: {exc}", file=sys.stderr)
            return 1
        problems = await verify(source, target)
    finally:
        await source.close()
        await target.close()
    total = sum(counts.values())
    print(f"copied {total} rows in {len(counts)} tables from {redacted(source_url)} to {redacted(target_url)}")
    for table, count in counts.items():
        if count:
            print(f"  {table}\t{count}")
    if problems:
        print("verification FAILED:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    print("verified: every table's row count and checksum, and every bucket's listing, are equal")
    return 0
