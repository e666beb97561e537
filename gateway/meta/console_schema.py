"""Tables of the console API: export ids (exports are credentials) and path quotas."""

CONSOLE_MIGRATIONS: list[str] = [
    """
    CREATE TABLE exports (
        id         INTEGER PRIMARY KEY,
        access_key TEXT NOT NULL UNIQUE REFERENCES credentials(access_key) ON DELETE CASCADE,
        bucket_id  INTEGER NOT NULL REFERENCES buckets(id) ON DELETE CASCADE,
        created    REAL NOT NULL
    );
    CREATE TABLE quotas (
        id        INTEGER PRIMARY KEY,
        bucket_id INTEGER NOT NULL REFERENCES buckets(id) ON DELETE CASCADE,
        path      TEXT NOT NULL,              -- as the console shows it: /package/sub/dir
        prefix    TEXT NOT NULL,              -- the S3 key prefix it covers: package/sub/dir/
        size      INTEGER,                    -- bytes, NULL = unlimited
        inodes    INTEGER,                    -- objects, NULL = unlimited
        created   REAL NOT NULL,
        UNIQUE (bucket_id, path)
    );
    """,
    # 2: signatures of state-changing tokens already used, shared by every worker process
    #    (a replay must be refused whichever worker it reaches); rows expire with the token
    """
    CREATE TABLE console_used_tokens (
        signature TEXT PRIMARY KEY,
        expires   REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX console_used_tokens_expiry ON console_used_tokens(expires);
    """,
]
