"""The metadata store: every read and atomic write the core needs, and nothing else.

Methods are whole units of work (one transaction each) so that another implementation
(PostgreSQL for many gateway instances) can replace this one behind the same interface.
Blob reference counts are maintained here: whatever a write stops referencing is marked
`dead` in the same transaction, and the collector in `gateway.core.blobs` deletes it later.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from gateway.core.secretbox import SecretBox, is_sealed
from gateway.domain.errors import ErrorCode, JunctionError, no_such_bucket, no_such_key, no_such_upload
from gateway.domain.mapping import split_key
from gateway.domain.models import Block, Bucket, Deletion, ObjectInfo, Package, Part, Upload

from .db import Database, Params, fetchone, inserted_id
from .identity_store import IdentityStore
from .s3ext_store import ObjectExtras, write_object_extras

OBJECT_COLUMNS = (
    "o.id, o.bucket_id, o.package_id, p.name AS package, o.path, o.key, o.size, o.etag, o.sha256, "
    "o.content_type, o.headers, o.meta, o.checksums, o.checksum_type, o.parts_count, "
    "o.redundancy, o.created, o.updated, o.version_id, bv.status AS versioning, "
    "COALESCE(json_array_length(ot.tags), 0) AS tag_count"
)
OBJECT_FROM = (
    "objects o JOIN packages p ON p.id = o.package_id "
    "LEFT JOIN bucket_versioning bv ON bv.bucket_id = o.bucket_id "  # versions_store.py
    "LEFT JOIN object_tags ot ON ot.object_id = o.id"  # s3ext_store.py: GET/HEAD answer the count
)

# A commit guard runs synchronously inside the commit (or delete) transaction, on the
# writer's sqlite3 connection, with the object being replaced (or None) and the new record
# (None for a delete); it raises JunctionError to refuse (conditional writes, quotas).
# Being inside the transaction makes its check race-free against concurrent writers.
CommitGuard = Callable[[sqlite3.Connection, "ObjectInfo | None", "NewObject | None"], None]


@dataclass(slots=True)
class NewObject:
    """Everything needed to commit an object row; blocks are already durable."""

    bucket_id: int
    key: str
    size: int
    etag: str
    sha256: str
    content_type: str
    headers: dict[str, str]
    meta: dict[str, str]
    checksums: dict[str, str]
    checksum_type: str
    parts_count: int
    blob_ids: list[int]
    block_sizes: list[int]
    redundancy: str = "none"
    created: float | None = None  # keep an existing creation time (copies, moves)
    extras: ObjectExtras | None = None  # tags, part records: committed with the row (s3ext_store)


def _now() -> float:
    return time.time()


def _bucket(row: sqlite3.Row) -> Bucket:
    return Bucket(id=row["id"], name=row["name"], owner=row["owner"], created=row["created"])


def _package(row: sqlite3.Row) -> Package:
    return Package(id=row["id"], bucket_id=row["bucket_id"], name=row["name"], created=row["created"])


def _object(row: sqlite3.Row) -> ObjectInfo:
    return ObjectInfo(
        id=row["id"],
        bucket_id=row["bucket_id"],
        package_id=row["package_id"],
        package=row["package"],
        path=row["path"],
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
        version_id=(row["version_id"] or "null") if row["versioning"] else None,
        tag_count=row["tag_count"],
    )


def _upload(row: sqlite3.Row, bucket: str) -> Upload:
    return Upload(
        id=row["id"],
        bucket_id=row["bucket_id"],
        bucket=bucket,
        key=row["key"],
        content_type=row["content_type"],
        headers=json.loads(row["headers"]),
        meta=json.loads(row["meta"]),
        checksum_algorithm=row["checksum_algorithm"],
        checksum_type=row["checksum_type"],
        created=row["created"],
        owner=row["owner"],
    )


def _part(row: sqlite3.Row) -> Part:
    return Part(
        number=row["number"],
        size=row["size"],
        etag=row["etag"],
        checksums=json.loads(row["checksums"]),
        updated=row["updated"],
        blob_id=row["blob_id"],
        space_id=row["space_id"],
        blob_key=row["blob_key"],
    )


class MetaStore:
    """SQLite implementation of the metadata store."""

    def __init__(self, path: Path, box: SecretBox | None = None) -> None:
        self.db = Database(path)
        self.box = box  # seals access-key secrets at rest; None stores them as given (tools, tests)
        self.identity = IdentityStore(self.db, self.seal_secret)

    async def open(self) -> None:
        await self.db.open()

    async def close(self) -> None:
        await self.db.close()

    # ---------------------------------------------------------------- credentials

    async def get_credential(self, access_key: str) -> aiosqlite.Row | None:
        """The credential row; its `secret_key` is as stored (sealed): read it with `open_secret`."""
        return await self.db.fetchone("SELECT * FROM credentials WHERE access_key = ?", (access_key,))

    def seal_secret(self, secret_key: str) -> str:
        return self.box.seal_text(secret_key) if self.box else secret_key

    def open_secret(self, stored: str) -> str:
        return self.box.open_text(stored) if self.box else stored

    async def seal_plain_secrets(self) -> int:
        """Seal the secrets of rows written before sealing existed (or by hand); return how many."""
        if self.box is None:
            return 0
        box = self.box

        def seal(conn: sqlite3.Connection) -> int:
            rows = conn.execute("SELECT access_key, secret_key FROM credentials").fetchall()
            plain = [(box.seal_text(r["secret_key"]), r["access_key"]) for r in rows if not is_sealed(r["secret_key"])]
            conn.executemany("UPDATE credentials SET secret_key = ? WHERE access_key = ?", plain)
            return len(plain)

        return await self.db.transaction(seal)

    async def put_credential(self, access_key: str, secret_key: str, kind: str, **fields: object) -> None:
        columns = ["access_key", "secret_key", "kind", "created", *fields]
        values = [access_key, self.seal_secret(secret_key), kind, _now(), *fields.values()]
        marks = ", ".join("?" for _ in columns)
        async with self.db.write() as conn:
            await conn.execute(f"INSERT OR REPLACE INTO credentials ({', '.join(columns)}) VALUES ({marks})", values)

    # ---------------------------------------------------------------- spaces

    async def ensure_space(
        self, name: str, storage: dict[str, Any], credential: dict[str, Any], working_dir: str
    ) -> int:
        """Return the id of the space called `name`, creating it if absent."""
        async with self.db.write() as conn:
            await conn.execute(
                "INSERT OR IGNORE INTO spaces (name, storage, credential, working_dir, created) VALUES (?, ?, ?, ?, ?)",
                (name, json.dumps(storage), json.dumps(credential), working_dir, _now()),
            )
            row = await fetchone(conn, "SELECT id FROM spaces WHERE name = ?", (name,))
        assert row is not None  # inserted just above if it was absent
        return int(row["id"])

    # ---------------------------------------------------------------- buckets

    async def create_bucket(self, name: str, owner: str) -> Bucket:
        async with self.db.write() as conn:
            row = await fetchone(conn, "SELECT * FROM buckets WHERE name = ?", (name,))
            if row:
                code = ErrorCode.BucketAlreadyOwnedByYou if row["owner"] == owner else ErrorCode.BucketAlreadyExists
                raise JunctionError(code, "The requested bucket name is not available", bucket=name)
            now = _now()
            cur = await conn.execute("INSERT INTO buckets (name, owner, created) VALUES (?, ?, ?)", (name, owner, now))
            bucket_id = inserted_id(cur)
            await conn.execute("INSERT INTO packages (bucket_id, name, created) VALUES (?, '', ?)", (bucket_id, now))
        return Bucket(id=bucket_id, name=name, owner=owner, created=now)

    async def get_bucket(self, name: str) -> Bucket:
        row = await self.db.fetchone("SELECT * FROM buckets WHERE name = ?", (name,))
        if row is None:
            raise no_such_bucket(name)
        return _bucket(row)

    async def get_bucket_by_id(self, bucket_id: int) -> Bucket | None:
        row = await self.db.fetchone("SELECT * FROM buckets WHERE id = ?", (bucket_id,))
        return _bucket(row) if row else None

    async def list_buckets(self) -> list[Bucket]:
        return [_bucket(r) for r in await self.db.fetchall("SELECT * FROM buckets ORDER BY name")]

    async def bucket_usage(self, bucket_id: int) -> tuple[int, int]:
        """Return (bytes, object count) of the bucket's committed objects, noncurrent versions included."""
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(size), 0) AS bytes, COUNT(*) AS n FROM objects "
            "WHERE bucket_id = ? AND redundancy != 'multipartUpload'",
            (bucket_id,),
        )
        assert row is not None  # an aggregate always yields one row
        old_bytes, old_count = await self.db.query(lambda conn: _versions.noncurrent_usage(conn, bucket_id))
        return row["bytes"] + old_bytes, row["n"] + old_count

    async def delete_bucket(self, bucket_id: int, *, force: bool = False) -> None:
        """Delete the bucket; refuse while it holds objects unless `force`."""

        def delete(conn: sqlite3.Connection) -> None:
            if (
                not force
                and conn.execute(
                    "SELECT 1 FROM objects WHERE bucket_id = ? "
                    "UNION ALL SELECT 1 FROM object_versions WHERE bucket_id = ? LIMIT 1",
                    (bucket_id, bucket_id),
                ).fetchone()
            ):
                raise JunctionError(ErrorCode.BucketNotEmpty)
            blob_rows = conn.execute(
                "SELECT b.blob_id FROM object_blocks b JOIN objects o ON o.id = b.object_id WHERE o.bucket_id = ? "
                "UNION ALL SELECT pa.blob_id FROM parts pa JOIN uploads u ON u.id = pa.upload_id WHERE u.bucket_id = ? "
                "UNION ALL SELECT vb.blob_id FROM version_blocks vb JOIN object_versions v ON v.id = vb.version_row "
                "WHERE v.bucket_id = ?",
                (bucket_id, bucket_id, bucket_id),
            ).fetchall()
            _unref(conn, [r[0] for r in blob_rows])
            conn.execute("DELETE FROM credentials WHERE kind = 'export' AND bucket_id = ?", (bucket_id,))
            conn.execute("DELETE FROM buckets WHERE id = ?", (bucket_id,))

        await self.db.transaction(delete)

    # ---------------------------------------------------------------- packages

    async def get_package(self, bucket_id: int, name: str) -> Package | None:
        row = await self.db.fetchone("SELECT * FROM packages WHERE bucket_id = ? AND name = ?", (bucket_id, name))
        return _package(row) if row else None

    async def get_package_by_id(self, package_id: int) -> Package | None:
        row = await self.db.fetchone("SELECT * FROM packages WHERE id = ?", (package_id,))
        return _package(row) if row else None

    async def list_packages(self, bucket_id: int) -> list[Package]:
        rows = await self.db.fetchall("SELECT * FROM packages WHERE bucket_id = ? ORDER BY name", (bucket_id,))
        return [_package(r) for r in rows]

    # ---------------------------------------------------------------- blobs

    async def new_blob(self, space_id: int, key: str) -> int:
        """Register a blob about to be written, so a crash leaves a collectable record."""

        def insert(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                "INSERT INTO blobs (space_id, key, state, created) VALUES (?, ?, 'pending', ?)",
                (space_id, key, _now()),
            )
            return inserted_id(cur)

        return await self.db.transaction(insert)

    async def abandon_blob(self, blob_id: int) -> None:
        """A write failed: mark its pending blob dead for the collector."""
        async with self.db.write() as conn:
            await conn.execute("UPDATE blobs SET state = 'dead' WHERE id = ? AND refcount = 0", (blob_id,))

    async def collectable_blobs(
        self, pending_older_than: float, limit: int = 500, after_id: int = 0
    ) -> list[aiosqlite.Row]:
        """Dead blobs, pending ones older than the cutoff (a crashed or abandoned write) and
        ones a collector claimed but did not finish; ordered by id, from `after_id` on."""
        return await self.db.fetchall(
            "SELECT id, space_id, key, size, state FROM blobs WHERE id > ? AND (state IN ('dead', 'reclaiming') "
            "OR (state = 'pending' AND created < ?)) ORDER BY id LIMIT ?",
            (after_id, pending_older_than, limit),
        )

    async def claim_blob(self, blob_id: int, pending_older_than: float) -> bool:
        """Take an unreferenced blob for deletion; False when a write committed it meanwhile.

        A claimed blob can no longer be committed (`_ref` refuses it), so a write that outlived
        the collector's grace fails instead of committing an object whose bytes are deleted.
        """

        def claim(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "UPDATE blobs SET state = 'reclaiming' WHERE id = ? AND refcount = 0 "
                "AND (state IN ('dead', 'reclaiming') OR (state = 'pending' AND created < ?))",
                (blob_id, pending_older_than),
            )
            return cur.rowcount == 1

        return await self.db.transaction(claim)

    async def forget_blob(self, blob_id: int) -> None:
        async with self.db.write() as conn:
            await conn.execute("DELETE FROM blobs WHERE id = ? AND refcount = 0", (blob_id,))

    # ---------------------------------------------------------------- objects

    async def get_object(self, bucket_id: int, key: str, *, with_blocks: bool = True) -> ObjectInfo:
        def read(conn: sqlite3.Connection) -> ObjectInfo | None:
            return _select_object(
                conn,
                "o.bucket_id = ? AND o.key = ? AND o.redundancy != 'multipartUpload'",
                (bucket_id, key),
                with_blocks,
            )

        obj = await self.db.query(read)
        if obj is None:
            raise no_such_key(key)
        return obj

    async def get_object_by_id(self, object_id: int, *, with_blocks: bool = True) -> ObjectInfo | None:
        return await self.db.query(lambda conn: _select_object(conn, "o.id = ?", (object_id,), with_blocks))

    async def list_objects(
        self, bucket_id: int, *, prefix: str, start: str, inclusive: bool = False, limit: int
    ) -> list[ObjectInfo]:
        """Committed objects from `start` on whose key starts with `prefix`, in binary key order."""
        op = ">=" if inclusive else ">"
        sql = (
            f"SELECT {OBJECT_COLUMNS} FROM {OBJECT_FROM} WHERE o.bucket_id = ? AND o.key {op} ? "
            "AND o.redundancy != 'multipartUpload'"
        )
        params: list[object] = [bucket_id, start]
        if prefix:
            sql += " AND o.key >= ?"
            params.append(prefix)
            upper = prefix_successor(prefix)
            if upper is not None:
                sql += " AND o.key < ?"
                params.append(upper)
        sql += " ORDER BY o.key LIMIT ?"
        params.append(limit)
        return [_object(r) for r in await self.db.fetchall(sql, tuple(params))]

    async def commit_object(self, new: NewObject, guards: Iterable[CommitGuard] = ()) -> ObjectInfo:
        """Point the key at freshly written blobs, atomically replacing any previous version."""
        return await self.db.transaction(lambda conn: _commit(conn, new, guards))

    async def delete_object(self, bucket_id: int, key: str, guards: Iterable[CommitGuard] = ()) -> Deletion:
        """Remove the key (a versioned bucket keeps history and gets a delete marker)."""

        def delete(conn: sqlite3.Connection) -> Deletion:
            old = _select_object(conn, "o.bucket_id = ? AND o.key = ?", (bucket_id, key), True)
            if old is not None:
                for guard in guards:
                    guard(conn, old, None)
            return _versions.delete_latest(conn, bucket_id, key, old)

        return await self.db.transaction(delete)

    # ---------------------------------------------------------------- multipart uploads

    async def create_upload(self, upload: Upload) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "INSERT INTO uploads (id, bucket_id, key, content_type, headers, meta, checksum_algorithm, "
                "checksum_type, owner, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    upload.id,
                    upload.bucket_id,
                    upload.key,
                    upload.content_type,
                    json.dumps(upload.headers),
                    json.dumps(upload.meta),
                    upload.checksum_algorithm,
                    upload.checksum_type,
                    upload.owner,
                    upload.created,
                ),
            )

    async def get_upload(self, bucket: Bucket, upload_id: str, key: str) -> Upload:
        row = await self.db.fetchone(
            "SELECT * FROM uploads WHERE id = ? AND bucket_id = ? AND key = ?", (upload_id, bucket.id, key)
        )
        if row is None:
            raise no_such_upload(upload_id)
        return _upload(row, bucket.name)

    async def list_uploads(
        self, bucket: Bucket, *, prefix: str, key_marker: str, upload_id_marker: str, limit: int
    ) -> list[Upload]:
        sql = "SELECT * FROM uploads WHERE bucket_id = ? AND key >= ?"
        params: list[object] = [bucket.id, prefix]
        upper = prefix_successor(prefix) if prefix else None
        if upper is not None:
            sql += " AND key < ?"
            params.append(upper)
        if key_marker:
            if upload_id_marker:
                sql += " AND (key > ? OR (key = ? AND id > ?))"
                params += [key_marker, key_marker, upload_id_marker]
            else:
                sql += " AND key > ?"
                params.append(key_marker)
        sql += " ORDER BY key, created, id LIMIT ?"
        params.append(limit)
        return [_upload(r, bucket.name) for r in await self.db.fetchall(sql, tuple(params))]

    async def put_part(
        self, upload_id: str, number: int, blob_id: int, size: int, etag: str, checksums: dict[str, str]
    ) -> None:
        """Attach a durable blob as part `number`, replacing (and releasing) any previous one."""

        def attach(conn: sqlite3.Connection) -> None:
            if not conn.execute("SELECT 1 FROM uploads WHERE id = ?", (upload_id,)).fetchone():
                raise no_such_upload(upload_id)
            old = conn.execute(
                "SELECT blob_id FROM parts WHERE upload_id = ? AND number = ?", (upload_id, number)
            ).fetchone()
            if old:
                _unref(conn, [old["blob_id"]])
            _ref(conn, [blob_id], [size])  # first: refuses a blob the collector took
            conn.execute(
                "INSERT OR REPLACE INTO parts (upload_id, number, blob_id, size, etag, checksums, updated) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (upload_id, number, blob_id, size, etag, json.dumps(checksums), _now()),
            )

        await self.db.transaction(attach)

    async def list_parts(self, upload_id: str, *, after: int = 0, limit: int = 10000) -> list[Part]:
        rows = await self.db.fetchall(
            "SELECT pa.*, b.space_id, b.key AS blob_key FROM parts pa JOIN blobs b ON b.id = pa.blob_id "
            "WHERE pa.upload_id = ? AND pa.number > ? ORDER BY pa.number LIMIT ?",
            (upload_id, after, limit),
        )
        return [_part(r) for r in rows]

    async def complete_upload(self, upload_id: str, new: NewObject, guards: Iterable[CommitGuard] = ()) -> ObjectInfo:
        """Commit the object made of the chosen parts' blobs and drop the upload, in one transaction."""

        def complete(conn: sqlite3.Connection) -> ObjectInfo:
            if not conn.execute("SELECT 1 FROM uploads WHERE id = ?", (upload_id,)).fetchone():
                raise no_such_upload(upload_id)
            obj = _commit(conn, new, guards)
            _drop_upload(conn, upload_id)
            return obj

        return await self.db.transaction(complete)

    async def abort_upload(self, upload_id: str) -> bool:
        """Drop the upload and release its parts; False when it did not exist."""

        def abort(conn: sqlite3.Connection) -> bool:
            if not conn.execute("SELECT 1 FROM uploads WHERE id = ?", (upload_id,)).fetchone():
                return False
            _drop_upload(conn, upload_id)
            return True

        return await self.db.transaction(abort)


