"""One scheduler across gateway instances over one PostgreSQL database, by lease: a sync run
goes on while its instance lives, is followed and canceled from another instance, and when the
scheduling instance is killed another takes the lease over and resumes the interrupted task.
Also: without a shared data dir, an identity change made on one instance reaches the other
within the stated bound (the shared generation is polled once a second).
"""

from __future__ import annotations

import dataclasses
import hashlib
import http.client
import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest
from backend_fixtures import start_moto
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from conftest import ROOT, boto_client, pg_server, start_gateway, stop_gateway
from space_helpers import local_space, root_of, write_tree
from test_spacesync import s3_space, task_spec, wait_for

from gateway.client import NativeClient


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    server = start_moto(tmp_path_factory.mktemp("moto"))
    yield server
    server.stop()


def lease_holder(meta: str, name: str) -> str | None:
    with psycopg.connect(meta) as conn:
        row = conn.execute("SELECT holder, expires FROM leases WHERE name = %s", (name,)).fetchone()
    return row[0] if row and row[1] > time.time() else None


def eventually(check, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def test_one_scheduler_takes_over_when_its_instance_dies(tmp_path, moto):
    meta = pg_server().create_database("sched")
    shared = tmp_path / "data"
    first = start_gateway(tmp_path / "a", meta=meta, data_dir=shared)
    scheduler = eventually(lambda: lease_holder(meta, "scheduler"), "the first instance taking the lease")
    second = start_gateway(tmp_path / "b", meta=meta, data_dir=shared)
    try:
        two = NativeClient(second.url, second.access_key, second.secret_key)
        src = local_space(two, shared)
        dst, bucket = s3_space(two, moto)
        files = {f"many/{i:04d}.txt": hashlib.sha256(str(i).encode()).hexdigest().encode() for i in range(400)}
        write_tree(root_of(src), files)
        task_id = two.create_sync_task(task_spec(src["userSpaceID"], "many", [(dst, "")]))["taskID"]
        # followed from the instance that does not run it: progress comes from the shared rows
        wait_for(two, task_id, lambda t: t["lastRun"] and 0 < t["lastRun"]["progress"].get("copied", 0) < 300)
        assert lease_holder(meta, "scheduler") == scheduler  # the first instance still schedules (and runs)
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(10)
        taken = eventually(
            lambda: (lease_holder(meta, "scheduler") or scheduler) != scheduler, "the second instance's takeover"
        )
        assert taken
        task = wait_for(two, task_id, lambda t: t["state"] == "done", timeout=120)
        assert task["runs"] == 2 and task["lastRun"]["state"] == "succeeded", task
        result = task["lastRun"]["result"]
        assert result["copied"] + result["skipped"] == 400 and result["skipped"] > 0  # the first run's work kept
        keys = set()
        for page in moto.client().get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys.update(o["Key"] for o in page.get("Contents", []))
        assert keys == {k[len("many/") :] for k in files}
    finally:
        stop_gateway(first)
        stop_gateway(second)


def test_a_job_running_on_one_instance_is_canceled_from_another(tmp_path, moto):
    meta = pg_server().create_database("cancel")
    shared = tmp_path / "data"
    first = start_gateway(tmp_path / "a", meta=meta, data_dir=shared)
    eventually(lambda: lease_holder(meta, "scheduler"), "the first instance taking the lease")
    second = start_gateway(tmp_path / "b", meta=meta, data_dir=shared)
    try:
        other = NativeClient(second.url, second.access_key, second.secret_key)
        src = local_space(other, shared)
        dst, _bucket = s3_space(other, moto)
        write_tree(root_of(src), {f"slow/{i:04d}.bin": os.urandom(30_000) for i in range(600)})
        task_id = other.create_sync_task(task_spec(src["userSpaceID"], "slow", [(dst, "")]))["taskID"]
        task = wait_for(other, task_id, lambda t: t["lastRun"] and t["lastRun"]["progress"].get("copied", 0) > 5)
        job_id = task["lastRun"]["jobID"]
        other.call("POST", "/v1/job/cancel", json_body={"jobID": job_id})  # the job runs on the first instance
        job = eventually(
            lambda: (j := other.call("GET", "/v1/job/get", query={"jobID": job_id})["job"])["state"] != "running" and j,
            "the cancel reaching the instance running the job",
        )
        assert job["state"] == "canceled", job
        assert job["progress"].get("copied", 0) < 600
    finally:
        stop_gateway(first)
        stop_gateway(second)


def test_identity_change_reaches_an_instance_without_the_data_dir(tmp_path):
    """Two instances sharing only the database (and the secrets key): an admin key made with
    `junction admin` against one data dir works on the other within the poll bound, and stops
    working there once deleted."""
    meta = pg_server().create_database("ident")
    env = {"JUNCTION_SECRETS_KEY": "shared-secrets-key-for-both-instances"}
    first = start_gateway(tmp_path / "a", meta=meta, env=env)
    second = start_gateway(tmp_path / "b", meta=meta, env=env)
    try:
        boto_client(first).create_bucket(Bucket="seen-everywhere")

        def admin(*args: str) -> str:
            command = [sys.executable, "-m", "gateway.cli", "admin", "--data-dir", str(first.data_dir)]
            done = subprocess.run(
                [*command, "--meta", meta, *args],
                cwd=ROOT,
                env={**os.environ, **env},
                capture_output=True,
                text=True,
                check=True,
            )
            return done.stdout

        made = admin("create-key")
        access = made.split("access key: ")[1].split()[0]
        secret = made.split("secret key: ")[1].split()[0]
        remote = boto_client(dataclasses.replace(second, access_key=access, secret_key=secret))

        def works() -> bool:
            try:
                return "seen-everywhere" in [b["Name"] for b in remote.list_buckets()["Buckets"]]
            except ClientError:
                return False

        eventually(works, "the new key working on the other instance", timeout=15)
        admin("delete-key", access)
        eventually(lambda: not works(), "the deleted key refused on the other instance", timeout=15)
    finally:
        stop_gateway(first)
        stop_gateway(second)


def test_leases_name_the_scheduler_and_each_live_instance_until_it_stops(tmp_path):
    meta = pg_server().create_database("rows")
    gw = start_gateway(tmp_path, meta=meta)
    try:
        holder = eventually(lambda: lease_holder(meta, "scheduler"), "the scheduler lease")
        assert lease_holder(meta, f"owner:{holder}") == holder  # the instance's liveness lease
    finally:
        stop_gateway(gw)
    with psycopg.connect(meta) as conn:  # a clean stop gives both up: no waiting out the expiry
        names = [r[0] for r in conn.execute("SELECT name FROM leases").fetchall()]
    assert "scheduler" not in names and f"owner:{holder}" not in names


def test_an_instance_killed_mid_upload_leaves_nothing_and_another_collects_its_blob(tmp_path):
    """Two instances over one database and data dir; the one receiving a PUT is killed in the
    middle of the body: the key never appears, and the other instance (taking the collector's
    lease over from the dead one) removes the pending blob and its file at once."""
    from test_admin_gc import blob_bytes

    meta = pg_server().create_database("killed")
    shared = tmp_path / "data"
    env = {"JUNCTION_GC_INTERVAL": "1"}
    first = start_gateway(tmp_path / "a", meta=meta, data_dir=shared, env=env)
    second = start_gateway(tmp_path / "b", meta=meta, data_dir=shared, env=env)
    try:
        boto_client(second).create_bucket(Bucket="killed")
        request = AWSRequest("PUT", f"{first.url}/killed/big", headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
        SigV4Auth(Credentials(first.access_key, first.secret_key), "s3", "us-east-1").add_auth(request)
        conn = http.client.HTTPConnection("127.0.0.1", first.port, timeout=10)
        conn.putrequest("PUT", "/killed/big", skip_accept_encoding=True)
        for name, value in request.headers.items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(8 * 1024 * 1024))
        conn.endheaders()
        conn.send(b"z" * (3 * 1024 * 1024))

        def pending() -> int:
            with psycopg.connect(meta) as db:
                return db.execute("SELECT COUNT(*) FROM blobs WHERE state = 'pending'").fetchone()[0]

        eventually(lambda: pending() == 1 and blob_bytes(shared) > 0, "the upload's pending blob and file")
        first.process.kill()  # SIGKILL mid-upload
        first.process.wait()
        conn.close()
        eventually(lambda: pending() == 0 and blob_bytes(shared) == 0, "the other instance collecting it")
        with pytest.raises(ClientError):
            boto_client(second).head_object(Bucket="killed", Key="big")
    finally:
        stop_gateway(first)
        stop_gateway(second)
