"""Encryption at rest and the operator: SSE-C refused over plain HTTP unless allowed, served over
TLS; master key rotation across restarts; bucket default encryption honoured by the native
upload and download, and shown on the console's volume."""

from __future__ import annotations

import base64
import os
import uuid

import pytest
from botocore.exceptions import ClientError
from conftest import boto_client, start_gateway, stop_gateway
from sse_helpers import console, customer_key, error, local_blobs, ssec

from gateway.client import NativeClient


def test_sse_c_is_refused_over_plain_http_and_served_over_tls(tmp_path):
    for name in ("plain", "tls", "allowed"):
        (tmp_path / name).mkdir()
    plain = start_gateway(tmp_path / "plain")
    try:
        s3 = boto_client(plain)
        s3.create_bucket(Bucket="plainhttp")
        with pytest.raises(ClientError) as exc:
            s3.put_object(Bucket="plainhttp", Key="k", Body=b"x", **ssec(customer_key()))
        assert error(exc) == (400, "InvalidRequest")
        assert "secure connection" in exc.value.response["Error"]["Message"]
        with pytest.raises(ClientError):
            s3.head_object(Bucket="plainhttp", Key="k")
        s3.put_object(Bucket="plainhttp", Key="s3", Body=b"x", ServerSideEncryption="AES256")  # SSE-S3 is fine
    finally:
        stop_gateway(plain)
    secure = start_gateway(tmp_path / "tls", tls=True)
    try:
        s3 = boto_client(secure)
        s3.create_bucket(Bucket="overtls")
        key = customer_key()
        s3.put_object(Bucket="overtls", Key="k", Body=b"secret", **ssec(key))
        assert s3.get_object(Bucket="overtls", Key="k", **ssec(key))["Body"].read() == b"secret"
    finally:
        stop_gateway(secure)
    allowed = start_gateway(tmp_path / "allowed", "--sse-c-over-http")
    try:
        s3 = boto_client(allowed)
        s3.create_bucket(Bucket="allowed")
        key = customer_key()
        s3.put_object(Bucket="allowed", Key="k", Body=b"ok", **ssec(key))
        assert s3.get_object(Bucket="allowed", Key="k", **ssec(key))["Body"].read() == b"ok"
    finally:
        stop_gateway(allowed)


def test_master_key_rotation_across_restarts(tmp_path):
    old, new = base64.b64encode(os.urandom(32)).decode(), base64.b64encode(os.urandom(32)).decode()
    data_old, data_new = os.urandom(70_000), os.urandom(70_000)
    first = start_gateway(tmp_path, env={"JUNCTION_MASTER_KEY": old})
    try:
        s3 = boto_client(first)
        s3.create_bucket(Bucket="rotation")
        s3.put_object(Bucket="rotation", Key="old", Body=data_old, ServerSideEncryption="AES256")
    finally:
        stop_gateway(first)
    assert not (first.data_dir / "master.key").exists()  # a configured key never lands in the data dir
    rotated = start_gateway(tmp_path, env={"JUNCTION_MASTER_KEY": f"{new},{old}"})
    try:
        s3 = boto_client(rotated)
        assert s3.get_object(Bucket="rotation", Key="old")["Body"].read() == data_old  # old objects stay readable
        s3.put_object(Bucket="rotation", Key="new", Body=data_new, ServerSideEncryption="AES256")
    finally:
        stop_gateway(rotated)
    only_new = start_gateway(tmp_path, env={"JUNCTION_MASTER_KEY": new})
    try:
        s3 = boto_client(only_new)
        assert s3.get_object(Bucket="rotation", Key="new")["Body"].read() == data_new  # sealed by the new key
        with pytest.raises(ClientError) as exc:  # the old key is gone: the operator's doing, said plainly
            s3.get_object(Bucket="rotation", Key="old")
        assert error(exc) == (500, "InternalError")
        assert "master key" in exc.value.response["Error"]["Message"]
    finally:
        stop_gateway(only_new)
    log = only_new.log_path.read_text()
    assert old not in log and new not in log


