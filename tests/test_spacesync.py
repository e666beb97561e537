"""/v1/spaceSyncer/*: sync tasks between user spaces (Local, S3 on moto), their runs as jobs,
Diff/Full modes, filters, cancel, a restart in the middle of a run and a backend that dies."""

from __future__ import annotations

import hashlib
import os
import signal
import time
import uuid
from pathlib import Path

import pytest
from backend_fixtures import start_moto
from conftest import start_gateway, stop_gateway
from native_helpers import expect_error
from space_helpers import client, gw, moto, root_of, tree, write_tree  # noqa: F401  (fixtures)
from space_helpers import local_space as new_local_space

from gateway.client import NativeClient


def local_space(client: NativeClient, data_dir: Path) -> tuple[int, Path]:
    space = new_local_space(client, data_dir)
    return space["userSpaceID"], root_of(space)


def s3_space(client: NativeClient, moto, **tuning) -> tuple[int, str]:
    bucket = moto.new_bucket()
    storage = {"type": "S3", "endpoint": moto.url, "region": "us-east-1", "bucket": bucket, "pathStyle": True, **tuning}
    credential = {"type": "S3", "accessKeyId": moto.access_key, "secretAccessKey": moto.secret_key}
    space = client.create_user_space(f"s3-{uuid.uuid4().hex[:8]}", storage, credential)
    return space["userSpaceID"], bucket


def task_spec(src: int, src_path: str, dests: list[tuple[int, str]], *, trigger=None, mode=None, filters=None):
    return {
        "trigger": trigger or {"type": "Once"},
        "mode": mode or {"type": "Diff", "includeSize": True, "includeModTime": False},
        "filters": filters or [],
        "options": {"noEmptyDirectories": False},
        "srcUserSpaceID": src,
        "srcPath": src_path,
        "destUserSpaceIDs": [d for d, _ in dests],
        "destPathes": [p for _, p in dests],
    }


