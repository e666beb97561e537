"""Versioned schema migrations for the SQLite metadata store.

Each component (core, and each feature that adds tables) owns an ordered list of
migrations; entry i moves that component from version i to i+1, and the applied version
is kept per component, so features can grow their schema independently. Never edit a
released migration: append a new one.
"""

from __future__ import annotations

from .access_schema import ACCESS_MIGRATIONS  # bucket and object ACLs, policies, ownership
from .audit_schema import AUDIT_MIGRATIONS  # who changed what, on any front end
from .cluster_schema import CLUSTER_MIGRATIONS  # what several gateway instances share
from .console_schema import CONSOLE_MIGRATIONS
from .fileapi_schema import FILEAPI_MIGRATIONS  # which role may call which file-API endpoint (seed 004)
from .ftp_schema import FTP_MIGRATIONS  # FTP/SFTP logins linked to users, the servers' switch
from .identity_schema import IDENTITY_MIGRATIONS  # accounts, users, policies; keys gain owners
from .jobs_schema import JOBS_MIGRATIONS
from .lifecycle_schema import LIFECYCLE_MIGRATIONS  # bucket lifecycle rules, blobs transitions retired
from .lock_schema import LOCK_MIGRATIONS  # S3 Object Lock
from .native_schema import NATIVE_MIGRATIONS  # the native API's own tables
from .notify_schema import NOTIFY_MIGRATIONS  # bucket notifications, webhook targets, the event queue
from .placement_schema import PLACEMENT_MIGRATIONS  # bucket locations, storage class -> space
from .profiles_schema import PROFILES_MIGRATIONS  # users' full names and settings (seed 004)
from .s3ext_schema import S3EXT_MIGRATIONS  # S3 tags, part records, CORS
from .sessions_schema import SESSIONS_MIGRATIONS  # web console logouts and SSE tickets
from .settings_schema import SETTINGS_MIGRATIONS  # gateway-wide settings (seed 003)
from .sse_schema import SSE_MIGRATIONS  # encryption at rest
from .versioning_schema import VERSIONING_MIGRATIONS

