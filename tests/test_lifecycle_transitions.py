"""Lifecycle transitions between the user spaces storage classes map onto: blocks move from the
data dir's disk to an S3 space on moto, and to an OBS space on the fake OBS, while clients
read; the object's ETag, version id, Last-Modified and part boundaries stay; and a gateway
killed (-9) in the middle of a transition restarts with the object intact and finishes the
move without leaking a block."""

from __future__ import annotations

import hashlib
import os
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from conftest import boto_client, start_gateway, stop_gateway
from fake_obs import start_fake_obs
from space_helpers import moto  # noqa: F401  (fixture)
from test_s3_storage_classes import console

from gateway.client import NativeClient

DAY = 2  # seconds
PATIENCE = 90
MIB = 1024 * 1024
GLACIER_NOW = {"ID": "cold", "Status": "Enabled", "Filter": {}, "Transitions": [{"Days": 0, "StorageClass": "GLACIER"}]}


def eventually(check, what: str, timeout: float = PATIENCE, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


def moto_space(gateway, moto) -> str:
    """A user space on a fresh moto bucket holding GLACIER gateway-wide; returns the moto bucket."""
    client = NativeClient(gateway.url, gateway.access_key, gateway.secret_key)
    remote_bucket = moto.new_bucket()
    space = client.create_user_space(
        f"moto-{uuid.uuid4().hex[:6]}",
        {"type": "S3", "endpoint": moto.url, "region": "us-east-1", "bucket": remote_bucket},
        {"type": "S3", "accessKeyId": moto.access_key, "secretAccessKey": moto.secret_key},
        working_dir="shards",
    )
    resp = console(gateway, "PUT", "/storage-classes", {"GLACIER": space["name"]})
    assert resp.status_code == 200, resp.text
    return remote_bucket


def remote_blobs(moto, remote_bucket) -> dict[str, bytes]:
    """The remote space's blobs; one the collector deletes between the listing and its GET is
    left out (it is gone: what the callers wait for)."""
    client = moto.client()
    listed = client.list_objects_v2(Bucket=remote_bucket).get("Contents", [])
    found = {}
    for o in listed:
        try:
            found[o["Key"]] = client.get_object(Bucket=remote_bucket, Key=o["Key"])["Body"].read()
        except client.exceptions.NoSuchKey:
            continue
    return found


def local_digests(gateway) -> set[str]:
    """SHA-256 of every block file in the data dir's own space."""
    root = gateway.data_dir / "blobs"
    return {hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


def multipart(s3, bucket, key, parts: list[bytes]) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    done = []
    for number, data in enumerate(parts, 1):
        etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=number, Body=data)["ETag"]
        done.append({"PartNumber": number, "ETag": etag})
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": done})


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    gateway = start_gateway(
        tmp_path_factory.mktemp("transitions"),
        env={
            "JUNCTION_LIFECYCLE_DAY_SECONDS": str(DAY),
            "JUNCTION_GC_INTERVAL": "1",
            "JUNCTION_SSE_C_OVER_HTTP": "true",
        },
    )
    yield gateway
    stop_gateway(gateway)


@pytest.fixture(scope="module")
def s3(gw):
    return boto_client(gw)


@pytest.fixture(scope="module")
def remote(gw, moto):
    return moto_space(gw, moto)


@pytest.fixture
def bucket(s3):
    name = f"tr-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    return name


def write_objects(s3, bucket) -> tuple[list[bytes], bytes]:
    """A three-part multipart object `big`, a 300 KiB `single`, and a 1000-byte `tiny`."""
    parts = [os.urandom(5 * MIB), os.urandom(5 * MIB), os.urandom(MIB + 123)]
    multipart(s3, bucket, "big", parts)
    single = os.urandom(300 * 1024)
    s3.put_object(Bucket=bucket, Key="single", Body=single)
    s3.put_object(Bucket=bucket, Key="tiny", Body=b"t" * 1000)  # under S3's 128 KiB minimum: stays
    return parts, single


def transition_while_reading(gw, s3, bucket, parts: list[bytes], single: bytes, rule: dict, storage_class: str):
    """Put `rule` while three clients read `big` (whole, across a block boundary, part 2) and
    `single` in a loop; return once both report `storage_class` and more reads followed."""
    whole = b"".join(parts)
    errors: list[str] = []
    reads = [0]
    stop = threading.Event()

    def reader() -> None:
        client = boto_client(gw)
        while not stop.is_set():
            try:
                if client.get_object(Bucket=bucket, Key="big")["Body"].read() != whole:
                    errors.append("whole object differs")
                got = client.get_object(Bucket=bucket, Key="big", Range=f"bytes={5 * MIB - 10}-{5 * MIB + 9}")
                if got["Body"].read() != whole[5 * MIB - 10 : 5 * MIB + 10]:
                    errors.append("range across a block boundary differs")
                if client.get_object(Bucket=bucket, Key="big", PartNumber=2)["Body"].read() != parts[1]:
                    errors.append("part 2 differs")
                if client.get_object(Bucket=bucket, Key="single")["Body"].read() != single:
                    errors.append("single differs")
                reads[0] += 1
            except Exception as exc:  # any failed read is a defect
                errors.append(repr(exc))

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        eventually(lambda: reads[0] >= 3, "reads before the transition")
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule]})
        for key in ("big", "single"):
            eventually(lambda key=key: s3.head_object(Bucket=bucket, Key=key).get("StorageClass") == storage_class, key)
        moved_at = reads[0]
        eventually(lambda: reads[0] >= moved_at + 3, "reads after the transition")
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []


