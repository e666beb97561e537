"""Schema of the native API's own state (component "native" in schema.COMPONENTS).

Only native multipart uploads need a table: the parts of a pending object, by index.
The parts' blobs are also the pending object's blocks (`object_blocks`), so every
core path that drops the object row (delete, overwrite, bucket delete) releases them
through the ordinary reference counts; this table only says which blob is which index.
No foreign key to `blobs`: the collector deletes blob rows without looking here.
"""

from __future__ import annotations

NATIVE_MIGRATIONS: list[str] = [
    # 1: parts of native multipart uploads
    """
    CREATE TABLE native_parts (
        object_id INTEGER NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
        idx       INTEGER NOT NULL,
        blob_id   INTEGER NOT NULL,
        size      INTEGER NOT NULL,
        md5       TEXT NOT NULL,
        updated   REAL NOT NULL,
        PRIMARY KEY (object_id, idx)
    );
    """,
]
