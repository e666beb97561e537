"""Tables of long-running work: jobs (progress records) and space sync tasks."""

JOBS_MIGRATIONS: list[str] = [
    """
    CREATE TABLE jobs (
        id        INTEGER PRIMARY KEY,
        kind      TEXT NOT NULL,                -- createPackage | downloadPackage | sync
        state     TEXT NOT NULL,                -- running | succeeded | failed | canceled
        params    TEXT NOT NULL DEFAULT '{}',
        progress  TEXT NOT NULL DEFAULT '{}',
        result    TEXT NOT NULL DEFAULT 'null',
        error     TEXT NOT NULL DEFAULT '',
        owner     TEXT NOT NULL,                -- the gateway process running it
        created   REAL NOT NULL,
        updated   REAL NOT NULL,                -- heartbeat while running
        finished  REAL
    );
    CREATE INDEX jobs_state ON jobs(state, updated);
    CREATE TABLE sync_tasks (
        id          INTEGER PRIMARY KEY,
        spec        TEXT NOT NULL,              -- the createTask body, normalised
        state       TEXT NOT NULL,              -- active | done | canceled
        next_run    REAL,                       -- NULL: never again
        running_job INTEGER,                    -- the job of the run under way
        runs        INTEGER NOT NULL DEFAULT 0,
        last_job    INTEGER,
        created     REAL NOT NULL
    );
    """,
    # 2: user-space usage (shardStore.maxSize) sums live blob sizes per space
    "CREATE INDEX blobs_space ON blobs(space_id, state)",
]
