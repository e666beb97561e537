"""Bucket notifications to a webhook that keeps failing: bounded retries, then the event is
given up and kept as `failed` (a bounded number of them, for a bounded time), and a bounded
queue per webhook, so a dead webhook cannot grow the metadata store without limit.

Each test runs its own gateway with the limits it needs (environment variables) and a real
webhook receiver on 127.0.0.1 answering errors or not listening at all; every wait polls with
a generous timeout and nothing asserts how fast anything happens."""

from __future__ import annotations

import time
from typing import Any

import pytest
from browser_helpers import admin
from conftest import boto_client, meta_url, start_gateway, stop_gateway
from notify_helpers import PATIENCE, Receiver, queue_config

ARN = "arn:junction:sqs::hook:webhook"
ALL = ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]


def hook_state(gw) -> dict[str, Any]:
    """The console's view of webhook `hook`: its queued and failed counts, its last error."""
    listing = admin(gw).get(f"{gw.url}/api/webhooks")
    assert listing.status_code == 200, listing.text
    (hook,) = [w for w in listing.json()["webhooks"] if w["id"] == "hook"]
    return hook


def eventually(check, what: str, timeout: float = PATIENCE):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def settled(gw, queued: int, failed: int):
    def check() -> dict[str, Any] | None:
        state = hook_state(gw)
        return state if (state["queued"], state["failed"]) == (queued, failed) else None

    return check


def setup(gw, receiver: Receiver, bucket: str = "limits"):
    assert admin(gw).put(f"{gw.url}/api/webhooks/hook", json={"url": receiver.url}).status_code == 200
    s3 = boto_client(gw)
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [queue_config(ARN, ALL)]}
    )
    return s3


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.close()


ENGINES = pytest.mark.parametrize("engine", ["sqlite", "postgres"])


@ENGINES
def test_a_failing_event_is_retried_a_bounded_number_of_times_then_kept_as_failed(tmp_path, receiver, engine):
    env = {
        "JUNCTION_NOTIFY_RETRY_SECONDS": "0.1",
        "JUNCTION_NOTIFY_MAX_ATTEMPTS": "3",
        "JUNCTION_NOTIFY_FAILED_KEEP": "2",
    }
    gw = start_gateway(tmp_path, env=env, meta=meta_url(engine))
    try:
        s3 = setup(gw, receiver)
        receiver.status = 503
        s3.put_object(Bucket="limits", Key="first", Body=b"x")
        state = eventually(settled(gw, 0, 1), "the event given up")
        assert receiver.attempts == 3  # three attempts, then no more
        assert state["lastError"] == "HTTP 503"
        # more failures: only the newest two failed events are kept
        for key in ("second", "third", "fourth"):
            s3.put_object(Bucket="limits", Key=key, Body=b"x")
        eventually(lambda: receiver.attempts >= 12, "every event's three attempts")
        eventually(settled(gw, 0, 2), "two failed events kept")
        # a webhook that answers again gets the new events; the failed ones are not resent
        receiver.status = 200
        s3.put_object(Bucket="limits", Key="fifth", Body=b"x")
        (record,) = receiver.wait_records("limits", 1)
        assert record["s3"]["object"]["key"] == "fifth"
        assert hook_state(gw)["failed"] == 2
    finally:
        stop_gateway(gw)


@ENGINES
def test_the_queue_of_a_dead_webhook_is_bounded(tmp_path, engine):
    receiver = Receiver()  # never listening: every delivery is refused
    env = {
        "JUNCTION_NOTIFY_RETRY_SECONDS": "3600",  # the first failure parks the webhook's queue
        "JUNCTION_NOTIFY_QUEUE_LIMIT": "5",
        "JUNCTION_NOTIFY_FAILED_KEEP": "3",
    }
    gw = start_gateway(tmp_path, env=env, meta=meta_url(engine))
    try:
        s3 = setup(gw, receiver)
        for i in range(12):
            s3.put_object(Bucket="limits", Key=f"k{i:02d}", Body=b"x")  # each answered at once
        state = eventually(settled(gw, 5, 3), "five queued, the overflow kept as three failed")
        assert "queue" in state["lastError"] and "full" in state["lastError"]
    finally:
        stop_gateway(gw)
        receiver.close()


@ENGINES
def test_events_older_than_the_retry_window_expire_and_failed_events_are_pruned(tmp_path, engine):
    receiver = Receiver()  # never listening
    env = {
        "JUNCTION_NOTIFY_RETRY_SECONDS": "0.1",
        "JUNCTION_NOTIFY_MAX_ATTEMPTS": "100000",
        "JUNCTION_NOTIFY_MAX_AGE_SECONDS": "1",
    }
    meta = meta_url(engine)
    gw = start_gateway(tmp_path, env=env, meta=meta)
    try:
        s3 = setup(gw, receiver)
        for i in range(4):
            s3.put_object(Bucket="limits", Key=f"k{i}", Body=b"x")
        # queued behind a dead head, each expires after its window, not after 100000 attempts
        state = eventually(settled(gw, 0, 4), "every event expired")
        assert "expired" in state["lastError"]
    finally:
        stop_gateway(gw)
    # the same namespace with a short keep time: the failed events are pruned
    env["JUNCTION_NOTIFY_FAILED_KEEP_SECONDS"] = "1"
    again = start_gateway(tmp_path / "again", env=env, data_dir=gw.data_dir, meta=meta)
    try:
        eventually(settled(again, 0, 0), "the failed events pruned")
        assert hook_state(again)["lastError"] == ""
    finally:
        stop_gateway(again)
        receiver.close()
