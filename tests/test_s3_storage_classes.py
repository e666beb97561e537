"""S3 storage classes mapped onto user spaces: x-amz-storage-class picks the space that holds
an object's blocks (gateway-wide table, per-bucket overrides, the config file), S3 reports the
class everywhere it reports one, and CopyObject onto itself moves the blocks between spaces."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import console_example
import pytest
import requests
from botocore.exceptions import ClientError
from conftest import boto_client, start_gateway, stop_gateway
from space_helpers import client, gw, local_space, moto, root_of  # noqa: F401  (fixtures)

MIB = 1024 * 1024


def console(gw, method, path, data=None):
    """A console API call signed as the console document's example client signs it."""
    url = f"{gw.url}/api/v1{path}"
    req = requests.Request(method, url, json=data).prepare()
    ts = int(time.time())
    host = url.split("/")[2]
    signature = console_example.sign(gw.secret_key, ts, method, f"/api/v1{path}", {"Host": host}, None, req.body)
    token = {"access_key": gw.access_key, "timestamp": ts, "signature": signature, "version": 1}
    req.headers["Authorization"] = base64.b64encode(json.dumps(token).encode()).decode()
    return requests.Session().send(req)


def blobs(space) -> dict[str, bytes]:
    """Every block file the space holds (its shard store is under `shards/`)."""
    root = root_of(space) / "shards"
    return {p.name: p.read_bytes() for p in root.rglob("*") if p.is_file() and "junction-tmp" not in p.name}


def error(exc_info) -> tuple[int, str]:
    response = exc_info.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


@pytest.fixture(scope="module")
def s3(gw):
    return boto_client(gw)


@pytest.fixture(scope="module")
def glacier(client, gw):
    """A Local space holding the GLACIER class gateway-wide."""
    space = local_space(client, gw.data_dir, working_dir="shards")
    resp = console(gw, "PUT", "/storage-classes", {"GLACIER": space["name"]})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"GLACIER": space["name"]}
    return space


@pytest.fixture
def bucket(s3):
    name = f"sc-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    return name


def test_unknown_storage_class_is_refused_everywhere(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    calls = [
        lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", StorageClass="COLD"),
        lambda: s3.create_multipart_upload(Bucket=bucket, Key="k", StorageClass="standard"),
        lambda: s3.copy_object(Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "src"}, StorageClass="X"),
    ]
    for attempt in calls:
        with pytest.raises(ClientError) as exc:
            attempt()
        assert error(exc) == (400, "InvalidStorageClass")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["src"]
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)


