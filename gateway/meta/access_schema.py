"""Schema of the access data (component "access" in schema.COMPONENTS): who owns and may use
buckets and objects beyond the bucket's owner account (`buckets.owner`).

Per bucket: its ACL, policy, object ownership setting and public access block, one row
(absent: the defaults of `gateway.core.access_data`). Per object: its owner and ACL, absent
when the object belongs to the bucket owner with a private ACL (the common case costs no
row). Object ACLs follow a version into history and back exactly as tags do
(history._EXTRAS); a multipart upload keeps the ACL it was created with until it completes.
"""

from __future__ import annotations

ACCESS_MIGRATIONS: list[str] = [
    """
    CREATE TABLE bucket_access (
        bucket_id           INTEGER PRIMARY KEY REFERENCES buckets(id) ON DELETE CASCADE,
        grants              TEXT,              -- JSON [[grantee, permission], ...] (NULL: owner FULL_CONTROL)
        policy              TEXT,              -- the bucket policy document as the client sent it
        ownership           TEXT,              -- BucketOwnerEnforced | BucketOwnerPreferred | ObjectWriter (NULL: none)
        public_access_block TEXT               -- JSON of the four flags (NULL: none configured)
    );
    CREATE TABLE object_acl (
        object_id INTEGER PRIMARY KEY REFERENCES objects(id) ON DELETE CASCADE ON UPDATE CASCADE,
        acl       TEXT NOT NULL                -- JSON {"owner": canonical id, "grants": [[grantee, permission], ...]}
    );
    CREATE TABLE version_acl (
        version_row INTEGER PRIMARY KEY REFERENCES object_versions(id) ON DELETE CASCADE,
        acl         TEXT NOT NULL
    );
    CREATE TABLE upload_acl (
        upload_id TEXT PRIMARY KEY REFERENCES uploads(id) ON DELETE CASCADE,
        acl       TEXT NOT NULL
    );
    """,
]
