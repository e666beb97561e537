"""Uploads completed lately (table `completed_uploads`, s3ext_schema.py).

S3 answers a CompleteMultipartUpload repeated with the same parts (a client retrying after a
lost answer) with 200 and the first answer, although the upload no longer exists. The row is
written inside the completion's transaction and pruned after `KEEP_SECONDS`.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from gateway.domain.mapping import split_key
from gateway.domain.models import ObjectInfo

from .rows import timestamp

KEEP_SECONDS = 24 * 3600


@dataclass(frozen=True, slots=True)
class CompletedUpload:
    parts: list[tuple[int, str]]  # (number, ETag without quotes) as the completion listed them
    answer: ObjectInfo  # what the first completion answered (no blocks: it is not read)


def remember_completion(
    conn: sqlite3.Connection, upload_id: str, obj: ObjectInfo, parts: list[tuple[int, str]]
) -> None:
    now = timestamp()
    conn.execute("DELETE FROM completed_uploads WHERE completed < ?", (now - KEEP_SECONDS,))
    result = {
        "etag": obj.etag,
        "size": obj.size,
        "checksums": obj.checksums,
        "checksum_type": obj.checksum_type,
        "parts_count": obj.parts_count,
        "content_type": obj.content_type,
        "updated": obj.updated,
        "version_id": obj.version_id,
    }
    conn.execute(
        "INSERT OR REPLACE INTO completed_uploads (upload_id, bucket_id, key, parts, result, completed) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (upload_id, obj.bucket_id, obj.key, json.dumps(parts), json.dumps(result), now),
    )


def find_completion(conn: sqlite3.Connection, bucket_id: int, key: str, upload_id: str) -> CompletedUpload | None:
    row = conn.execute(
        "SELECT parts, result FROM completed_uploads WHERE upload_id = ? AND bucket_id = ? AND key = ? "
        "AND completed >= ?",
        (upload_id, bucket_id, key, timestamp() - KEEP_SECONDS),
    ).fetchone()
    if row is None:
        return None
    result = json.loads(row["result"])
    package, path = split_key(key)
    answer = ObjectInfo(
        id=0,
        bucket_id=bucket_id,
        package_id=0,
        package=package,
        path=path,
        key=key,
        size=result["size"],
        etag=result["etag"],
        sha256="",
        content_type=result["content_type"],
        headers={},
        meta={},
        checksums=result["checksums"],
        checksum_type=result["checksum_type"],
        parts_count=result["parts_count"],
        redundancy="none",
        created=result["updated"],
        updated=result["updated"],
        version_id=result["version_id"],
    )
    return CompletedUpload([(n, etag) for n, etag in json.loads(row["parts"])], answer)