def test_standard_is_never_reported_in_headers_and_an_unmapped_class_stays_in_the_default_space(s3, bucket):
    s3.put_object(Bucket=bucket, Key="std", Body=b"a", StorageClass="STANDARD")
    s3.put_object(Bucket=bucket, Key="ia", Body=b"b", StorageClass="STANDARD_IA")
    assert "StorageClass" not in s3.head_object(Bucket=bucket, Key="std")
    raw = s3.get_object(Bucket=bucket, Key="std")["ResponseMetadata"]["HTTPHeaders"]
    assert "x-amz-storage-class" not in raw
    assert s3.head_object(Bucket=bucket, Key="ia")["StorageClass"] == "STANDARD_IA"
    assert s3.get_object(Bucket=bucket, Key="ia")["Body"].read() == b"b"
    listed = {o["Key"]: o["StorageClass"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert listed == {"ia": "STANDARD_IA", "std": "STANDARD"}


def test_a_mapped_class_lands_in_its_space_and_is_reported_by_every_read(s3, bucket, glacier):
    data = os.urandom(10_000)
    before = blobs(glacier)
    s3.put_object(Bucket=bucket, Key="cold/a", Body=data, StorageClass="GLACIER")
    added = {k: v for k, v in blobs(glacier).items() if k not in before}
    assert list(added.values()) == [data]  # the raw block in the space's directory
    assert s3.get_object(Bucket=bucket, Key="cold/a")["Body"].read() == data
    assert s3.head_object(Bucket=bucket, Key="cold/a")["StorageClass"] == "GLACIER"
    assert s3.list_objects_v2(Bucket=bucket)["Contents"][0]["StorageClass"] == "GLACIER"
    assert s3.list_objects(Bucket=bucket)["Contents"][0]["StorageClass"] == "GLACIER"
    assert s3.list_object_versions(Bucket=bucket)["Versions"][0]["StorageClass"] == "GLACIER"
    attrs = s3.get_object_attributes(Bucket=bucket, Key="cold/a", ObjectAttributes=["StorageClass", "ObjectSize"])
    assert (attrs["StorageClass"], attrs["ObjectSize"]) == ("GLACIER", len(data))


def test_multipart_parts_land_in_the_class_space(s3, bucket, glacier):
    before = blobs(glacier)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big", StorageClass="GLACIER")["UploadId"]
    listed = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["StorageClass"]) for u in listed] == [("big", "GLACIER")]
    pieces = [os.urandom(5 * MIB), os.urandom(1000)]
    parts = []
    for number, piece in enumerate(pieces, 1):
        etag = s3.upload_part(Bucket=bucket, Key="big", UploadId=upload, PartNumber=number, Body=piece)["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    assert s3.list_parts(Bucket=bucket, Key="big", UploadId=upload)["StorageClass"] == "GLACIER"
    added = {k: v for k, v in blobs(glacier).items() if k not in before}
    assert sorted(added.values(), key=len) == sorted(pieces, key=len)
    s3.complete_multipart_upload(Bucket=bucket, Key="big", UploadId=upload, MultipartUpload={"Parts": parts})
    assert s3.head_object(Bucket=bucket, Key="big")["StorageClass"] == "GLACIER"
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == b"".join(pieces)


def test_copy_onto_itself_moves_the_blocks_and_keeps_the_etag(s3, bucket, glacier, client):
    pieces = [os.urandom(5 * MIB), os.urandom(777)]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="p/obj")["UploadId"]
    parts = [
        {
            "PartNumber": n,
            "ETag": s3.upload_part(Bucket=bucket, Key="p/obj", UploadId=upload, PartNumber=n, Body=d)["ETag"],
        }
        for n, d in enumerate(pieces, 1)
    ]
    s3.complete_multipart_upload(Bucket=bucket, Key="p/obj", UploadId=upload, MultipartUpload={"Parts": parts})
    head = s3.head_object(Bucket=bucket, Key="p/obj")
    [native] = client.package_objects(client.get_package(bucket, "p")["packageID"])
    before = blobs(glacier)

    source = {"Bucket": bucket, "Key": "p/obj"}
    s3.copy_object(Bucket=bucket, Key="p/obj", CopySource=source, StorageClass="GLACIER")
    moved = s3.head_object(Bucket=bucket, Key="p/obj")
    assert moved["StorageClass"] == "GLACIER" and moved["ETag"] == head["ETag"]
    added = {k: v for k, v in blobs(glacier).items() if k not in before}
    assert sorted(added.values(), key=len) == sorted(pieces, key=len)  # both blocks, part boundaries kept
    second = s3.get_object(Bucket=bucket, Key="p/obj", PartNumber=2)["Body"].read()
    assert second == pieces[1]
    [again] = client.package_objects(client.get_package(bucket, "p")["packageID"])
    assert again["objectID"] == native["objectID"]  # the same object, moved

    s3.copy_object(Bucket=bucket, Key="p/obj", CopySource=source, StorageClass="STANDARD")
    back = s3.head_object(Bucket=bucket, Key="p/obj")
    assert "StorageClass" not in back and back["ETag"] == head["ETag"]
    assert s3.get_object(Bucket=bucket, Key="p/obj")["Body"].read() == b"".join(pieces)


def test_copy_without_a_class_is_standard_as_in_s3(s3, bucket, glacier):
    s3.put_object(Bucket=bucket, Key="g", Body=b"cold bytes", StorageClass="GLACIER")
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "g"})
    assert "StorageClass" not in s3.head_object(Bucket=bucket, Key="copy")
    assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == b"cold bytes"


