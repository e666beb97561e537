"""Store units of work the native API needs: packages, object-by-id moves, clones and
deletes, per-package listing, batch commits.

Each method is one transaction on the writer (or one read snapshot) and every object it
creates goes through `objects_store.commit_object` with the caller's guards, so quotas and
conditions apply exactly as for S3 writes. Blob reference counts move only through
`rows.ref_blobs`/`rows.unref_blobs`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import replace

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.mapping import join_key
from gateway.domain.models import EMPTY_MD5, EMPTY_SHA256, Deletion, ObjectInfo, Package

from .db import Database
from .history import delete_latest
from .objects_store import RowFetch, T, commit_object
from .records import CommitGuard, NewObject
from .rows import (
    OBJECT_COLUMNS,
    OBJECT_FROM,
    drop_package_if_implicit_and_empty,
    object_of,
    package_of,
    prefix_successor,
    select_object,
)
from .s3ext_store import read_object_extras

DELETE_BATCH = 500


def no_such_package(package_id: object) -> JunctionError:
    return JunctionError(ErrorCode.NoSuchPackage, package=package_id)


def no_such_object(object_id: object) -> JunctionError:
    return JunctionError(ErrorCode.NoSuchKey, "The specified object does not exist", object_id=object_id)


def _package_row(conn: sqlite3.Connection, package_id: int) -> Package:
    row = conn.execute("SELECT * FROM packages WHERE id = ?", (package_id,)).fetchone()
    if row is None:
        raise no_such_package(package_id)
    return package_of(row)


def _visible(conn: sqlite3.Connection, object_id: int) -> ObjectInfo:
    """The object with this id, unless it is a package marker (hidden from native clients)."""
    obj = select_object(conn, "o.id = ?", (object_id,), True)
    if obj is None or obj.path == "":
        raise no_such_object(object_id)
    return obj


def _marker(bucket_id: int, name: str) -> NewObject:
    """The zero-byte `P/` row that makes an explicitly created package visible to S3."""
    return NewObject(
        bucket_id=bucket_id,
        key=f"{name}/",
        size=0,
        etag=EMPTY_MD5,
        sha256=EMPTY_SHA256,
        content_type="binary/octet-stream",
        headers={},
        meta={},
        checksums={},
        checksum_type="",
        parts_count=0,
        blob_ids=[],
        block_sizes=[],
    )


def _copy_of(src: ObjectInfo, bucket_id: int, key: str) -> NewObject:
    return NewObject(
        bucket_id=bucket_id,
        key=key,
        size=src.size,
        etag=src.etag,
        sha256=src.sha256,
        content_type=src.content_type,
        headers=dict(src.headers),
        meta=dict(src.meta),
        checksums=dict(src.checksums),
        checksum_type=src.checksum_type,
        parts_count=src.parts_count,
        blob_ids=[b.blob_id for b in src.blocks],
        block_sizes=[b.size for b in src.blocks],
        redundancy=src.redundancy,
    )


def _committed_source(conn: sqlite3.Connection, object_id: int) -> ObjectInfo:
    src = _visible(conn, object_id)
    if src.redundancy == "multipartUpload":
        raise JunctionError(
            ErrorCode.InvalidRequest, "The object is a multipart upload in progress", object_id=object_id
        )
    return src


def _renumber(conn: sqlite3.Connection, new_id: int, old_id: int) -> None:
    """Give a freshly committed row a free id (object_blocks has no ON UPDATE CASCADE)."""
    blocks = conn.execute("SELECT seq, blob_id, size FROM object_blocks WHERE object_id = ?", (new_id,)).fetchall()
    conn.execute("DELETE FROM object_blocks WHERE object_id = ?", (new_id,))
    conn.execute("UPDATE objects SET id = ? WHERE id = ?", (old_id, new_id))
    conn.executemany(
        "INSERT INTO object_blocks (object_id, seq, blob_id, size) VALUES (?, ?, ?, ?)",
        [(old_id, r["seq"], r["blob_id"], r["size"]) for r in blocks],
    )


class PackagesStore:
    """Packages, and objects addressed by id within them (the native API's view); one transaction or read per method."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, bucket_id: int, name: str) -> Package | None:
        row = await self.db.fetchone("SELECT * FROM packages WHERE bucket_id = ? AND name = ?", (bucket_id, name))
        return package_of(row) if row else None

    async def get_by_id(self, package_id: int) -> Package | None:
        row = await self.db.fetchone("SELECT * FROM packages WHERE id = ?", (package_id,))
        return package_of(row) if row else None

    async def list_in_bucket(self, bucket_id: int) -> list[Package]:
        rows = await self.db.fetchall("SELECT * FROM packages WHERE bucket_id = ? ORDER BY name", (bucket_id,))
        return [package_of(r) for r in rows]

    async def create(self, bucket_id: int, name: str, guards: Iterable[CommitGuard]) -> Package:
        """Create package `name` with its marker row; refuse if the package exists in any form."""

        def create(conn: sqlite3.Connection) -> Package:
            if conn.execute("SELECT 1 FROM buckets WHERE id = ?", (bucket_id,)).fetchone() is None:
                raise JunctionError(ErrorCode.NoSuchBucket, bucket=bucket_id)
            if conn.execute("SELECT 1 FROM packages WHERE bucket_id = ? AND name = ?", (bucket_id, name)).fetchone():
                raise JunctionError(ErrorCode.PackageAlreadyExists, package=name)
            obj = commit_object(conn, _marker(bucket_id, name), guards)
            return _package_row(conn, obj.package_id)

        return await self.db.transaction(create)

    async def delete_batch(self, package_id: int) -> tuple[bool, list[tuple[ObjectInfo, Deletion]]]:
        """Delete up to DELETE_BATCH of the package's rows; drop the package when none are left.

        Returns (whether the package is gone, what was deleted: each object with what its delete
        did, for the events). Batches keep the writer lock short for big packages.
        """

        def delete(conn: sqlite3.Connection) -> tuple[bool, list[tuple[ObjectInfo, Deletion]]]:
            package = _package_row(conn, package_id)
            rows = conn.execute(
                "SELECT id FROM objects WHERE package_id = ? LIMIT ?", (package_id, DELETE_BATCH)
            ).fetchall()
            removed: list[tuple[ObjectInfo, Deletion]] = []
            for row in rows:
                obj = select_object(conn, "o.id = ?", (row["id"],), True)
                assert obj is not None
                # versioned: a delete marker
                removed.append((obj, delete_latest(conn, obj.bucket_id, obj.key, obj, drop_package=False)))
            if len(rows) < DELETE_BATCH and package.name != "":
                conn.execute("DELETE FROM packages WHERE id = ?", (package_id,))
                return True, removed
            return len(rows) < DELETE_BATCH, removed

        return await self.db.transaction(delete)

    async def list_objects(
        self, package_id: int, *, prefix: str, start: str, inclusive: bool = False, limit: int
    ) -> list[ObjectInfo]:
        """Objects of one package whose path starts with `prefix`, after `start`, in binary path order.

        Marker rows (path "") are left out; pending native multipart objects are included.
        """
        return await self.db.query(lambda conn: package_rows(conn, package_id, prefix, start, inclusive, limit))

    async def scan(self, package_id: int, prefix: str, fn: Callable[[RowFetch], T]) -> T:
        """`fn(fetch)` over one package's paths in one read snapshot (see `ObjectsStore.scan`)."""

        def run(conn: sqlite3.Connection) -> T:
            return fn(lambda start, inclusive, limit: package_rows(conn, package_id, prefix, start, inclusive, limit))

        return await self.db.query(run)

    async def get_marker(self, package_id: int) -> ObjectInfo | None:
        """The package's marker object (path ""), which S3 lists as the folder `name/`."""
        row = await self.db.fetchone(
            f"SELECT {OBJECT_COLUMNS} FROM {OBJECT_FROM} WHERE o.package_id = ? AND o.path = ''", (package_id,)
        )
        return object_of(row) if row else None

    async def get_by_path(self, package_id: int, path: str) -> ObjectInfo | None:
        row = await self.db.fetchone(
            f"SELECT {OBJECT_COLUMNS} FROM {OBJECT_FROM} WHERE o.package_id = ? AND o.path = ? AND o.path != ''",
            (package_id, path),
        )
        return object_of(row) if row else None

    async def commit_many(self, news: list[NewObject], guards: Iterable[CommitGuard]) -> list[ObjectInfo]:
        """Commit several objects atomically: all become visible together, or none does."""
        guards = list(guards)
        return await self.db.transaction(lambda conn: [commit_object(conn, new, guards) for new in news])

    async def clone_object(
        self, object_id: int, package_id: int, path: str, guards: Iterable[CommitGuard]
    ) -> ObjectInfo:
        """Commit a new object sharing the source's blobs (no byte is copied); overwrites like S3 copy."""

        def clone(conn: sqlite3.Connection) -> ObjectInfo:
            src = _committed_source(conn, object_id)
            package = _package_row(conn, package_id)
            new = replace(
                _copy_of(src, package.bucket_id, join_key(package.name, path)), extras=read_object_extras(conn, src.id)
            )  # tags too, as S3 copies do
            return commit_object(conn, new, guards)

        return await self.db.transaction(clone)

    async def move_object(
        self, object_id: int, package_id: int, path: str, guards: Iterable[CommitGuard]
    ) -> tuple[ObjectInfo, Deletion | None]:
        """Re-home an object under (package, path), keeping its id; refuse to replace another object.

        Done as "remove the source row, commit the destination through the commit path (guards
        see a plain new object), then give the new row the old id", all in one transaction.
        Returns the moved object and what removing the source did (None: it was there already).
        """

        def move(conn: sqlite3.Connection) -> tuple[ObjectInfo, Deletion | None]:
            src = _committed_source(conn, object_id)
            package = _package_row(conn, package_id)
            key = join_key(package.name, path)
            if package.bucket_id == src.bucket_id and key == src.key:
                return src, None
            if conn.execute(
                "SELECT 1 FROM objects WHERE bucket_id = ? AND key = ?", (package.bucket_id, key)
            ).fetchone():
                raise JunctionError(
                    ErrorCode.ObjectAlreadyExists, "An object already exists at the target path", path=path
                )
            extras = read_object_extras(conn, src.id)  # tags move with the object
            # versioned: a delete marker
            deletion = delete_latest(conn, src.bucket_id, src.key, src, drop_package=False)
            new = replace(_copy_of(src, package.bucket_id, key), created=src.created, extras=extras)
            moved = commit_object(conn, new, guards)
            _renumber(conn, moved.id, src.id)
            drop_package_if_implicit_and_empty(conn, src.package_id)
            obj = select_object(conn, "o.id = ?", (src.id,), True)
            assert obj is not None
            return obj, deletion

        return await self.db.transaction(move)

    async def delete_object(self, object_id: int) -> Deletion | None:
        """Delete the object (pending uploads too, releasing their parts): what the delete did
        (a versioned bucket gets a delete marker); None when absent."""

        def delete(conn: sqlite3.Connection) -> Deletion | None:
            obj = select_object(conn, "o.id = ?", (object_id,), True)
            if obj is None or obj.path == "":
                return None
            return delete_latest(conn, obj.bucket_id, obj.key, obj)

        return await self.db.transaction(delete)


def package_rows(
    conn: sqlite3.Connection, package_id: int, prefix: str, start: str, inclusive: bool, limit: int
) -> list[ObjectInfo]:
    op = ">=" if inclusive else ">"
    sql = f"SELECT {OBJECT_COLUMNS} FROM {OBJECT_FROM} WHERE o.package_id = ? AND o.path != '' AND o.path {op} ?"
    params: list[object] = [package_id, start]
    if prefix:
        sql += " AND o.path >= ?"
        params.append(prefix)
        upper = prefix_successor(prefix)
        if upper is not None:
            sql += " AND o.path < ?"
            params.append(upper)
    sql += " ORDER BY o.path LIMIT ?"
    params.append(limit)
    return [object_of(r) for r in conn.execute(sql, params).fetchall()]
