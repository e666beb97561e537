"""S3 bucket versioning inside a transaction: moving versions between `objects` and history.

Tables in versioning_schema.py; `VersionsStore` (versions_store.py) runs these as units of work.

The store's own commit and delete paths call `make_way` and `delete_latest` inside their
transactions, so every front end's writes and deletes obey the bucket's versioning state
without knowing about it. Moving a version between `objects` and `object_versions` moves
its block rows with it and never touches blob reference counts: a blob stays referenced
(and safe from the collector) for as long as any version, current or not, points at it.
Only permanently removing a version releases its blobs.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import string
import time
from collections.abc import Iterable
from dataclasses import replace

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.mapping import split_key
from gateway.domain.models import Block, Deletion, ObjectInfo, ObjectVersion

from . import locks
from .db import inserted_id
from .records import CommitGuard
from .rows import (
    drop_package_if_implicit_and_empty,
    encryption_of,
    ensure_package,
    key_range,
    prefix_successor,
    select_object,
    unref_blobs,
)
from .s3ext_store import ObjectExtras, PartRecord, Tags

ENABLED = "Enabled"
SUSPENDED = "Suspended"
NULL = ""  # how the null version is stored; clients see "null"
PENDING = "multipartUpload"  # native uploads in progress are never versions
_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase  # in ASCII order
VERSION_ID = re.compile(r"^[0-9A-Za-z]{32}$")
_CURRENT = "o.bucket_id = ? AND o.key = ? AND o.redundancy != 'multipartUpload'"


def new_version_id() -> str:
    """32 URL-safe characters: 10 encode the microsecond clock (so ids sort roughly by
    creation time), 22 are random (about 131 bits, so ids never collide or get guessed)."""
    micros = time.time_ns() // 1000
    head = []
    for _ in range(10):
        micros, digit = divmod(micros, 62)
        head.append(_ALPHABET[digit])
    return "".join(reversed(head)) + "".join(secrets.choice(_ALPHABET) for _ in range(22))


def surface(stored_id: str) -> str:
    return stored_id or "null"


def stored(version_id: str | None) -> str:
    """The stored form of a version id as clients or ObjectInfo give it (None/"null" -> '')."""
    return NULL if version_id in (None, "null") else version_id


def status(conn: sqlite3.Connection, bucket_id: int) -> str:
    """'Enabled', 'Suspended', or '' when versioning was never configured."""
    row = conn.execute("SELECT status FROM bucket_versioning WHERE bucket_id = ?", (bucket_id,)).fetchone()
    return row[0] if row else ""


# ---------------------------------------------------------------- moving rows


def _version_object(conn: sqlite3.Connection, row: sqlite3.Row, with_blocks: bool) -> ObjectInfo:
    """A noncurrent version as an ObjectInfo (id 0: it has no `objects` row)."""
    package, path = split_key(row["key"])
    obj = ObjectInfo(
        id=0,
        bucket_id=row["bucket_id"],
        package_id=0,
        package=package,
        path=path,
        key=row["key"],
        size=row["size"],
        etag=row["etag"],
        sha256=row["sha256"],
        content_type=row["content_type"],
        headers=json.loads(row["headers"]),
        meta=json.loads(row["meta"]),
        checksums=json.loads(row["checksums"]),
        checksum_type=row["checksum_type"],
        parts_count=row["parts_count"],
        redundancy=row["redundancy"],
        created=row["created"],
        updated=row["updated"],
        version_id=surface(row["version_id"]),
        lock=locks.version_lock(conn, row["id"]),
    )
    sealed = conn.execute("SELECT record FROM version_encryption WHERE version_row = ?", (row["id"],)).fetchone()
    obj.encryption = encryption_of(sealed[0] if sealed else None)
    if with_blocks:
        rows = conn.execute(
            "SELECT vb.blob_id, vb.size, b.space_id, b.key FROM version_blocks vb "
            "JOIN blobs b ON b.id = vb.blob_id WHERE vb.version_row = ? ORDER BY vb.seq",
            (row["id"],),
        ).fetchall()
        obj.blocks = [
            Block(blob_id=r["blob_id"], space_id=r["space_id"], blob_key=r["key"], size=r["size"]) for r in rows
        ]
    return obj


def _entry(conn: sqlite3.Connection, row: sqlite3.Row, is_latest: bool, with_blocks: bool) -> ObjectVersion:
    marker = bool(row["delete_marker"])
    return ObjectVersion(
        key=row["key"],
        version_id=surface(row["version_id"]),
        is_latest=is_latest,
        delete_marker=marker,
        updated=row["updated"],
        obj=None if marker else _version_object(conn, row, with_blocks),
    )


def _current_entry(obj: ObjectInfo) -> ObjectVersion:
    return ObjectVersion(
        key=obj.key,
        version_id=surface(stored(obj.version_id)),
        is_latest=True,
        delete_marker=False,
        updated=obj.updated,
        obj=obj,
    )


def retire(conn: sqlite3.Connection, old: ObjectInfo) -> int:
    """Copy the current version `old` into history with its blocks; the caller then reuses
    or deletes its `objects` row. Returns the history row id."""
    cur = conn.execute(
        "INSERT INTO object_versions (bucket_id, key, version_id, delete_marker, size, etag, sha256, content_type, "
        "headers, meta, checksums, checksum_type, parts_count, redundancy, created, updated) "
        "VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            old.bucket_id,
            old.key,
            stored(old.version_id),
            old.size,
            old.etag,
            old.sha256,
            old.content_type,
            json.dumps(old.headers),
            json.dumps(old.meta),
            json.dumps(old.checksums),
            old.checksum_type,
            old.parts_count,
            old.redundancy,
            old.created,
            old.updated,
        ),
    )
    row_id = inserted_id(cur)
    conn.execute(
        "INSERT INTO version_blocks (version_row, seq, blob_id, size) "
        "SELECT ?, seq, blob_id, size FROM object_blocks WHERE object_id = ?",
        (row_id, old.id),
    )
    conn.execute("DELETE FROM object_blocks WHERE object_id = ?", (old.id,))
    _move_extras(conn, old.id, row_id, to_history=True)
    return row_id


# S3 extras that follow a version (s3ext_schema.py): current table, history table, column
_EXTRAS = (
    ("object_tags", "version_tags", "tags"),
    ("object_parts", "version_parts", "parts"),
    ("object_encryption", "version_encryption", "record"),  # sse_schema.py
    ("object_acl", "version_acl", "acl"),  # access_schema.py
    ("object_lock", "version_lock", "lock"),  # lock_schema.py: a version's retention and legal hold
)


def _move_extras(conn: sqlite3.Connection, object_id: int, row_id: int, *, to_history: bool) -> None:
    """Carry a version's tags, part records, ACL, lock and encryption record between its
    `objects` row and its history row."""
    for current, history, column in _EXTRAS:
        if to_history:
            conn.execute(
                f"INSERT INTO {history} (version_row, {column}) SELECT ?, {column} FROM {current} WHERE object_id = ?",
                (row_id, object_id),
            )
            conn.execute(f"DELETE FROM {current} WHERE object_id = ?", (object_id,))
        else:  # history rows go with their object_versions row (ON DELETE CASCADE)
            conn.execute(
                f"INSERT INTO {current} (object_id, {column}) SELECT ?, {column} FROM {history} WHERE version_row = ?",
                (object_id, row_id),
            )


def _release_version(conn: sqlite3.Connection, row_id: int, *, bypass_governance: bool = False) -> None:
    """Permanently delete one history row, releasing its blobs (never a locked version's)."""
    locks.refuse_if_locked(locks.version_lock(conn, row_id), bypass_governance=bypass_governance)
    blobs = conn.execute("SELECT blob_id FROM version_blocks WHERE version_row = ?", (row_id,)).fetchall()
    unref_blobs(conn, [r[0] for r in blobs])
    conn.execute("DELETE FROM object_versions WHERE id = ?", (row_id,))


def _drop_null(conn: sqlite3.Connection, bucket_id: int, key: str) -> None:
    """A suspended bucket keeps at most one null version per key: the newest write wins."""
    row = conn.execute(
        "SELECT id FROM object_versions WHERE bucket_id = ? AND key = ? AND version_id = ''", (bucket_id, key)
    ).fetchone()
    if row is not None:
        _release_version(conn, row[0])


def _drop_current(conn: sqlite3.Connection, obj: ObjectInfo, drop_package: bool = True, release: bool = True) -> None:
    """Delete the `objects` row; `release` its blobs unless history took them over."""
    if release:
        locks.refuse_if_locked(obj.lock)
        unref_blobs(conn, [b.blob_id for b in obj.blocks])
    conn.execute("DELETE FROM objects WHERE id = ?", (obj.id,))
    if drop_package:
        drop_package_if_implicit_and_empty(conn, obj.package_id)


def _kept_by_history(state: str, old: ObjectInfo) -> bool:
    """Whether replacing or deleting the current `old` keeps it as a noncurrent version."""
    if old.redundancy == PENDING:
        return False
    return state == ENABLED or (state == SUSPENDED and stored(old.version_id) != NULL)


def make_way(conn: sqlite3.Connection, bucket_id: int, key: str, old: ObjectInfo | None) -> tuple[str, bool]:
    """Before a commit replaces the current version `old` (or creates the key): retire what
    history keeps. Returns (the new version's stored id, whether `old` went to history, in
    which case its blocks are no longer the caller's to release)."""
    state = status(conn, bucket_id)
    if not state:
        return NULL, False
    kept = old is not None and _kept_by_history(state, old)
    if kept:
        assert old is not None
        retire(conn, old)
    if state == SUSPENDED:
        _drop_null(conn, bucket_id, key)
        return NULL, kept
    return new_version_id(), kept


def _add_marker(conn: sqlite3.Connection, bucket_id: int, key: str, version_id: str) -> None:
    now = time.time()
    conn.execute(
        "INSERT INTO object_versions (bucket_id, key, version_id, delete_marker, created, updated) "
        "VALUES (?, ?, ?, 1, ?, ?)",
        (bucket_id, key, version_id, now, now),
    )


def delete_latest(
    conn: sqlite3.Connection, bucket_id: int, key: str, old: ObjectInfo | None, *, drop_package: bool = True
) -> Deletion:
    """A delete without a version id: removes the current object of an unversioned bucket;
    in a versioned one keeps it as history (as its state says) and adds a delete marker.
    Removing a native upload in progress is an abort, never a version nor a marker."""
    state = status(conn, bucket_id)
    if not state or (old is not None and old.redundancy == PENDING):
        if old is not None:
            _drop_current(conn, old, drop_package)
        if state:
            _promote(conn, bucket_id, key)  # a version the upload kept from being current
        return Deletion(None, False)
    if old is not None:
        kept = _kept_by_history(state, old)
        if kept:
            retire(conn, old)
        _drop_current(conn, old, drop_package, release=not kept)
    version_id = new_version_id() if state == ENABLED else NULL
    if state == SUSPENDED:
        _drop_null(conn, bucket_id, key)
    _add_marker(conn, bucket_id, key, version_id)
    return Deletion(surface(version_id), True)


def _promote(conn: sqlite3.Connection, bucket_id: int, key: str) -> None:
    """After the latest version went away: if the newest remaining one is a stored version,
    make it current again (back into `objects`); a delete marker keeps the key hidden."""
    if conn.execute("SELECT 1 FROM objects WHERE bucket_id = ? AND key = ?", (bucket_id, key)).fetchone():
        return
    row = conn.execute(
        "SELECT id, delete_marker FROM object_versions WHERE bucket_id = ? AND key = ? ORDER BY id DESC LIMIT 1",
        (bucket_id, key),
    ).fetchone()
    if row is None or row["delete_marker"]:
        return
    package, path = split_key(key)
    package_id = ensure_package(conn, bucket_id, package)
    cur = conn.execute(
        "INSERT INTO objects (bucket_id, package_id, path, key, size, etag, sha256, content_type, headers, meta, "
        "checksums, checksum_type, parts_count, redundancy, created, updated, version_id) "
        "SELECT bucket_id, ?, ?, key, size, etag, sha256, content_type, headers, meta, checksums, checksum_type, "
        "parts_count, redundancy, created, updated, version_id FROM object_versions WHERE id = ?",
        (package_id, path, row["id"]),
    )
    conn.execute(
        "INSERT INTO object_blocks (object_id, seq, blob_id, size) "
        "SELECT ?, seq, blob_id, size FROM version_blocks WHERE version_row = ?",
        (inserted_id(cur), row["id"]),
    )
    _move_extras(conn, inserted_id(cur), row["id"], to_history=False)
    conn.execute("DELETE FROM object_versions WHERE id = ?", (row["id"],))


def delete_version(
    conn: sqlite3.Connection,
    bucket_id: int,
    key: str,
    version_id: str,
    guards: Iterable[CommitGuard],
    *,
    bypass_governance: bool = False,
) -> Deletion:
    """Permanently delete one version (stored id); deleting an absent version succeeds, a
    locked one is refused (a GOVERNANCE retention gives way to `bypass_governance`)."""
    current = select_object(conn, _CURRENT, (bucket_id, key), True)
    if current is not None and stored(current.version_id) == version_id:
        for guard in guards:
            guard(conn, current, None)
        locks.refuse_if_locked(current.lock, bypass_governance=bypass_governance)
        _drop_current(conn, replace(current, lock=None))
        _promote(conn, bucket_id, key)
        return Deletion(surface(version_id), False)
    row = conn.execute(
        "SELECT id, delete_marker FROM object_versions WHERE bucket_id = ? AND key = ? AND version_id = ?",
        (bucket_id, key, version_id),
    ).fetchone()
    if row is None:
        return Deletion(surface(version_id), False)
    _release_version(conn, row["id"], bypass_governance=bypass_governance)
    _promote(conn, bucket_id, key)
    return Deletion(surface(version_id), bool(row["delete_marker"]))


# ---------------------------------------------------------------- reads


def find_version(conn: sqlite3.Connection, bucket_id: int, key: str, version_id: str) -> ObjectVersion | None:
    """The version with this stored id, current or not (with blocks), or None."""
    current = select_object(conn, _CURRENT, (bucket_id, key), True)
    if current is not None and stored(current.version_id) == version_id:
        return _current_entry(current)
    row = conn.execute(
        "SELECT * FROM object_versions WHERE bucket_id = ? AND key = ? AND version_id = ?", (bucket_id, key, version_id)
    ).fetchone()
    if row is None:
        return None
    return _entry(conn, row, current is None and row["id"] == _newest_id(conn, bucket_id, key), True)


def _newest_id(conn: sqlite3.Connection, bucket_id: int, key: str) -> int | None:
    row = conn.execute(
        "SELECT MAX(id) FROM object_versions WHERE bucket_id = ? AND key = ?", (bucket_id, key)
    ).fetchone()
    newest: int | None = row[0]  # NULL when the key has no history
    return newest


def latest_marker(conn: sqlite3.Connection, bucket_id: int, key: str) -> ObjectVersion | None:
    """The delete marker hiding `key`, if its latest version is one."""
    if select_object(conn, _CURRENT, (bucket_id, key), False) is not None:
        return None
    row = conn.execute(
        "SELECT * FROM object_versions WHERE bucket_id = ? AND key = ? ORDER BY id DESC LIMIT 1", (bucket_id, key)
    ).fetchone()
    if row is None or not row["delete_marker"]:
        return None
    return _entry(conn, row, True, False)


def version_keys(
    conn: sqlite3.Connection, bucket_id: int, *, prefix: str, start: str, inclusive: bool, limit: int
) -> list[str]:
    """Keys with any version (current, noncurrent or marker) from `start` on, in binary order."""
    bounds, params = key_range("key", start, inclusive, prefix)
    sql = (
        f"SELECT key FROM objects WHERE bucket_id = ? AND redundancy != 'multipartUpload'{bounds} "
        f"UNION SELECT key FROM object_versions WHERE bucket_id = ?{bounds} ORDER BY key LIMIT ?"
    )
    rows = conn.execute(sql, (bucket_id, *params, bucket_id, *params, limit)).fetchall()
    return [r[0] for r in rows]


def key_versions(
    conn: sqlite3.Connection, bucket_id: int, key: str, *, after: str | None, limit: int
) -> list[ObjectVersion]:
    """Up to `limit` versions of `key`, newest first, after the version with stored id
    `after` (None: from the latest). An unknown `after` yields nothing."""
    current = select_object(conn, _CURRENT, (bucket_id, key), False)
    found: list[ObjectVersion] = []
    below: int | None = None
    if after is None:
        if current is not None:
            found.append(_current_entry(current))
    elif current is None or stored(current.version_id) != after:
        row = conn.execute(
            "SELECT id FROM object_versions WHERE bucket_id = ? AND key = ? AND version_id = ?", (bucket_id, key, after)
        ).fetchone()
        if row is None:
            return []
        below = row[0]
    sql = "SELECT * FROM object_versions WHERE bucket_id = ? AND key = ?"
    params: list[object] = [bucket_id, key]
    if below is not None:
        sql += " AND id < ?"
        params.append(below)
    sql += " ORDER BY id DESC LIMIT ?"
    params.append(max(0, limit - len(found)))
    newest = _newest_id(conn, bucket_id, key) if current is None else None
    found += [_entry(conn, row, row["id"] == newest, False) for row in conn.execute(sql, params).fetchall()]
    return found


def _tags_home(conn: sqlite3.Connection, bucket_id: int, key: str, version_id: str) -> tuple[str, str, int]:
    """(table, id column, id) that holds the tags of the stored version `version_id`."""
    current = select_object(conn, _CURRENT, (bucket_id, key), False)
    if current is not None and stored(current.version_id) == version_id:
        return "object_tags", "object_id", current.id
    row = conn.execute(
        "SELECT id, delete_marker, updated FROM object_versions WHERE bucket_id = ? AND key = ? AND version_id = ?",
        (bucket_id, key, version_id),
    ).fetchone()
    if row is None:
        raise JunctionError(ErrorCode.NoSuchVersion, key=key)
    if row["delete_marker"]:  # as core.versioning.delete_marker_error: S3 names the marker in headers
        raise JunctionError(
            ErrorCode.MethodNotAllowed,
            delete_marker=True,
            version_id=surface(version_id),
            last_modified=row["updated"],
        )
    return "version_tags", "version_row", row["id"]


def read_tags(conn: sqlite3.Connection, bucket_id: int, key: str, version_id: str) -> Tags:
    table, column, ident = _tags_home(conn, bucket_id, key, version_id)
    row = conn.execute(f"SELECT tags FROM {table} WHERE {column} = ?", (ident,)).fetchone()
    return {k: v for k, v in json.loads(row[0])} if row else {}


def write_tags(conn: sqlite3.Connection, bucket_id: int, key: str, version_id: str, tags: Tags) -> None:
    """Replace the tag set of one version (an empty set deletes it)."""
    table, column, ident = _tags_home(conn, bucket_id, key, version_id)
    conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (ident,))
    if tags:
        conn.execute(
            f"INSERT INTO {table} ({column}, tags) VALUES (?, ?)",
            (ident, json.dumps(list(tags.items()), ensure_ascii=False)),
        )


