"""Bucket lifecycle: the stored rules, the batched scans a lifecycle pass makes, and its actions.

Scans are keyset-paginated (`key > last`, `LIMIT n`), so a pass over a bucket of any size holds
one batch in memory. Each action is one transaction that first re-checks that the version is
still what the scan saw (same version, same blocks) and not locked, so a client's write racing
a pass always wins: the pass then simply does nothing to that key.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field

from gateway.domain.models import Deletion
from gateway.domain.object_lock import LockState, lock_active

from . import history
from .bucket_config import BucketConfigTable
from .rows import prefix_successor, ref_blobs, select_object, unref_blobs

# Object Lock (lock_schema.py): a version's retention and legal hold, read with it
_CURRENT_LOCK = "olk.lock AS lock"
_CURRENT_LOCK_JOIN = "LEFT JOIN object_lock olk ON olk.object_id = o.id"
_HISTORY_LOCK = "vlk.lock AS lock"
_HISTORY_LOCK_JOIN = "LEFT JOIN version_lock vlk ON vlk.version_row = v.id"


def version_locked(lock_json: str | None, now: float) -> bool:
    """Whether a version with this stored lock may not be expired at `now` (an unexpired
    retention of either mode, or a legal hold): Object Lock's own predicate on the stored JSON."""
    return lock_active(LockState.from_json(lock_json), now)


@dataclass(slots=True)
class Candidate:
    """One version as a lifecycle pass sees it (stored version id: '' is the null version)."""

    key: str
    version_id: str
    size: int
    updated: float
    headers: dict[str, str]
    tags: dict[str, str]
    lock: str | None
    delete_marker: bool = False
    row_id: int = 0  # object_versions.id of a noncurrent version


@dataclass(slots=True)
class KeyHistory:
    """A key's versions, newest first: the current one (if any) and its history rows."""

    current: Candidate | None
    history: list[Candidate] = field(default_factory=list)


def _tags(text: str | None) -> dict[str, str]:
    return {k: v for k, v in json.loads(text)} if text else {}


def _bounds(column: str, prefix: str, after: str | None) -> tuple[str, list[object]]:
    """SQL bounds for keys under `prefix` after `after` (None: from the prefix on)."""
    params: list[object]
    if after is None:
        sql, params = f" AND {column} >= ?", [prefix]
    else:
        sql, params = f" AND {column} > ?", [after]
    upper = prefix_successor(prefix) if prefix else None
    if upper is not None:
        sql += f" AND {column} < ?"
        params.append(upper)
    return sql, params


