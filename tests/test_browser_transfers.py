"""/api/transfer (seed 003's transfers) on a real gateway: bucket to bucket, a Local user space
to an S3 user space on moto, a bucket's package to a space, conflicts (check, skip, rename,
overwrite), cancel and cleanup, progress over SSE in the document's event format, and the
identity engine deciding reads and writes exactly as S3 does for the same user's key.
Also /api/spaces and /api/sync-tasks, which the console's pages list."""

from __future__ import annotations

import json
import os
import time
import uuid

import pytest
import requests
from backend_fixtures import start_moto
from botocore.exceptions import ClientError
from browser_fixtures import gw, root  # noqa: F401  (fixtures)
from browser_helpers import admin, console, make_user, signed_in, user_key
from conftest import boto_client
from fake_obs import start_fake_obs
from space_helpers import local_space, root_of, tree, write_tree

from gateway.client import NativeClient


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    server = start_moto(tmp_path_factory.mktemp("moto"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def native(gw) -> NativeClient:
    return NativeClient(gw.url, gw.access_key, gw.secret_key)


@pytest.fixture(scope="module")
def s3(gw):
    return boto_client(gw)


def new_bucket(s3) -> str:
    name = f"t-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    return name


def s3_space(native: NativeClient, moto) -> tuple[dict, str]:
    bucket = moto.new_bucket()
    storage = {"type": "S3", "endpoint": moto.url, "region": "us-east-1", "bucket": bucket, "pathStyle": True}
    credential = {"type": "S3", "accessKeyId": moto.access_key, "secretAccessKey": moto.secret_key}
    return native.create_user_space(f"s3-{uuid.uuid4().hex[:8]}", storage, credential), bucket


def place(kind: str, location, path: str = "") -> dict:
    return {"type": kind, "locationId": str(location), "path": path}


def transfer(session, gw, source, destination, *, items=None, conflict="overwrite"):
    body = {"source": source, "destination": destination, "conflictResolution": conflict}
    if items is not None:
        body["items"] = items
    return session.post(f"{gw.url}/api/transfer", json=body)


def follow(session, gw, job_id: str) -> list[dict]:
    """The transfer's SSE events until its final one, through a one-time ticket."""
    ticket = session.post(f"{gw.url}/api/auth/sse-ticket", json={"resource": job_id, "resourceType": "transfer"})
    assert ticket.status_code == 200, ticket.text
    assert ticket.json()["sseUrl"].startswith(f"/api/transfer/progress/{job_id}?ticket=")
    stream = requests.get(gw.url + "/api" + ticket.json()["sseUrl"].removeprefix("/api"), stream=True, timeout=120)
    assert stream.status_code == 200 and stream.headers["Content-Type"].startswith("text/event-stream")
    events = []
    for line in stream.iter_lines(decode_unicode=True):
        if line.startswith("data: "):
            events.append(json.loads(line[6:]))
            if events[-1]["type"] != "progress":
                break
    stream.close()
    return events


def finished(session, gw, job_id: str, timeout: float = 120) -> dict:
    """The transfer once it has ended, polled through GET /api/transfer (SSE tickets are
    rate-limited per address: the tests about the stream use it, the others poll)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listed = {t["id"]: t for t in session.get(f"{gw.url}/api/transfer").json()["transfers"]}
        if listed[job_id]["status"] in ("completed", "failed", "cancelled"):
            return listed[job_id]
        time.sleep(0.1)
    raise AssertionError(f"transfer {job_id} did not end: {listed[job_id]}")


def run(session, gw, source, destination, **options) -> dict:
    started = transfer(session, gw, source, destination, **options)
    assert started.status_code == 200, started.text
    job = finished(session, gw, started.json()["jobId"])
    assert job["status"] == "completed", job
    return job


def moto_tree(moto, bucket: str) -> dict[str, bytes]:
    client = moto.client()
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


# ------------------------------------------------------------------ between buckets and spaces


def test_bucket_to_bucket_with_progress_events_in_the_documents_format(gw, root, s3):
    src, dst = new_bucket(s3), new_bucket(s3)
    files = {"models/config.json": b'{"a": 1}', "models/weights/w1.bin": os.urandom(3 * 1024 * 1024 + 7)}
    for key, data in files.items():
        s3.put_object(Bucket=src, Key=key, Body=data, ContentType="application/json")
    s3.put_object(Bucket=src, Key="other.txt", Body=b"stays")
    started = transfer(root, gw, place("s3", src, "models/"), place("s3", dst, "/backup"))
    assert started.status_code == 200, started.text
    body = started.json()
    assert body["status"] == "in_progress" and body["filesQueued"] == 2
    assert body["estimatedBytes"] == sum(len(d) for d in files.values())
    events = follow(root, gw, body["jobId"])
    final = events[-1]
    assert final["type"] == "complete" and final["currentFile"] is None
    job = final["job"]
    assert job["id"] == body["jobId"] and job["status"] == "completed"
    assert job["filesCompleted"] == job["totalFiles"] == 2
    assert job["bytesTransferred"] == job["totalBytes"] == body["estimatedBytes"] and job["errors"] == []
    for event in events[:-1]:
        assert event["type"] == "progress" and event["job"]["status"] == "in_progress"
        if event["currentFile"]:
            assert set(event["currentFile"]) >= {"path", "loaded", "total"}
    listed = s3.list_objects_v2(Bucket=dst)["Contents"]
    assert sorted(o["Key"] for o in listed) == ["backup/config.json", "backup/weights/w1.bin"]
    for rel in ("config.json", "weights/w1.bin"):
        assert s3.get_object(Bucket=dst, Key=f"backup/{rel}")["Body"].read() == files[f"models/{rel}"]
    assert s3.get_object(Bucket=dst, Key="backup/config.json")["ContentType"] == "application/json"  # kept
    listing = root.get(f"{gw.url}/api/transfer").json()["transfers"]
    assert any(t["id"] == body["jobId"] and t["status"] == "completed" for t in listing)


def test_a_single_file_or_chosen_items(gw, root, s3):
    src, dst = new_bucket(s3), new_bucket(s3)
    for key in ("a/one.txt", "a/two.txt", "a/sub/three.txt"):
        s3.put_object(Bucket=src, Key=key, Body=key.encode())
    run(root, gw, place("s3", src, "a/two.txt"), place("s3", dst, "solo/"))  # a path without '/': the file
    items = [{"path": "one.txt", "type": "file"}, {"path": "sub/", "type": "directory"}]
    run(root, gw, place("s3", src, "a/"), place("s3", dst, "picked"), items=items)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=dst)["Contents"])
    assert keys == ["picked/one.txt", "picked/sub/three.txt", "solo/two.txt"]
    missing = transfer(root, gw, place("s3", src, "a/"), place("s3", dst), items=[{"path": "nope", "type": "file"}])
    assert missing.status_code == 404 and missing.json()["error"] == "NoSuchKey"
    onto_itself = transfer(root, gw, place("s3", src, "a/"), place("s3", src, "a/"))
    assert onto_itself.status_code == 400 and onto_itself.json()["error"] == "InvalidArgument"


def test_local_space_to_s3_space_on_moto_and_a_package_to_a_space(gw, root, native, moto, s3):
    local = local_space(native, gw.data_dir)
    files = {"data/x.csv": b"1,2,3\n", "data/deep/y.bin": os.urandom(2 * 1024 * 1024 + 1), "elsewhere.txt": b"no"}
    write_tree(root_of(local), files)
    remote, moto_bucket = s3_space(native, moto)
    job = run(root, gw, place("local", local["userSpaceID"], "data/"), place("local", remote["name"], "mirror/"))
    assert job["filesCompleted"] == 2 and job["bytesTransferred"] == len(files["data/x.csv"]) + len(
        files["data/deep/y.bin"]
    )
    assert moto_tree(moto, moto_bucket) == {
        "mirror/x.csv": files["data/x.csv"],
        "mirror/deep/y.bin": files["data/deep/y.bin"],
    }
    # a package (bucket/package: a top folder of the bucket) out to the Local space, and back into a bucket
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="pkg/readme.md", Body=b"# hi")
    run(root, gw, place("package", f"{bucket}/pkg"), place("local", local["userSpaceID"], "from-pkg"))
    assert tree(root_of(local))["from-pkg/readme.md"] == b"# hi"
    run(root, gw, place("local", local["userSpaceID"], "from-pkg/"), place("package", f"{bucket}/copy"))
    assert s3.get_object(Bucket=bucket, Key="copy/readme.md")["Body"].read() == b"# hi"
    # a package by its id, as the native API names it
    package = native.get_package(bucket, "copy")
    run(root, gw, place("package", package["packageID"], ""), place("s3", bucket, "by-id/"))
    assert s3.get_object(Bucket=bucket, Key="by-id/readme.md")["Body"].read() == b"# hi"
    missing = transfer(root, gw, place("package", 999999), place("s3", bucket))
    assert missing.status_code == 404 and missing.json()["error"] == "NoSuchPackage"


def test_bucket_to_an_obs_space_and_back_to_a_local_one(gw, root, native, s3, tmp_path):
    obs = start_fake_obs(tmp_path)
    try:
        storage = {"type": "OBS", "region": "cn-north-4", "endpoint": obs.url, "bucket": obs.bucket, "pathStyle": True}
        credential = {"type": "OBS", "accessKeyId": obs.access_key, "secretAccessKey": obs.secret_key}
        space = native.create_user_space(f"obs-{uuid.uuid4().hex[:8]}", storage, credential)
        bucket = new_bucket(s3)
        data = {"set/a.bin": os.urandom(1024 * 1024 + 3), "set/b/c.txt": "ünïcode".encode()}
        for key, body in data.items():
            s3.put_object(Bucket=bucket, Key=key, Body=body)
        run(root, gw, place("s3", bucket, "set/"), place("local", space["name"], "in-obs/"))
        assert obs.keys() == ["in-obs/a.bin", "in-obs/b/c.txt"]
        local = local_space(native, gw.data_dir)
        run(root, gw, place("local", space["userSpaceID"], "in-obs/"), place("local", local["userSpaceID"], "back"))
        assert tree(root_of(local)) == {"back/a.bin": data["set/a.bin"], "back/b/c.txt": data["set/b/c.txt"]}
    finally:
        obs.stop()


def test_the_default_space_object_blocks_and_a_missing_space_are_refused(gw, root, native, s3):
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="f.txt", Body=b"x")
    shard = local_space(native, gw.data_dir)  # a shard store at its root: object blocks under blocks/
    write_tree(root_of(shard), {"blocks/aa/bb/cafe": b"a block", "mine/x.txt": b"mine"})
    into_blocks = transfer(root, gw, place("s3", bucket), place("local", shard["userSpaceID"], "blocks/aa/"))
    assert into_blocks.status_code == 400 and "shard store" in into_blocks.json()["message"], into_blocks.text
    job = run(root, gw, place("local", shard["userSpaceID"]), place("s3", bucket, "copy/"))
    assert job["totalFiles"] == 1  # the block is not listed as a file of the space
    assert s3.get_object(Bucket=bucket, Key="copy/mine/x.txt")["Body"].read() == b"mine"
    spaces = root.get(f"{gw.url}/api/spaces").json()["spaces"]
    default = next(s for s in spaces if s["default"])
    assert default["transferable"] is False and "credential" not in default
    refused = transfer(root, gw, place("s3", bucket), place("local", default["id"], "x/"))
    assert refused.status_code == 400 and "blob store" in refused.json()["message"]
    missing = transfer(root, gw, place("s3", bucket), place("local", "no-such-space"))
    assert missing.status_code == 404 and missing.json()["error"] == "NoSuchUserSpace"
    bad = root.post(f"{gw.url}/api/transfer", json={"source": place("ftp", "x"), "destination": place("s3", bucket)})
    assert bad.status_code == 400 and bad.json()["error"] == "InvalidArgument"


# ------------------------------------------------------------------ conflicts


def test_check_conflicts_then_skip_rename_and_overwrite(gw, root, s3):
    src, dst = new_bucket(s3), new_bucket(s3)
    for name in ("a.txt", "b.txt", "c.tar.gz"):
        s3.put_object(Bucket=src, Key=f"in/{name}", Body=b"new " + name.encode())
    s3.put_object(Bucket=dst, Key="out/a.txt", Body=b"old a")
    s3.put_object(Bucket=dst, Key="out/c.tar.gz", Body=b"old c")
    body = {"source": place("s3", src, "in/"), "destination": place("s3", dst, "out/")}
    checked = root.post(f"{gw.url}/api/transfer/check-conflicts", json=body)
    assert checked.status_code == 200, checked.text
    assert sorted(checked.json()["conflicts"]) == ["a.txt", "c.tar.gz"]
    assert checked.json()["nonConflicting"] == ["b.txt"] and "warning" not in checked.json()

    job = run(root, gw, body["source"], body["destination"], conflict="skip")
    assert job["filesSkipped"] == 2 and job["filesCompleted"] == 3
    assert s3.get_object(Bucket=dst, Key="out/a.txt")["Body"].read() == b"old a"
    assert s3.get_object(Bucket=dst, Key="out/b.txt")["Body"].read() == b"new b.txt"

    run(root, gw, body["source"], body["destination"], conflict="rename")
    assert s3.get_object(Bucket=dst, Key="out/a (1).txt")["Body"].read() == b"new a.txt"
    assert s3.get_object(Bucket=dst, Key="out/c (1).tar.gz")["Body"].read() == b"new c.tar.gz"
    assert s3.get_object(Bucket=dst, Key="out/b (1).txt")["Body"].read() == b"new b.txt"
    assert s3.get_object(Bucket=dst, Key="out/a.txt")["Body"].read() == b"old a"

    run(root, gw, body["source"], body["destination"], conflict="overwrite")
    assert s3.get_object(Bucket=dst, Key="out/a.txt")["Body"].read() == b"new a.txt"
    wrong = transfer(root, gw, body["source"], body["destination"], conflict="merge")
    assert wrong.status_code == 400


# ------------------------------------------------------------------ cancel and cleanup


def test_cancel_stops_a_running_transfer_and_cleanup_forgets_it(gw, root, native, moto):
    local = local_space(native, gw.data_dir)
    write_tree(root_of(local), {f"many/f{i:03}.bin": os.urandom(64 * 1024) for i in range(300)})
    remote, moto_bucket = s3_space(native, moto)
    started = transfer(root, gw, place("local", local["userSpaceID"], "many/"), place("local", remote["userSpaceID"]))
    assert started.status_code == 200, started.text
    job_id = started.json()["jobId"]
    busy = root.post(f"{gw.url}/api/transfer/cleanup/{job_id}")
    assert busy.status_code == 409 and busy.json()["error"] == "OperationAborted"
    canceled = root.post(f"{gw.url}/api/transfer/cancel/{job_id}")
    assert canceled.status_code == 200 and canceled.json()["message"] == "Transfer cancelled"
    events = follow(root, gw, job_id)
    final = events[-1]
    assert final["type"] == "cancelled" and final["job"]["status"] == "cancelled"
    assert final["job"]["filesCompleted"] < final["job"]["totalFiles"] == 300
    assert len(moto_tree(moto, moto_bucket)) == final["job"]["filesCompleted"]  # whole files only
    again = root.post(f"{gw.url}/api/transfer/cancel/{job_id}")
    assert again.status_code == 200 and again.json()["message"] == "Transfer already cancelled"
    cleaned = root.post(f"{gw.url}/api/transfer/cleanup/{job_id}")
    assert cleaned.status_code == 200 and cleaned.json()["jobId"] == job_id
    assert root.post(f"{gw.url}/api/transfer/cleanup/{job_id}").status_code == 404
    ticket = root.post(f"{gw.url}/api/auth/sse-ticket", json={"resource": job_id, "resourceType": "transfer"})
    gone = requests.get(gw.url + ticket.json()["sseUrl"], timeout=10)
    assert gone.status_code == 404 and gone.json()["error"] == "NoSuchJob"


# ------------------------------------------------------------------ the identity engine decides


def test_a_user_may_transfer_only_what_s3_would_let_its_key_do(gw, root, native, s3):
    src, dst = new_bucket(s3), new_bucket(s3)
    s3.put_object(Bucket=src, Key="pub/report.txt", Body=b"public report")
    s3.put_object(Bucket=src, Key="private/secret.txt", Body=b"secret")
    name = f"mover-{uuid.uuid4().hex[:6]}"
    rules = [
        {"bucket": src, "prefix": "pub/", "access": "read"},
        {"bucket": dst, "prefix": "drop/", "access": "write"},
    ]
    make_user(gw, name, "mover-password-1", rules=rules)
    user = signed_in(gw, name, "mover-password-1")
    key = user_key(gw, name)
    as_user = boto_client(gw)
    as_user._request_signer._credentials.access_key = key["access_key"]  # noqa: SLF001
    as_user._request_signer._credentials.secret_key = key["secret_key"]  # noqa: SLF001

    # allowed: read pub/, write drop/ -- through the console and through S3 alike
    run(user, gw, place("s3", src, "pub/"), place("s3", dst, "drop/"))
    assert s3.get_object(Bucket=dst, Key="drop/report.txt")["Body"].read() == b"public report"
    as_user.put_object(Bucket=dst, Key="drop/by-s3.txt", Body=b"ok")

    # refused: writing outside drop/, reading private/ -- nothing is copied, S3 refuses the same
    for source, destination in (
        (place("s3", src, "pub/"), place("s3", dst, "elsewhere/")),
        (place("s3", src, "private/"), place("s3", dst, "drop/")),
        (place("s3", src, ""), place("s3", dst, "drop/")),
    ):
        refused = transfer(user, gw, source, destination)
        assert refused.status_code == 403 and refused.json()["error"] == "AccessDenied", refused.text
        checked = user.post(
            f"{gw.url}/api/transfer/check-conflicts", json={"source": source, "destination": destination}
        )
        assert checked.status_code == 403
    with pytest.raises(ClientError) as denied:
        as_user.put_object(Bucket=dst, Key="elsewhere/report.txt", Body=b"no")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as denied:
        as_user.get_object(Bucket=src, Key="private/secret.txt")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=dst)["Contents"]] == ["drop/by-s3.txt", "drop/report.txt"]

    # user spaces are the administrators' (junction:ManageUserSpaces), as on the native API
    local = local_space(native, gw.data_dir)
    write_tree(root_of(local), {"f.txt": b"f"})
    refused = transfer(user, gw, place("local", local["userSpaceID"]), place("s3", dst, "drop/"))
    assert refused.status_code == 403 and refused.json()["error"] == "AccessDenied"
    assert user.get(f"{gw.url}/api/spaces").status_code == 403
    assert user.get(f"{gw.url}/api/sync-tasks").status_code == 403


def test_a_transfer_is_its_owners(gw, root, s3):
    src, dst = new_bucket(s3), new_bucket(s3)
    s3.put_object(Bucket=src, Key="f.txt", Body=b"x")
    job = run(root, gw, place("s3", src), place("s3", dst))
    name = f"other-{uuid.uuid4().hex[:6]}"
    make_user(gw, name, "other-password-1", rules=[{"bucket": src, "prefix": "", "access": "read"}])
    other = signed_in(gw, name, "other-password-1")
    assert other.post(f"{gw.url}/api/transfer/cancel/{job['id']}").status_code == 404
    assert other.post(f"{gw.url}/api/transfer/cleanup/{job['id']}").status_code == 404
    assert all(t["id"] != job["id"] for t in other.get(f"{gw.url}/api/transfer").json()["transfers"])
    ticket = other.post(f"{gw.url}/api/auth/sse-ticket", json={"resource": job["id"], "resourceType": "transfer"})
    assert requests.get(gw.url + ticket.json()["sseUrl"], timeout=10).status_code == 404
    no_ticket = requests.get(f"{gw.url}/api/transfer/progress/{job['id']}", timeout=10)
    assert no_ticket.status_code == 401
    assert requests.post(f"{gw.url}/api/transfer", json={}).status_code == 401


# ------------------------------------------------------------------ spaces and sync tasks, listed


def test_spaces_and_sync_tasks_with_their_last_run(gw, root, native):
    src, dst = local_space(native, gw.data_dir), local_space(native, gw.data_dir)
    write_tree(root_of(src), {"s/a.txt": b"a"})
    spec = {
        "trigger": {"type": "Once"},
        "mode": {"type": "Full"},
        "srcUserSpaceID": src["userSpaceID"],
        "srcPath": "s",
        "destUserSpaceIDs": [dst["userSpaceID"]],
        "destPathes": ["d"],
    }
    task = native.create_sync_task(spec)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and native.get_sync_task(task["taskID"])["state"] != "done":
        time.sleep(0.1)
    spaces = root.get(f"{gw.url}/api/spaces").json()["spaces"]
    mine = next(s for s in spaces if s["id"] == src["userSpaceID"])
    assert mine["name"] == src["name"] and mine["type"] == "Local" and mine["transferable"] is True
    assert all("credential" not in s for s in spaces)
    tasks = root.get(f"{gw.url}/api/sync-tasks").json()["tasks"]
    listed = next(t for t in tasks if t["id"] == task["taskID"])
    assert listed["source"] == {"userSpaceID": src["userSpaceID"], "path": "s"}
    assert listed["destinations"] == [{"userSpaceID": dst["userSpaceID"], "path": "d"}]
    assert listed["state"] == "done" and listed["runs"] == 1
    assert listed["lastRun"]["state"] == "succeeded" and listed["lastRun"]["filesDone"] == 1
    assert listed["lastRun"]["finished"]


def test_max_concurrent_transfers_makes_the_others_wait_their_turn(gw, root, native, moto, s3):
    assert root.put(f"{gw.url}/api/settings/max-concurrent-transfers", json={"maxConcurrentTransfers": 1}).ok
    try:
        local = local_space(native, gw.data_dir)
        write_tree(root_of(local), {f"slow/f{i:03}.bin": os.urandom(64 * 1024) for i in range(300)})
        remote, _ = s3_space(native, moto)
        slow = transfer(root, gw, place("local", local["userSpaceID"], "slow/"), place("local", remote["userSpaceID"]))
        src, dst = new_bucket(s3), new_bucket(s3)
        s3.put_object(Bucket=src, Key="quick.txt", Body=b"quick")
        quick = transfer(root, gw, place("s3", src), place("s3", dst))
        assert slow.status_code == quick.status_code == 200
        slow_id, quick_id = slow.json()["jobId"], quick.json()["jobId"]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the quick one waits, pending, behind the slow one
            listed = {t["id"]: t for t in root.get(f"{gw.url}/api/transfer").json()["transfers"]}
            if listed[quick_id]["status"] == "pending":
                break
            time.sleep(0.1)
        assert listed[quick_id]["status"] == "pending" and listed[slow_id]["status"] == "in_progress"
        with pytest.raises(ClientError):
            s3.head_object(Bucket=dst, Key="quick.txt")
        root.post(f"{gw.url}/api/transfer/cancel/{slow_id}")
        assert finished(root, gw, quick_id)["status"] == "completed"  # its turn came
        assert s3.get_object(Bucket=dst, Key="quick.txt")["Body"].read() == b"quick"
    finally:
        root.put(f"{gw.url}/api/settings/max-concurrent-transfers", json={"maxConcurrentTransfers": 2})


def test_a_file_that_fails_is_listed_and_the_others_still_go(gw, root, native, s3):
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="x/y.txt", Body=b"under x")
    s3.put_object(Bucket=bucket, Key="z.txt", Body=b"zed")
    local = local_space(native, gw.data_dir)
    write_tree(root_of(local), {"out/x": b"a file where the copy needs a folder"})
    started = transfer(root, gw, place("s3", bucket), place("local", local["userSpaceID"], "out/"))
    assert started.status_code == 200, started.text
    final = follow(root, gw, started.json()["jobId"])[-1]
    assert final["type"] == "error" and final["job"]["status"] == "failed"
    assert final["job"]["filesFailed"] == 1 and final["job"]["filesCompleted"] == 1, final
    assert [e["file"] for e in final["job"]["errors"]] == ["x/y.txt"] and final["job"]["error"]
    assert tree(root_of(local)) == {"out/x": b"a file where the copy needs a folder", "out/z.txt": b"zed"}


def test_a_rule_removed_while_a_transfer_waits_refuses_its_files(gw, root, native, moto, s3):
    """The engine is asked per file when the file is copied, with the user as it is then."""
    src, dst = new_bucket(s3), new_bucket(s3)
    s3.put_object(Bucket=src, Key="pub/a.txt", Body=b"a")
    name = f"revoked-{uuid.uuid4().hex[:6]}"
    rules = [{"bucket": src, "prefix": "pub/", "access": "read"}, {"bucket": dst, "prefix": "", "access": "write"}]
    make_user(gw, name, "revoked-password-1", rules=rules)
    user = signed_in(gw, name, "revoked-password-1")
    assert root.put(f"{gw.url}/api/settings/max-concurrent-transfers", json={"maxConcurrentTransfers": 1}).ok
    try:
        local = local_space(native, gw.data_dir)
        write_tree(root_of(local), {f"slow/f{i:03}.bin": os.urandom(64 * 1024) for i in range(300)})
        remote, _ = s3_space(native, moto)
        slow = transfer(root, gw, place("local", local["userSpaceID"], "slow/"), place("local", remote["userSpaceID"]))
        waiting = transfer(user, gw, place("s3", src, "pub/"), place("s3", dst))
        assert slow.status_code == 200 and waiting.status_code == 200, waiting.text  # allowed when planned
        edited = console(gw, "PUT", f"/accounts/root/users/{name}", {"rules": rules[:1]})  # write taken away
        assert edited.status_code == 200, edited.text
        root.post(f"{gw.url}/api/transfer/cancel/{slow.json()['jobId']}")
        job = finished(user, gw, waiting.json()["jobId"])
        assert job["status"] == "failed" and job["errors"][0]["error"] == "AccessDenied"
        assert "Contents" not in s3.list_objects_v2(Bucket=dst)
    finally:
        root.put(f"{gw.url}/api/settings/max-concurrent-transfers", json={"maxConcurrentTransfers": 2})
