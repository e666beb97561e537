"""Schema of what several gateway instances share (component "cluster" in schema.COMPONENTS):
leases, generations, and job cancel requests (cluster_store.py). Used console tokens are kept
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
]