def test_transition_to_an_s3_space_under_concurrent_reads(s3, gw, moto, remote, bucket):
    parts, single = write_objects(s3, bucket)
    before = {k: s3.head_object(Bucket=bucket, Key=k) for k in ("big", "single")}
    ours = {hashlib.sha256(b).hexdigest() for b in (single, *parts)}
    assert ours <= local_digests(gw)  # on the data dir's disk, block by block, before the move
    transition_while_reading(gw, s3, bucket, parts, single, GLACIER_NOW, "GLACIER")
    for key in ("big", "single"):
        after = s3.head_object(Bucket=bucket, Key=key)
        for field in ("ETag", "LastModified", "ContentLength"):
            assert after[field] == before[key][field], (key, field)
    assert s3.head_object(Bucket=bucket, Key="big", PartNumber=3)["ContentLength"] == len(parts[2])
    assert "StorageClass" not in s3.head_object(Bucket=bucket, Key="tiny")
    stored = sorted(remote_blobs(moto, remote).values(), key=len)
    assert set(stored) >= {single, *parts}  # the blocks themselves now live on moto, one by one
    eventually(lambda: not (local_digests(gw) & ours), "the old local blocks to be freed")


def test_noncurrent_versions_transition_and_keep_their_ids(s3, gw, moto, remote, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    old = os.urandom(200 * 1024)
    old_id = s3.put_object(Bucket=bucket, Key="doc", Body=old)["VersionId"]
    new_id = s3.put_object(Bucket=bucket, Key="doc", Body=os.urandom(200 * 1024))["VersionId"]
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "nc",
                    "Status": "Enabled",
                    "Filter": {},
                    "NoncurrentVersionTransitions": [{"NoncurrentDays": 0, "StorageClass": "GLACIER"}],
                }
            ]
        },
    )

    def classes() -> dict[str, str]:
        return {v["VersionId"]: v["StorageClass"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]}

    eventually(lambda: classes().get(old_id) == "GLACIER", "the noncurrent version to move")
    assert classes() == {old_id: "GLACIER", new_id: "STANDARD"}
    assert s3.get_object(Bucket=bucket, Key="doc", VersionId=old_id)["Body"].read() == old
    assert old in remote_blobs(moto, remote).values()


