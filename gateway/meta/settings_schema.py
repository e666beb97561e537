"""Schema of gateway-wide settings (component "settings" in schema.COMPONENTS): the values an
administrator changes at run time from the web console (seed 003's settings), shared by every
worker process and instance because they live in the metadata store, not in memory."""

from __future__ import annotations

SETTINGS_MIGRATIONS: list[str] = [
    """
    CREATE TABLE gateway_settings (
        name       TEXT PRIMARY KEY,         -- e.g. 'max-concurrent-transfers'
        value      TEXT NOT NULL,            -- JSON
        updated    REAL NOT NULL,
        updated_by TEXT NOT NULL DEFAULT ''  -- who changed it last (user or access key, never a secret)
    )
    """,
]
