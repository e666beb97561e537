"""Schema of user profiles (component "profiles" in schema.COMPONENTS): what seed 004's user
records carry besides an identity (a full name, free-form settings); rights stay in policies."""

from __future__ import annotations

PROFILES_MIGRATIONS: list[str] = [
    """
    CREATE TABLE user_profiles (
        user_id   INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        full_name TEXT NOT NULL DEFAULT '',
        settings  TEXT NOT NULL DEFAULT ''
    )
    """,
]
