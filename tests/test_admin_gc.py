"""`junction admin gc` reclaims what crashed writes left, the console shows how much there is,
and a collection racing a write in flight never deletes bytes an object ends up pointing at."""

from __future__ import annotations

import fcntl
import http.client
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from conftest import ROOT, boto_client, start_gateway, stop_gateway
from test_console_api import call

from backends.local import TMP_SUFFIX
from gateway.core.objects import ObjectAttrs
from gateway.core.service import Core
from gateway.domain.errors import JunctionError


def admin_gc(data_dir: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "admin", "--data-dir", str(data_dir), "gc", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def plant_crash_leftovers(data_dir: Path) -> int:
    """What `kill -9` mid-upload leaves: a pending blob with its file, and a half-written
    temporary file; and what a power loss may leave: a blob file whose row was never synced.
    Returns the bytes planted."""
    blobs = data_dir / "blobs"
    orphan = blobs / "blocks/ee/ff/crashed-upload"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"o" * 5000)
    temporary = blobs / f"blocks/ee/ff/.half.123{TMP_SUFFIX}"
    temporary.write_bytes(b"t" * 700)
    stray = blobs / "blocks/ee/ff/registration-lost-to-power-failure"
    stray.write_bytes(b"s" * 300)
    conn = sqlite3.connect(data_dir / "meta.sqlite3")
    with conn:
        (space_id,) = conn.execute("SELECT id FROM spaces WHERE name = 'default'").fetchone()
        conn.execute(
            "INSERT INTO blobs (space_id, key, state, created) VALUES (?, ?, 'pending', ?)",
            (space_id, "blocks/ee/ff/crashed-upload", time.time() - 60),
        )
    conn.close()
    old = time.time() - 60
    os.utime(temporary, (old, old))
    os.utime(stray, (old, old))
    return 6000


def blob_bytes(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in (data_dir / "blobs").rglob("*") if p.is_file())


def test_admin_gc_reclaims_crash_leftovers_and_keeps_objects(tmp_path):
    gw = start_gateway(tmp_path)
    s3 = boto_client(gw)
    s3.create_bucket(Bucket="gc-test")
    s3.put_object(Bucket="gc-test", Key="kept", Body=b"k" * 1234)
    stop_gateway(gw)
    planted = plant_crash_leftovers(gw.data_dir)
    before = blob_bytes(gw.data_dir)

    assert "reclaimable: 0 items, 0 bytes" in admin_gc(gw.data_dir, "--dry-run")  # default grace: 24 h
    dry = admin_gc(gw.data_dir, "--grace", "30", "--dry-run")
    assert f"reclaimable: 3 items, {planted} bytes" in dry
    assert blob_bytes(gw.data_dir) == before  # a dry run deletes nothing
    done = admin_gc(gw.data_dir, "--grace", "30")
    assert f"reclaimed: 3 items, {planted} bytes" in done
    assert "1 blobs, 5000 bytes; 1 temporary files, 700 bytes; 1 stray files, 300 bytes" in done
    assert blob_bytes(gw.data_dir) == before - planted == 1234
    assert "reclaimed: 0 items, 0 bytes" in admin_gc(gw.data_dir, "--grace", "0")

    gw = start_gateway(tmp_path)
    try:
        assert boto_client(gw).get_object(Bucket="gc-test", Key="kept")["Body"].read() == b"k" * 1234
    finally:
        stop_gateway(gw)


