"""/v1/userSpace/*: create/update/delete/get/test, credentials sealed at rest, affinity and
shard-store caps, package import (createPackage) and export (downloadPackage) with jobs."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import uuid
from pathlib import Path

import pytest
from conftest import boto_client
from native_helpers import expect_error, full_hash
from space_helpers import client, gw, root_of, write_tree  # noqa: F401  (fixtures)
from space_helpers import local_space as new_local_space

from gateway.client import NativeClient, NativeError


def local_space(client: NativeClient, gw, **options) -> dict:
    return new_local_space(client, gw.data_dir, **options)


def test_create_get_update_delete(client, gw):
    space = local_space(client, gw, working_dir="work/dir")
    assert space["revision"] == 1 and space["workingDir"] == "work/dir"
    assert space["shardStore"] == {"maxSize": 0}
    got = client.get_user_space(space["userSpaceID"])
    assert got == space
    renamed = client.update_user_space(space["userSpaceID"], name=space["name"] + "-x")
    assert renamed["revision"] == 2 and renamed["name"] == space["name"] + "-x"
    client.delete_user_space(space["userSpaceID"])
    expect_error("DataNotFound", 404, client.get_user_space, space["userSpaceID"])
    client.delete_user_space(space["userSpaceID"])  # absent: still OK, as documented


def test_bad_definitions_are_refused(client, gw, tmp_path):
    space = local_space(client, gw)
    expect_error("DataExists", 409, client.create_user_space, space["name"], space["storage"], {"type": "Local"})
    expect_error("BadArgument", 400, client.create_user_space, "t1", {"type": "Tape"}, {"type": "Tape"})
    expect_error(
        "BadArgument", 400, client.create_user_space, "t2", {"type": "Local", "root": "relative"}, {"type": "Local"}
    )
    # a Local space may not point outside the data dir and the configured roots
    expect_error(
        "Unauthorized", 403, client.create_user_space, "t3", {"type": "Local", "root": str(tmp_path)}, {"type": "Local"}
    )
    expect_error(
        "Unauthorized",
        403,
        client.create_user_space,
        "t4",
        {"type": "Local", "root": str(gw.data_dir / "spaces" / ".." / "..")},
        {"type": "Local"},
    )
    # nor at the data dir itself, which holds the metadata and the key sealing credentials
    expect_error(
        "Unauthorized",
        403,
        client.create_user_space,
        "t4b",
        {"type": "Local", "root": str(gw.data_dir)},
        {"type": "Local"},
    )
    expect_error(
        "BadArgument", 400, client.create_user_space, "t5", space["storage"], {"type": "Local"}, working_dir="../escape"
    )
    expect_error("BadArgument", 400, client.create_user_space, "t6", {"type": "S3", "bucket": "b"}, {"type": "OBS"})


def test_unsigned_and_export_keys_cannot_manage_spaces(client, gw):
    unsigned = client.request("GET", "/v1/userSpace/get", query={"userSpaceID": 1}, sign=False)
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "Unauthorized"


def test_test_endpoint_probes_the_storage(client, gw):
    root = gw.data_dir / "spaces" / "probe"
    root.mkdir(parents=True)
    client.test_user_space({"type": "Local", "root": str(root)}, {"type": "Local"}, "wd")
    assert (root / "wd").is_dir() and not any((root / "wd").iterdir())  # the probe is gone again
    blocked = root / "blocked"
    blocked.write_text("a file where the working dir should be")
    err = expect_error(
        "OperationFailed",
        502,
        client.test_user_space,
        {"type": "Local", "root": str(root)},
        {"type": "Local"},
        "blocked",
    )
    assert "probe" in err.message or "storage" in err.message


def test_credentials_are_sealed_at_rest_and_masked(client, gw):
    secret = "very-secret-" + uuid.uuid4().hex
    root = gw.data_dir / "spaces" / ("c-" + uuid.uuid4().hex[:6])
    root.mkdir(parents=True)
    space = client.create_user_space(
        "cred-" + uuid.uuid4().hex[:6],
        {"type": "Local", "root": str(root)},
        {"type": "Local", "accessKeyId": "AKID", "secretAccessKey": secret},
    )
    assert space["credential"] == {"type": "Local", "accessKeyId": "AKID", "secretAccessKey": "******"}
    assert client.get_user_space(space["userSpaceID"])["credential"]["secretAccessKey"] == "******"
    raw = (
        (gw.data_dir / "meta.sqlite3").read_bytes() + (gw.data_dir / "meta.sqlite3-wal").read_bytes()
        if (gw.data_dir / "meta.sqlite3-wal").exists()
        else (gw.data_dir / "meta.sqlite3").read_bytes()
    )
    assert secret.encode() not in raw
    with sqlite3.connect(gw.data_dir / "meta.sqlite3") as db:
        stored = db.execute("SELECT credential FROM spaces WHERE id = ?", (space["userSpaceID"],)).fetchone()[0]
    assert stored.startswith("fernet:") and secret not in stored
    assert secret not in gw.logs()


def _upload(client: NativeClient, bucket_name: str, data: bytes, *, affinity: int | None) -> dict:
    bucket = client.create_bucket(bucket_name)
    package = client.create_package(bucket["bucketID"], "p")
    return client.upload(package["packageID"], [("f.bin", data)], affinity=affinity)[0]


def blobs_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_affinity_places_blocks_and_delete_waits_for_them(client, gw):
    space = local_space(client, gw, working_dir="shards")
    data = os.urandom(4096)
    obj = _upload(client, f"aff-{uuid.uuid4().hex[:8]}", data, affinity=space["userSpaceID"])
    stored = blobs_under(root_of(space) / "shards")
    assert len(stored) == 1 and stored[0].read_bytes() == data
    assert client.download(obj["objectID"]) == data
    err = expect_error("OperationFailed", 409, client.delete_user_space, space["userSpaceID"])
    assert "blocks" in err.message
    client.delete([obj["objectID"]])
    client.delete_user_space(space["userSpaceID"])


def test_disabled_shard_store_falls_back_to_default(client, gw):
    no_shards = local_space(client, gw, shard_max_size=None)
    data = os.urandom(1000)
    obj = _upload(client, f"fb-{uuid.uuid4().hex[:8]}", data, affinity=no_shards["userSpaceID"])
    assert blobs_under(root_of(no_shards)) == []
    assert client.download(obj["objectID"]) == data


def test_shard_store_max_size_is_enforced(client, gw):
    capped = local_space(client, gw, shard_max_size=100)
    bucket = client.create_bucket(f"cap-{uuid.uuid4().hex[:8]}")
    package = client.create_package(bucket["bucketID"], "p")
    err = expect_error(
        "OperationFailed",
        403,
        client.upload,
        package["packageID"],
        [("big", os.urandom(1000))],
        affinity=capped["userSpaceID"],
    )
    assert "maxSize" in err.message
    assert blobs_under(root_of(capped)) == [] and client.package_objects(package["packageID"]) == []
    small = client.upload(package["packageID"], [("small", b"x" * 60)], affinity=capped["userSpaceID"])[0]
    assert len(blobs_under(root_of(capped))) == 1
    # 60 of 100 bytes used: a write that would overflow is refused, the space is never over its cap
    expect_error(
        "OperationFailed",
        403,
        client.upload,
        package["packageID"],
        [("more", b"y" * 60)],
        affinity=capped["userSpaceID"],
    )
    client.upload(package["packageID"], [("fits", b"z" * 40)], affinity=capped["userSpaceID"])
    # now full: the next write with this affinity lands in the default space
    last = client.upload(package["packageID"], [("after", b"w" * 10)], affinity=capped["userSpaceID"])[0]
    assert len(blobs_under(root_of(capped))) == 2
    assert client.download(last["objectID"]) == b"w" * 10 and client.download(small["objectID"]) == b"x" * 60


def test_create_package_imports_a_folder_and_download_package_exports_it(client, gw):
    source = local_space(client, gw)
    files = {
        "data/a.txt": b"alpha",
        "data/sub/b.bin": os.urandom(300_000),
        "data/sub/Ünïcode name.txt": b"u",
        "data/empty": b"",
        "other/c.txt": b"not imported",
    }
    write_tree(root_of(source), files)
    bucket = client.create_bucket(f"imp-{uuid.uuid4().hex[:8]}")
    answer = client.import_package(source["userSpaceID"], "data", bucket["bucketID"], "imported")
    assert answer["package"]["name"] == "imported" and answer["result"]["objects"] == 4
    objects = {o["path"]: o for o in client.package_objects(answer["package"]["packageID"])}
    assert set(objects) == {"a.txt", "sub/b.bin", "sub/Ünïcode name.txt", "empty"}
    for rel, obj in objects.items():
        assert obj["fileHash"] == full_hash(files["data/" + rel])
    s3 = boto_client(gw)
    body = s3.get_object(Bucket=bucket["name"], Key="imported/sub/b.bin")["Body"].read()
    assert body == files["data/sub/b.bin"]
    job = client.get_job(answer["jobID"])
    assert job["state"] == "succeeded" and job["progress"]["filesDone"] == 4
    assert job["progress"]["bytesDone"] == sum(len(v) for k, v in files.items() if k.startswith("data/"))

    target = local_space(client, gw)
    client.export_package(target["userSpaceID"], answer["package"]["packageID"], "out/here")
    for rel in objects:
        assert (root_of(target) / "out/here" / rel).read_bytes() == files["data/" + rel]


def test_create_package_of_one_file_and_errors(client, gw):
    source = local_space(client, gw)
    write_tree(root_of(source), {"dir/one.txt": b"just one"})
    bucket = client.create_bucket(f"one-{uuid.uuid4().hex[:8]}")
    answer = client.import_package(source["userSpaceID"], "dir/one.txt", bucket["bucketID"], "single")
    objects = client.package_objects(answer["package"]["packageID"])
    assert [o["path"] for o in objects] == ["one.txt"]
    expect_error("DataExists", 409, client.import_package, source["userSpaceID"], "dir", bucket["bucketID"], "single")
    expect_error(
        "DataNotFound", 404, client.import_package, source["userSpaceID"], "nothing/here", bucket["bucketID"], "p2"
    )
    expect_error(
        "BadArgument", 400, client.import_package, source["userSpaceID"], "../../etc", bucket["bucketID"], "p3"
    )
    expect_error("DataNotFound", 404, client.import_package, 999999, "dir", bucket["bucketID"], "p4")
    names = [p["name"] for p in client.list_packages(bucket["bucketID"])]
    assert "p2" not in names and "p3" not in names  # a refused import leaves no package behind


def test_symlink_out_of_a_space_is_not_followed(client, gw, tmp_path):
    source = local_space(client, gw)
    outside = tmp_path / "secret.txt"
    outside.write_text("outside the space")
    (root_of(source) / "d").mkdir()
    (root_of(source) / "d" / "ok.txt").write_text("fine")
    os.symlink(outside, root_of(source) / "d" / "link.txt")
    bucket = client.create_bucket(f"ln-{uuid.uuid4().hex[:8]}")
    answer = client.import_package(source["userSpaceID"], "d", bucket["bucketID"], "links")
    assert [o["path"] for o in client.package_objects(answer["package"]["packageID"])] == ["ok.txt"]
    err = expect_error(
        "BadArgument", 400, client.import_package, source["userSpaceID"], "d/link.txt", bucket["bucketID"], "link2"
    )
    assert "leads outside the space's root" in err.message


def test_async_import_reports_progress_as_server_sent_events(client, gw):
    source = local_space(client, gw)
    files = {f"many/{i:03d}.bin": hashlib.sha256(str(i).encode()).digest() * 1000 for i in range(40)}
    write_tree(root_of(source), files)
    bucket = client.create_bucket(f"sse-{uuid.uuid4().hex[:8]}")
    answer = client.import_package(source["userSpaceID"], "many", bucket["bucketID"], "bulk", wait=False)
    events = list(client.job_events(answer["jobID"]))
    assert events, "no events"
    assert events[-1][0] == "end" and events[-1][1]["state"] == "succeeded"
    assert all(name == "progress" for name, _ in events[:-1])
    assert events[-1][1]["progress"]["filesDone"] == 40
    assert len(client.package_objects(answer["package"]["packageID"])) == 40
    with pytest.raises(NativeError) as info:
        list(client.job_events(10_000_000))
    assert info.value.code == "DataNotFound"


def test_test_endpoint_says_why_an_s3_space_fails(client, gw):
    """S3 → another Junction (this one): it checks signatures, unlike moto."""
    s3 = boto_client(gw)
    bucket = f"probe-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    storage = {
        "type": "S3",
        "endpoint": gw.url,
        "region": "us-east-1",
        "bucket": bucket,
        "pathStyle": True,
        "maxAttempts": 1,
        "connectTimeout": 2,
        "readTimeout": 5,
    }
    good = {"type": "S3", "accessKeyId": gw.access_key, "secretAccessKey": gw.secret_key}
    client.test_user_space(storage, good, "probe-dir")
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0  # the probe was removed
    wrong = {**good, "secretAccessKey": "not-the-secret"}
    err = expect_error("OperationFailed", 502, client.test_user_space, storage, wrong, "")
    assert "refused access (its credential" in err.message and "not-the-secret" not in err.message
    closed = {**storage, "endpoint": "http://127.0.0.1:9"}  # discard port: nothing listens
    err = expect_error("OperationFailed", 502, client.test_user_space, closed, good, "")
    assert "cannot be reached" in err.message
    missing = {**storage, "bucket": "no-such-bucket-" + uuid.uuid4().hex[:6]}
    err = expect_error("OperationFailed", 502, client.test_user_space, missing, good, "")
    assert "no-such-bucket" in err.message


def test_s3_space_holds_blocks_and_survives_a_credential_update(client, gw):
    s3 = boto_client(gw)
    bucket = f"shards-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    storage = {"type": "S3", "endpoint": gw.url, "region": "us-east-1", "bucket": bucket, "pathStyle": True}
    good = {"type": "S3", "accessKeyId": gw.access_key, "secretAccessKey": gw.secret_key}
    space = client.create_user_space(f"s3-{uuid.uuid4().hex[:6]}", storage, good, working_dir="wd")
    data = os.urandom(70_000)
    obj = _upload(client, f"via-s3-{uuid.uuid4().hex[:6]}", data, affinity=space["userSpaceID"])
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("wd/blocks/")
    assert client.download(obj["objectID"]) == data
    updated = client.update_user_space(space["userSpaceID"], credential={**good, "secretAccessKey": "wrong"})
    assert updated["revision"] == 2
    with pytest.raises(NativeError):
        client.download(obj["objectID"])  # the space now signs with the wrong secret
    client.update_user_space(space["userSpaceID"], credential=good)
    assert client.download(obj["objectID"]) == data
