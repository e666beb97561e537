"""Schema of bucket notifications (component "notify" in schema.COMPONENTS).

`bucket_notification` holds each bucket's configuration (JSON of
`gateway.domain.notifications.NotificationConfig`); `notify_targets` the webhook endpoints an
administrator registered (a configuration names them by ARN); `notify_queue` the events waiting
for delivery: a row is deleted once its webhook answered 2xx, postponed with a growing delay
after each failure, and marked `failed` after the last attempt (kept for the operator to see, a
bounded number per webhook for a bounded time: on a failed row `next_attempt` is when it failed).
"""

from __future__ import annotations

NOTIFY_MIGRATIONS: list[str] = [
    """
    CREATE TABLE bucket_notification (
        bucket_id INTEGER PRIMARY KEY REFERENCES buckets(id) ON DELETE CASCADE,
        config    TEXT NOT NULL,              -- JSON: the Topic/Queue/CloudFunction configurations
        updated   REAL NOT NULL
    );
    CREATE TABLE notify_targets (
        id      TEXT PRIMARY KEY,             -- named in ARNs: arn:junction:sqs::<id>:webhook
        url     TEXT NOT NULL,
        created REAL NOT NULL
    );
    CREATE TABLE notify_queue (
        id           INTEGER PRIMARY KEY,
        target_id    TEXT NOT NULL,
        body         TEXT NOT NULL,           -- the event JSON, as POSTed
        state        TEXT NOT NULL,           -- queued | failed
        attempts     INTEGER NOT NULL DEFAULT 0,
        next_attempt REAL NOT NULL,
        last_error   TEXT NOT NULL DEFAULT '',
        created      REAL NOT NULL
    );
    CREATE INDEX notify_queue_due ON notify_queue(state, next_attempt)
    """,
    # a webhook's queued and failed events, counted and trimmed per webhook
    """
    CREATE INDEX notify_queue_target ON notify_queue(target_id, state, next_attempt)
    """,
]