def wait_for(client: NativeClient, task_id: int, done, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = client.get_sync_task(task_id)
        if done(task):
            return task
        time.sleep(0.1)
    raise AssertionError(f"task {task_id} did not get there: {task}")


def test_once_task_copies_a_tree_to_two_destinations(client, gw):
    src, src_root = local_space(client, gw.data_dir)
    dst1, dst1_root = local_space(client, gw.data_dir)
    dst2, dst2_root = local_space(client, gw.data_dir)
    files = {f"in/{i}/f{i}.bin": os.urandom(1000 + i) for i in range(10)} | {"in/ünï code.txt": b"u"}
    write_tree(src_root, files | {"elsewhere.txt": b"not synced"})
    spec = task_spec(src, "in", [(dst1, "copy/a"), (dst2, "")])
    task = client.create_sync_task(spec)
    assert task["trigger"] == {"type": "Once"} and task["srcPath"] == "in" and task["destPathes"] == ["copy/a", ""]
    task = wait_for(client, task["taskID"], lambda t: t["state"] == "done")
    run = task["lastRun"]
    assert run["state"] == "succeeded", run
    assert run["result"]["scanned"] == 11 and run["result"]["copied"] == 22 and run["result"]["failed"] == 0
    expected = {k[len("in/") :]: v for k, v in files.items()}
    assert tree(dst1_root / "copy/a") == expected
    assert tree(dst2_root) == expected


def test_interval_task_diff_mode_copies_only_changes_then_cancel(client, gw):
    src, src_root = local_space(client, gw.data_dir)
    dst, dst_root = local_space(client, gw.data_dir)
    write_tree(src_root, {"a.txt": b"one", "b.txt": b"two"})
    spec = task_spec(src, "", [(dst, "mirror")], trigger={"type": "Interval", "interval": 1})
    task_id = client.create_sync_task(spec)["taskID"]
    first = wait_for(client, task_id, lambda t: t["runs"] >= 1 and t["lastRun"]["state"] == "succeeded")
    assert first["lastRun"]["result"]["copied"] == 2
    second = wait_for(client, task_id, lambda t: t["runs"] >= 2 and t["lastRun"]["state"] == "succeeded")
    assert second["lastRun"]["result"]["copied"] == 0 and second["lastRun"]["result"]["skipped"] == 2
    (src_root / "b.txt").write_bytes(b"two, longer now")
    runs = second["runs"]
    changed = wait_for(client, task_id, lambda t: t["runs"] > runs and t["lastRun"]["state"] == "succeeded")
    assert changed["lastRun"]["result"]["copied"] == 1
    assert (dst_root / "mirror/b.txt").read_bytes() == b"two, longer now"
    client.cancel_sync_task(task_id)
    canceled = client.get_sync_task(task_id)
    assert canceled["state"] == "canceled" and canceled["nextRunTime"] is None
    time.sleep(2.5)
    assert client.get_sync_task(task_id)["runs"] == canceled["runs"]


@pytest.mark.parametrize("no_empty_dirs", [False, True])
def test_empty_directories_follow_the_option(client, gw, no_empty_dirs):
    src, src_root = local_space(client, gw.data_dir)
    dst, dst_root = local_space(client, gw.data_dir)
    write_tree(src_root, {"t/file.txt": b"f"})
    (src_root / "t" / "empty" / "deeper").mkdir(parents=True)
    spec = task_spec(src, "t", [(dst, "out")]) | {"options": {"noEmptyDirectories": no_empty_dirs}}
    task = wait_for(client, client.create_sync_task(spec)["taskID"], lambda t: t["state"] == "done")
    assert task["lastRun"]["state"] == "succeeded"
    assert (dst_root / "out/file.txt").read_bytes() == b"f"
    assert (dst_root / "out/empty/deeper").is_dir() is (not no_empty_dirs)


def test_size_filter_and_full_mode(client, gw):
    src, src_root = local_space(client, gw.data_dir)
    dst, dst_root = local_space(client, gw.data_dir)
    write_tree(src_root, {"tiny": b"x", "mid": b"y" * 100, "big": b"z" * 10_000})
    spec = task_spec(
        src, "", [(dst, "")], filters=[{"type": "Size", "minSize": 10, "maxSize": 2000}], mode={"type": "Full"}
    )
    task = wait_for(client, client.create_sync_task(spec)["taskID"], lambda t: t["state"] == "done")
    assert task["lastRun"]["result"]["copied"] == 1 and task["lastRun"]["result"]["skipped"] == 2
    assert tree(dst_root) == {"mid": b"y" * 100}


def test_bad_tasks_are_refused(client, gw):
    src, _ = local_space(client, gw.data_dir)
    good = task_spec(src, "", [(src, "elsewhere")])
    for broken, field in [
        ({**good, "trigger": {"type": "Cron"}}, "trigger"),
        ({**good, "trigger": {"type": "Interval", "interval": 0}}, "interval"),
        ({**good, "mode": {"type": "Mirror"}}, "mode"),
        ({**good, "filters": [{"type": "Name"}]}, "filter"),
        ({**good, "filters": [{"type": "Size", "minSize": 5, "maxSize": 1}]}, "minSize"),
        ({**good, "destPathes": []}, "destPathes"),
        ({**good, "srcPath": "../../etc"}, "srcPath"),
        ({**good, "destPathes": ["a/../../b"]}, "destPathes"),
    ]:
        err = expect_error("BadArgument", 400, client.create_sync_task, broken)
        assert err.message, field
    expect_error("DataNotFound", 404, client.create_sync_task, {**good, "destUserSpaceIDs": [987654]})
    expect_error("DataNotFound", 404, client.get_sync_task, 987654)
    expect_error("DataNotFound", 404, client.cancel_sync_task, 987654)


def test_sync_between_local_and_s3_round_trips_bytes(client, gw, moto):
    src, src_root = local_space(client, gw.data_dir)
    s3, bucket = s3_space(client, moto)
    back, back_root = local_space(client, gw.data_dir)
    files = {f"d/{i:02d}.bin": os.urandom(50_000 + i) for i in range(8)} | {"d/big.bin": os.urandom(6_000_000)}
    write_tree(src_root, files)
    up = client.create_sync_task(task_spec(src, "d", [(s3, "remote/d")]))
    assert wait_for(client, up["taskID"], lambda t: t["state"] == "done")["lastRun"]["state"] == "succeeded"
    listed = moto.client().list_objects_v2(Bucket=bucket, Prefix="remote/d/")["Contents"]
    assert len(listed) == len(files)
    down = client.create_sync_task(task_spec(s3, "remote", [(back, "")]))
    assert wait_for(client, down["taskID"], lambda t: t["state"] == "done")["lastRun"]["state"] == "succeeded"
    assert tree(back_root) == files


def test_a_run_interrupted_by_a_restart_resumes(tmp_path, moto):
    gw = start_gateway(tmp_path)
    try:
        client = NativeClient(gw.url, gw.access_key, gw.secret_key)
        src, src_root = local_space(client, gw.data_dir)
        dst, bucket = s3_space(client, moto)
        files = {f"many/{i:04d}.txt": hashlib.sha256(str(i).encode()).hexdigest().encode() for i in range(400)}
        write_tree(src_root, files)
        task_id = client.create_sync_task(task_spec(src, "many", [(dst, "")]))["taskID"]
        wait_for(client, task_id, lambda t: t["lastRun"] and 0 < t["lastRun"]["progress"].get("copied", 0) < 300)
        gw.process.send_signal(signal.SIGKILL)  # no clean shutdown: the run just stops
        gw.process.wait(10)
    finally:
        stop_gateway(gw)
    gw = start_gateway(tmp_path)
    try:
        client = NativeClient(gw.url, gw.access_key, gw.secret_key)
        task = wait_for(client, task_id, lambda t: t["state"] == "done", timeout=120)
        assert task["runs"] == 2 and task["lastRun"]["state"] == "succeeded"
        result = task["lastRun"]["result"]
        assert result["copied"] + result["skipped"] == 400 and result["skipped"] > 0  # the first run's work kept
        interrupted = [j for j in client.call("GET", "/v1/job/list")["jobs"] if j["kind"] == "sync"][-1]
        assert interrupted["state"] == "failed" and "interrupted" in interrupted["error"]
        keys = set()
        for page in moto.client().get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys.update(o["Key"] for o in page.get("Contents", []))
        assert keys == {k[len("many/") :] for k in files}
    finally:
        stop_gateway(gw)


def test_a_destination_that_goes_away_fails_the_run_clearly(tmp_path, client, gw):
    dead_moto = start_moto(tmp_path)
    try:
        src, src_root = local_space(client, gw.data_dir)
        dst, bucket = s3_space(client, dead_moto, maxAttempts=2, connectTimeout=1, readTimeout=2)
        write_tree(src_root, {f"f/{i:03d}": os.urandom(20_000) for i in range(300)})
        task_id = client.create_sync_task(task_spec(src, "f", [(dst, "")]))["taskID"]
        wait_for(client, task_id, lambda t: t["lastRun"] and t["lastRun"]["progress"].get("copied", 0) > 5)
        objects_before = {
            o["Key"]: o["Size"] for o in dead_moto.client().list_objects_v2(Bucket=bucket).get("Contents", [])
        }
        dead_moto.process.send_signal(signal.SIGKILL)
        dead_moto.process.wait(10)
    finally:
        dead_moto.stop()
    task = wait_for(client, task_id, lambda t: t["state"] == "done" and t["lastRun"]["state"] != "running", 120)
    run = task["lastRun"]
    assert run["state"] == "failed"
    assert f"user space {dst} became unavailable" in run["error"], run["error"]
    assert all(size == 20_000 for size in objects_before.values())  # whole files only
