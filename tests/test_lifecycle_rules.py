"""Lifecycle rules carried out by the scheduler, on a gateway whose lifecycle day lasts two
seconds (JUNCTION_LIFECYCLE_DAY_SECONDS=2): each rule type, each filter, versioned buckets,
and the passes visible as jobs (/v1/job/list, SSE on /v1/job/events). Every wait polls with a
generous timeout; nothing asserts how fast a pass is."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from conftest import boto_client, start_gateway, stop_gateway

from gateway.client import NativeClient

DAY = 2  # seconds
PATIENCE = 60  # seconds any one wait may take on a busy machine


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    gateway = start_gateway(
        tmp_path_factory.mktemp("lifecycle"),
        env={"JUNCTION_LIFECYCLE_DAY_SECONDS": str(DAY), "JUNCTION_GC_INTERVAL": "1"},
    )
    yield gateway
    stop_gateway(gateway)


@pytest.fixture(scope="module")
def s3(gw):
    return boto_client(gw)


@pytest.fixture(scope="module")
def native(gw) -> NativeClient:
    return NativeClient(gw.url, gw.access_key, gw.secret_key)


@pytest.fixture
def bucket(s3):
    name = f"lc-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def versioned(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return bucket


def eventually(check: Callable[[], object], what: str, timeout: float = PATIENCE) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def keys(s3, bucket) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def versions(s3, bucket) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    listed = s3.list_object_versions(Bucket=bucket)
    return (
        [(v["Key"], v["VersionId"]) for v in listed.get("Versions", [])],
        [(m["Key"], m["VersionId"]) for m in listed.get("DeleteMarkers", [])],
    )


def rules(s3, bucket, *rule_list) -> None:
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": list(rule_list)})


def lifecycle_jobs(native: NativeClient) -> list[dict]:
    jobs = native.call("GET", "/v1/job/list", query={"limit": 1000})["jobs"]
    return [j for j in jobs if j["kind"] == "lifecycle"]


def last_job_id(native: NativeClient) -> int:
    return max((j["jobID"] for j in lifecycle_jobs(native)), default=0)


def passes_after(native: NativeClient, after_id: int) -> list[dict]:
    """Lifecycle passes that started after job `after_id` and succeeded."""
    return [j for j in lifecycle_jobs(native) if j["jobID"] > after_id and j["state"] == "succeeded"]


def settle(native: NativeClient) -> None:
    """Wait until two whole passes have started and finished since now (every rule had its chance)."""
    after = last_job_id(native)
    eventually(lambda: len(passes_after(native, after)) >= 2, "two lifecycle passes")


def test_expiration_by_days_with_a_prefix(s3, native, bucket):
    rules(s3, bucket, {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}})
    for key in ("tmp/a", "tmp/b/c", "keep/a", "tmpx"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"data")
    eventually(lambda: keys(s3, bucket) == {"keep/a", "tmpx"}, "tmp/ to expire")
    settle(native)
    assert keys(s3, bucket) == {"keep/a", "tmpx"}


def test_a_disabled_rule_does_nothing(s3, native, bucket):
    rules(s3, bucket, {"ID": "off", "Status": "Disabled", "Filter": {}, "Expiration": {"Days": 1}})
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")
    time.sleep(3 * DAY)
    settle(native)
    assert keys(s3, bucket) == {"a"}


def test_expiration_by_date_and_tag_filter(s3, bucket):
    past = datetime(2020, 1, 1, tzinfo=UTC)
    future = datetime(2099, 1, 1, tzinfo=UTC)
    rules(
        s3,
        bucket,
        {
            "ID": "past",
            "Status": "Enabled",
            "Filter": {"Tag": {"Key": "temp", "Value": "yes"}},
            "Expiration": {"Date": past},
        },
        {"ID": "future", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Date": future}},
    )
    s3.put_object(Bucket=bucket, Key="tagged", Body=b"x", Tagging="temp=yes")
    s3.put_object(Bucket=bucket, Key="other-value", Body=b"x", Tagging="temp=no")
    s3.put_object(Bucket=bucket, Key="untagged", Body=b"x")
    s3.put_object(Bucket=bucket, Key="tagged-later", Body=b"x")
    s3.put_object_tagging(Bucket=bucket, Key="tagged-later", Tagging={"TagSet": [{"Key": "temp", "Value": "yes"}]})
    eventually(lambda: keys(s3, bucket) == {"other-value", "untagged"}, "tagged objects to expire")


def test_size_filters_and_and(s3, native, bucket):
    rules(
        s3,
        bucket,
        {
            "ID": "mid",
            "Status": "Enabled",
            "Filter": {"And": {"Prefix": "s/", "ObjectSizeGreaterThan": 100, "ObjectSizeLessThan": 1000}},
            "Expiration": {"Days": 1},
        },
        {"ID": "big", "Status": "Enabled", "Filter": {"ObjectSizeGreaterThan": 5000}, "Expiration": {"Days": 1}},
    )
    sizes = {"s/small": 50, "s/edge100": 100, "s/mid": 500, "s/edge1000": 1000, "s/large": 2000, "x/huge": 6000}
    for key, size in sizes.items():
        s3.put_object(Bucket=bucket, Key=key, Body=b"z" * size)
    eventually(lambda: keys(s3, bucket) == {"s/small", "s/edge100", "s/edge1000", "s/large"}, "sized expirations")
    settle(native)
    assert keys(s3, bucket) == {"s/small", "s/edge100", "s/edge1000", "s/large"}


def test_expiration_in_a_versioned_bucket_adds_a_delete_marker(s3, versioned):
    bucket = versioned
    rules(s3, bucket, {"ID": "e", "Status": "Enabled", "Filter": {"Prefix": "v/"}, "Expiration": {"Days": 1}})
    version = s3.put_object(Bucket=bucket, Key="v/a", Body=b"one")["VersionId"]
    eventually(lambda: versions(s3, bucket)[1], "a delete marker")
    kept, markers = versions(s3, bucket)
    assert kept == [("v/a", version)] and len(markers) == 1
    assert keys(s3, bucket) == set()
    assert s3.get_object(Bucket=bucket, Key="v/a", VersionId=version)["Body"].read() == b"one"


def test_noncurrent_expiration_keeps_the_newer_noncurrent_versions(s3, native, versioned):
    bucket = versioned
    ids = [s3.put_object(Bucket=bucket, Key="doc", Body=f"v{i}".encode())["VersionId"] for i in range(6)]
    s3.put_object(Bucket=bucket, Key="other/doc", Body=b"x")
    s3.put_object(Bucket=bucket, Key="other/doc", Body=b"y")
    rules(
        s3,
        bucket,
        {
            "ID": "nc",
            "Status": "Enabled",
            "Filter": {"Prefix": "doc"},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 1, "NewerNoncurrentVersions": 2},
        },
    )
    eventually(lambda: len([v for v in versions(s3, bucket)[0] if v[0] == "doc"]) == 3, "old versions to go")
    settle(native)
    kept = [v for k, v in versions(s3, bucket)[0] if k == "doc"]
    assert kept == [ids[5], ids[4], ids[3]]  # the current one and the two newest noncurrent ones
    assert len([k for k, _ in versions(s3, bucket)[0] if k == "other/doc"]) == 2  # outside the prefix
    assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"v5"


def test_expired_object_delete_markers_are_removed(s3, native, versioned):
    bucket = versioned
    rules(
        s3,
        bucket,
        {"ID": "m", "Status": "Enabled", "Filter": {"Prefix": "m/"}, "Expiration": {"ExpiredObjectDeleteMarker": True}},
    )
    s3.delete_object(Bucket=bucket, Key="m/lone")  # a marker and nothing else
    s3.put_object(Bucket=bucket, Key="m/kept", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="m/kept")  # a marker over a noncurrent version: not expired
    s3.delete_object(Bucket=bucket, Key="n/lone")  # outside the prefix
    eventually(lambda: "m/lone" not in {k for k, _ in versions(s3, bucket)[1]}, "the lone marker to go")
    settle(native)
    _, markers = versions(s3, bucket)
    assert sorted(k for k, _ in markers) == ["m/kept", "n/lone"]


def test_noncurrent_expiration_then_the_marker_left_alone(s3, native, versioned):
    """A deleted key's old version expires, which leaves its marker alone: then the marker goes too."""
    bucket = versioned
    rules(
        s3,
        bucket,
        {
            "ID": "both",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "Expiration": {"ExpiredObjectDeleteMarker": True},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
        },
    )
    s3.put_object(Bucket=bucket, Key="gone", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="gone")
    eventually(lambda: versions(s3, bucket) == ([], []), "the version and then the marker to go")


