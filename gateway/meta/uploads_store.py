"""S3 multipart uploads: the upload rows, their parts, and completion into an object."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from gateway.domain.errors import no_such_upload
from gateway.domain.models import Bucket, ObjectInfo, Part, Upload

from .completions import CompletedUpload, find_completion, remember_completion
from .db import Database
from .objects_store import commit_object
from .records import CommitGuard, NewObject
from .rows import part_of, prefix_successor, ref_blobs, timestamp, unref_blobs, upload_of


def drop_upload(conn: sqlite3.Connection, upload_id: str) -> None:
    rows = conn.execute("SELECT blob_id FROM parts WHERE upload_id = ?", (upload_id,)).fetchall()
    unref_blobs(conn, [r["blob_id"] for r in rows])
    conn.execute("DELETE FROM parts WHERE upload_id = ?", (upload_id,))
    conn.execute("DELETE FROM uploads WHERE id = ?", (upload_id,))


class UploadsStore:
    """The uploads and parts tables; one transaction or read per method."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, upload: Upload) -> None:
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

    async def get(self, bucket: Bucket, upload_id: str, key: str) -> Upload:
        row = await self.db.fetchone(
            "SELECT * FROM uploads WHERE id = ? AND bucket_id = ? AND key = ?", (upload_id, bucket.id, key)
        )
        if row is None:
            raise no_such_upload(upload_id)
        return upload_of(row, bucket.name)

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
        return [upload_of(r, bucket.name) for r in await self.db.fetchall(sql, tuple(params))]

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
                unref_blobs(conn, [old["blob_id"]])
            ref_blobs(conn, [blob_id], [size])  # first: refuses a blob the collector took
            conn.execute(
                "INSERT OR REPLACE INTO parts (upload_id, number, blob_id, size, etag, checksums, updated) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (upload_id, number, blob_id, size, etag, json.dumps(checksums), timestamp()),
            )

        await self.db.transaction(attach)

    async def list_parts(self, upload_id: str, *, after: int = 0, limit: int = 10000) -> list[Part]:
        rows = await self.db.fetchall(
            "SELECT pa.*, b.space_id, b.key AS blob_key FROM parts pa JOIN blobs b ON b.id = pa.blob_id "
            "WHERE pa.upload_id = ? AND pa.number > ? ORDER BY pa.number LIMIT ?",
            (upload_id, after, limit),
        )
        return [part_of(r) for r in rows]

    async def complete(
        self, upload_id: str, new: NewObject, guards: Iterable[CommitGuard] = (), *, parts: list[tuple[int, str]]
    ) -> ObjectInfo:
        """Commit the object made of the chosen parts' blobs and drop the upload, in one transaction;
        remember the completion (`parts`: number and ETag as listed) for a repeated request."""

        def complete(conn: sqlite3.Connection) -> ObjectInfo:
            if not conn.execute("SELECT 1 FROM uploads WHERE id = ?", (upload_id,)).fetchone():
                raise no_such_upload(upload_id)
            obj = commit_object(conn, new, guards)
            drop_upload(conn, upload_id)
            remember_completion(conn, upload_id, obj, parts)
            return obj

        return await self.db.transaction(complete)

    async def completed(self, bucket_id: int, key: str, upload_id: str) -> CompletedUpload | None:
        """The recent completion of `upload_id` into `key`, if any."""
        return await self.db.query(lambda conn: find_completion(conn, bucket_id, key, upload_id))

    async def abort(self, upload_id: str) -> bool:
        """Drop the upload and release its parts; False when it did not exist."""

        def abort(conn: sqlite3.Connection) -> bool:
            if not conn.execute("SELECT 1 FROM uploads WHERE id = ?", (upload_id,)).fetchone():
                return False
            drop_upload(conn, upload_id)
            return True

        return await self.db.transaction(abort)
