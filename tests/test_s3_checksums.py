"""Flexible checksums as boto3 (>= 1.36) sends them: signed payload + header over http,
aws-chunked with STREAMING-UNSIGNED-PAYLOAD-TRAILER over https; and the signed
streaming mode (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) as aws-cli/Java SDKs send it."""

import base64
import io
import os
import zlib

import pytest
import urllib3
from botocore.exceptions import ClientError
from conftest import boto_client, start_gateway, stop_gateway

urllib3.disable_warnings()
ALGORITHMS = ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"]
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def tls_gateway(tmp_path_factory):
    gw = start_gateway(tmp_path_factory.mktemp("tls"), tls=True)
    yield gw
    stop_gateway(gw)


@pytest.fixture(params=["http", "https"])
def client(request, gateway, tls_gateway):
    gw = gateway if request.param == "http" else tls_gateway
    c = boto_client(gw)
    name = f"ck-{request.param}-{os.urandom(4).hex()}"
    c.create_bucket(Bucket=name)
    return c, name


def test_default_checksum_round_trip(client):
    s3, bucket = client
    data = os.urandom(2 * MiB + 3)
    put = s3.put_object(Bucket=bucket, Key="default", Body=data)
    expected = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    assert put.get("ChecksumCRC32") == expected
    got = s3.get_object(Bucket=bucket, Key="default", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == expected
    assert got["Body"].read() == data  # botocore validates the checksum while reading


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_each_algorithm_round_trips(client, algorithm):
    s3, bucket = client
    data = os.urandom(300_000)
    put = s3.put_object(Bucket=bucket, Key=f"alg-{algorithm}", Body=data, ChecksumAlgorithm=algorithm)
    field = f"Checksum{algorithm}"
    assert put[field]
    head = s3.head_object(Bucket=bucket, Key=f"alg-{algorithm}", ChecksumMode="ENABLED")
    assert head[field] == put[field]
    assert s3.get_object(Bucket=bucket, Key=f"alg-{algorithm}", ChecksumMode="ENABLED")["Body"].read() == data


def test_wrong_checksum_header_is_bad_digest(gateway):
    s3 = boto_client(gateway, request_checksum_calculation="when_required")
    s3.create_bucket(Bucket="ck-wrong")
    s3.put_object(Bucket="ck-wrong", Key="k", Body=b"keep me")
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket="ck-wrong", Key="k", Body=b"new", ChecksumCRC32="AAAAAA==")
    assert err.value.response["Error"]["Code"] == "BadDigest"
    assert s3.get_object(Bucket="ck-wrong", Key="k")["Body"].read() == b"keep me"


def test_multipart_with_checksums(client):
    s3, bucket = client
    parts = [os.urandom(5 * MiB), os.urandom(MiB)]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mpu", ChecksumAlgorithm="CRC32")
    done = []
    for number, data in enumerate(parts, 1):
        resp = s3.upload_part(
            Bucket=bucket,
            Key="mpu",
            UploadId=upload["UploadId"],
            PartNumber=number,
            Body=data,
            ChecksumAlgorithm="CRC32",
        )
        done.append({"PartNumber": number, "ETag": resp["ETag"], "ChecksumCRC32": resp["ChecksumCRC32"]})
    result = s3.complete_multipart_upload(
        Bucket=bucket, Key="mpu", UploadId=upload["UploadId"], MultipartUpload={"Parts": done}
    )
    assert result["ChecksumCRC32"].endswith("-2")
    got = s3.get_object(Bucket=bucket, Key="mpu", ChecksumMode="ENABLED")
    assert got["Body"].read() == b"".join(parts)


def test_full_object_crc64_multipart(client):
    s3, bucket = client
    parts = [os.urandom(5 * MiB), os.urandom(1000)]
    upload = s3.create_multipart_upload(
        Bucket=bucket, Key="full", ChecksumAlgorithm="CRC64NVME", ChecksumType="FULL_OBJECT"
    )
    done = []
    for number, data in enumerate(parts, 1):
        resp = s3.upload_part(
            Bucket=bucket,
            Key="full",
            UploadId=upload["UploadId"],
            PartNumber=number,
            Body=data,
            ChecksumAlgorithm="CRC64NVME",
        )
        done.append({"PartNumber": number, "ETag": resp["ETag"]})
    s3.complete_multipart_upload(
        Bucket=bucket, Key="full", UploadId=upload["UploadId"], MultipartUpload={"Parts": done}
    )
    whole = s3.put_object(Bucket=bucket, Key="whole", Body=b"".join(parts), ChecksumAlgorithm="CRC64NVME")
    head = s3.head_object(Bucket=bucket, Key="full", ChecksumMode="ENABLED")
    assert head["ChecksumCRC64NVME"] == whole["ChecksumCRC64NVME"]
    assert head["ChecksumType"] == "FULL_OBJECT"


def test_content_encoding_is_stored_as_sent_less_the_aws_chunked_boto3_adds(client):
    """Over https boto3 streams with `Content-Encoding: <the caller's>,aws-chunked`: S3 keeps the
    caller's value as it was written and drops only `aws-chunked`."""
    s3, bucket = client
    s3.put_object(Bucket=bucket, Key="ce", Body=io.BytesIO(b"x" * 1000), ContentEncoding="deflate, gzip")
    assert s3.head_object(Bucket=bucket, Key="ce")["ContentEncoding"] == "deflate, gzip"
    s3.put_object(Bucket=bucket, Key="none", Body=io.BytesIO(b"y" * 1000))
    assert "ContentEncoding" not in s3.head_object(Bucket=bucket, Key="none")