def test_abort_incomplete_multipart_uploads(s3, native, gw, bucket):
    rules(
        s3,
        bucket,
        {
            "ID": "mpu",
            "Status": "Enabled",
            "Filter": {"Prefix": "up/"},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        },
    )
    stale = s3.create_multipart_upload(Bucket=bucket, Key="up/big")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="up/big", UploadId=stale, PartNumber=1, Body=b"p" * 1000)
    other = s3.create_multipart_upload(Bucket=bucket, Key="keep/big")["UploadId"]

    def open_uploads() -> set[str]:
        return {u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])}

    eventually(lambda: open_uploads() == {other}, "the stale upload to be aborted")
    settle(native)
    assert open_uploads() == {other}


def test_passes_are_jobs_with_counts_and_events(s3, native, bucket):
    rules(s3, bucket, {"ID": "j", "Status": "Enabled", "Filter": {"Prefix": "j/"}, "Expiration": {"Days": 1}})
    started = last_job_id(native)
    s3.put_object(Bucket=bucket, Key="j/a", Body=b"x")
    eventually(lambda: "j/a" not in keys(s3, bucket), "j/a to expire")
    done = eventually(
        lambda: [j for j in passes_after(native, started) if j["result"] and j["result"]["expired"]], "the counted pass"
    )
    result = done[0]["result"]
    assert result["expired"] >= 1 and result["failed"] == 0 and result["buckets"] >= 1
    assert done[0]["progress"]["scanned"] >= 1
    events = list(native.job_events(last_job_id(native)))  # the latest pass, running or just done
    assert events[-1][0] == "end" and events[-1][1]["state"] == "succeeded"
    assert events[-1][1]["kind"] == "lifecycle"
    assert {"scanned", "expired", "transitioned", "failed"} <= set(events[-1][1]["progress"])


