"""Schema of placement (component "placement" in schema.COMPONENTS): where a bucket says it
lives (its CreateBucket LocationConstraint) and which user space holds each storage class,
gateway-wide and per bucket."""

from __future__ import annotations

PLACEMENT_MIGRATIONS: list[str] = [
    # 1: bucket location constraints; storage class -> user space mappings
    """
    CREATE TABLE bucket_location (
        bucket_id INTEGER PRIMARY KEY REFERENCES buckets(id) ON DELETE CASCADE,
        region    TEXT NOT NULL              -- the LocationConstraint as sent
    );
    CREATE TABLE storage_classes (
        class TEXT PRIMARY KEY,              -- e.g. GLACIER
        space TEXT NOT NULL                  -- user space name or id
    );
    CREATE TABLE bucket_storage_classes (
        bucket_id INTEGER NOT NULL REFERENCES buckets(id) ON DELETE CASCADE,
        class     TEXT NOT NULL,
        space     TEXT NOT NULL,
        PRIMARY KEY (bucket_id, class)
    );
    """,
]
