"""Schema of bucket lifecycle (component "lifecycle" in schema.COMPONENTS).

`bucket_lifecycle` holds each bucket's rules (JSON of `gateway.domain.lifecycle.LifecycleConfig`).
`lifecycle_retired` holds the blobs a transition moved an object away from: they keep the
reference the object had, so a read that started on them before the switch still finds them,
and a later lifecycle pass releases them (the collector then deletes them). A row is written in
the transaction that switches the object to its new blocks, so a crash never loses one.
"""

from __future__ import annotations

LIFECYCLE_MIGRATIONS: list[str] = [
    """
    CREATE TABLE bucket_lifecycle (
        bucket_id INTEGER PRIMARY KEY REFERENCES buckets(id) ON DELETE CASCADE,
        config    TEXT NOT NULL,             -- JSON: rules and the transition minimum size
        updated   REAL NOT NULL
    );
    CREATE TABLE lifecycle_retired (
        id      INTEGER PRIMARY KEY,
        blob_id INTEGER NOT NULL REFERENCES blobs(id),
        retired REAL NOT NULL
    );
    CREATE INDEX lifecycle_retired_age ON lifecycle_retired(retired);
    """,
]
