"""Multipart uploads through boto3: the happy path and each completion rule."""

import hashlib
import os

import pytest
from botocore.exceptions import ClientError

BOTH_ENGINES = True  # the gateway fixture runs on SQLite and on PostgreSQL (conftest.ENGINES)

MiB = 1024 * 1024


def error_code(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


def upload_parts(s3, bucket, key, parts):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="video/mp4", Metadata={"m": "1"})[
        "UploadId"
    ]
    done = []
    for number, data in parts:
        etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data)["ETag"]
        done.append({"PartNumber": number, "ETag": etag})
    return upload_id, done


def test_multipart_round_trip(s3, bucket):
    parts = [(1, os.urandom(5 * MiB)), (2, os.urandom(5 * MiB)), (3, os.urandom(1234))]
    upload_id, done = upload_parts(s3, bucket, "big/file.bin", parts)
    listed = s3.list_parts(Bucket=bucket, Key="big/file.bin", UploadId=upload_id)
    assert [p["PartNumber"] for p in listed["Parts"]] == [1, 2, 3]
    assert [p["Size"] for p in listed["Parts"]] == [5 * MiB, 5 * MiB, 1234]
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("big/file.bin", upload_id)]
    result = s3.complete_multipart_upload(
        Bucket=bucket, Key="big/file.bin", UploadId=upload_id, MultipartUpload={"Parts": done}
    )
    md5s = b"".join(hashlib.md5(d).digest() for _, d in parts)
    assert result["ETag"] == f'"{hashlib.md5(md5s).hexdigest()}-3"'
    body = b"".join(d for _, d in parts)
    got = s3.get_object(Bucket=bucket, Key="big/file.bin")
    assert got["Body"].read() == body
    assert got["ContentType"] == "video/mp4" and got["Metadata"] == {"m": "1"}
    ranged = s3.get_object(Bucket=bucket, Key="big/file.bin", Range=f"bytes={5 * MiB - 10}-{5 * MiB + 9}")
    assert ranged["Body"].read() == body[5 * MiB - 10 : 5 * MiB + 10]
    part2 = s3.get_object(Bucket=bucket, Key="big/file.bin", PartNumber=2)
    assert part2["Body"].read() == parts[1][1] and part2["PartsCount"] == 3
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_part_overwrite_uses_latest(s3, bucket):
    upload_id, _ = upload_parts(s3, bucket, "k", [(1, b"old" * 10)])
    etag = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"new")["ETag"]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}
    )
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"new"


def test_complete_rules(s3, bucket):
    upload_id, done = upload_parts(s3, bucket, "r", [(1, b"a" * 100), (2, b"b" * 100)])
    cases = [
        ([done[1], done[0]], "InvalidPartOrder"),
        ([{"PartNumber": 1, "ETag": '"00000000000000000000000000000000"'}], "InvalidPart"),
        ([{"PartNumber": 7, "ETag": done[0]["ETag"]}], "InvalidPart"),
        (done, "EntityTooSmall"),
    ]
    for parts, code in cases:
        with pytest.raises(ClientError) as err:
            s3.complete_multipart_upload(Bucket=bucket, Key="r", UploadId=upload_id, MultipartUpload={"Parts": parts})
        assert error_code(err.value) == code
    # a single small part is fine (the last part has no minimum)
    s3.complete_multipart_upload(Bucket=bucket, Key="r", UploadId=upload_id, MultipartUpload={"Parts": done[:1]})
    assert s3.get_object(Bucket=bucket, Key="r")["Body"].read() == b"a" * 100


def test_abort_and_unknown_upload(s3, bucket):
    upload_id, _ = upload_parts(s3, bucket, "ab", [(1, b"x")])
    s3.abort_multipart_upload(Bucket=bucket, Key="ab", UploadId=upload_id)
    with pytest.raises(ClientError) as err:
        s3.list_parts(Bucket=bucket, Key="ab", UploadId=upload_id)
    assert error_code(err.value) == "NoSuchUpload"
    with pytest.raises(ClientError) as err:
        s3.upload_part(Bucket=bucket, Key="ab", UploadId=upload_id, PartNumber=1, Body=b"x")
    assert error_code(err.value) == "NoSuchUpload"


def test_invalid_part_number(s3, bucket):
    upload_id, _ = upload_parts(s3, bucket, "pn", [])
    with pytest.raises(ClientError) as err:
        s3.upload_part(Bucket=bucket, Key="pn", UploadId=upload_id, PartNumber=10001, Body=b"x")
    assert error_code(err.value) == "InvalidArgument"


def test_upload_part_copy_with_range(s3, bucket):
    source = os.urandom(6 * MiB + 17)
    s3.put_object(Bucket=bucket, Key="source", Body=source)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="assembled")["UploadId"]
    p1 = s3.upload_part_copy(
        Bucket=bucket,
        Key="assembled",
        UploadId=upload_id,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "source"},
        CopySourceRange=f"bytes=0-{5 * MiB - 1}",
    )["CopyPartResult"]["ETag"]
    p2 = s3.upload_part_copy(
        Bucket=bucket,
        Key="assembled",
        UploadId=upload_id,
        PartNumber=2,
        CopySource={"Bucket": bucket, "Key": "source"},
        CopySourceRange=f"bytes={5 * MiB}-{6 * MiB + 16}",
    )["CopyPartResult"]["ETag"]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="assembled",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1}, {"PartNumber": 2, "ETag": p2}]},
    )
    assert s3.get_object(Bucket=bucket, Key="assembled")["Body"].read() == source
    with pytest.raises(ClientError) as err:
        s3.upload_part_copy(
            Bucket=bucket,
            Key="assembled2",
            UploadId=upload_id,
            PartNumber=1,
            CopySource={"Bucket": bucket, "Key": "source"},
            CopySourceRange="bytes=0-99999999",
        )
    assert error_code(err.value) in ("InvalidArgument", "NoSuchUpload")


def test_list_uploads_prefix_and_pagination(s3, bucket):
    ids = {}
    for key in ["a/1", "a/2", "b/1"]:
        ids[key] = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    page = s3.list_multipart_uploads(Bucket=bucket, Prefix="a/")
    assert [u["Key"] for u in page["Uploads"]] == ["a/1", "a/2"]
    page = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=1)
    assert page["IsTruncated"] and page["NextKeyMarker"] == "a/1"
    page = s3.list_multipart_uploads(Bucket=bucket, KeyMarker="a/1", UploadIdMarker=ids["a/1"])
    assert [u["Key"] for u in page["Uploads"]] == ["a/2", "b/1"]
    page = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["a/", "b/"]