class LifecycleStore(BucketConfigTable):
    TABLE = "bucket_lifecycle"

    async def configured(self) -> list[tuple[int, str, str]]:
        """(bucket id, bucket name, config JSON) of every bucket with rules."""
        rows = await self.db.fetchall(
            "SELECT b.id, b.name, l.config FROM bucket_lifecycle l JOIN buckets b ON b.id = l.bucket_id ORDER BY b.id"
        )
        return [(r[0], r[1], r[2]) for r in rows]

    # ------------------------------------------------------------ scans

    async def current_batch(self, bucket_id: int, prefix: str, after: str | None, limit: int) -> list[Candidate]:
        """Current versions under `prefix` after key `after`, in key order."""
        bounds, params = _bounds("o.key", prefix, after)
        rows = await self.db.fetchall(
            f"SELECT o.key, o.version_id, o.size, o.updated, o.headers, ot.tags, {_CURRENT_LOCK} FROM objects o "
            f"LEFT JOIN object_tags ot ON ot.object_id = o.id {_CURRENT_LOCK_JOIN} "
            f"WHERE o.bucket_id = ? AND o.redundancy != 'multipartUpload'{bounds} ORDER BY o.key LIMIT ?",
            (bucket_id, *params, limit),
        )
        return [
            Candidate(
                r["key"],
                r["version_id"],
                r["size"],
                r["updated"],
                json.loads(r["headers"]),
                _tags(r["tags"]),
                r["lock"],
            )
            for r in rows
        ]

    async def history_keys(self, bucket_id: int, prefix: str, after: str | None, limit: int) -> list[str]:
        """Keys under `prefix` after `after` that have noncurrent versions or delete markers."""
        bounds, params = _bounds("key", prefix, after)
        rows = await self.db.fetchall(
            f"SELECT DISTINCT key FROM object_versions WHERE bucket_id = ?{bounds} ORDER BY key LIMIT ?",
            (bucket_id, *params, limit),
        )
        return [r[0] for r in rows]

    async def key_history(self, bucket_id: int, key: str) -> KeyHistory:
        def read(conn: sqlite3.Connection) -> KeyHistory:
            row = conn.execute(
                f"SELECT o.key, o.version_id, o.size, o.updated, o.headers, ot.tags, {_CURRENT_LOCK} FROM objects o "
                f"LEFT JOIN object_tags ot ON ot.object_id = o.id {_CURRENT_LOCK_JOIN} "
                "WHERE o.bucket_id = ? AND o.key = ? AND o.redundancy != 'multipartUpload'",
                (bucket_id, key),
            ).fetchone()
            current = None
            if row is not None:
                current = Candidate(
                    row["key"], row["version_id"], row["size"], row["updated"], json.loads(row["headers"]),
                    _tags(row["tags"]), row["lock"],
                )  # fmt: skip
            rows = conn.execute(
                f"SELECT v.id, v.key, v.version_id, v.delete_marker, v.size, v.updated, v.headers, vt.tags, "
                f"{_HISTORY_LOCK} FROM object_versions v LEFT JOIN version_tags vt ON vt.version_row = v.id "
                f"{_HISTORY_LOCK_JOIN} WHERE v.bucket_id = ? AND v.key = ? ORDER BY v.id DESC",
                (bucket_id, key),
            ).fetchall()
            versions = [
                Candidate(
                    r["key"],
                    r["version_id"],
                    r["size"],
                    r["updated"],
                    json.loads(r["headers"]),
                    _tags(r["tags"]),
                    r["lock"],
                    delete_marker=bool(r["delete_marker"]),
                    row_id=r["id"],
                )  # fmt: skip
                for r in rows
            ]
            return KeyHistory(current, versions)

        return await self.db.query(read)

    async def stale_uploads(
        self, bucket_id: int, prefix: str, initiated_before: float, after: str | None, limit: int
    ) -> list[tuple[str, str]]:
        """(upload id, key) of uploads under `prefix` started before the cutoff, ordered by id."""
        sql = "SELECT id, key FROM uploads WHERE bucket_id = ? AND created < ?"
        params: list[object] = [bucket_id, initiated_before]
        if prefix:
            sql += " AND key >= ?"
            params.append(prefix)
            upper = prefix_successor(prefix)
            if upper is not None:
                sql += " AND key < ?"
                params.append(upper)
        if after is not None:
            sql += " AND id > ?"
            params.append(after)
        rows = await self.db.fetchall(sql + " ORDER BY id LIMIT ?", (*params, limit))
        return [(r[0], r[1]) for r in rows]

    # ------------------------------------------------------------ actions

    async def expire_current(self, bucket_id: int, key: str, version_id: str, updated: float) -> Deletion | None:
        """Expire the current version the scan saw: a versioned bucket keeps it as history under a
        delete marker, an unversioned one deletes it. None when the key changed meanwhile or the
        version is locked."""

        def expire(conn: sqlite3.Connection) -> Deletion | None:
            old = select_object(
                conn, "o.bucket_id = ? AND o.key = ? AND o.redundancy != 'multipartUpload'", (bucket_id, key), True
            )
            if old is None or history.stored(old.version_id) != version_id or old.updated != updated:
                return None
            if lock_active(old.lock, time.time()):  # never expired, not even behind a delete marker
                return None
            return history.delete_latest(conn, bucket_id, key, old)

        return await self.db.transaction(expire)

    async def delete_noncurrent(self, bucket_id: int, key: str, row_id: int) -> bool:
        """Permanently delete one noncurrent version (its history row), unless it became current
        again or is locked."""

        def delete(conn: sqlite3.Connection) -> bool:
            row = conn.execute(
                f"SELECT v.id, {_HISTORY_LOCK} FROM object_versions v {_HISTORY_LOCK_JOIN} "
                "WHERE v.id = ? AND v.bucket_id = ? AND v.key = ?",
                (row_id, bucket_id, key),
            ).fetchone()
            if row is None or version_locked(row["lock"], time.time()):
                return False
            blobs = conn.execute("SELECT blob_id FROM version_blocks WHERE version_row = ?", (row_id,)).fetchall()
            unref_blobs(conn, [b[0] for b in blobs])
            conn.execute("DELETE FROM object_versions WHERE id = ?", (row_id,))
            return True

        return await self.db.transaction(delete)

    async def delete_lone_marker(self, bucket_id: int, key: str, row_id: int) -> bool:
        """Remove a delete marker that is the key's only version left (an expired object delete marker)."""

        def delete(conn: sqlite3.Connection) -> bool:
            if conn.execute("SELECT 1 FROM objects WHERE bucket_id = ? AND key = ?", (bucket_id, key)).fetchone():
                return False
            rows = conn.execute(
                "SELECT id, delete_marker FROM object_versions WHERE bucket_id = ? AND key = ?", (bucket_id, key)
            ).fetchall()
            if len(rows) != 1 or rows[0]["id"] != row_id or not rows[0]["delete_marker"]:
                return False
            conn.execute("DELETE FROM object_versions WHERE id = ?", (row_id,))
            return True

        return await self.db.transaction(delete)

    async def switch_blocks(
        self,
        bucket_id: int,
        key: str,
        candidate: Candidate,
        old_blobs: list[int],
        new_blobs: list[int],
        sizes: list[int],
        headers: dict[str, str],
    ) -> bool:
        """The commit of a transition: point the version at its rewritten blocks and record its new
        storage class, atomically, if it still has exactly `old_blobs`. The old blobs are retired
        (still referenced) until `release_retired`; False when the version changed meanwhile."""

        def switch(conn: sqlite3.Connection) -> bool:
            if candidate.row_id:
                table, owner, ident = "version_blocks", "version_row", candidate.row_id
                found = conn.execute(
                    "SELECT 1 FROM object_versions WHERE id = ? AND bucket_id = ? AND key = ? AND delete_marker = 0",
                    (candidate.row_id, bucket_id, key),
                ).fetchone()
            else:
                table, owner = "object_blocks", "object_id"
                found = conn.execute(
                    "SELECT id FROM objects WHERE bucket_id = ? AND key = ? AND version_id = ? "
                    "AND redundancy != 'multipartUpload'",
                    (bucket_id, key, candidate.version_id),
                ).fetchone()
                ident = found[0] if found else 0
            if found is None:
                return False
            blocks = conn.execute(f"SELECT blob_id FROM {table} WHERE {owner} = ? ORDER BY seq", (ident,)).fetchall()
            if [b[0] for b in blocks] != old_blobs:
                return False
            added = [(b, size) for b, size in zip(new_blobs, sizes, strict=True) if b not in old_blobs]
            ref_blobs(conn, [b for b, _ in added], [size for _, size in added])  # refuses blobs the collector took
            conn.executemany(
                f"UPDATE {table} SET blob_id = ? WHERE {owner} = ? AND seq = ?",
                [(blob_id, ident, seq) for seq, blob_id in enumerate(new_blobs)],
            )
            versions = "object_versions" if candidate.row_id else "objects"
            conn.execute(f"UPDATE {versions} SET headers = ? WHERE id = ?", (json.dumps(headers), ident))
            now = time.time()
            moved = [b for b in old_blobs if b not in new_blobs]
            conn.executemany(
                "INSERT INTO lifecycle_retired (blob_id, retired) VALUES (?, ?)", [(b, now) for b in moved]
            )
            return True

        return await self.db.transaction(switch)

    async def has_retired(self) -> bool:
        return await self.db.fetchone("SELECT 1 FROM lifecycle_retired LIMIT 1") is not None

    async def release_retired(self, retired_before: float, limit: int = 500) -> int:
        """Drop the references of blobs retired before the cutoff (the collector deletes them)."""

        def release(conn: sqlite3.Connection) -> int:
            rows = conn.execute(
                "SELECT id, blob_id FROM lifecycle_retired WHERE retired < ? ORDER BY id LIMIT ?",
                (retired_before, limit),
            ).fetchall()
            unref_blobs(conn, [r["blob_id"] for r in rows])
            conn.executemany("DELETE FROM lifecycle_retired WHERE id = ?", [(r["id"],) for r in rows])
            return len(rows)

        return await self.db.transaction(release)
