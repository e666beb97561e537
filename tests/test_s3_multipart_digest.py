"""The native fileHash of an object completed by S3 multipart upload.

CompleteMultipartUpload answers without reading the object back: the whole-object SHA-256 (which
S3 itself never computes; the native API shows it as fileHash) is worked out right after, off the
request, and filled in where the completed object is still the one it read. Until then fileHash
is "", the value the native API already gives when no digest is known.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid

import pytest
from conftest import boto_client, start_gateway, stop_gateway
from sse_helpers import customer_key, ssec

from gateway.client import NativeClient

PART = 5 * 1024 * 1024


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    gateway = start_gateway(tmp_path_factory.mktemp("mpdigest"), env={"JUNCTION_SSE_C_OVER_HTTP": "true"})
    yield gateway
    stop_gateway(gateway)


@pytest.fixture(scope="module")
def s3(gw):
    return boto_client(gw)


@pytest.fixture
def bucket(s3):
    name = f"dg-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    return name


def upload_in_parts(s3, bucket: str, key: str, data: bytes, **extra: str) -> dict:
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key, **extra)["UploadId"]
    parts = []
    for number, start in enumerate(range(0, len(data), PART), start=1):
        body = data[start : start + PART]
        etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=number, Body=body)["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    return s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts})


def file_hashes(gw, bucket: str) -> dict[str, str]:
    native = NativeClient(gw.url, gw.access_key, gw.secret_key)
    package = native.get_package(bucket, "")
    return {o["path"]: o["fileHash"] for o in native.package_objects(package["packageID"])}


def full(data: bytes) -> str:
    return "Full" + hashlib.sha256(data).hexdigest().upper()


def hashes_once_known(gw, bucket: str, key: str) -> dict[str, str]:
    """The package's fileHashes once `key`'s is filled in (the digests run in completion order)."""
    deadline = time.monotonic() + 30
    while True:
        hashes = file_hashes(gw, bucket)
        if hashes.get(key) or time.monotonic() > deadline:
            return hashes
        time.sleep(0.1)


def test_a_completed_objects_file_hash_is_its_whole_sha256(gw, s3, bucket):
    plain, encrypted = os.urandom(2 * PART + 1234), os.urandom(PART + 1)
    upload_in_parts(s3, bucket, "plain", plain)
    upload_in_parts(s3, bucket, "sse-s3", encrypted, ServerSideEncryption="AES256")
    hashes = hashes_once_known(gw, bucket, "sse-s3")
    assert hashes == {"plain": full(plain), "sse-s3": full(encrypted)}
    assert s3.get_object(Bucket=bucket, Key="plain")["Body"].read() == plain


def test_a_digest_never_lands_on_the_object_that_replaced_the_one_it_read(gw, s3, bucket):
    first, replacement, marker = os.urandom(PART + 7), os.urandom(100), os.urandom(PART + 9)
    upload_in_parts(s3, bucket, "k", first)
    key = customer_key()  # an SSE-C object's fileHash is "" for good: a digest landing on it shows
    s3.put_object(Bucket=bucket, Key="k", Body=replacement, **ssec(key))
    upload_in_parts(s3, bucket, "marker", marker)  # completed after: its digest runs after k's
    hashes = hashes_once_known(gw, bucket, "marker")
    assert hashes == {"k": "", "marker": full(marker)}
    assert s3.get_object(Bucket=bucket, Key="k", **ssec(key))["Body"].read() == replacement


def test_a_deleted_objects_digest_is_dropped_and_later_ones_still_run(gw, s3, bucket):
    gone, kept = os.urandom(PART + 3), os.urandom(PART + 5)
    upload_in_parts(s3, bucket, "gone", gone)
    s3.delete_object(Bucket=bucket, Key="gone")
    upload_in_parts(s3, bucket, "kept", kept)
    assert hashes_once_known(gw, bucket, "kept") == {"kept": full(kept)}
    assert "Traceback" not in gw.log_path.read_text()