def test_master_key_file_rotation_and_resealing_by_a_copy_onto_itself(tmp_path):
    """The data dir's `master.key` rotates like the environment value (newest line first), and a
    copy onto itself re-seals an SSE-S3 object's data key under the newest key without
    rewriting its bytes: once it has been copied, the old key may go."""
    data = {name: os.urandom(50_000) for name in ("kept", "resealed", "new")}
    gw = start_gateway(tmp_path)
    key_file = gw.data_dir / "master.key"
    try:
        s3 = boto_client(gw)
        s3.create_bucket(Bucket="filekeys")
        for name in ("kept", "resealed"):
            s3.put_object(Bucket="filekeys", Key=name, Body=data[name], ServerSideEncryption="AES256")
    finally:
        stop_gateway(gw)
    old = key_file.read_text().strip()
    new = base64.b64encode(os.urandom(32)).decode()
    key_file.write_text(f"{new}\n{old}\n")
    gw = start_gateway(tmp_path)
    try:
        s3 = boto_client(gw)
        assert s3.get_object(Bucket="filekeys", Key="kept")["Body"].read() == data["kept"]
        blobs = local_blobs(gw.data_dir / "blobs")
        s3.copy_object(
            Bucket="filekeys",
            Key="resealed",
            CopySource={"Bucket": "filekeys", "Key": "resealed"},
            ServerSideEncryption="AES256",
        )
        assert local_blobs(gw.data_dir / "blobs") == blobs  # the same sealed bytes, nothing rewritten
        s3.put_object(Bucket="filekeys", Key="new", Body=data["new"], ServerSideEncryption="AES256")
    finally:
        stop_gateway(gw)
    key_file.write_text(f"{new}\n")  # the old key retired
    gw = start_gateway(tmp_path)
    try:
        s3 = boto_client(gw)
        for name in ("resealed", "new"):
            assert s3.get_object(Bucket="filekeys", Key=name)["Body"].read() == data[name]
        with pytest.raises(ClientError) as exc:
            s3.get_object(Bucket="filekeys", Key="kept")
        assert error(exc) == (500, "InternalError")
    finally:
        stop_gateway(gw)
    assert old not in gw.log_path.read_text() and new not in gw.log_path.read_text()


def test_a_bad_master_key_stops_the_gateway_at_start(tmp_path):
    with pytest.raises(RuntimeError, match="master_key"):
        start_gateway(tmp_path, env={"JUNCTION_MASTER_KEY": "not-a-key"})


def test_native_upload_and_download_honour_bucket_default_and_console_shows_it(tmp_path):
    gw = start_gateway(tmp_path)
    try:
        s3 = boto_client(gw)
        name = f"vol-{uuid.uuid4().hex[:8]}"
        s3.create_bucket(Bucket=name)
        client = NativeClient(gw.url, gw.access_key, gw.secret_key)
        bucket_id = client.get_bucket(name)["bucketID"]
        volume = console(gw, "GET", f"/volumes/{bucket_id}").json()
        assert volume["encryption"] == {"enabled": False}
        rule = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration=rule)
        volume = console(gw, "GET", f"/volumes/{bucket_id}").json()
        assert volume["encryption"] == {"enabled": True, "algorithm": "AES256"}
        package = client.create_package(bucket_id, "pkg")["packageID"]
        data = os.urandom(150_000)
        before = local_blobs(gw.data_dir / "blobs")
        [uploaded] = client.upload(package, [("dir/file.bin", data)])
        added = {k: v for k, v in local_blobs(gw.data_dir / "blobs").items() if k not in before}
        [stored] = added.values()
        assert data[:64] not in stored and len(stored) > len(data)
        assert client.download_by_path(f"{name}/pkg/dir/file.bin") == data
        assert client.download(uploaded["objectID"], offset=70_000, length=10) == data[70_000:70_010]
        head = s3.head_object(Bucket=name, Key="pkg/dir/file.bin")
        assert head["ServerSideEncryption"] == "AES256"
        assert s3.get_object(Bucket=name, Key="pkg/dir/file.bin")["Body"].read() == data
        # a clone shares the blocks and the key, a move keeps the record: no new blob, both readable
        before = local_blobs(gw.data_dir / "blobs")
        client.clone([{"objectID": uploaded["objectID"], "newPath": "clone.bin", "newPackageID": package}])
        client.move([{"objectID": uploaded["objectID"], "packageID": package, "path": "moved.bin"}])
        assert local_blobs(gw.data_dir / "blobs").keys() == before.keys()
        assert client.download_by_path(f"{name}/pkg/clone.bin") == data
        assert client.download_by_path(f"{name}/pkg/moved.bin") == data
        assert s3.head_object(Bucket=name, Key="pkg/moved.bin")["ServerSideEncryption"] == "AES256"
        # native multipart: parts sealed with the upload's key
        pending = client.new_multipart_upload(package, "multi.bin")
        pieces = [os.urandom(100_000), os.urandom(5_000)]
        for index, piece in enumerate(pieces):
            client.upload_part(pending["objectID"], index, piece)
        done = client.complete_multipart_upload(pending["objectID"], [0, 1])
        assert client.download(done["objectID"]) == b"".join(pieces)
        assert s3.head_object(Bucket=name, Key="pkg/multi.bin")["ServerSideEncryption"] == "AES256"
    finally:
        stop_gateway(gw)
