"""Schema of the file-server API (component "fileapi" in schema.COMPONENTS): which role may
call which file-API endpoint (seed 004's roles.json, as rows), and the gateway's settings that
the file API's /api/get_settings and /api/update_settings show and change."""

from __future__ import annotations

FILEAPI_MIGRATIONS: list[str] = [
    """
    CREATE TABLE endpoint_roles (
        endpoint TEXT NOT NULL,
        role     TEXT NOT NULL,
        allowed  INTEGER NOT NULL,
        PRIMARY KEY (endpoint, role)
    );
    CREATE TABLE gateway_settings (
        name    TEXT PRIMARY KEY,
        value   TEXT NOT NULL,
        updated REAL NOT NULL
    )
    """,
]
