"""GetObjectAttributes through boto3: single-part, multipart with and without checksums."""

import base64
import hashlib
import os
import zlib

import pytest
from botocore.exceptions import ClientError

MiB = 1024 * 1024
ALL = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]


def error_code(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def test_single_part_object(s3, bucket):
    data = b"hello attributes"
    s3.put_object(Bucket=bucket, Key="one", Body=data, ChecksumAlgorithm="CRC32")
    head = s3.head_object(Bucket=bucket, Key="one")
    got = s3.get_object_attributes(Bucket=bucket, Key="one", ObjectAttributes=ALL)
    assert got["ETag"] == hashlib.md5(data).hexdigest()  # no quotes here
    assert got["ObjectSize"] == len(data)
    assert got["StorageClass"] == "STANDARD"
    assert got["Checksum"]["ChecksumCRC32"] == crc32_b64(data)
    assert got["Checksum"]["ChecksumType"] == "FULL_OBJECT"
    assert "ObjectParts" not in got  # not a multipart object
    assert got["LastModified"] == head["LastModified"]


def test_only_requested_attributes(gateway, s3, bucket):
    from conftest import boto_client

    bare = boto_client(gateway, request_checksum_calculation="when_required")  # no default CRC32
    bare.put_object(Bucket=bucket, Key="k", Body=b"12345")
    got = s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ObjectSize"])
    assert got["ObjectSize"] == 5
    for absent in ("ETag", "Checksum", "StorageClass", "ObjectParts"):
        assert absent not in got
    plain = s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["Checksum", "ETag"])
    assert "Checksum" not in plain  # uploaded without a flexible checksum
    assert plain["ETag"] == hashlib.md5(b"12345").hexdigest()


def _multipart(s3, bucket, key, parts, **create_args):
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key, **create_args)["UploadId"]
    listed = []
    for number, data in parts:
        extra = {"ChecksumAlgorithm": create_args["ChecksumAlgorithm"]} if "ChecksumAlgorithm" in create_args else {}
        part = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=number, Body=data, **extra)
        entry = {"PartNumber": number, "ETag": part["ETag"]}
        if "ChecksumCRC32" in part:
            entry["ChecksumCRC32"] = part["ChecksumCRC32"]
        listed.append(entry)
    return s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": listed})


def test_multipart_with_checksums_lists_parts(s3, bucket):
    parts = [(1, os.urandom(5 * MiB)), (3, os.urandom(5 * MiB)), (4, b"tail bytes")]
    done = _multipart(s3, bucket, "mp", parts, ChecksumAlgorithm="CRC32")
    got = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=ALL)
    assert got["ETag"] == done["ETag"].strip('"')
    assert got["ETag"].endswith("-3")
    assert got["ObjectSize"] == sum(len(d) for _, d in parts)
    assert got["Checksum"]["ChecksumCRC32"] == done["ChecksumCRC32"]
    assert got["Checksum"]["ChecksumType"] == "COMPOSITE"
    object_parts = got["ObjectParts"]
    assert object_parts["TotalPartsCount"] == 3
    assert object_parts["IsTruncated"] is False
    assert [(p["PartNumber"], p["Size"], p["ChecksumCRC32"]) for p in object_parts["Parts"]] == [
        (n, len(d), crc32_b64(d)) for n, d in parts
    ]

    page = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"], MaxParts=1)
    assert [p["PartNumber"] for p in page["ObjectParts"]["Parts"]] == [1]
    assert page["ObjectParts"]["IsTruncated"] is True
    assert page["ObjectParts"]["NextPartNumberMarker"] == 1
    rest = s3.get_object_attributes(
        Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"], MaxParts=5, PartNumberMarker=1
    )
    assert [p["PartNumber"] for p in rest["ObjectParts"]["Parts"]] == [3, 4]
    assert rest["ObjectParts"]["IsTruncated"] is False
    assert rest["ObjectParts"]["PartNumberMarker"] == 1


def test_multipart_without_checksums_lists_its_parts_too(s3, bucket):
    """Parts are recorded at every completion: numbers and sizes, no checksums to show."""
    _multipart(s3, bucket, "plain", [(1, os.urandom(5 * MiB)), (3, b"end")])
    got = s3.get_object_attributes(Bucket=bucket, Key="plain", ObjectAttributes=["ObjectParts", "Checksum"])
    parts = got["ObjectParts"]
    assert (parts["TotalPartsCount"], parts["PartNumberMarker"], parts["MaxParts"]) == (2, 0, 1000)
    assert (parts["NextPartNumberMarker"], parts["IsTruncated"]) == (3, False)
    assert [(p["PartNumber"], p["Size"]) for p in parts["Parts"]] == [(1, 5 * MiB), (3, 3)]
    assert all(set(p) == {"PartNumber", "Size"} for p in parts["Parts"])
    assert "Checksum" not in got
    page = s3.get_object_attributes(Bucket=bucket, Key="plain", ObjectAttributes=["ObjectParts"], MaxParts=1)
    assert [p["PartNumber"] for p in page["ObjectParts"]["Parts"]] == [1]
    assert (page["ObjectParts"]["IsTruncated"], page["ObjectParts"]["NextPartNumberMarker"]) == (True, 1)


def test_overwrite_drops_the_part_records(s3, bucket):
    _multipart(s3, bucket, "mp", [(1, os.urandom(5 * MiB)), (2, b"end")], ChecksumAlgorithm="CRC32")
    s3.put_object(Bucket=bucket, Key="mp", Body=b"small now")
    got = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=ALL)
    assert "ObjectParts" not in got
    assert got["ObjectSize"] == 9


def test_copy_keeps_part_records(s3, bucket):
    parts = [(1, os.urandom(5 * MiB)), (2, b"end")]
    _multipart(s3, bucket, "mp", parts, ChecksumAlgorithm="CRC32")
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "mp"})
    got = s3.get_object_attributes(Bucket=bucket, Key="copy", ObjectAttributes=["ObjectParts"])
    assert [p["Size"] for p in got["ObjectParts"]["Parts"]] == [len(d) for _, d in parts]


@pytest.mark.parametrize("attributes", [[], ["Colour"], ["ETag", "Owner"]])
def test_bad_attribute_lists(s3, bucket, attributes):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as err:
        s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=attributes)
    assert error_code(err.value) == "InvalidArgument"


def test_missing_object(s3, bucket):
    with pytest.raises(ClientError) as err:
        s3.get_object_attributes(Bucket=bucket, Key="absent", ObjectAttributes=["ETag"])
    assert error_code(err.value) == "NoSuchKey"
    with pytest.raises(ClientError) as err:
        s3.get_object_attributes(Bucket="no-such-bucket-h5", Key="k", ObjectAttributes=["ETag"])
    assert error_code(err.value) == "NoSuchBucket"


def test_attributes_of_a_version(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    old = s3.put_object(Bucket=bucket, Key="v", Body=b"first")["VersionId"]
    new = s3.put_object(Bucket=bucket, Key="v", Body=b"second!")["VersionId"]
    got = s3.get_object_attributes(Bucket=bucket, Key="v", VersionId=old, ObjectAttributes=["ETag", "ObjectSize"])
    assert (got["ETag"], got["ObjectSize"], got["VersionId"]) == (hashlib.md5(b"first").hexdigest(), 5, old)
    latest = s3.get_object_attributes(Bucket=bucket, Key="v", ObjectAttributes=["ObjectSize"])
    assert (latest["ObjectSize"], latest["VersionId"]) == (7, new)
