"""Multipart edge cases as AWS answers them: completing twice, a part uploaded twice at once,
partNumber with Range or beyond the parts, UploadPartCopy ranges outside the source, and the
Owner/Initiator of the listings."""

from __future__ import annotations

import http.client
import os
import time
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.test_console_api import export_client

MiB = 1024 * 1024


def status(exc: ClientError) -> int:
    return exc.response["ResponseMetadata"]["HTTPStatusCode"]


def code(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


def _two_part_object(s3, bucket: str, key: str) -> tuple[bytes, bytes]:
    first, second = os.urandom(5 * MiB), os.urandom(1000)
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    parts = [
        {"PartNumber": n, "ETag": s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=n, Body=b)["ETag"]}
        for n, b in ((1, first), (2, second))
    ]
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts})
    return first, second


def test_completing_again_with_the_same_parts_answers_the_same(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload, PartNumber=1, Body=b"data")["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    first = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload, MultipartUpload=parts)
    again = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload, MultipartUpload=parts)
    assert again["ETag"] == first["ETag"]
    assert (again["Bucket"], again["Key"]) == (bucket, "k")
    other = {"Parts": [{"PartNumber": 1, "ETag": '"0123456789abcdef0123456789abcdef"'}]}
    with pytest.raises(ClientError) as err:  # other parts than the completed ones: the upload is gone
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload, MultipartUpload=other)
    assert (status(err.value), code(err.value)) == (404, "NoSuchUpload")
    with pytest.raises(ClientError) as err:  # and no other key can claim it
        s3.complete_multipart_upload(Bucket=bucket, Key="other", UploadId=upload, MultipartUpload=parts)
    assert code(err.value) == "NoSuchUpload"
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data"


def test_completing_again_in_a_versioned_bucket_names_the_same_version(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    upload = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload, PartNumber=1, Body=b"data")["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    first = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload, MultipartUpload=parts)
    again = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload, MultipartUpload=parts)
    assert again["VersionId"] == first["VersionId"]
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert len(versions) == 1  # the repeat made no new version


def _signed(gateway, method: str, path: str, headers: dict[str, str]) -> dict[str, str]:
    request = AWSRequest(method, gateway.url + path, headers={**headers, "x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    SigV4Auth(Credentials(gateway.access_key, gateway.secret_key), "s3", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def test_a_part_uploaded_twice_at_once_keeps_the_upload_that_finished_last(gateway, s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    slow_body, fast_body = b"s" * 50_000, b"fast"
    path = f"/{bucket}/k?partNumber=1&uploadId={upload}"
    conn = http.client.HTTPConnection("127.0.0.1", urlsplit(gateway.url).port, timeout=30)
    conn.putrequest("PUT", path, skip_accept_encoding=True)
    for name, value in _signed(gateway, "PUT", path, {"Content-Length": str(len(slow_body))}).items():
        conn.putheader(name, value)
    conn.endheaders()
    conn.send(slow_body[:100])  # began first ...
    time.sleep(0.3)
    s3.upload_part(Bucket=bucket, Key="k", UploadId=upload, PartNumber=1, Body=fast_body)
    conn.send(slow_body[100:])  # ... finished last
    response = conn.getresponse()
    assert response.status == 200, response.read()
    slow_etag = response.getheader("ETag")
    [part] = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload)["Parts"]
    assert (part["ETag"], part["Size"]) == (slow_etag, len(slow_body))
    s3.complete_multipart_upload(
        Bucket=bucket, Key="k", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": slow_etag}]}
    )
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == slow_body


def test_part_number_with_range_is_invalid_request(s3, bucket):
    _two_part_object(s3, bucket, "mp")
    for call in (s3.get_object, s3.head_object):
        with pytest.raises(ClientError) as err:
            call(Bucket=bucket, Key="mp", PartNumber=1, Range="bytes=0-9")
        assert status(err.value) == 400
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="mp", PartNumber=2, Range="bytes=0-9")
    assert code(err.value) == "InvalidRequest"
    assert "Cannot specify both Range header and partNumber query parameter" in err.value.response["Error"]["Message"]


def test_part_number_reads_a_part_as_a_range(s3, bucket):
    first, second = _two_part_object(s3, bucket, "mp")
    got = s3.get_object(Bucket=bucket, Key="mp", PartNumber=2)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == f"bytes {len(first)}-{len(first) + len(second) - 1}/{len(first) + len(second)}"
    assert got["PartsCount"] == 2
    assert got["Body"].read() == second
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="mp", PartNumber=3)
    assert (status(err.value), code(err.value)) == (416, "InvalidPartNumber")
    s3.put_object(Bucket=bucket, Key="single", Body=b"0123456789")
    whole = s3.get_object(Bucket=bucket, Key="single", PartNumber=1)
    assert whole["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert whole["ContentRange"] == "bytes 0-9/10"
    with pytest.raises(ClientError) as err:
        s3.head_object(Bucket=bucket, Key="single", PartNumber=2)
    assert status(err.value) == 416


def test_upload_part_copy_range_outside_the_source(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"x" * 100)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    for bad in ("bytes=50-100", "bytes=100-120", "bytes=500-600"):
        with pytest.raises(ClientError) as err:
            s3.upload_part_copy(
                Bucket=bucket,
                Key="dst",
                UploadId=upload,
                PartNumber=1,
                CopySource={"Bucket": bucket, "Key": "src"},
                CopySourceRange=bad,
            )
        assert (status(err.value), code(err.value)) == (400, "InvalidArgument"), bad
        assert err.value.response["Error"]["Message"] == "Range specified is not valid for source object of size: 100"
    with pytest.raises(ClientError) as err:
        s3.upload_part_copy(
            Bucket=bucket,
            Key="dst",
            UploadId=upload,
            PartNumber=1,
            CopySource={"Bucket": bucket, "Key": "src"},
            CopySourceRange="bytes=9-3",
        )
    assert (status(err.value), code(err.value)) == (400, "InvalidArgument")
    assert s3.list_parts(Bucket=bucket, Key="dst", UploadId=upload).get("Parts", []) == []


def test_listings_name_the_initiator_and_the_bucket_owner(gateway, s3, bucket):
    """An upload a user (an export) started: Initiator is that user's ARN, Owner the bucket's owner."""
    client, export = export_client(gateway, bucket)
    upload = client.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    [listed] = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    owner = s3.list_buckets()["Owner"]
    assert listed["Owner"]["ID"] == owner["ID"]
    assert ":user/export-" in listed["Initiator"]["ID"] and listed["Initiator"]["ID"] != owner["ID"]
    assert listed["Initiator"]["DisplayName"]
    parts = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload)
    assert parts["Owner"]["ID"] == owner["ID"]
    assert parts["Initiator"] == listed["Initiator"]
