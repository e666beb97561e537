"""Encryption works the same over every kind of user space: Local, S3 (moto) and OBS (the fake):
the space only ever holds ciphertext (read back raw from moto, the fake OBS's files and the
local directory), for single and multipart uploads, ranged reads and copies, and a blob
damaged in the remote space is reported as corrupt; under SSE-S3, SSE-C and SSE-KMS alike."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Callable

import pytest
from backend_fixtures import start_moto
from botocore.exceptions import ClientError
from conftest import boto_client, start_gateway, stop_gateway
from fake_obs import start_fake_obs
from sse_helpers import console, customer_key, error, local_blobs, sealed_size, ssec

from gateway.client import NativeClient
from gateway.core.sse.packages import PACKAGE

MIB = 1024 * 1024
KMS_MASTER = base64.b64encode(b"m" * 32).decode()
CLASSES = {"local": None, "s3": "STANDARD_IA", "obs": "ONEZONE_IA"}  # storage class -> the space under test


class Spaces:
    """The gateway, and a way to read every raw blob of each kind of space."""

    def __init__(self, gw, moto, moto_bucket: str, obs) -> None:
        self.gw, self.moto, self.moto_bucket, self.obs = gw, moto, moto_bucket, obs

    def raw(self, kind: str) -> dict[str, bytes]:
        if kind == "local":
            return local_blobs(self.gw.data_dir / "blobs")
        if kind == "s3":
            client = self.moto.client()
            pages = client.get_paginator("list_objects_v2").paginate(Bucket=self.moto_bucket)
            keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
            return {k: client.get_object(Bucket=self.moto_bucket, Key=k)["Body"].read() for k in keys}
        return {key: stored.path.read_bytes() for key, stored in self.obs.objects[self.obs.bucket].items()}

    def overwrite(self, kind: str, name: str, data: bytes) -> None:
        if kind == "local":
            (self.gw.data_dir / "blobs" / name).write_bytes(data)
        elif kind == "s3":
            self.moto.client().put_object(Bucket=self.moto_bucket, Key=name, Body=data)
        else:
            self.obs.objects[self.obs.bucket][name].path.write_bytes(data)


@pytest.fixture(scope="module")
def spaces(tmp_path_factory):
    moto = start_moto(tmp_path_factory.mktemp("moto"))
    obs = start_fake_obs(tmp_path_factory.mktemp("obs"))
    env = {"JUNCTION_SSE_C_OVER_HTTP": "true", "JUNCTION_KMS_KEYS": f"spaces-kms={KMS_MASTER}"}
    gw = start_gateway(tmp_path_factory.mktemp("sse-spaces"), env=env)
    try:
        client = NativeClient(gw.url, gw.access_key, gw.secret_key)
        moto_bucket = moto.new_bucket()
        s3_space = client.create_user_space(
            f"m-{uuid.uuid4().hex[:6]}",
            {"type": "S3", "endpoint": moto.url, "region": "us-east-1", "bucket": moto_bucket},
            {"type": "S3", "accessKeyId": moto.access_key, "secretAccessKey": moto.secret_key},
        )
        obs_space = client.create_user_space(
            f"o-{uuid.uuid4().hex[:6]}",
            {
                "type": "OBS",
                "region": "cn-north-4",
                "endpoint": obs.url,
                "bucket": obs.bucket,
                "projectID": "",
                "pathStyle": True,
            },
            {"type": "OBS", "accessKeyId": obs.access_key, "secretAccessKey": obs.secret_key},
        )
        mapping = {CLASSES["s3"]: s3_space["name"], CLASSES["obs"]: obs_space["name"]}
        response = console(gw, "PUT", "/storage-classes", mapping)
        assert response.status_code == 200, response.text
        yield Spaces(gw, moto, moto_bucket, obs)
    finally:
        stop_gateway(gw)
        obs.stop()
        moto.stop()


@pytest.fixture(scope="module")
def s3(spaces):
    return boto_client(spaces.gw)


@pytest.fixture
def bucket(s3):
    name = f"ssp-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    return name


def placement(kind: str) -> dict[str, str]:
    return {"StorageClass": CLASSES[kind]} if CLASSES[kind] else {}


def encryption(mode: str, key: bytes) -> tuple[dict[str, object], dict[str, object]]:
    """(write parameters, read parameters) of an encryption mode."""
    if mode == "sse-c":
        return ssec(key), ssec(key)
    if mode == "sse-kms":
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "spaces-kms"}, {}
    return {"ServerSideEncryption": "AES256"}, {}


def added(spaces: Spaces, kind: str, action: Callable[[], object]) -> dict[str, bytes]:
    before = spaces.raw(kind)
    action()
    return {k: v for k, v in spaces.raw(kind).items() if k not in before}


def assert_ciphertext(stored: dict[str, bytes], plain_pieces: list[bytes]) -> None:
    assert sorted(len(v) for v in stored.values()) == sorted(sealed_size(len(p)) for p in plain_pieces)
    for raw in stored.values():
        for piece in plain_pieces:
            assert piece[:64] not in raw and piece[-64:] not in raw


KINDS = ["local", "s3", "obs"]
MODES = ["sse-s3", "sse-c", "sse-kms"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", KINDS)
def test_single_put(spaces, s3, bucket, kind, mode):
    key = customer_key()
    write, read = encryption(mode, key)
    data = os.urandom(2 * PACKAGE + 500)
    stored = added(spaces, kind, lambda: s3.put_object(Bucket=bucket, Key="o", Body=data, **write, **placement(kind)))
    assert_ciphertext(stored, [data])
    assert s3.get_object(Bucket=bucket, Key="o", **read)["Body"].read() == data


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", KINDS)
def test_multipart(spaces, s3, bucket, kind, mode):
    key = customer_key()
    write, read = encryption(mode, key)
    pieces = [os.urandom(5 * MIB), os.urandom(3 * PACKAGE)]

    def run() -> None:
        upload_id = s3.create_multipart_upload(Bucket=bucket, Key="m", **write, **placement(kind))["UploadId"]
        parts = []
        for number, piece in enumerate(pieces, 1):
            answer = s3.upload_part(Bucket=bucket, Key="m", UploadId=upload_id, PartNumber=number, Body=piece, **read)
            parts.append({"PartNumber": number, "ETag": answer["ETag"]})
        s3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=upload_id, MultipartUpload={"Parts": parts})

    stored = added(spaces, kind, run)
    assert_ciphertext(stored, pieces)
    assert s3.get_object(Bucket=bucket, Key="m", **read)["Body"].read() == b"".join(pieces)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", KINDS)
def test_ranged_read(spaces, s3, bucket, kind, mode):
    key = customer_key()
    write, read = encryption(mode, key)
    data = os.urandom(4 * PACKAGE + 77)
    s3.put_object(Bucket=bucket, Key="r", Body=data, **write, **placement(kind))
    for start, end in [(0, 10), (PACKAGE - 3, PACKAGE + 3), (3 * PACKAGE, len(data) - 1)]:
        got = s3.get_object(Bucket=bucket, Key="r", Range=f"bytes={start}-{end}", **read)["Body"].read()
        assert got == data[start : end + 1]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", KINDS)
def test_copy(spaces, s3, bucket, kind, mode):
    key, other = customer_key(), customer_key()
    write, read = encryption(mode, key)
    data = os.urandom(PACKAGE + 5)
    s3.put_object(Bucket=bucket, Key="src", Body=data, **write, **placement(kind))
    source = {"Bucket": bucket, "Key": "src"}
    src_key = ssec(key, copy_source=True) if mode == "sse-c" else {}
    target = ssec(other) if mode == "sse-c" else write
    stored = added(
        spaces,
        kind,
        lambda: s3.copy_object(Bucket=bucket, Key="dst", CopySource=source, **src_key, **target, **placement(kind)),
    )
    if mode == "sse-c":  # another key: encrypted again, in the same kind of space
        assert_ciphertext(stored, [data])
        assert s3.get_object(Bucket=bucket, Key="dst", **ssec(other))["Body"].read() == data
    else:  # SSE-S3 onto SSE-S3 (SSE-KMS onto the same KMS key) in the same space: blocks shared, nothing written
        assert stored == {}
        assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == data


@pytest.mark.parametrize("kind", ["s3", "obs"])
def test_a_blob_damaged_in_the_remote_space_is_corrupt(spaces, s3, bucket, kind):
    data = os.urandom(1000)
    stored = added(
        spaces,
        kind,
        lambda: s3.put_object(Bucket=bucket, Key="d", Body=data, ServerSideEncryption="AES256", **placement(kind)),
    )
    [(name, raw)] = stored.items()
    spaces.overwrite(kind, name, raw[:500] + bytes([raw[500] ^ 0x80]) + raw[501:])
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="d")
    assert error(exc) == (502, "CorruptedObject")


@pytest.mark.parametrize("mode", MODES)
def test_moving_between_spaces_carries_the_sealed_blocks_as_they_are(spaces, s3, bucket, mode):
    """A copy onto itself into another class (as a lifecycle transition does) moves the stored
    ciphertext with its salt: byte for byte the same sealed blob, readable with the same key."""
    key = customer_key()
    write, read = encryption(mode, key)
    data = os.urandom(3 * PACKAGE + 1)
    local = added(spaces, "local", lambda: s3.put_object(Bucket=bucket, Key="mv", Body=data, **write))
    source = ssec(key, copy_source=True) if mode == "sse-c" else {}
    moved = added(
        spaces,
        "s3",
        lambda: s3.copy_object(
            Bucket=bucket, Key="mv", CopySource={"Bucket": bucket, "Key": "mv"}, **source, **write, **placement("s3")
        ),
    )
    assert list(moved.values()) == list(local.values())  # the very same sealed bytes
    got = s3.get_object(Bucket=bucket, Key="mv", **read)
    assert got["Body"].read() == data and got["StorageClass"] == CLASSES["s3"]
