"""What the core hands the store to write: a new object row, and the guards that may refuse it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from gateway.domain.models import ObjectInfo

from .s3ext_store import ObjectExtras

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
