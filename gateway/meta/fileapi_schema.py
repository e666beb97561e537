"""Schema of the file-server API (component "fileapi" in schema.COMPONENTS): which role may
call which file-API endpoint (seed 004's roles.json, as rows). Its settings are the gateway's
(settings_schema.py)."""

from __future__ import annotations

FILEAPI_MIGRATIONS: list[str] = [
    """
    CREATE TABLE endpoint_roles (
        endpoint TEXT NOT NULL,
        role     TEXT NOT NULL,
        allowed  INTEGER NOT NULL,
        PRIMARY KEY (endpoint, role)
    )
    """,
]