def prefix_successor(prefix: str) -> str | None:
    """Smallest string greater than every string starting with `prefix` (None if unbounded).

    UTF-8 byte order equals code point order, so bumping the last code point works.
    """
    while prefix:
        last = ord(prefix[-1])
        nxt = last + 1
        if 0xD800 <= nxt <= 0xDFFF:
            nxt = 0xE000
        if nxt <= 0x10FFFF:
            return prefix[:-1] + chr(nxt)
        prefix = prefix[:-1]
    return None


def _select_object(conn: sqlite3.Connection, where: str, params: Params, with_blocks: bool) -> ObjectInfo | None:
    row = conn.execute(f"SELECT {OBJECT_COLUMNS} FROM {OBJECT_FROM} WHERE {where}", params).fetchone()
    if row is None:
        return None
    obj = _object(row)
    if with_blocks:
        obj.blocks = _blocks(conn, obj.id)
    return obj


def _blocks(conn: sqlite3.Connection, object_id: int) -> list[Block]:
    rows = conn.execute(
        "SELECT ob.blob_id, ob.size, b.space_id, b.key FROM object_blocks ob "
        "JOIN blobs b ON b.id = ob.blob_id WHERE ob.object_id = ? ORDER BY ob.seq",
        (object_id,),
    ).fetchall()
    return [Block(blob_id=r["blob_id"], space_id=r["space_id"], blob_key=r["key"], size=r["size"]) for r in rows]