def test_a_transition_killed_midway_resumes_after_the_restart(tmp_path, moto):
    env = {"JUNCTION_LIFECYCLE_DAY_SECONDS": str(DAY), "JUNCTION_GC_INTERVAL": "1"}
    # one worker: it shows its job's progress live; another worker would see it as last flushed (0.5 s)
    gateway = start_gateway(tmp_path, "--workers", "1", env=env)
    parts = [os.urandom(8 * MIB) for _ in range(6)]
    whole = b"".join(parts)
    try:
        s3 = boto_client(gateway)
        native = NativeClient(gateway.url, gateway.access_key, gateway.secret_key)
        remote_bucket = moto_space(gateway, moto)
        s3.create_bucket(Bucket="crash")
        multipart(s3, "crash", "big", parts)
        before = s3.head_object(Bucket="crash", Key="big")
        ours = {hashlib.sha256(p).hexdigest() for p in parts}
        assert ours <= local_digests(gateway)
        s3.put_bucket_lifecycle_configuration(Bucket="crash", LifecycleConfiguration={"Rules": [GLACIER_NOW]})

        def moving() -> dict | None:
            for job in native.call("GET", "/v1/job/list", query={"state": "running"})["jobs"]:
                if job["kind"] == "lifecycle":
                    progress = native.get_job(job["jobID"])["progress"]
                    if progress.get("transition") == "GLACIER" and 1 <= progress.get("blocksDone", 0) < 6:
                        return progress
            return None

        progress = eventually(moving, "a transition under way", every=0.02)
        gateway.process.kill()  # SIGKILL in the middle of the move
        gateway.process.wait(10)
        assert progress["blocksTotal"] == 6
    finally:
        stop_gateway(gateway)
    gateway = start_gateway(tmp_path, env=env)
    try:
        s3 = boto_client(gateway)
        head = s3.head_object(Bucket="crash", Key="big")
        assert (head["ETag"], head["LastModified"]) == (before["ETag"], before["LastModified"])
        assert s3.get_object(Bucket="crash", Key="big")["Body"].read() == whole  # intact, whatever its space
        eventually(lambda: s3.head_object(Bucket="crash", Key="big").get("StorageClass") == "GLACIER", "the move")
        assert s3.get_object(Bucket="crash", Key="big")["Body"].read() == whole
        assert s3.head_object(Bucket="crash", Key="big")["ETag"] == before["ETag"]
        # the killed run's half-written blocks are collected: moto ends with exactly the six blocks
        eventually(lambda: sorted(remote_blobs(moto, remote_bucket).values()) == sorted(parts), "moto to hold 6 blocks")
        eventually(lambda: not (local_digests(gateway) & ours), "the local blocks to be freed")
    finally:
        stop_gateway(gateway)


def test_transition_to_an_obs_space_under_concurrent_reads(s3, gw, bucket, tmp_path):
    fake = start_fake_obs(tmp_path)
    try:
        client = NativeClient(gw.url, gw.access_key, gw.secret_key)
        space = client.create_user_space(
            f"obs-{uuid.uuid4().hex[:6]}",
            {"type": "OBS", "region": "cn-north-4", "endpoint": fake.url, "bucket": fake.bucket, "projectID": "",
             "pathStyle": True},
            {"type": "OBS", "accessKeyId": fake.access_key, "secretAccessKey": fake.secret_key},
            working_dir="shards",
        )  # fmt: skip
        table = console(gw, "GET", "/storage-classes").json()
        assert console(gw, "PUT", "/storage-classes", {**table, "DEEP_ARCHIVE": space["name"]}).status_code == 200
        parts, single = write_objects(s3, bucket)
        before = s3.head_object(Bucket=bucket, Key="big")
        rule = {
            "ID": "deep",
            "Status": "Enabled",
            "Filter": {},
            "Transitions": [{"Days": 0, "StorageClass": "DEEP_ARCHIVE"}],
        }
        transition_while_reading(gw, s3, bucket, parts, single, rule, "DEEP_ARCHIVE")
        after = s3.head_object(Bucket=bucket, Key="big")
        assert (after["ETag"], after["LastModified"]) == (before["ETag"], before["LastModified"])
        stored = {fake.objects[fake.bucket][k].path.read_bytes() for k in fake.keys()}
        assert stored >= {single, *parts}  # each block, as it is, in the OBS bucket
        assert "StorageClass" not in s3.head_object(Bucket=bucket, Key="tiny")
    finally:
        fake.stop()