def test_bucket_override_wins_over_the_gateway_table(s3, gw, client, glacier):
    own = local_space(client, gw.data_dir, working_dir="shards")
    special, plain = f"sco-{uuid.uuid4().hex[:8]}", f"scp-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=special)
    s3.create_bucket(Bucket=plain)
    volume = next(v["id"] for v in console(gw, "GET", "/volumes").json() if v["name"] == special)
    assert console(gw, "GET", f"/volumes/{volume}/storage-classes").json() == {}
    resp = console(gw, "PUT", f"/volumes/{volume}/storage-classes", {"GLACIER": own["userSpaceID"]})
    assert resp.status_code == 200 and resp.json() == {"GLACIER": str(own["userSpaceID"])}
    before_glacier = blobs(glacier)
    s3.put_object(Bucket=special, Key="k", Body=b"override", StorageClass="GLACIER")
    s3.put_object(Bucket=plain, Key="k", Body=b"gateway-wide", StorageClass="GLACIER")
    assert list(blobs(own).values()) == [b"override"]
    assert [v for k, v in blobs(glacier).items() if k not in before_glacier] == [b"gateway-wide"]


def test_console_refuses_bad_tables(gw, client):
    no_shards = local_space(client, gw.data_dir, shard_max_size=None)
    cases = [
        ({"COLD": "default"}, 400, "InvalidStorageClass"),
        ({"GLACIER": "no-such-space"}, 404, None),
        ({"GLACIER": no_shards["name"]}, 400, None),
        ({"GLACIER": ["x"]}, 400, None),
    ]
    for body, status, code in cases:
        resp = console(gw, "PUT", "/storage-classes", body)
        assert resp.status_code == status, resp.text
        if code:
            assert resp.json()["error"]["code"] == code


def test_an_s3_space_on_moto_holds_a_class(s3, bucket, gw, client, moto):
    moto_bucket = moto.new_bucket()
    space = client.create_user_space(
        f"moto-{uuid.uuid4().hex[:6]}",
        {"type": "S3", "endpoint": moto.url, "region": "us-east-1", "bucket": moto_bucket},
        {"type": "S3", "accessKeyId": moto.access_key, "secretAccessKey": moto.secret_key},
        working_dir="shards",
    )
    table = console(gw, "GET", "/storage-classes").json()
    resp = console(gw, "PUT", "/storage-classes", {**table, "DEEP_ARCHIVE": space["name"]})
    assert resp.status_code == 200, resp.text
    data = os.urandom(50_000)
    s3.put_object(Bucket=bucket, Key="deep", Body=data, StorageClass="DEEP_ARCHIVE")
    remote = moto.client()
    [stored] = remote.list_objects_v2(Bucket=moto_bucket)["Contents"]
    assert stored["Key"].startswith("shards/blocks/")
    assert remote.get_object(Bucket=moto_bucket, Key=stored["Key"])["Body"].read() == data
    assert s3.get_object(Bucket=bucket, Key="deep")["Body"].read() == data
    assert s3.head_object(Bucket=bucket, Key="deep")["StorageClass"] == "DEEP_ARCHIVE"


def test_aws_cli_storage_class(s3, bucket, gw, glacier, tmp_path):
    path = tmp_path / "f.txt"
    path.write_bytes(b"from the cli")
    env = gw.env()
    cli = ["aws", "--endpoint-url", gw.url]
    subprocess.run(
        [*cli, "s3", "cp", str(path), f"s3://{bucket}/cli.txt", "--storage-class", "GLACIER"],
        env=env,
        check=True,
        capture_output=True,
    )
    head = json.loads(
        subprocess.run(
            [*cli, "s3api", "head-object", "--bucket", bucket, "--key", "cli.txt"],
            env=env,
            check=True,
            capture_output=True,
        ).stdout
    )
    assert head["StorageClass"] == "GLACIER"
    assert b"from the cli" in blobs(glacier).values()
    bad = subprocess.run(
        [*cli, "s3api", "put-object", "--bucket", bucket, "--key", "x", "--body", str(path), "--storage-class", "COLD"],
        env=env,
        capture_output=True,
    )  # `aws s3 cp` checks the class itself; s3api sends it
    assert bad.returncode != 0 and b"InvalidStorageClass" in bad.stderr