def test_admin_gc_refuses_a_missing_data_dir(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "admin", "--data-dir", str(tmp_path / "nothing"), "gc"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and "no gateway data" in done.stderr
    assert not (tmp_path / "nothing").exists()


def test_console_shows_what_is_reclaimable(tmp_path):
    gw = start_gateway(tmp_path, env={"JUNCTION_ORPHAN_GRACE": "30"})
    stop_gateway(gw)
    planted = plant_crash_leftovers(gw.data_dir)
    gw = start_gateway(tmp_path, env={"JUNCTION_ORPHAN_GRACE": "30", "JUNCTION_GC_INTERVAL": "0"})
    try:
        answer = call(gw, "GET", "/storage")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["graceSeconds"] == 30
        assert body["reclaimable"]["count"] == 2 and body["reclaimable"]["bytes"] == planted - 300  # no stray walk
        assert body["withoutGrace"]["bytes"] >= planted - 300
        s3 = boto_client(gw)
        s3.create_bucket(Bucket="exported")
        volume = next(v for v in call(gw, "GET", "/volumes").json() if v["name"] == "exported")
        export = call(gw, "POST", f"/volumes/{volume['id']}/exports", {"desc": "x"}).json()
        refused = call(gw, "GET", "/storage", key=export["access_key"], secret=export["secret_key"])
        assert refused.status_code == 403
    finally:
        stop_gateway(gw)


async def test_collection_racing_a_write_fails_the_write_not_the_data(tmp_path):
    """A write that outlives the grace (here: 0) loses its pending blob to the collector: it must
    fail cleanly instead of committing an object whose bytes were deleted."""
    core = Core(tmp_path, root_access_key="AK", root_secret_key="SK", gc_interval=0)
    await core.start()
    try:
        await core.buckets.create("bkt", "AK")

        async def slow_body():
            yield b"first half "
            reclaimed = await core.blobs.reclaim(0)
            assert reclaimed.blobs == 1  # the in-flight write's pending blob
            yield b"second half"

        with pytest.raises(JunctionError) as err:
            await core.objects.put("bkt", "raced", slow_body(), length=22, attrs=ObjectAttrs())
        assert err.value.code == "InternalError"
        with pytest.raises(JunctionError):
            await core.objects.head("bkt", "raced")
        await core.blobs.reclaim(0)
        assert [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == []
    finally:
        await core.stop()


async def test_pending_blobs_of_a_dead_process_are_collected_at_once(tmp_path):
    """Liveness, not age, tells an orphan from a write in flight when the writer is known."""
    core = Core(tmp_path, root_access_key="AK", root_secret_key="SK", gc_interval=0)
    await core.start()
    held = os.open(tmp_path / "owners" / "other-live-process", os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(held, fcntl.LOCK_EX)  # another gateway process, alive
    try:
        space = core.spaces.default_id
        backend = core.spaces.backend(space)
        for key, owner in [("blocks/a/a/dead", "killed-process"), ("blocks/a/a/mine", core.jobs.owner)]:
            await core.store.blobs.new(space, key, owner)
            await backend.put(key, stream_of(b"x" * 100))
        await core.store.blobs.new(space, "blocks/a/a/other", "other-live-process")
        await backend.put("blocks/a/a/other", stream_of(b"y" * 100))
        assert (await core.blobs.reclaim(3600, dry_run=True)).blobs == 1
        assert await core.blobs.collect(grace_seconds=3600) == 1
        remaining = sorted(p.name for p in (tmp_path / "blobs").rglob("*") if p.is_file())
        assert remaining == ["mine", "other"]  # in flight here, and in a live process
    finally:
        os.close(held)
        await core.stop()


async def stream_of(data: bytes):
    yield data


def test_a_killed_gateways_half_written_upload_is_collected_by_the_next_one(tmp_path):
    gw = start_gateway(tmp_path)
    s3 = boto_client(gw)
    s3.create_bucket(Bucket="killed")
    request = AWSRequest("PUT", f"{gw.url}/killed/big", headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    SigV4Auth(Credentials(gw.access_key, gw.secret_key), "s3", "us-east-1").add_auth(request)
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
    conn.putrequest("PUT", "/killed/big", skip_accept_encoding=True)
    for name, value in request.headers.items():
        conn.putheader(name, value)
    conn.putheader("Content-Length", str(8 * 1024 * 1024))
    conn.endheaders()
    conn.send(b"z" * (3 * 1024 * 1024))  # past the first write buffer: a temporary file exists

    def pending() -> int:
        db = sqlite3.connect(gw.data_dir / "meta.sqlite3")
        try:
            return db.execute("SELECT COUNT(*) FROM blobs WHERE state = 'pending'").fetchone()[0]
        finally:
            db.close()

    deadline = time.monotonic() + 20
    while (pending() == 0 or blob_bytes(gw.data_dir) == 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pending() == 1 and blob_bytes(gw.data_dir) > 0  # registered, and a temporary file written
    gw.process.kill()  # SIGKILL mid-upload
    gw.process.wait()
    conn.close()
    gw = start_gateway(tmp_path)  # its collector's first pass runs at start
    try:
        deadline = time.monotonic() + 20
        while pending() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pending() == 0  # the dead process's blob went at once, not after the 24 h grace
        assert blob_bytes(gw.data_dir) == 0  # and with it the temporary file of its partial write
        with pytest.raises(ClientError):
            boto_client(gw).head_object(Bucket="killed", Key="big")
        assert "reclaimable: 0 items, 0 bytes" in admin_gc(gw.data_dir, "--grace", "0", "--dry-run")
    finally:
        stop_gateway(gw)
