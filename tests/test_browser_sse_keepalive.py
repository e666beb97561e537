"""The console's event streams stay alive while nothing happens: a transfer pending behind
another (max-concurrent-transfers 1) and the transfer it waits for, stuck reading from an OBS
space (tests/fake_obs.py holding its object reads), each get `: keep-alive` comment lines
instead of silence a proxy's read timeout would cut; once the space answers, both streams go
on to their final event. Also an upload's progress stream before the upload starts.
The keep-alive interval is shortened for the test (`JUNCTION_SSE_KEEPALIVE_SECONDS`)."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests
from browser_helpers import admin
from conftest import boto_client, start_gateway, stop_gateway
from fake_obs import start_fake_obs
from test_browser_transfers import finished, place, transfer

from gateway.client import NativeClient

KEEPALIVE = ": keep-alive"


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    gateway = start_gateway(tmp_path_factory.mktemp("sse"), env={"JUNCTION_SSE_KEEPALIVE_SECONDS": "0.3"})
    yield gateway
    stop_gateway(gateway)


def open_stream(session, gw, resource: str, kind: str) -> requests.Response:
    ticket = session.post(f"{gw.url}/api/auth/sse-ticket", json={"resource": resource, "resourceType": kind})
    assert ticket.status_code == 200, ticket.text
    stream = requests.get(gw.url + ticket.json()["sseUrl"], stream=True, timeout=120)
    assert stream.status_code == 200 and stream.headers["Content-Type"].startswith("text/event-stream")
    return stream


def until_keepalive(lines) -> list[dict]:
    """The data events read before the first keep-alive comment."""
    events = []
    for line in lines:
        if line == KEEPALIVE:
            return events
        if line.startswith("data: "):
            events.append(json.loads(line[6:]))
            assert events[-1]["type"] == "progress", events  # nothing may end while the space is held
    raise AssertionError(f"the stream ended without a keep-alive: {events}")


def eventually_pending(session, gw, job_id: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        listed = {t["id"]: t for t in session.get(f"{gw.url}/api/transfer").json()["transfers"]}
        if listed[job_id]["status"] == "pending":
            return
        time.sleep(0.1)
    raise AssertionError(f"transfer {job_id} never pending: {listed[job_id]}")


def until_final(lines) -> dict:
    for line in lines:
        if line.startswith("data: "):
            event = json.loads(line[6:])
            if event["type"] != "progress":
                return event
    raise AssertionError("the stream ended without a final event")


def test_pending_and_stalled_transfers_streams_get_keepalives(gw, tmp_path):
    root = admin(gw)
    native = NativeClient(gw.url, gw.access_key, gw.secret_key)
    s3 = boto_client(gw)
    obs = start_fake_obs(tmp_path)
    assert root.put(f"{gw.url}/api/settings/max-concurrent-transfers", json={"maxConcurrentTransfers": 1}).ok
    try:
        storage = {"type": "OBS", "region": "cn-north-4", "endpoint": obs.url, "bucket": obs.bucket, "pathStyle": True}
        credential = {"type": "OBS", "accessKeyId": obs.access_key, "secretAccessKey": obs.secret_key}
        space = native.create_user_space(f"obs-{uuid.uuid4().hex[:8]}", storage, credential)
        src, dst = f"sse-{uuid.uuid4().hex[:8]}", f"sse-{uuid.uuid4().hex[:8]}"
        s3.create_bucket(Bucket=src)
        s3.create_bucket(Bucket=dst)
        s3.put_object(Bucket=src, Key="f.txt", Body=b"into the space")
        seeded = transfer(root, gw, place("s3", src), place("local", space["userSpaceID"], "in/"))
        assert finished(root, gw, seeded.json()["jobId"])["status"] == "completed"
        obs.hold_reads = True  # the next transfer lists the space, then waits for its object
        stalled = transfer(root, gw, place("local", space["userSpaceID"], "in/"), place("s3", dst))
        assert stalled.status_code == 200, stalled.text
        pending = transfer(root, gw, place("s3", src), place("s3", dst, "copy/"))
        assert pending.status_code == 200, pending.text
        eventually_pending(root, gw, pending.json()["jobId"])  # behind the stalled one, in the order they came
        stalled_stream = open_stream(root, gw, stalled.json()["jobId"], "transfer")
        pending_stream = open_stream(root, gw, pending.json()["jobId"], "transfer")
        stalled_lines = stalled_stream.iter_lines(decode_unicode=True)
        pending_lines = pending_stream.iter_lines(decode_unicode=True)
        until_keepalive(stalled_lines)
        until_keepalive(pending_lines)
        until_keepalive(pending_lines)  # and again: one every interval while nothing changes
        obs.hold_reads = False
        assert until_final(stalled_lines)["job"]["status"] == "completed"
        final = until_final(pending_lines)
        assert final["type"] == "complete" and final["job"]["status"] == "completed", final
        stalled_stream.close()
        pending_stream.close()
        assert s3.get_object(Bucket=dst, Key="f.txt")["Body"].read() == b"into the space"
        assert s3.get_object(Bucket=dst, Key="copy/f.txt")["Body"].read() == b"into the space"
    finally:
        obs.hold_reads = False
        root.put(f"{gw.url}/api/settings/max-concurrent-transfers", json={"maxConcurrentTransfers": 2})
        obs.stop()


def test_an_upload_progress_stream_gets_keepalives_until_the_upload_comes(gw):
    root = admin(gw)
    s3 = boto_client(gw)
    bucket = f"sse-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    upload_id = uuid.uuid4().hex
    stream = open_stream(root, gw, upload_id, "upload")
    lines = stream.iter_lines(decode_unicode=True)
    assert next(line for line in lines if line) == KEEPALIVE  # nothing to say yet: not silence either
    uploaded = root.post(
        f"{gw.url}/api/objects/upload/{bucket}/dXAudHh0",
        params={"uploadId": upload_id},
        files={"file": ("up.txt", b"uploaded")},
    )
    assert uploaded.status_code == 200, uploaded.text
    final = until_final(lines)
    assert final["type"] == "complete" and final["upload"]["percent"] == 100
    stream.close()
