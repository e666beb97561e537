"""The PostgreSQL metadata database going away: requests answer 503 ServiceUnavailable
(retryable, never a false 200, never a 500), nothing half-committed appears, and the gateway
reconnects by itself once the database is back. Its own server (tests/pg_server.py), since the
test stops and restarts it.

And `junction admin copy-meta`: a single node's SQLite metadata moved to PostgreSQL, verified,
then served by a gateway on PostgreSQL with the same data dir.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time

import pytest
from botocore.exceptions import ClientError
from conftest import ROOT, boto_client, pg_server, start_gateway, stop_gateway

from tests.pg_server import PgServer


@pytest.fixture
def own_server():
    server = PgServer().start()
    yield server
    server.remove()


def status_and_code(call) -> tuple[int, str]:
    try:
        call()
    except ClientError as exc:
        return exc.response["ResponseMetadata"]["HTTPStatusCode"], exc.response["Error"]["Code"]
    return 200, "OK"


def test_database_down_answers_503_then_the_gateway_reconnects(tmp_path, own_server):
    gw = start_gateway(tmp_path, meta=own_server.create_database())
    try:
        s3 = boto_client(gw)
        s3.create_bucket(Bucket="faults")
        s3.put_object(Bucket="faults", Key="before", Body=b"committed")

        own_server.stop()
        down = [
            status_and_code(lambda: s3.put_object(Bucket="faults", Key="during", Body=b"lost")),
            status_and_code(lambda: s3.get_object(Bucket="faults", Key="before")),
            status_and_code(lambda: s3.list_objects_v2(Bucket="faults")),
            status_and_code(lambda: s3.head_bucket(Bucket="faults")),
        ]
        assert [d[0] for d in down] == [503, 503, 503, 503], down
        assert {d[1] for d in down if d[1] != "503"} <= {"ServiceUnavailable", "SlowDown"}, down

        own_server.start_stopped()
        assert s3.get_object(Bucket="faults", Key="before")["Body"].read() == b"committed"  # reconnected
        assert [o["Key"] for o in s3.list_objects_v2(Bucket="faults")["Contents"]] == ["before"]  # nothing half-made
        s3.put_object(Bucket="faults", Key="after", Body=b"fine")
        assert s3.get_object(Bucket="faults", Key="after")["Body"].read() == b"fine"
        assert "Traceback" not in gw.logs().split("metadata on")[0]  # the start was clean
    finally:
        stop_gateway(gw)


def test_database_restarted_under_load_never_gives_a_false_200(tmp_path, own_server):
    """Writers keep going while the database stops and starts again: every write answered 200
    is there afterwards, with its bytes; every other answer is a 503."""
    gw = start_gateway(tmp_path, meta=own_server.create_database())
    try:
        s3 = boto_client(gw)
        s3.create_bucket(Bucket="load")
        answers: dict[str, int] = {}
        stop = threading.Event()

        def writer(n: int) -> None:
            i = 0
            while not stop.is_set():
                key = f"w{n}/{i}"
                answers[key] = status_and_code(lambda k=key: s3.put_object(Bucket="load", Key=k, Body=k.encode()))[0]
                i += 1
                time.sleep(0.01)

        threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(3)]
        for thread in threads:
            thread.start()
        try:
            wait_until(lambda: len(answers) >= 20)
            own_server.stop()  # in the middle of the writes: connections cut, commits in flight lost
            wait_until(lambda: 503 in answers.values())
            own_server.start_stopped()
            settled = len(answers)
            wait_until(lambda: len(answers) >= settled + 20)
        finally:
            stop.set()
            for thread in threads:
                thread.join(30)
        assert set(answers.values()) <= {200, 503}, answers
        acknowledged = {k for k, v in answers.items() if v == 200}
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket="load")
        stored = {o["Key"] for page in pages for o in page.get("Contents", [])}
        assert acknowledged <= stored
        assert list(answers.values())[-10:] == [200] * 10  # reconnected
        for key in sorted(acknowledged)[:50]:
            assert s3.get_object(Bucket="load", Key=key)["Body"].read() == key.encode()
    finally:
        stop_gateway(gw)


def wait_until(check, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_copy_meta_moves_a_single_node_to_postgres(tmp_path):
    gw = start_gateway(tmp_path)  # SQLite in the data dir
    bodies = {}
    try:
        s3 = boto_client(gw)
        s3.create_bucket(Bucket="moving")
        s3.put_bucket_versioning(Bucket="moving", VersioningConfiguration={"Status": "Enabled"})
        for n in range(30):
            bodies[f"dir/{n:02d}"] = os.urandom(500 + n)
            s3.put_object(Bucket="moving", Key=f"dir/{n:02d}", Body=bodies[f"dir/{n:02d}"], Tagging="a=b")
        s3.put_object(Bucket="moving", Key="dir/00", Body=b"second version")
        bodies["dir/00"] = b"second version"
        upload = s3.create_multipart_upload(Bucket="moving", Key="pending")["UploadId"]
        s3.upload_part(Bucket="moving", Key="pending", UploadId=upload, PartNumber=1, Body=b"p" * 100)
    finally:
        stop_gateway(gw)

    target = pg_server().create_database("copied")
    command = [sys.executable, "-m", "gateway.cli", "admin", "--data-dir", str(gw.data_dir), "copy-meta"]
    source = f"sqlite://{gw.data_dir / 'meta.sqlite3'}"
    done = subprocess.run([*command, "--from", source, "--to", target], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "verified" in done.stdout and "objects\t30" in done.stdout, done.stdout
    again = subprocess.run([*command, "--from", source, "--to", target], cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 1 and "already holds rows" in again.stderr  # never merged into a used database

    gw = start_gateway(tmp_path / "on-pg", meta=target, data_dir=gw.data_dir)
    try:
        s3 = boto_client(gw)
        for key, body in bodies.items():
            got = s3.get_object(Bucket="moving", Key=key)["Body"].read()
            assert hashlib.sha256(got).digest() == hashlib.sha256(body).digest(), key
        versions = s3.list_object_versions(Bucket="moving", Prefix="dir/00")["Versions"]
        assert len(versions) == 2
        assert s3.get_object_tagging(Bucket="moving", Key="dir/05")["TagSet"] == [{"Key": "a", "Value": "b"}]
        parts = s3.list_parts(Bucket="moving", Key="pending", UploadId=upload)["Parts"]
        assert [p["PartNumber"] for p in parts] == [1]
        s3.put_object(Bucket="moving", Key="new-after-copy", Body=b"ids continue past the copied ones")
        s3.create_bucket(Bucket="another")
        assert len(s3.list_objects_v2(Bucket="moving")["Contents"]) == 31
    finally:
        stop_gateway(gw)
