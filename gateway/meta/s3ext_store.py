"""Persistence of the S3 extras: object tags, multipart part records, bucket tags and CORS.

Object extras are keyed by object id and written by `write_object_extras` *inside* the
object's commit transaction (`objects_store.commit_object` calls it), so they change atomically with the
object; an overwrite keeps the row id, and starts from exactly the extras that write gave.

The small API a versioning feature needs to make tags follow a version:
  - `read_object_extras(conn, object_id)`   what a row carries now (inside a transaction),
  - `write_object_extras(conn, object_id, extras, replaced=True)`   set them on another row,
  - `S3ExtStore.object_tags / put_object_tags / delete_object_tags`   by id, outside one.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from gateway.domain.models import Encryption
from gateway.domain.object_lock import LockState

from .db import Database
from .rows import encryption_of

Tags = dict[str, str]


@dataclass(slots=True)
class PartRecord:
    """One part of a completed multipart object, as GetObjectAttributes lists it."""

    number: int
    size: int
    checksums: dict[str, str]


@dataclass(slots=True)
class ObjectExtras:
    """S3 attributes kept beside an object row (empty means none)."""

    tags: Tags = field(default_factory=dict)
    parts: list[PartRecord] = field(default_factory=list)  # only for uploads with checksums
    acl: str | None = None  # owner and grants (access_store); None: the bucket owner's, private
    lock: LockState | None = None  # Object Lock retention / legal hold of the new version (lock_schema.py)
    encryption: Encryption | None = None  # how the bytes are sealed at rest (sse_schema.py)

    def __bool__(self) -> bool:
        return bool(self.tags or self.parts or self.acl or self.lock or self.encryption)


def _tags_json(tags: Tags) -> str:
    return json.dumps(list(tags.items()), ensure_ascii=False)


def _tags(text: str | None) -> Tags:
    return {k: v for k, v in json.loads(text)} if text else {}


def write_object_extras(
    conn: sqlite3.Connection, object_id: int, extras: ObjectExtras | None, *, replaced: bool
) -> None:
    """Make `extras` the object's extras; `replaced` says the row existed (drop what it had)."""
    if replaced:
        conn.execute("DELETE FROM object_tags WHERE object_id = ?", (object_id,))
        conn.execute("DELETE FROM object_parts WHERE object_id = ?", (object_id,))
        conn.execute("DELETE FROM object_encryption WHERE object_id = ?", (object_id,))
        conn.execute("DELETE FROM object_acl WHERE object_id = ?", (object_id,))
        conn.execute("DELETE FROM object_lock WHERE object_id = ?", (object_id,))
    if not extras:
        return
    if extras.tags:
        conn.execute("INSERT INTO object_tags (object_id, tags) VALUES (?, ?)", (object_id, _tags_json(extras.tags)))
    if extras.parts:
        parts = [[p.number, p.size, p.checksums] for p in extras.parts]
        conn.execute("INSERT INTO object_parts (object_id, parts) VALUES (?, ?)", (object_id, json.dumps(parts)))
    if extras.encryption:
        conn.execute(
            "INSERT INTO object_encryption (object_id, record) VALUES (?, ?)",
            (object_id, json.dumps(extras.encryption.as_json())),
        )
    if extras.acl is not None:
        conn.execute("INSERT INTO object_acl (object_id, acl) VALUES (?, ?)", (object_id, extras.acl))
    if extras.lock is not None and not extras.lock.empty:
        conn.execute("INSERT INTO object_lock (object_id, lock) VALUES (?, ?)", (object_id, extras.lock.to_json()))


def read_object_extras(conn: sqlite3.Connection, object_id: int) -> ObjectExtras:
    tags = conn.execute("SELECT tags FROM object_tags WHERE object_id = ?", (object_id,)).fetchone()
    parts = conn.execute("SELECT parts FROM object_parts WHERE object_id = ?", (object_id,)).fetchone()
    acl = conn.execute("SELECT acl FROM object_acl WHERE object_id = ?", (object_id,)).fetchone()
    records = [PartRecord(n, s, c) for n, s, c in json.loads(parts[0])] if parts else []
    sealed = conn.execute("SELECT record FROM object_encryption WHERE object_id = ?", (object_id,)).fetchone()
    return ObjectExtras(
        tags=_tags(tags[0] if tags else None),
        parts=records,
        acl=acl[0] if acl else None,
        encryption=encryption_of(sealed[0] if sealed else None),
    )


