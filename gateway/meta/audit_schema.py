"""Schema of the audit log (component "audit" in schema.COMPONENTS): one row per mutating
request on any front end, kept for `audit_retention_days` (see gateway/core/audit.py)."""

from __future__ import annotations

AUDIT_MIGRATIONS: list[str] = [
    """
    CREATE TABLE audit_log (
        id          INTEGER PRIMARY KEY,       -- the page cursor: newest first
        time        REAL NOT NULL,             -- epoch seconds the request arrived
        front_end   TEXT NOT NULL,             -- s3 | native | console | browser
        account     TEXT NOT NULL DEFAULT '',  -- the caller's account id ('' anonymous / not signed)
        user_name   TEXT NOT NULL DEFAULT '',  -- the IAM user ('' an account root)
        access_key  TEXT NOT NULL DEFAULT '',  -- the key it signed with, or user:<name> for a console sign-in
        action      TEXT NOT NULL,             -- the AWS action(s) the Authorizer was asked, else METHOD route
        resource    TEXT NOT NULL DEFAULT '',  -- bucket or bucket/key, else the path
        method      TEXT NOT NULL,
        status      INTEGER NOT NULL,          -- the result: HTTP status (499: the client hung up)
        size        INTEGER NOT NULL DEFAULT 0, -- request body bytes
        address     TEXT NOT NULL DEFAULT '',
        request_id  TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX audit_log_time ON audit_log(time);
    CREATE INDEX audit_log_key ON audit_log(access_key, id)
    """,
]
