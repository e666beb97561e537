"""Schema of the S3 extras (component "s3ext" in schema.COMPONENTS): tags, part records, CORS.

Each table hangs off a core row by foreign key with ON DELETE CASCADE, so every core path
that drops an object, upload or bucket drops its extras too without knowing about them.
Object-keyed tables also cascade on UPDATE: a native move gives the moved row its old id.
JSON columns hold small documents the S3 front end reads whole (at most 50 tags, 100 rules).
"""

from __future__ import annotations

S3EXT_MIGRATIONS: list[str] = [
    # 1: object and bucket tags, tags of pending multipart uploads, parts of completed
    #    multipart objects (with their checksums, for GetObjectAttributes), bucket CORS rules
    """
    CREATE TABLE object_tags (
        object_id INTEGER PRIMARY KEY REFERENCES objects(id) ON DELETE CASCADE ON UPDATE CASCADE,
        tags      TEXT NOT NULL              -- JSON [[key, value], ...] in the client's order
    );
    CREATE TABLE object_parts (
        object_id INTEGER PRIMARY KEY REFERENCES objects(id) ON DELETE CASCADE ON UPDATE CASCADE,
        parts     TEXT NOT NULL              -- JSON [[number, size, {algorithm: base64}], ...]
    );
    CREATE TABLE upload_tags (
        upload_id TEXT PRIMARY KEY REFERENCES uploads(id) ON DELETE CASCADE,
        tags      TEXT NOT NULL
    );
    CREATE TABLE bucket_tags (
        bucket_id INTEGER PRIMARY KEY REFERENCES buckets(id) ON DELETE CASCADE,
        tags      TEXT NOT NULL
    );
    CREATE TABLE bucket_cors (
        bucket_id INTEGER PRIMARY KEY REFERENCES buckets(id) ON DELETE CASCADE,
        rules     TEXT NOT NULL              -- JSON list of rule objects (gateway.core.cors)
    );
    """,
    # 2: uploads completed lately, so a repeated CompleteMultipartUpload with the same parts
    #    answers as the first did (AWS does); rows older than a day are pruned at each completion
    """
    CREATE TABLE completed_uploads (
        upload_id TEXT PRIMARY KEY,
        bucket_id INTEGER NOT NULL REFERENCES buckets(id) ON DELETE CASCADE,
        key       TEXT NOT NULL,
        parts     TEXT NOT NULL,             -- JSON [[number, etag], ...] as completed
        result    TEXT NOT NULL,             -- JSON of the answer: etag, size, checksums, version id
        completed REAL NOT NULL
    );
    CREATE INDEX completed_uploads_age ON completed_uploads(completed);
    """,
]