CORE: list[str] = [
    # 1: the foundation model
    """
    CREATE TABLE credentials (
        access_key  TEXT PRIMARY KEY,
        secret_key  TEXT NOT NULL,
        kind        TEXT NOT NULL,            -- root | admin | export
        bucket_id   INTEGER,                  -- exports are scoped to one bucket
        description TEXT NOT NULL DEFAULT '',
        iprange     TEXT NOT NULL DEFAULT '',
        apionly     INTEGER NOT NULL DEFAULT 0,
        readonly    INTEGER NOT NULL DEFAULT 0,
        appendonly  INTEGER NOT NULL DEFAULT 0,
        created     REAL NOT NULL
    );
    CREATE TABLE spaces (
        id             INTEGER PRIMARY KEY,
        name           TEXT NOT NULL UNIQUE,
        storage        TEXT NOT NULL,         -- JSON: type, region, endpoint, bucket, ...
        credential     TEXT NOT NULL,         -- JSON (encrypted at rest once keys are configured)
        shard_max_size INTEGER,
        features       TEXT NOT NULL DEFAULT '[]',
        working_dir    TEXT NOT NULL DEFAULT '',
        revision       INTEGER NOT NULL DEFAULT 1,
        created        REAL NOT NULL
    );
    CREATE TABLE buckets (
        id      INTEGER PRIMARY KEY,
        name    TEXT NOT NULL UNIQUE,
        owner   TEXT NOT NULL,
        created REAL NOT NULL
    );
    CREATE TABLE packages (
        id        INTEGER PRIMARY KEY,
        bucket_id INTEGER NOT NULL REFERENCES buckets(id) ON DELETE CASCADE,
        name      TEXT NOT NULL,
        created   REAL NOT NULL,
        UNIQUE (bucket_id, name)
    );
    CREATE TABLE blobs (
        id       INTEGER PRIMARY KEY,
        space_id INTEGER NOT NULL,
        key      TEXT NOT NULL,
        size     INTEGER NOT NULL DEFAULT 0,
        refcount INTEGER NOT NULL DEFAULT 0,
        state    TEXT NOT NULL,               -- pending | live | dead
        created  REAL NOT NULL
    );
    CREATE INDEX blobs_state ON blobs(state, created);
    CREATE TABLE objects (
        id            INTEGER PRIMARY KEY,
        bucket_id     INTEGER NOT NULL REFERENCES buckets(id) ON DELETE CASCADE,
        package_id    INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
        path          TEXT NOT NULL,
        key           TEXT NOT NULL,          -- the S3 key, denormalised for ordered listing
        size          INTEGER NOT NULL,
        etag          TEXT NOT NULL,
        sha256        TEXT NOT NULL,
        content_type  TEXT NOT NULL,
        headers       TEXT NOT NULL DEFAULT '{}',
        meta          TEXT NOT NULL DEFAULT '{}',
        checksums     TEXT NOT NULL DEFAULT '{}',
        checksum_type TEXT NOT NULL DEFAULT '',
        parts_count   INTEGER NOT NULL DEFAULT 0,
        redundancy    TEXT NOT NULL DEFAULT 'none',
        created       REAL NOT NULL,
        updated       REAL NOT NULL,
        UNIQUE (package_id, path)
    );
    CREATE UNIQUE INDEX objects_bucket_key ON objects(bucket_id, key);
    CREATE TABLE object_blocks (
        object_id INTEGER NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
        seq       INTEGER NOT NULL,
        blob_id   INTEGER NOT NULL REFERENCES blobs(id),
        size      INTEGER NOT NULL,
        PRIMARY KEY (object_id, seq)
    );
    CREATE TABLE uploads (
        id                 TEXT PRIMARY KEY,
        bucket_id          INTEGER NOT NULL REFERENCES buckets(id) ON DELETE CASCADE,
        key                TEXT NOT NULL,
        content_type       TEXT NOT NULL,
        headers            TEXT NOT NULL DEFAULT '{}',
        meta               TEXT NOT NULL DEFAULT '{}',
        checksum_algorithm TEXT NOT NULL DEFAULT '',
        checksum_type      TEXT NOT NULL DEFAULT '',
        owner              TEXT NOT NULL,
        created            REAL NOT NULL
    );
    CREATE INDEX uploads_bucket_key ON uploads(bucket_id, key, created);
    CREATE TABLE parts (
        upload_id TEXT NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
        number    INTEGER NOT NULL,
        blob_id   INTEGER NOT NULL REFERENCES blobs(id),
        size      INTEGER NOT NULL,
        etag      TEXT NOT NULL,
        checksums TEXT NOT NULL DEFAULT '{}',
        updated   REAL NOT NULL,
        PRIMARY KEY (upload_id, number)
    );
    """,
    # 2: the process writing a pending blob (gateway/core/liveness.py), so the blobs of a
    # process that died are collected at once instead of after the grace period
    """
    ALTER TABLE blobs ADD COLUMN owner TEXT NOT NULL DEFAULT ''
    """,
]


COMPONENTS: dict[str, list[str]] = {
    "core": CORE,
    "native": NATIVE_MIGRATIONS,
    "console": CONSOLE_MIGRATIONS,
    "versioning": VERSIONING_MIGRATIONS,
    "s3ext": S3EXT_MIGRATIONS,
    "access": ACCESS_MIGRATIONS,  # after versioning: version_acl hangs off object_versions
    "objectlock": LOCK_MIGRATIONS,  # after versioning: version_lock hangs off object_versions
    "jobs": JOBS_MIGRATIONS,
    "identity": IDENTITY_MIGRATIONS,
    "placement": PLACEMENT_MIGRATIONS,
    "sse": SSE_MIGRATIONS,
    "lifecycle": LIFECYCLE_MIGRATIONS,
    "sessions": SESSIONS_MIGRATIONS,
    "audit": AUDIT_MIGRATIONS,
    "profiles": PROFILES_MIGRATIONS,  # after identity: user_profiles hangs off users
    "cluster": CLUSTER_MIGRATIONS,  # after jobs: jobs gain cancel_requested
    "settings": SETTINGS_MIGRATIONS,
    "notify": NOTIFY_MIGRATIONS,
    "fileapi": FILEAPI_MIGRATIONS,
    "ftp": FTP_MIGRATIONS,  # after identity: ftp_users hangs off users
}