def _commit(conn: sqlite3.Connection, new: NewObject, guards: Iterable[CommitGuard]) -> ObjectInfo:
    """Insert or replace the object row and its blocks; release what the old version used."""
    package, path = split_key(new.key)
    old = _select_object(conn, "o.bucket_id = ? AND o.key = ?", (new.bucket_id, new.key), True)
    for guard in guards:
        guard(conn, old, new)
    package_id = _ensure_package(conn, new.bucket_id, package)
    version_id, kept = _versions.make_way(conn, new.bucket_id, new.key, old)  # kept: old is history now
    now = _now()
    created = new.created or (old.created if old else now)
    values = (
        new.size,
        new.etag,
        new.sha256,
        new.content_type,
        json.dumps(new.headers),
        json.dumps(new.meta),
        json.dumps(new.checksums),
        new.checksum_type,
        new.parts_count,
        new.redundancy,
        created,
        now,
    )
    if old is not None:
        object_id = old.id
        conn.execute(
            "UPDATE objects SET size=?, etag=?, sha256=?, content_type=?, headers=?, meta=?, checksums=?, "
            "checksum_type=?, parts_count=?, redundancy=?, created=?, updated=?, version_id=? WHERE id = ?",
            (*values, version_id, object_id),
        )
        if not kept:
            _unref(conn, [b.blob_id for b in old.blocks])
        conn.execute("DELETE FROM object_blocks WHERE object_id = ?", (object_id,))
    else:
        cur = conn.execute(
            "INSERT INTO objects (bucket_id, package_id, path, key, size, etag, sha256, content_type, headers, "
            "meta, checksums, checksum_type, parts_count, redundancy, created, updated, version_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (new.bucket_id, package_id, path, new.key, *values, version_id),
        )
        object_id = inserted_id(cur)
    _ref(conn, new.blob_ids, new.block_sizes)  # first: refuses blobs the collector took
    conn.executemany(
        "INSERT INTO object_blocks (object_id, seq, blob_id, size) VALUES (?, ?, ?, ?)",
        [
            (object_id, seq, bid, size)
            for seq, (bid, size) in enumerate(zip(new.blob_ids, new.block_sizes, strict=True))
        ],
    )
    write_object_extras(conn, object_id, new.extras, replaced=old is not None)  # an overwrite starts afresh
    obj = _select_object(conn, "o.id = ?", (object_id,), True)
    assert obj is not None
    return obj