def history_extras(conn: sqlite3.Connection, bucket_id: int, key: str, version_id: str) -> ObjectExtras:
    """Tags, part records and ACL of a noncurrent version (empty when it has none)."""
    row = conn.execute(
        "SELECT t.tags, pa.parts, a.acl, e.record FROM object_versions v "
        "LEFT JOIN version_tags t ON t.version_row = v.id LEFT JOIN version_parts pa ON pa.version_row = v.id "
        "LEFT JOIN version_acl a ON a.version_row = v.id LEFT JOIN version_encryption e ON e.version_row = v.id "
        "WHERE v.bucket_id = ? AND v.key = ? AND v.version_id = ?",
        (bucket_id, key, version_id),
    ).fetchone()
    if row is None:
        return ObjectExtras()
    tags = {k: v for k, v in json.loads(row["tags"])} if row["tags"] else {}
    parts = [PartRecord(n, size, sums) for n, size, sums in json.loads(row["parts"])] if row["parts"] else []
    return ObjectExtras(tags=tags, parts=parts, acl=row["acl"], encryption=encryption_of(row["record"]))


# ---------------------------------------------------------------- usage


def freed_by_commit(conn: sqlite3.Connection, bucket_id: int, key: str, old: ObjectInfo | None) -> tuple[int, int]:
    """(bytes, versions) a commit over `old` stops storing, for quota checks: the old
    current unless history keeps it, and in a suspended bucket the replaced null version."""
    state = status(conn, bucket_id)
    freed_bytes = freed_count = 0
    if old is not None and not (state and _kept_by_history(state, old)):
        freed_bytes, freed_count = old.size, 1
    if state == SUSPENDED:
        row = conn.execute(
            "SELECT size FROM object_versions WHERE bucket_id = ? AND key = ? AND version_id = '' "
            "AND delete_marker = 0",
            (bucket_id, key),
        ).fetchone()
        if row is not None:
            freed_bytes, freed_count = freed_bytes + row[0], freed_count + 1
    return freed_bytes, freed_count


def noncurrent_usage(conn: sqlite3.Connection, bucket_id: int, prefix: str = "") -> tuple[int, int]:
    """(bytes, count) of the noncurrent versions (not delete markers) under `prefix`."""
    sql = "SELECT COALESCE(SUM(size), 0), COUNT(*) FROM object_versions WHERE bucket_id = ? AND delete_marker = 0"
    params: list[object] = [bucket_id]
    if prefix:
        sql += " AND key >= ?"
        params.append(prefix)
        upper = prefix_successor(prefix)
        if upper is not None:
            sql += " AND key < ?"
            params.append(upper)
    row = conn.execute(sql, params).fetchone()
    return row[0], row[1]