def test_config_file_table_names_a_space_made_later(tmp_path):
    gateway = start_gateway(tmp_path, env={"JUNCTION_STORAGE_CLASSES": "ONEZONE_IA=later"})
    try:
        from gateway.client import NativeClient

        native = NativeClient(gateway.url, gateway.access_key, gateway.secret_key)
        s3 = boto_client(gateway)
        s3.create_bucket(Bucket="cfg")
        with pytest.raises(ClientError) as exc:  # the space does not exist yet: the server's problem
            s3.put_object(Bucket="cfg", Key="k", Body=b"x", StorageClass="ONEZONE_IA")
        assert error(exc) == (503, "ServiceUnavailable")
        root = Path(gateway.data_dir) / "spaces" / "later"
        root.mkdir(parents=True)
        native.create_user_space("later", {"type": "Local", "root": str(root)}, {"type": "Local"}, working_dir="shards")
        s3.put_object(Bucket="cfg", Key="k", Body=b"placed by config", StorageClass="ONEZONE_IA")
        assert [p.read_bytes() for p in (root / "shards").rglob("*") if p.is_file()] == [b"placed by config"]
        assert console(gateway, "GET", "/storage-classes").json() == {"ONEZONE_IA": "later"}
    finally:
        stop_gateway(gateway)


def test_a_bad_config_table_stops_the_gateway_at_start(tmp_path):
    with pytest.raises(RuntimeError, match="bad storage_classes"):
        start_gateway(tmp_path, env={"JUNCTION_STORAGE_CLASSES": "COLD=x"})


def test_upload_part_copy_writes_the_part_in_the_upload_class_space(s3, bucket, glacier):
    source = os.urandom(6 * MIB)
    s3.put_object(Bucket=bucket, Key="plain-source", Body=source)
    before = blobs(glacier)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="copied", StorageClass="GLACIER")["UploadId"]
    part = s3.upload_part_copy(
        Bucket=bucket, Key="copied", UploadId=upload, PartNumber=1, CopySource={"Bucket": bucket, "Key": "plain-source"}
    )
    etag = part["CopyPartResult"]["ETag"]
    assert [v for k, v in blobs(glacier).items() if k not in before] == [source]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="copied", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}
    )
    assert s3.get_object(Bucket=bucket, Key="copied")["Body"].read() == source


def test_every_worker_finds_a_space_another_worker_made(tmp_path):
    """With several workers, the space and the table are made through one worker and the
    writes land on any: a worker that does not know the space yet picks it up."""
    gateway = start_gateway(tmp_path, "--workers", "2")
    try:
        from gateway.client import NativeClient

        native = NativeClient(gateway.url, gateway.access_key, gateway.secret_key)
        root = Path(gateway.data_dir) / "spaces" / "shared"
        root.mkdir(parents=True)
        native.create_user_space("shared", {"type": "Local", "root": str(root)}, {"type": "Local"})
        assert console(gateway, "PUT", "/storage-classes", {"GLACIER_IR": "shared"}).status_code == 200
        s3 = boto_client(gateway)
        s3.create_bucket(Bucket="workers")
        bodies = {f"k{i}": os.urandom(100 + i) for i in range(12)}
        for key, body in bodies.items():
            s3.put_object(Bucket="workers", Key=key, Body=body, StorageClass="GLACIER_IR")
        stored = sorted(p.read_bytes() for p in (root / "blocks").rglob("*") if p.is_file())
        assert stored == sorted(bodies.values())
    finally:
        stop_gateway(gateway)