def test_rules_survive_a_restart(tmp_path):
    gateway = start_gateway(tmp_path, env={"JUNCTION_LIFECYCLE_DAY_SECONDS": "3600"})
    try:
        client = boto_client(gateway)
        client.create_bucket(Bucket="persist")
        rules(client, "persist", {"ID": "p", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}})
        client.put_object(Bucket="persist", Key="a", Body=b"x")
    finally:
        stop_gateway(gateway)
    gateway = start_gateway(tmp_path, env={"JUNCTION_LIFECYCLE_DAY_SECONDS": str(DAY)})
    try:
        client = boto_client(gateway)
        assert [r["ID"] for r in client.get_bucket_lifecycle_configuration(Bucket="persist")["Rules"]] == ["p"]
        eventually(lambda: keys(client, "persist") == set(), "the rule to run after the restart")
    finally:
        stop_gateway(gateway)


def test_locked_objects_and_versions_are_never_expired(s3, native):
    bucket = f"lock-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    until = datetime(2099, 1, 1, tzinfo=UTC)
    held = s3.put_object(Bucket=bucket, Key="held", Body=b"h", ObjectLockLegalHoldStatus="ON")["VersionId"]
    kept = s3.put_object(
        Bucket=bucket, Key="retained", Body=b"r", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until
    )["VersionId"]
    old_locked = s3.put_object(Bucket=bucket, Key="history", Body=b"1", ObjectLockLegalHoldStatus="ON")["VersionId"]
    old_free = s3.put_object(Bucket=bucket, Key="history", Body=b"2")["VersionId"]
    s3.put_object(Bucket=bucket, Key="history", Body=b"3")
    s3.put_object(Bucket=bucket, Key="free", Body=b"f")
    rules(
        s3,
        bucket,
        {
            "ID": "all",
            "Status": "Enabled",
            "Filter": {},
            "Expiration": {"Days": 1},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
        },
    )
    assert "Expiration" not in s3.head_object(Bucket=bucket, Key="held")  # a locked object will not expire
    assert "Expiration" in s3.head_object(Bucket=bucket, Key="free")
    eventually(lambda: "free" not in keys(s3, bucket), "the unlocked object to expire")
    eventually(lambda: old_free not in {v for _, v in versions(s3, bucket)[0]}, "the unlocked old version to go")
    settle(native)
    assert {"held", "retained"} <= keys(s3, bucket)  # no delete marker over a locked current version
    left = {v for _, v in versions(s3, bucket)[0]}
    assert {held, kept, old_locked} <= left
    assert s3.get_object(Bucket=bucket, Key="history", VersionId=old_locked)["Body"].read() == b"1"


