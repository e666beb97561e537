"""Schema of encryption at rest (component "sse" in schema.COMPONENTS; gateway/core/sse).

An encrypted object's record (which key sealed its data key, the sealed data key, an SSE-C
key's salted fingerprint: never a key in clear) hangs off its `objects` row and follows it
into history and back exactly as tags do (history._EXTRAS). Each encrypted blob's salt hangs
off the blob itself, so every row that shares the blob (clones, copies, parts that became
blocks, history) decrypts it the same way without copying anything.
"""

from __future__ import annotations

SSE_MIGRATIONS: list[str] = [
    # 1: bucket default encryption, object / version / upload records, blob salts
    """
    CREATE TABLE bucket_encryption (
        bucket_id INTEGER PRIMARY KEY REFERENCES buckets(id) ON DELETE CASCADE,
        config    TEXT NOT NULL              -- JSON {"algorithm": "AES256"|"aws:kms", "kmsKeyId": ..., ...}
    );
    CREATE TABLE object_encryption (
        object_id INTEGER PRIMARY KEY REFERENCES objects(id) ON DELETE CASCADE ON UPDATE CASCADE,
        record    TEXT NOT NULL              -- JSON of domain.models.Encryption
    );
    CREATE TABLE version_encryption (
        version_row INTEGER PRIMARY KEY REFERENCES object_versions(id) ON DELETE CASCADE,
        record      TEXT NOT NULL
    );
    CREATE TABLE upload_encryption (
        upload_id TEXT PRIMARY KEY REFERENCES uploads(id) ON DELETE CASCADE,
        record    TEXT NOT NULL
    );
    CREATE TABLE blob_salts (
        blob_id INTEGER PRIMARY KEY REFERENCES blobs(id) ON DELETE CASCADE,
        salt    BLOB NOT NULL               -- the blob's key is blob_key(object data key, salt)
    );
    """,
]
