"""Schema of FTP/SFTP logins (component "ftp" in schema.COMPONENTS): each login is linked to an
identity-engine user (its rights); the login adds its own password, home and read/write switch."""

from __future__ import annotations

FTP_MIGRATIONS: list[str] = [
    """
    CREATE TABLE ftp_users (
        name          TEXT PRIMARY KEY,
        user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        password_hash TEXT NOT NULL,
        home          TEXT NOT NULL DEFAULT '',
        permissions   TEXT NOT NULL DEFAULT 'read',
        public_keys   TEXT NOT NULL DEFAULT '',
        owns_user     INTEGER NOT NULL DEFAULT 0,
        created       REAL NOT NULL
    )
    """,
    """
    CREATE TABLE ftp_switch (
        name    TEXT PRIMARY KEY,
        enabled INTEGER NOT NULL
    )
    """,
]
