"""Small writes take blob registrations made ahead in batches (core/blobs.py): what that must
never change. An acknowledged PUT survives kill -9; what a killed process had reserved is
collected by the next start; a running gateway's reservations survive any collector's grace;
a clean stop leaves none behind; an in-flight write on a reservation still loses to its own
collector when it outlives the grace (tests/test_admin_gc.py), and never to another process's."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from pathlib import Path

from conftest import boto_client, start_gateway, stop_gateway
from test_admin_gc import admin_gc

from gateway.core.blobs import RESERVE_BATCH
from gateway.core.objects import ObjectAttrs
from gateway.core.service import Core


def blob_states(data_dir: Path) -> dict[str, int]:
    db = sqlite3.connect(data_dir / "meta.sqlite3")
    try:
        return dict(db.execute("SELECT state, COUNT(*) FROM blobs GROUP BY state").fetchall())
    finally:
        db.close()


def blob_files(data_dir: Path) -> list[Path]:
    return [p for p in (data_dir / "blobs").rglob("*") if p.is_file()]


def body(i: int) -> bytes:
    return f"object {i} ".encode() * 400  # 4-5 KiB: a small write


def test_acknowledged_small_puts_survive_kill_9_and_the_dead_reservations_are_collected(tmp_path):
    gw = start_gateway(tmp_path)
    try:
        s3 = boto_client(gw)
        s3.create_bucket(Bucket="crash")
        for i in range(20):
            assert s3.put_object(Bucket="crash", Key=f"k{i}", Body=body(i))["ResponseMetadata"]["HTTPStatusCode"] == 200
        states = blob_states(gw.data_dir)
        assert states.get("live") == 20
        assert states.get("reserved", 0) > 0  # registrations made ahead, not one transaction per write
    finally:
        gw.process.kill()  # SIGKILL right after the last 200: no clean stop, reservations left behind
        gw.process.wait()
    gw = start_gateway(tmp_path)  # its collector's first pass runs at start: the dead owners' go at once
    try:
        s3 = boto_client(gw)
        for i in range(20):
            assert s3.get_object(Bucket="crash", Key=f"k{i}")["Body"].read() == body(i)
        deadline = time.monotonic() + 20
        while set(blob_states(gw.data_dir)) != {"live"} and time.monotonic() < deadline:  # mid-pass: reclaiming
            time.sleep(0.1)
        assert blob_states(gw.data_dir) == {"live": 20}
        assert len(blob_files(gw.data_dir)) == 20  # no file without its object
        assert "reclaimable: 0 items, 0 bytes" in admin_gc(gw.data_dir, "--grace", "0", "--dry-run")
    finally:
        stop_gateway(gw)


def test_a_running_gateways_reservations_survive_gc_without_grace_and_a_clean_stop_releases_them(tmp_path):
    gw = start_gateway(tmp_path)
    try:
        s3 = boto_client(gw)
        s3.create_bucket(Bucket="idle")
        for i in range(5):
            s3.put_object(Bucket="idle", Key=f"before{i}", Body=body(i))
        assert blob_states(gw.data_dir).get("reserved", 0) > 0
        # the gateway is idle: --grace 0 may take nothing it has reserved for its next writes
        assert "reclaimed: 0 items, 0 bytes" in admin_gc(gw.data_dir, "--grace", "0")
        for i in range(5):
            s3.put_object(Bucket="idle", Key=f"after{i}", Body=body(i))
        for name in [f"before{i}" for i in range(5)] + [f"after{i}" for i in range(5)]:
            assert s3.get_object(Bucket="idle", Key=name)["Body"].read() == body(int(name[-1]))
    finally:
        stop_gateway(gw)
    assert gw.process.returncode == 0
    assert blob_states(gw.data_dir) == {"live": 10}  # unused reservations forgotten at the stop


async def stream_of(data: bytes):
    yield data


async def test_a_dead_processs_reservations_go_at_once_a_live_ones_stay_whatever_the_grace(tmp_path):
    core = Core(tmp_path, root_access_key="AK", root_secret_key="SK", gc_interval=0)
    await core.start()
    other = os.open(tmp_path / "owners" / "other-live-process", os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(other, fcntl.LOCK_EX)  # another gateway process, alive
    try:
        space = core.spaces.default_id
        await core.store.blobs.reserve(space, ["blocks/aa/dead1", "blocks/aa/dead2"], "killed-process")
        await core.store.blobs.reserve(space, ["blocks/aa/live1"], "other-live-process")
        await core.spaces.backend(space).put("blocks/aa/dead1", stream_of(b"half-written"))
        assert (await core.blobs.reclaim(0, dry_run=True)).blobs == 2
        assert await core.blobs.collect(grace_seconds=0) == 2
        assert blob_states(tmp_path) == {"reserved": 1}  # the live process's: its next write may take it
        assert blob_files(tmp_path) == []
        # this process's own small write takes a reservation (made in the background) and commits
        await core.buckets.create("bkt", "AK")
        for i in range(3):
            await core.objects.put("bkt", f"k{i}", stream_of(body(i)), length=len(body(i)), attrs=ObjectAttrs())
        states = blob_states(tmp_path)
        assert states["live"] == 3 and states["reserved"] >= RESERVE_BATCH - 2
        assert await core.blobs.collect(grace_seconds=0) == 0
    finally:
        os.close(other)
        await core.stop()
    assert blob_states(tmp_path) == {"live": 3, "reserved": 1}  # ours released at the stop, not the other's
