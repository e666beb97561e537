"""Which metadata engine a `--meta` URL names (`open_database`), and URLs fit for logs."""

from __future__ import annotations

from pathlib import Path

from .db import Database, SqliteDatabase, redacted

__all__ = ["open_database", "redacted"]


def open_database(url: str, data_dir: Path) -> Database:
    """The engine a `--meta` URL names: `sqlite:///path` (empty: `<data dir>/meta.sqlite3`)
    or `postgresql://user:password@host:port/database`."""
    if not url:
        return SqliteDatabase(data_dir / "meta.sqlite3")
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        if not path.startswith("/"):
            raise ValueError("a sqlite URL names an absolute path: sqlite:///path/to/meta.sqlite3")
        return SqliteDatabase(Path(path))
    if url.startswith(("postgresql://", "postgres://")):
        from .pg import PostgresDatabase  # psycopg is imported only by deployments that use it

        return PostgresDatabase(url)
    raise ValueError("the metadata URL must start with sqlite:/// or postgresql://")