def test_a_bucket_larger_than_one_batch_is_walked_whole(s3, gw, native, bucket):
    """1,100 keys under the rule's prefix (more than two batches of 500) and some outside it."""
    doomed = [f"many/{i:05d}" for i in range(1100)]
    spared = [f"few/{i}" for i in range(5)]
    local = threading.local()

    def write(key: str) -> None:
        if not hasattr(local, "s3"):
            local.s3 = boto_client(gw)
        local.s3.put_object(Bucket=bucket, Key=key, Body=b"x")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, doomed + spared))
    assert len(keys(s3, bucket)) == 1000  # one listing page: the bucket holds more
    after = last_job_id(native)
    rules(s3, bucket, {"ID": "many", "Status": "Enabled", "Filter": {"Prefix": "many/"}, "Expiration": {"Days": 1}})
    eventually(lambda: keys(s3, bucket) == set(spared), "all 1,100 keys to expire", timeout=3 * PATIENCE)
    # one pass walked every batch: its scan covered the whole prefix, not just the first 500 keys
    settle(native)  # the pass that expired the last keys may still be finishing
    ran = [j for j in lifecycle_jobs(native) if j["jobID"] > after and j["state"] != "running"]
    assert [j for j in ran if j["state"] != "succeeded"] == []
    assert max(j["result"]["scanned"] for j in ran) >= 1100


def test_a_date_expiration_also_removes_lone_delete_markers(s3, native, versioned):
    bucket = versioned
    rules(
        s3,
        bucket,
        {"ID": "d", "Status": "Enabled", "Filter": {}, "Expiration": {"Date": datetime(2020, 1, 1, tzinfo=UTC)}},
    )
    s3.delete_object(Bucket=bucket, Key="lone")  # the only version: an expired object delete marker
    version = s3.put_object(Bucket=bucket, Key="kept", Body=b"k")["VersionId"]
    # "kept" expires behind a marker; that marker hides a version, so it stays
    eventually(lambda: "lone" not in {k for k, _ in versions(s3, bucket)[1]}, "the lone marker to go")
    eventually(lambda: [k for k, _ in versions(s3, bucket)[1]] == ["kept"], "kept to get its marker")
    settle(native)
    kept, markers = versions(s3, bucket)
    assert kept == [("kept", version)] and [k for k, _ in markers] == ["kept"]


def test_a_transition_to_an_unmapped_class_relabels_and_leaks_nothing(s3, gw, bucket):
    """No user space holds INTELLIGENT_TIERING here: the blocks stay put and only the class changes;
    deleting the object afterwards still frees its block (the switch kept the reference count)."""
    import hashlib

    data = os.urandom(200 * 1024)
    digest = hashlib.sha256(data).hexdigest()
    s3.put_object(Bucket=bucket, Key="it", Body=data)
    etag = s3.head_object(Bucket=bucket, Key="it")["ETag"]
    rules(
        s3,
        bucket,
        {
            "ID": "it",
            "Status": "Enabled",
            "Filter": {},
            "Transitions": [{"Days": 0, "StorageClass": "INTELLIGENT_TIERING"}],
        },
    )

    def stored() -> set[str]:
        root = gw.data_dir / "blobs"
        return {hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}

    eventually(lambda: s3.head_object(Bucket=bucket, Key="it").get("StorageClass") == "INTELLIGENT_TIERING", "relabel")
    assert s3.head_object(Bucket=bucket, Key="it")["ETag"] == etag
    assert s3.get_object(Bucket=bucket, Key="it")["Body"].read() == data
    assert digest in stored()
    s3.delete_object(Bucket=bucket, Key="it")
    eventually(lambda: digest not in stored(), "the deleted object's block to be collected")
