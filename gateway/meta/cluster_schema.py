"""Schema of what several gateway instances share (component "cluster" in schema.COMPONENTS):
leases, generations, job cancel requests and rate-limit hits (cluster_store.py). Used console tokens are kept
in `console_spent` (sessions_schema.py)."""

from __future__ import annotations

CLUSTER_MIGRATIONS: list[str] = [
    """
    CREATE TABLE leases (
        name    TEXT PRIMARY KEY,           -- scheduler | gc | ...
        holder  TEXT NOT NULL,              -- the holding process (JobService.owner)
        expires REAL NOT NULL
    );
    CREATE TABLE generations (
        name  TEXT PRIMARY KEY,             -- identity: bumped by every change to keys, accounts, policies
        value INTEGER NOT NULL
    );
    ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0
    """,
    """
    CREATE TABLE rate_hits (
        id      INTEGER PRIMARY KEY,        -- the readers' cursor
        route   TEXT NOT NULL,              -- the limit's route class (gateway/http/ratelimit.py)
        client  TEXT NOT NULL,              -- the client's address
        at      REAL NOT NULL,              -- epoch seconds of the hit
        holder  TEXT NOT NULL               -- the process that counted it (JobService.owner)
    );
    CREATE INDEX rate_hits_at ON rate_hits(at)
    """,
]
