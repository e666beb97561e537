"""Schema of S3 bucket versioning (component "versioning" in schema.COMPONENTS).

`objects` keeps holding exactly the *current* version of each key, so every existing read,
listing and native path stays as it was; `objects.version_id` says which version that is
('' is the null version). Everything older lives in `object_versions`: noncurrent versions
and delete markers, ordered newest-last by their AUTOINCREMENT id (never reused, so the
order survives deletes). A key's latest version is its `objects` row if it has one, else
its newest `object_versions` row (then always a delete marker: a real version there would
have been promoted back into `objects`).

`object_versions` has no package column on purpose: packages come and go with the current
view, while history must outlive them. `version_blocks` holds references to blobs exactly
as `object_blocks` does; the store moves rows between the two, never the reference counts.
"""

from __future__ import annotations

VERSIONING_MIGRATIONS: list[str] = [
    # 1: versioning state, noncurrent versions and delete markers
    """
    ALTER TABLE objects ADD COLUMN version_id TEXT NOT NULL DEFAULT '';
    CREATE TABLE bucket_versioning (
        bucket_id INTEGER PRIMARY KEY REFERENCES buckets(id) ON DELETE CASCADE,
        status    TEXT NOT NULL               -- Enabled | Suspended (no row: never configured)
    );
    CREATE TABLE object_versions (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        bucket_id     INTEGER NOT NULL REFERENCES buckets(id) ON DELETE CASCADE,
        key           TEXT NOT NULL,
        version_id    TEXT NOT NULL,          -- '' = the null version
        delete_marker INTEGER NOT NULL DEFAULT 0,
        size          INTEGER NOT NULL DEFAULT 0,
        etag          TEXT NOT NULL DEFAULT '',
        sha256        TEXT NOT NULL DEFAULT '',
        content_type  TEXT NOT NULL DEFAULT '',
        headers       TEXT NOT NULL DEFAULT '{}',
        meta          TEXT NOT NULL DEFAULT '{}',
        checksums     TEXT NOT NULL DEFAULT '{}',
        checksum_type TEXT NOT NULL DEFAULT '',
        parts_count   INTEGER NOT NULL DEFAULT 0,
        redundancy    TEXT NOT NULL DEFAULT 'none',
        created       REAL NOT NULL,
        updated       REAL NOT NULL
    );
    CREATE UNIQUE INDEX object_versions_key ON object_versions(bucket_id, key, version_id);
    CREATE INDEX object_versions_order ON object_versions(bucket_id, key, id);
    CREATE TABLE version_blocks (
        version_row INTEGER NOT NULL REFERENCES object_versions(id) ON DELETE CASCADE,
        seq         INTEGER NOT NULL,
        blob_id     INTEGER NOT NULL REFERENCES blobs(id),
        size        INTEGER NOT NULL,
        PRIMARY KEY (version_row, seq)
    );
    """,
    # 2: the S3 extras (s3ext_schema.py) of noncurrent versions: tags and part records
    #    follow a version into history and back, in the same JSON as object_tags/object_parts
    """
    CREATE TABLE version_tags (
        version_row INTEGER PRIMARY KEY REFERENCES object_versions(id) ON DELETE CASCADE,
        tags        TEXT NOT NULL
    );
    CREATE TABLE version_parts (
        version_row INTEGER PRIMARY KEY REFERENCES object_versions(id) ON DELETE CASCADE,
        parts       TEXT NOT NULL
    );
    """,
]