class S3ExtStore:
    """Whole units of work on the extras tables (one transaction each)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------ objects

    async def object_extras(self, object_id: int) -> ObjectExtras:
        return await self.db.query(lambda conn: read_object_extras(conn, object_id))

    async def object_tags(self, object_id: int) -> Tags:
        row = await self.db.fetchone("SELECT tags FROM object_tags WHERE object_id = ?", (object_id,))
        return _tags(row["tags"] if row else None)

    async def put_object_tags(self, object_id: int, tags: Tags) -> bool:
        """Replace the object's tag set; False when the object no longer exists."""

        def put(conn: sqlite3.Connection) -> bool:
            if not conn.execute("SELECT 1 FROM objects WHERE id = ?", (object_id,)).fetchone():
                return False
            conn.execute("DELETE FROM object_tags WHERE object_id = ?", (object_id,))
            if tags:
                conn.execute("INSERT INTO object_tags (object_id, tags) VALUES (?, ?)", (object_id, _tags_json(tags)))
            return True

        return await self.db.transaction(put)

    async def delete_object_tags(self, object_id: int) -> None:
        await self.db.transaction(
            lambda conn: conn.execute("DELETE FROM object_tags WHERE object_id = ?", (object_id,))
        )

    # ------------------------------------------------------------ multipart uploads

    async def upload_tags(self, upload_id: str) -> Tags:
        row = await self.db.fetchone("SELECT tags FROM upload_tags WHERE upload_id = ?", (upload_id,))
        return _tags(row["tags"] if row else None)

    async def put_upload_tags(self, upload_id: str, tags: Tags) -> None:
        await self.db.transaction(
            lambda conn: conn.execute(
                "INSERT OR REPLACE INTO upload_tags (upload_id, tags) VALUES (?, ?)", (upload_id, _tags_json(tags))
            )
        )

    # ------------------------------------------------------------ buckets

    async def bucket_tags(self, bucket_id: int) -> Tags | None:
        """The bucket's tag set, None when it has none (S3 tells those apart)."""
        row = await self.db.fetchone("SELECT tags FROM bucket_tags WHERE bucket_id = ?", (bucket_id,))
        return _tags(row["tags"]) if row else None

    async def put_bucket_tags(self, bucket_id: int, tags: Tags) -> None:
        await self.db.transaction(
            lambda conn: conn.execute(
                "INSERT OR REPLACE INTO bucket_tags (bucket_id, tags) VALUES (?, ?)", (bucket_id, _tags_json(tags))
            )
        )

    async def delete_bucket_tags(self, bucket_id: int) -> None:
        await self.db.transaction(
            lambda conn: conn.execute("DELETE FROM bucket_tags WHERE bucket_id = ?", (bucket_id,))
        )

    async def bucket_cors(self, bucket_id: int) -> list[dict[str, Any]] | None:
        row = await self.db.fetchone("SELECT rules FROM bucket_cors WHERE bucket_id = ?", (bucket_id,))
        return json.loads(row["rules"]) if row else None

    async def put_bucket_cors(self, bucket_id: int, rules: list[dict[str, Any]]) -> None:
        await self.db.transaction(
            lambda conn: conn.execute(
                "INSERT OR REPLACE INTO bucket_cors (bucket_id, rules) VALUES (?, ?)", (bucket_id, json.dumps(rules))
            )
        )

    async def delete_bucket_cors(self, bucket_id: int) -> None:
        await self.db.transaction(
            lambda conn: conn.execute("DELETE FROM bucket_cors WHERE bucket_id = ?", (bucket_id,))
        )
