"""Store units of work for native multipart uploads (newMultipartUpload / uploadPart /
completeMultipartUpload).

A pending upload is an object row with redundancy 'multipartUpload' (the store hides such
rows from S3 reads and listings) whose blocks are the uploaded parts in arrival order;
`native_parts` maps each index to its blob. Completing commits the chosen blobs through
`objects_store.commit_object` on the same row, so the object keeps its id and every part left out
loses its last reference and is collected.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import EMPTY_MD5, Encryption, ObjectInfo

from .db import Database
from .objects_store import commit_object
from .records import CommitGuard, NewObject
from .rows import ref_blobs, select_object, unref_blobs
from .s3ext_store import ObjectExtras, read_object_extras

PENDING = "multipartUpload"
ZERO_SHA256 = "0" * 64


@dataclass(frozen=True, slots=True)
class NativePart:
    index: int
    blob_id: int
    space_id: int
    blob_key: str
    size: int
    md5: str


def no_such_upload(object_id: int) -> JunctionError:
    return JunctionError(
        ErrorCode.NoSuchUpload, "The object is not a multipart upload in progress", object_id=object_id
    )


def _pending(conn: sqlite3.Connection, object_id: int) -> ObjectInfo:
    obj = select_object(conn, "o.id = ?", (object_id,), False)
    if obj is None or obj.redundancy != PENDING:
        raise no_such_upload(object_id)
    return obj


class NativePartsStore:
    """Pending native uploads and their parts; one transaction or read per method."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def new_pending(
        self, bucket_id: int, key: str, guards: Iterable[CommitGuard], *, encryption: Encryption | None = None
    ) -> ObjectInfo:
        """Create the pending row; a previous pending upload of the same path is restarted, a
        committed object is never hidden by one (refused)."""

        def create(conn: sqlite3.Connection) -> ObjectInfo:
            old = conn.execute(
                "SELECT id, redundancy FROM objects WHERE bucket_id = ? AND key = ?", (bucket_id, key)
            ).fetchone()
            if old is not None and old["redundancy"] != PENDING:
                raise JunctionError(
                    ErrorCode.ObjectAlreadyExists, "An object already exists at this path; delete it first"
                )
            if old is not None:
                conn.execute("DELETE FROM native_parts WHERE object_id = ?", (old["id"],))
            new = NewObject(
                bucket_id=bucket_id,
                key=key,
                size=0,
                etag=EMPTY_MD5,
                sha256=ZERO_SHA256,
                content_type="binary/octet-stream",
                headers={},
                meta={},
                checksums={},
                checksum_type="",
                parts_count=0,
                blob_ids=[],
                block_sizes=[],
                redundancy=PENDING,
                extras=ObjectExtras(encryption=encryption) if encryption else None,
            )
            return commit_object(conn, new, guards)

        return await self.db.transaction(create)

    async def attach_part(self, object_id: int, index: int, blob_id: int, size: int, md5: str) -> None:
        """Make a durable blob part `index` of the pending object, releasing any part it replaces."""

        def attach(conn: sqlite3.Connection) -> None:
            _pending(conn, object_id)
            old = conn.execute(
                "SELECT blob_id FROM native_parts WHERE object_id = ? AND idx = ?", (object_id, index)
            ).fetchone()
            if old is not None:
                block = conn.execute(
                    "SELECT seq FROM object_blocks WHERE object_id = ? AND blob_id = ? LIMIT 1",
                    (object_id, old["blob_id"]),
                ).fetchone()
                if block is not None:
                    conn.execute("DELETE FROM object_blocks WHERE object_id = ? AND seq = ?", (object_id, block["seq"]))
                    unref_blobs(conn, [old["blob_id"]])
            seq = conn.execute(
                "SELECT COALESCE(MAX(seq) + 1, 0) FROM object_blocks WHERE object_id = ?", (object_id,)
            ).fetchone()[0]
            ref_blobs(conn, [blob_id], [size])  # first: refuses a blob the collector took
            conn.execute(
                "INSERT INTO object_blocks (object_id, seq, blob_id, size) VALUES (?, ?, ?, ?)",
                (object_id, seq, blob_id, size),
            )
            conn.execute(
                "INSERT OR REPLACE INTO native_parts (object_id, idx, blob_id, size, md5, updated) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (object_id, index, blob_id, size, md5, time.time()),
            )

        await self.db.transaction(attach)

    async def list_parts(self, object_id: int) -> dict[int, NativePart]:
        """The uploaded parts of a pending object by index (raises NoSuchUpload otherwise)."""

        def read(conn: sqlite3.Connection) -> dict[int, NativePart]:
            _pending(conn, object_id)
            rows = conn.execute(
                "SELECT np.idx, np.blob_id, np.size, np.md5, b.space_id, b.key FROM native_parts np "
                "JOIN blobs b ON b.id = np.blob_id WHERE np.object_id = ? ORDER BY np.idx",
                (object_id,),
            ).fetchall()
            return {
                r["idx"]: NativePart(r["idx"], r["blob_id"], r["space_id"], r["key"], r["size"], r["md5"]) for r in rows
            }

        return await self.db.query(read)

    async def complete_pending(
        self,
        object_id: int,
        chosen: list[NativePart],
        *,
        md5: str,
        sha256: str,
        guards: Iterable[CommitGuard],
    ) -> ObjectInfo:
        """Commit the pending row as the concatenation of `chosen` (repeats allowed)."""

        def complete(conn: sqlite3.Connection) -> ObjectInfo:
            pending = _pending(conn, object_id)
            current = {
                r["idx"]: r["blob_id"]
                for r in conn.execute("SELECT idx, blob_id FROM native_parts WHERE object_id = ?", (object_id,))
            }
            if any(current.get(p.index) != p.blob_id for p in chosen):
                raise JunctionError(
                    ErrorCode.OperationAborted, "A part was replaced while completing; retry the completion"
                )
            new = NewObject(
                bucket_id=pending.bucket_id,
                key=pending.key,
                size=sum(p.size for p in chosen),
                etag=md5,
                sha256=sha256,
                content_type=pending.content_type,
                headers=pending.headers,
                meta=pending.meta,
                checksums={},
                checksum_type="",
                parts_count=0,
                blob_ids=[p.blob_id for p in chosen],
                block_sizes=[p.size for p in chosen],
                redundancy="none",
                created=pending.created,
                extras=read_object_extras(conn, object_id),  # the upload's encryption record
            )
            obj = commit_object(conn, new, guards)
            conn.execute("DELETE FROM native_parts WHERE object_id = ?", (object_id,))
            return obj

        return await self.db.transaction(complete)