def test_an_encrypted_object_moves_sealed(s3, gw, moto, remote, bucket):
    """An SSE-S3 object's blocks move as stored: moto only ever sees ciphertext, reads still decrypt."""
    data = os.urandom(300 * 1024)
    s3.put_object(Bucket=bucket, Key="secret", Body=data, ServerSideEncryption="AES256")
    before = s3.head_object(Bucket=bucket, Key="secret")
    already = set(remote_blobs(moto, remote))
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [GLACIER_NOW]})
    eventually(lambda: s3.head_object(Bucket=bucket, Key="secret").get("StorageClass") == "GLACIER", "the move")
    got = s3.get_object(Bucket=bucket, Key="secret")
    assert got["Body"].read() == data and got["ServerSideEncryption"] == "AES256"
    assert got["ETag"] == before["ETag"]
    [moved] = [blob for key, blob in remote_blobs(moto, remote).items() if key not in already]
    assert len(moved) >= len(data) and data[:4096] not in moved  # sealed packages, not the plaintext


def test_expiration_removes_the_blocks_from_the_remote_space(s3, gw, moto, remote, bucket):
    """An object a rule expires while its blocks sit in an S3 space (moto): the object goes, and
    the collector then deletes its blob from the remote bucket; nothing is left behind there."""
    data = os.urandom(200 * 1024)
    already = set(remote_blobs(moto, remote))
    s3.put_object(Bucket=bucket, Key="cold/gone", Body=data, StorageClass="GLACIER")
    [stored] = [key for key in remote_blobs(moto, remote) if key not in already]
    s3.put_object(Bucket=bucket, Key="warm/kept", Body=b"kept")
    rule = {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": "cold/"}, "Expiration": {"Days": 1}}
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule]})

    def expired() -> bool:
        return "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="cold/")

    eventually(expired, "the expiration")
    eventually(lambda: stored not in remote_blobs(moto, remote), "the remote blob's deletion")
    assert s3.get_object(Bucket=bucket, Key="warm/kept")["Body"].read() == b"kept"


def test_an_sse_c_object_moves_without_its_key(s3, gw, moto, remote, bucket):
    """The gateway never holds an SSE-C key, yet a rule moves such an object: its sealed blocks go
    to the S3 space as stored; it still opens with the client's key only, with the same ETag."""
    key = os.urandom(32)
    ssec = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}
    data = os.urandom(300 * 1024)
    s3.put_object(Bucket=bucket, Key="customer", Body=data, **ssec)
    before = s3.head_object(Bucket=bucket, Key="customer", **ssec)
    already = set(remote_blobs(moto, remote))
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [GLACIER_NOW]})
    eventually(
        lambda: s3.head_object(Bucket=bucket, Key="customer", **ssec).get("StorageClass") == "GLACIER", "the move"
    )
    got = s3.get_object(Bucket=bucket, Key="customer", **ssec)
    assert got["Body"].read() == data and got["ETag"] == before["ETag"]
    [moved] = [blob for name, blob in remote_blobs(moto, remote).items() if name not in already]
    assert len(moved) >= len(data) and data[:4096] not in moved
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="customer")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_locked_version_still_transitions_and_keeps_its_lock(s3, gw, moto, remote):
    """Object Lock keeps a version from being deleted or expired, not from moving: S3 transitions
    locked objects, and the move changes neither the version nor its retention."""
    name = f"trl-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    data = os.urandom(200 * 1024)
    version = s3.put_object(
        Bucket=name, Key="held", Body=data, ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until
    )["VersionId"]
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [GLACIER_NOW]})
    eventually(lambda: s3.head_object(Bucket=name, Key="held").get("StorageClass") == "GLACIER", "the move")
    head = s3.head_object(Bucket=name, Key="held")
    assert (head["VersionId"], head["ObjectLockMode"], head["ObjectLockRetainUntilDate"]) == (
        version,
        "COMPLIANCE",
        until,
    )
    assert s3.get_object(Bucket=name, Key="held")["Body"].read() == data
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=name, Key="held", VersionId=version)
    assert exc.value.response["Error"]["Code"] == "AccessDenied"
