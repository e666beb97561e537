"""Schema of web console sessions (component "sessions" in schema.COMPONENTS).

`console_spent` holds ids that may not be used again until they expire: the token id of a
session that logged out, and the nonce of an SSE ticket once redeemed. Kept in the database,
not in memory, so a logout or a spent ticket holds in every worker process.
"""

from __future__ import annotations

SESSIONS_MIGRATIONS: list[str] = [
    """
    CREATE TABLE console_spent (
        id      TEXT PRIMARY KEY,    -- 'token:<jti>' or 'ticket:<nonce>'
        expires REAL NOT NULL        -- after this the id is refused anyway (its token or ticket expired)
    );
    CREATE INDEX console_spent_expires ON console_spent(expires)
    """,
]
