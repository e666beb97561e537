"""Tables of the identity model: accounts, users, managed policies, attachments, per-path rules;
and the access keys (the `credentials` table) tied to an account and, for users, a user."""

IDENTITY_MIGRATIONS: list[str] = [
    """
    CREATE TABLE accounts (
        id                  TEXT PRIMARY KEY,        -- 12 digits, as an AWS account id
        name                TEXT NOT NULL UNIQUE,
        canonical_id        TEXT NOT NULL UNIQUE,    -- 64 lower-case hex, as S3's canonical user id
        public_access_block TEXT NOT NULL DEFAULT '{}',  -- JSON of the four flags (account level)
        disabled            INTEGER NOT NULL DEFAULT 0,
        created             REAL NOT NULL
    );
    CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        account_id    TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name          TEXT NOT NULL,
        password_hash TEXT,                          -- scrypt$n$r$p$salt$hash, never returned
        disabled      INTEGER NOT NULL DEFAULT 0,
        created       REAL NOT NULL,
        UNIQUE (account_id, name)
    );
    CREATE TABLE policies (
        id         INTEGER PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name       TEXT NOT NULL,
        document   TEXT NOT NULL,                    -- JSON, validated by parse_policy before it lands
        created    REAL NOT NULL,
        updated    REAL NOT NULL,
        UNIQUE (account_id, name)
    );
    CREATE TABLE user_policies (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        policy  TEXT NOT NULL,                       -- a managed policy of the user's account, or a built-in
        PRIMARY KEY (user_id, policy)
    );
    CREATE TABLE user_inline_policies (
        user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name     TEXT NOT NULL,                      -- e.g. 'export' (generated) or 'cli' (create-user --policy)
        document TEXT NOT NULL,
        PRIMARY KEY (user_id, name)
    );
    CREATE TABLE user_rules (
        id      INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        bucket  TEXT NOT NULL,
        prefix  TEXT NOT NULL DEFAULT '',
        access  TEXT NOT NULL,                       -- read | write
        UNIQUE (user_id, bucket, prefix, access)
    );
    ALTER TABLE credentials ADD COLUMN account_id TEXT REFERENCES accounts(id) ON DELETE CASCADE;
    ALTER TABLE credentials ADD COLUMN user_id INTEGER REFERENCES users(id) ON DELETE CASCADE;
    ALTER TABLE credentials ADD COLUMN status TEXT NOT NULL DEFAULT 'Active';
    CREATE INDEX credentials_account ON credentials(account_id, user_id)
    """,
]
