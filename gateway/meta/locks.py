"""S3 Object Lock rows inside a transaction: a bucket's configuration, a version's lock, and
the refusal every permanent deletion goes through.

The store's own paths call `refuse_if_locked` before a version's blobs are released (a delete
by version id, an overwrite that history does not keep, a suspended bucket's replaced null
version, a forced bucket delete), so no front end can destroy a locked version by any road.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import replace

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.object_lock import COMPLIANCE, LockConfig, LockState, lock_active

from .rows import select_object
from .s3ext_store import ObjectExtras

PROTECTED = "Access Denied because object protected by object lock."
_CURRENT = "o.bucket_id = ? AND o.key = ? AND o.redundancy != 'multipartUpload'"


def refuse_if_locked(lock: LockState | None, *, bypass_governance: bool = False, now: float | None = None) -> None:
    """Raise AccessDenied when a version with `lock` may not be deleted permanently now."""
    moment = time.time() if now is None else now
    if not lock_active(lock, moment):
        return
    assert lock is not None
    if lock.legal_hold is True or lock.mode == COMPLIANCE or not bypass_governance:
        raise JunctionError(ErrorCode.AccessDenied, PROTECTED)


def version_lock(conn: sqlite3.Connection, row_id: int) -> LockState | None:
    row = conn.execute("SELECT lock FROM version_lock WHERE version_row = ?", (row_id,)).fetchone()
    return LockState.from_json(row[0]) if row else None


# ---------------------------------------------------------------- one version's lock


def _home(conn: sqlite3.Connection, bucket_id: int, key: str, version_id: str) -> tuple[str, str, int]:
    """(table, id column, id) holding the lock of the stored version `version_id`."""
    current = select_object(conn, _CURRENT, (bucket_id, key), False)
    current_id = "" if current is None or current.version_id in (None, "null") else current.version_id
    if current is not None and current_id == version_id:
        return "object_lock", "object_id", current.id
    row = conn.execute(
        "SELECT id, delete_marker, updated FROM object_versions WHERE bucket_id = ? AND key = ? AND version_id = ?",
        (bucket_id, key, version_id),
    ).fetchone()
    if row is None:
        raise JunctionError(ErrorCode.NoSuchVersion, key=key)
    if row["delete_marker"]:  # as history._tags_home: S3 names the marker in headers
        raise JunctionError(
            ErrorCode.MethodNotAllowed,
            delete_marker=True,
            version_id=version_id or "null",
            last_modified=row["updated"],
        )
    return "version_lock", "version_row", row["id"]


def read_lock(conn: sqlite3.Connection, bucket_id: int, key: str, version_id: str) -> LockState | None:
    table, column, ident = _home(conn, bucket_id, key, version_id)
    row = conn.execute(f"SELECT lock FROM {table} WHERE {column} = ?", (ident,)).fetchone()
    return LockState.from_json(row[0]) if row else None


def write_lock(conn: sqlite3.Connection, bucket_id: int, key: str, version_id: str, lock: LockState) -> None:
    """Replace one version's lock (an empty lock deletes the row)."""
    table, column, ident = _home(conn, bucket_id, key, version_id)
    conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (ident,))
    if not lock.empty:
        conn.execute(f"INSERT INTO {table} ({column}, lock) VALUES (?, ?)", (ident, lock.to_json()))


# ---------------------------------------------------------------- buckets


def bucket_config(conn: sqlite3.Connection, bucket_id: int) -> LockConfig | None:
    """The bucket's Object Lock configuration; None when Object Lock is not enabled."""
    row = conn.execute("SELECT config FROM bucket_object_lock WHERE bucket_id = ?", (bucket_id,)).fetchone()
    return LockConfig.from_json(row[0]) if row else None


def bucket_has_locked_versions(conn: sqlite3.Connection, bucket_id: int, now: float) -> bool:
    rows = conn.execute(
        "SELECT l.lock FROM object_lock l JOIN objects o ON o.id = l.object_id WHERE o.bucket_id = ? "
        "UNION ALL SELECT l.lock FROM version_lock l JOIN object_versions v ON v.id = l.version_row "
        "WHERE v.bucket_id = ?",
        (bucket_id, bucket_id),
    ).fetchall()
    return any(lock_active(LockState.from_json(r[0]), now) for r in rows)


def with_default_retention(
    conn: sqlite3.Connection, bucket_id: int, extras: ObjectExtras | None, now: float
) -> ObjectExtras | None:
    """A new version's extras with the bucket's default retention, unless the write asked for
    a retention itself (every write path commits through here: S3, native, copies, moves)."""
    if extras is not None and extras.lock is not None and extras.lock.mode:
        return extras
    config = bucket_config(conn, bucket_id)
    if config is None or config.default is None:
        return extras
    rule = config.default
    hold = extras.lock.legal_hold if extras is not None and extras.lock is not None else None
    lock = LockState(mode=rule.mode, retain_until=rule.until(now), legal_hold=hold)
    if extras is None:
        return ObjectExtras(lock=lock)
    return replace(extras, lock=lock)
