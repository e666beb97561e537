"""Three gateway processes over one PostgreSQL database and one shared data dir serve one
namespace: what one instance acknowledged, the others read and list at once; conditional
writes, quotas and versioning stay atomic when the racing requests land on different
instances; a multipart upload's parts go to different instances and it completes on a third;
an admin key made on the side works on every instance; boto3 and rclone driven round-robin.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import socket
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle

import pytest
import requests
from botocore.exceptions import ClientError
from client_helpers import require_program
from conftest import ROOT, Gateway, boto_client, pg_server, start_gateway, stop_gateway
from test_console_api import call as console
from test_console_api import volume_id

INSTANCES = 3
PART = 5 * 1024 * 1024


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> list[Gateway]:
    meta = pg_server().create_database("cluster")
    shared = tmp_path_factory.mktemp("shared-data") / "data"
    gateways = []
    try:
        for n in range(INSTANCES):
            gateways.append(start_gateway(tmp_path_factory.mktemp(f"instance{n}"), meta=meta, data_dir=shared))
        yield gateways
    finally:
        for gw in gateways:
            stop_gateway(gw)


@pytest.fixture(scope="module")
def clients(cluster):
    return [boto_client(gw) for gw in cluster]


@pytest.fixture
def shared_bucket(clients) -> str:
    name = f"mi-{uuid.uuid4().hex[:10]}"
    clients[0].create_bucket(Bucket=name)
    return name


def code(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


def test_read_and_list_after_write_on_every_other_instance(clients, shared_bucket):
    for n in range(12):
        writer = clients[n % INSTANCES]
        body = os.urandom(1000 + n)
        writer.put_object(Bucket=shared_bucket, Key=f"k/{n:02d}", Body=body)
        for reader in clients:  # at once, no settling time: every instance reads the committed row
            assert reader.get_object(Bucket=shared_bucket, Key=f"k/{n:02d}")["Body"].read() == body
        for lister in clients:
            keys = [o["Key"] for o in lister.list_objects_v2(Bucket=shared_bucket, Prefix="k/").get("Contents", [])]
            assert keys == [f"k/{i:02d}" for i in range(n + 1)]
    clients[1].delete_object(Bucket=shared_bucket, Key="k/00")
    for reader in clients:
        with pytest.raises(ClientError) as err:
            reader.head_object(Bucket=shared_bucket, Key="k/00")
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_racing_if_none_match_across_instances_has_one_winner(clients, shared_bucket):
    for round_number in range(3):
        key = f"race-{round_number}"
        barrier = threading.Barrier(12)

        def attempt(n: int, key: str = key, barrier: threading.Barrier = barrier) -> str:
            barrier.wait()
            try:
                clients[n % INSTANCES].put_object(
                    Bucket=shared_bucket, Key=key, Body=f"writer {n}".encode(), IfNoneMatch="*"
                )
                return f"won {n}"
            except ClientError as exc:
                return code(exc)

        with ThreadPoolExecutor(12) as pool:
            outcomes = list(pool.map(attempt, range(12)))
        winners = [o for o in outcomes if o.startswith("won")]
        assert len(winners) == 1, outcomes
        assert set(outcomes) - set(winners) <= {"PreconditionFailed", "ConditionalRequestConflict"}, outcomes
        winner = winners[0].split()[1]
        for reader in clients:
            assert reader.get_object(Bucket=shared_bucket, Key=key)["Body"].read() == f"writer {winner}".encode()


def test_racing_if_match_across_instances_has_one_winner(clients, shared_bucket):
    # every writer's body differs from the original: a writer that rewrote the same bytes would
    # keep the ETag and let a second writer match it legitimately
    etag = clients[0].put_object(Bucket=shared_bucket, Key="cas", Body=b"original")["ETag"]
    barrier = threading.Barrier(9)

    def attempt(n: int) -> bool:
        barrier.wait()
        try:
            clients[n % INSTANCES].put_object(
                Bucket=shared_bucket, Key="cas", Body=f"writer {n}".encode(), IfMatch=etag
            )
            return True
        except ClientError as exc:
            assert code(exc) in ("PreconditionFailed", "ConditionalRequestConflict"), exc.response
            return False

    with ThreadPoolExecutor(9) as pool:
        assert sum(pool.map(attempt, range(9))) == 1


def test_versioning_across_instances_keeps_every_version(clients, shared_bucket):
    clients[2].put_bucket_versioning(Bucket=shared_bucket, VersioningConfiguration={"Status": "Enabled"})
    with ThreadPoolExecutor(9) as pool:
        ids = list(
            pool.map(
                lambda n: clients[n % INSTANCES].put_object(Bucket=shared_bucket, Key="v", Body=str(n).encode())[
                    "VersionId"
                ],
                range(9),
            )
        )
    assert len(set(ids)) == 9
    for lister in clients:
        versions = lister.list_object_versions(Bucket=shared_bucket, Prefix="v")["Versions"]
        assert sorted(v["VersionId"] for v in versions) == sorted(ids)
        assert sum(v["IsLatest"] for v in versions) == 1


def test_multipart_parts_on_two_instances_complete_on_a_third(clients, shared_bucket):
    first, second, third = clients
    upload = first.create_multipart_upload(Bucket=shared_bucket, Key="mp")["UploadId"]
    bodies = [os.urandom(PART), os.urandom(PART), os.urandom(1234)]
    parts = []
    for number, (client, body) in enumerate(zip([first, second, third], bodies, strict=True), start=1):
        etag = client.upload_part(Bucket=shared_bucket, Key="mp", UploadId=upload, PartNumber=number, Body=body)["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    listed = second.list_parts(Bucket=shared_bucket, Key="mp", UploadId=upload)["Parts"]
    assert [p["PartNumber"] for p in listed] == [1, 2, 3]
    third.complete_multipart_upload(Bucket=shared_bucket, Key="mp", UploadId=upload, MultipartUpload={"Parts": parts})
    whole = b"".join(bodies)
    for reader in clients:
        got = reader.get_object(Bucket=shared_bucket, Key="mp")["Body"].read()
        assert hashlib.md5(got).digest() == hashlib.md5(whole).digest()


def test_quota_holds_when_writers_hit_different_instances(cluster, clients, shared_bucket):
    vid = volume_id(cluster[1], shared_bucket)
    made = console(cluster[1], "POST", f"/volumes/{vid}/quotas", {"path": "/q", "inodes": 4})
    assert made.status_code == 201, made.text
    with ThreadPoolExecutor(12) as pool:
        outcomes = list(
            pool.map(
                lambda n: _put_or_code(clients[n % INSTANCES], shared_bucket, f"q/{n}", b"x"),
                range(12),
            )
        )
    assert outcomes.count("ok") == 4, outcomes
    listed = clients[2].list_objects_v2(Bucket=shared_bucket, Prefix="q/").get("Contents", [])
    assert len(listed) == 4


def test_console_token_replayed_on_another_instance_is_refused(cluster, shared_bucket):
    vid = volume_id(cluster[0], shared_bucket)
    first = console(cluster[0], "POST", f"/volumes/{vid}/quotas", data={"path": "/replayed", "size": 5})
    assert first.status_code == 201
    for other in cluster[1:]:
        replay = first.request.copy()
        replay.url = replay.url.replace(cluster[0].url, other.url)
        replay.headers["Host"] = cluster[0].url.split("/")[2]  # the signed Host
        answer = requests.Session().send(replay)
        assert answer.status_code == 401 and "already used" in answer.json()["error"]["message"], answer.text
    assert len(console(cluster[2], "GET", f"/volumes/{vid}/quotas").json()) == 1


def _put_or_code(client, bucket: str, key: str, body: bytes) -> str:
    try:
        client.put_object(Bucket=bucket, Key=key, Body=body)
        return "ok"
    except ClientError as exc:
        return code(exc)


def test_admin_key_made_on_the_side_works_on_every_instance(cluster, clients, shared_bucket):
    meta = cluster[0]
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "gateway.cli",
            "admin",
            "--data-dir",
            str(meta.data_dir),
            "--meta",
            _meta_url(meta),
            "create-key",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    access = made.stdout.split("access key: ")[1].split()[0]
    secret = made.stdout.split("secret key: ")[1].split()[0]
    for gw in cluster:
        admin = boto_client(dataclasses.replace(gw, access_key=access, secret_key=secret))
        assert shared_bucket in [b["Name"] for b in admin.list_buckets()["Buckets"]]


def _meta_url(gw: Gateway) -> str:
    argv = gw.process.args
    return argv[argv.index("--meta") + 1]


# ---------------------------------------------------------------- round-robin


class RoundRobin:
    """A TCP load balancer in a thread: each new connection goes to the next instance."""

    def __init__(self, ports: list[int]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.targets = cycle(ports)
        self.counts = dict.fromkeys(ports, 0)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            port = next(self.targets)
            self.counts[port] += 1
            upstream = socket.create_connection(("127.0.0.1", port))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()


def test_boto3_round_robin_per_request(clients, shared_bucket):
    rotation = cycle(clients)
    expected = {}
    for n in range(30):
        body = os.urandom(100 + n)
        expected[f"rr/{n:02d}"] = body
        next(rotation).put_object(Bucket=shared_bucket, Key=f"rr/{n:02d}", Body=body)
        assert next(rotation).get_object(Bucket=shared_bucket, Key=f"rr/{n:02d}")["Body"].read() == body
    listed = next(rotation).list_objects_v2(Bucket=shared_bucket, Prefix="rr/", MaxKeys=7)
    keys, token = [o["Key"] for o in listed["Contents"]], listed.get("NextContinuationToken")
    while token:  # each page from another instance
        listed = next(rotation).list_objects_v2(Bucket=shared_bucket, Prefix="rr/", MaxKeys=7, ContinuationToken=token)
        keys += [o["Key"] for o in listed["Contents"]]
        token = listed.get("NextContinuationToken")
    assert keys == sorted(expected)


def test_rclone_through_a_round_robin_balancer(cluster, shared_bucket, tmp_path):
    rclone = require_program("rclone")
    balancer = RoundRobin([gw.port for gw in cluster])
    try:
        source = tmp_path / "tree"
        for n in range(24):
            path = source / f"d{n % 3}" / f"f{n}.bin"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(os.urandom(2000 * (n + 1)))
        (source / "big.bin").write_bytes(os.urandom(12 * 1024 * 1024))  # multipart: parts spread over instances
        env = cluster[0].env()
        (tmp_path / "rclone.conf").write_text("")
        env.update(
            RCLONE_CONFIG=str(tmp_path / "rclone.conf"),
            RCLONE_CONFIG_J_TYPE="s3",
            RCLONE_CONFIG_J_PROVIDER="Other",
            RCLONE_CONFIG_J_ENDPOINT=f"http://127.0.0.1:{balancer.port}",
            RCLONE_CONFIG_J_ACCESS_KEY_ID=cluster[0].access_key,
            RCLONE_CONFIG_J_SECRET_ACCESS_KEY=cluster[0].secret_key,
            RCLONE_S3_CHUNK_SIZE="5M",
            RCLONE_S3_UPLOAD_CUTOFF="5M",
        )

        def run(*args: str) -> subprocess.CompletedProcess:
            proc = subprocess.run(
                [rclone, *args, "--transfers", "6", "--checkers", "6"],
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert proc.returncode == 0 and " ERROR : " not in proc.stderr, proc.stderr
            return proc

        run("copy", str(source), f"j:{shared_bucket}/tree")
        run("check", str(source), f"j:{shared_bucket}/tree")  # sizes and MD5s, listed through the balancer
        assert sum(1 for count in balancer.counts.values() if count) == INSTANCES, balancer.counts
    finally:
        balancer.close()
    for gw in cluster:
        assert requests.get(f"{gw.url}/health", timeout=5).status_code == 200
