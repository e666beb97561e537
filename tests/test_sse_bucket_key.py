"""S3 Bucket Keys on SSE-KMS objects, and what the native API shows of an encrypted object's digest.

AWS: PutBucketEncryption's BucketKeyEnabled is stored and returned; an SSE-KMS object written with
`x-amz-server-side-encryption-bucket-key-enabled: true`, or without the header into a bucket whose
default enables it, answers every PUT/GET/HEAD/copy/multipart call with that header `true`; the
header `false` opts an object out. A plaintext digest of an SSE-C object is never exposed (nor
kept), nor that of an SSE-KMS object (whose ETag is not the MD5 either)."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from browser_helpers import admin, b64
from conftest import boto_client, metadata_bytes, start_gateway, stop_gateway
from sse_helpers import customer_key, ssec

from gateway.client import NativeClient

KMS_KEY = base64.b64encode(b"b" * 32).decode()
KMS = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "bk-key"}
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    env = {"JUNCTION_SSE_C_OVER_HTTP": "true", "JUNCTION_KMS_KEYS": f"bk-key={KMS_KEY}"}
    gateway = start_gateway(tmp_path_factory.mktemp("bucketkey"), env=env)
    yield gateway
    stop_gateway(gateway)


@pytest.fixture(scope="module")
def s3(gw):
    return boto_client(gw)


@pytest.fixture
def bucket(s3):
    name = f"bk-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    return name


def _default(s3, bucket: str, algorithm: str = "aws:kms", enabled: bool = True) -> None:
    applied = {"SSEAlgorithm": algorithm, **({"KMSMasterKeyID": "bk-key"} if algorithm == "aws:kms" else {})}
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": applied, "BucketKeyEnabled": enabled}]
        },
    )


def test_bucket_encryption_keeps_bucket_key_enabled(s3, bucket):
    _default(s3, bucket, enabled=True)
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["BucketKeyEnabled"] is True
    _default(s3, bucket, enabled=False)
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule.get("BucketKeyEnabled", False) is False


def test_the_request_header_turns_the_bucket_key_on_for_an_object(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"kms", BucketKeyEnabled=True, **KMS)
    assert put["BucketKeyEnabled"] is True
    assert s3.head_object(Bucket=bucket, Key="k")["BucketKeyEnabled"] is True
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"kms" and got["BucketKeyEnabled"] is True
    plain_kms = s3.put_object(Bucket=bucket, Key="n", Body=b"kms", **KMS)
    assert "BucketKeyEnabled" not in plain_kms
    assert "BucketKeyEnabled" not in s3.head_object(Bucket=bucket, Key="n")
    # SSE-S3 objects never use a bucket key (it is an SSE-KMS feature)
    sse_s3 = s3.put_object(Bucket=bucket, Key="s", Body=b"x", ServerSideEncryption="AES256", BucketKeyEnabled=True)
    assert "BucketKeyEnabled" not in sse_s3
    assert "BucketKeyEnabled" not in s3.head_object(Bucket=bucket, Key="s")


def test_the_bucket_default_applies_unless_the_request_says_false(s3, bucket):
    _default(s3, bucket, enabled=True)
    by_default = s3.put_object(Bucket=bucket, Key="d", Body=b"d")
    assert by_default["ServerSideEncryption"] == "aws:kms" and by_default["BucketKeyEnabled"] is True
    named = s3.put_object(Bucket=bucket, Key="e", Body=b"e", **KMS)  # KMS named, the bucket's key setting applies
    assert named["BucketKeyEnabled"] is True
    opted_out = s3.put_object(Bucket=bucket, Key="f", Body=b"f", BucketKeyEnabled=False)
    assert "BucketKeyEnabled" not in opted_out
    assert "BucketKeyEnabled" not in s3.head_object(Bucket=bucket, Key="f")
    assert s3.head_object(Bucket=bucket, Key="d")["BucketKeyEnabled"] is True


def test_copy_and_multipart_echo_the_bucket_key(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"source")
    copied = s3.copy_object(
        Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "src"}, BucketKeyEnabled=True, **KMS
    )
    assert copied["BucketKeyEnabled"] is True
    assert s3.head_object(Bucket=bucket, Key="c")["BucketKeyEnabled"] is True
    created = s3.create_multipart_upload(Bucket=bucket, Key="m", BucketKeyEnabled=True, **KMS)
    assert created["BucketKeyEnabled"] is True
    part = s3.upload_part(Bucket=bucket, Key="m", UploadId=created["UploadId"], PartNumber=1, Body=b"p" * MIB)
    assert part["BucketKeyEnabled"] is True
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="m",
        UploadId=created["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert done["BucketKeyEnabled"] is True
    got = s3.get_object(Bucket=bucket, Key="m")
    assert got["Body"].read() == b"p" * MIB and got["BucketKeyEnabled"] is True
    # a copy with no header into a bucket without a bucket key does not keep the source's
    plain = s3.copy_object(Bucket=bucket, Key="c2", CopySource={"Bucket": bucket, "Key": "c"}, **KMS)
    assert "BucketKeyEnabled" not in plain


def test_a_browser_form_field_turns_the_bucket_key_on(gw, s3, bucket):
    s3v4 = boto_client(gw, signature_version="s3v4")
    fields = {
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-bucket-key-enabled": "true",
    }
    conditions = [{name: value} for name, value in fields.items()]
    form = s3v4.generate_presigned_post(bucket, "form", Fields=fields, Conditions=conditions, ExpiresIn=300)
    posted = requests.post(form["url"], data=form["fields"], files={"file": ("f", b"form data")}, timeout=30)
    assert posted.status_code == 204, posted.text
    assert posted.headers["x-amz-server-side-encryption-bucket-key-enabled"] == "true"
    assert s3.head_object(Bucket=bucket, Key="form")["BucketKeyEnabled"] is True


def test_a_bad_bucket_key_header_is_refused(gw, s3, bucket):
    url = f"{gw.url}/{bucket}/bad"
    headers = {
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-bucket-key-enabled": "maybe",
        "x-amz-content-sha256": hashlib.sha256(b"x").hexdigest(),
    }
    request = AWSRequest(method="PUT", url=url, data=b"x", headers=headers)
    SigV4Auth(Credentials(gw.access_key, gw.secret_key), "s3", "us-east-1").add_auth(request)
    response = requests.put(url, data=b"x", headers=dict(request.headers), timeout=30)
    assert response.status_code == 400 and b"<Code>InvalidArgument</Code>" in response.content


# ------------------------------------------------------------------ the native fileHash


def _native_hashes(gw, bucket: str) -> dict[str, str]:
    native = NativeClient(gw.url, gw.access_key, gw.secret_key)
    package = native.get_package(bucket, "")
    return {o["path"]: o["fileHash"] for o in native.package_objects(package["packageID"])}


def test_native_file_hash_never_shows_a_digest_of_customer_or_kms_encrypted_plaintext(gw, s3, bucket):
    data = {name: os.urandom(1000) for name in ("plain", "sse-s3", "kms", "ssec", "ssec-mp", "ssec-copy")}
    key = customer_key()
    s3.put_object(Bucket=bucket, Key="plain", Body=data["plain"])
    s3.put_object(Bucket=bucket, Key="sse-s3", Body=data["sse-s3"], ServerSideEncryption="AES256")
    s3.put_object(Bucket=bucket, Key="kms", Body=data["kms"], **KMS)
    s3.put_object(Bucket=bucket, Key="ssec", Body=data["ssec"], **ssec(key))
    upload = s3.create_multipart_upload(Bucket=bucket, Key="ssec-mp", **ssec(key))["UploadId"]
    part = s3.upload_part(
        Bucket=bucket, Key="ssec-mp", UploadId=upload, PartNumber=1, Body=data["ssec-mp"], **ssec(key)
    )
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="ssec-mp",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
        **ssec(key),  # with the key at completion the gateway could digest the plaintext: it must not
    )
    s3.put_object(Bucket=bucket, Key="copy-src", Body=data["ssec-copy"])
    s3.copy_object(Bucket=bucket, Key="ssec-copy", CopySource={"Bucket": bucket, "Key": "copy-src"}, **ssec(key))
    hashes = _native_hashes(gw, bucket)

    def full(name: str) -> str:
        return "Full" + hashlib.sha256(data[name]).hexdigest().upper()

    assert hashes["plain"] == full("plain")
    assert hashes["sse-s3"] == full("sse-s3")  # its ETag is the MD5 of the plaintext too, as in S3
    for name in ("kms", "ssec", "ssec-mp", "ssec-copy"):
        assert hashes[name] == "", name
    console = admin(gw)  # the browser API's object view shows the same digests

    def viewed(name: str) -> str:
        return console.get(f"{gw.url}/api/objects/view/{bucket}/{b64(name)}", timeout=30).json()["sha256"]

    assert viewed("plain") == hashlib.sha256(data["plain"]).hexdigest().upper()
    assert viewed("kms") == viewed("ssec") == viewed("ssec-mp") == ""
    stored = metadata_bytes(gw)
    for name in ("ssec", "ssec-mp"):  # an SSE-C object's plaintext digest is not even kept
        assert hashlib.sha256(data[name]).hexdigest().upper().encode() not in stored, name