def _ensure_package(conn: sqlite3.Connection, bucket_id: int, name: str) -> int:
    conn.execute(
        "INSERT OR IGNORE INTO packages (bucket_id, name, created) VALUES (?, ?, ?)", (bucket_id, name, _now())
    )
    row = conn.execute("SELECT id FROM packages WHERE bucket_id = ? AND name = ?", (bucket_id, name)).fetchone()
    return int(row["id"])


def _drop_package_if_implicit_and_empty(conn: sqlite3.Connection, package_id: int) -> None:
    """A non-root package with no rows left (not even its `P/` marker) disappears, as S3 prefixes do."""
    conn.execute(
        "DELETE FROM packages WHERE id = ? AND name != '' AND NOT EXISTS (SELECT 1 FROM objects WHERE package_id = ?)",
        (package_id, package_id),
    )


def _drop_upload(conn: sqlite3.Connection, upload_id: str) -> None:
    rows = conn.execute("SELECT blob_id FROM parts WHERE upload_id = ?", (upload_id,)).fetchall()
    _unref(conn, [r["blob_id"] for r in rows])
    conn.execute("DELETE FROM parts WHERE upload_id = ?", (upload_id,))
    conn.execute("DELETE FROM uploads WHERE id = ?", (upload_id,))


def _ref(conn: sqlite3.Connection, blob_ids: list[int], sizes: list[int] | None = None) -> None:
    """Count a new reference to each blob; with `sizes`, also record how big each blob is
    (what user-space usage sums: shardStore.maxSize)."""
    if sizes is None:
        cur = conn.executemany(
            "UPDATE blobs SET refcount = refcount + 1, state = 'live' WHERE id = ? AND state != 'reclaiming'",
            [(b,) for b in blob_ids],
        )
    else:
        cur = conn.executemany(
            "UPDATE blobs SET refcount = refcount + 1, state = 'live', size = ? WHERE id = ? AND state != 'reclaiming'",
            list(zip(sizes, blob_ids, strict=True)),
        )
    if cur.rowcount != len(blob_ids):  # the collector took a blob of a write that outlived its grace
        raise JunctionError(
            ErrorCode.InternalError, "the data of this write was reclaimed by the blob collector before it committed"
        )


def _unref(conn: sqlite3.Connection, blob_ids: list[int]) -> None:
    conn.executemany(
        "UPDATE blobs SET refcount = refcount - 1, "
        "state = CASE WHEN refcount - 1 <= 0 THEN 'dead' ELSE state END WHERE id = ?",
        [(b,) for b in blob_ids],
    )


# Imported last: versions_store builds on the helpers above, and _commit/delete_object call it.
from . import versions_store as _versions  # noqa: E402
