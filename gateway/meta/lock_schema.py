"""Schema of S3 Object Lock (component "objectlock" in schema.COMPONENTS).

A bucket with Object Lock enabled has a `bucket_object_lock` row (its default retention rule,
or none). A version's retention and legal hold are one JSON document
(`gateway.domain.object_lock.LockState`) in `object_lock` while the version is current and in
`version_lock` once it is history: `history._EXTRAS` moves it exactly as it moves tags. A
multipart upload keeps the lock its CreateMultipartUpload asked for in `upload_lock` until it
completes.
"""

from __future__ import annotations

LOCK_MIGRATIONS: list[str] = [
    """
    CREATE TABLE bucket_object_lock (
        bucket_id INTEGER PRIMARY KEY REFERENCES buckets(id) ON DELETE CASCADE,
        config    TEXT NOT NULL              -- JSON {} or {"mode", "days", "years"}: the default retention
    );
    CREATE TABLE object_lock (
        object_id INTEGER PRIMARY KEY REFERENCES objects(id) ON DELETE CASCADE ON UPDATE CASCADE,
        lock      TEXT NOT NULL              -- JSON {"mode", "until", "hold"}
    );
    CREATE TABLE version_lock (
        version_row INTEGER PRIMARY KEY REFERENCES object_versions(id) ON DELETE CASCADE,
        lock        TEXT NOT NULL
    );
    CREATE TABLE upload_lock (
        upload_id TEXT PRIMARY KEY REFERENCES uploads(id) ON DELETE CASCADE,
        lock      TEXT NOT NULL
    );
    """,
]
