"""Object operations through boto3: put/get/head/delete, ranges, conditionals, metadata, copy."""

import hashlib
import os
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError


def error_code(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


def status(exc: ClientError) -> int:
    return exc.response["ResponseMetadata"]["HTTPStatusCode"]


def test_put_get_round_trip_with_metadata(s3, bucket):
    data = os.urandom(300_000)
    put = s3.put_object(
        Bucket=bucket,
        Key="docs/a b+c.bin",
        Body=data,
        ContentType="application/x-test",
        Metadata={"color": "blue", "Owner": "me"},
        ContentDisposition="attachment",
        CacheControl="no-cache",
        ContentEncoding="identity",
        ContentLanguage="en",
        Expires=datetime(2030, 1, 1, tzinfo=UTC),
    )
    assert put["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="docs/a b+c.bin")
    assert got["Body"].read() == data
    assert got["ContentType"] == "application/x-test"
    assert got["Metadata"] == {"color": "blue", "owner": "me"}
    assert got["ContentDisposition"] == "attachment"
    assert got["CacheControl"] == "no-cache"
    assert got["ContentLanguage"] == "en"
    assert got["ContentEncoding"] == "identity"
    assert got["Expires"].year == 2030
    head = s3.head_object(Bucket=bucket, Key="docs/a b+c.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == put["ETag"]


def test_empty_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    got = s3.get_object(Bucket=bucket, Key="empty")
    assert got["Body"].read() == b""
    assert got["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'


def test_overwrite_is_last_writer_wins(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"first")
    s3.put_object(Bucket=bucket, Key="k", Body=b"second")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"second"


def test_missing_key(s3, bucket):
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="nope")
    assert error_code(err.value) == "NoSuchKey"
    assert status(err.value) == 404
    with pytest.raises(ClientError) as err:
        s3.head_object(Bucket=bucket, Key="nope")
    assert status(err.value) == 404


@pytest.mark.parametrize(
    "spec,start,end",
    [("bytes=0-9", 0, 9), ("bytes=10-", 10, 999), ("bytes=-100", 900, 999), ("bytes=990-5000", 990, 999)],
)
def test_ranges(s3, bucket, spec, start, end):
    data = os.urandom(1000)
    s3.put_object(Bucket=bucket, Key="r", Body=data)
    got = s3.get_object(Bucket=bucket, Key="r", Range=spec)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == f"bytes {start}-{end}/1000"
    assert got["Body"].read() == data[start : end + 1]


def test_range_out_of_bounds(s3, bucket):
    s3.put_object(Bucket=bucket, Key="r", Body=b"0123456789")
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="r", Range="bytes=10-20")
    assert error_code(err.value) == "InvalidRange"
    assert status(err.value) == 416


def test_read_conditionals(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"x")["ETag"]
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"x"
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"0000"')
    assert status(err.value) == 412
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert status(err.value) == 304
    future = datetime.now(UTC) + timedelta(hours=1)
    past = datetime.now(UTC) - timedelta(hours=1)
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=future)
    assert status(err.value) == 304
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="c", IfUnmodifiedSince=past)
    assert status(err.value) == 412
    assert s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=past)["Body"].read() == b"x"


def test_response_overrides(s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"x", ContentType="text/plain")
    got = s3.get_object(
        Bucket=bucket,
        Key="o",
        ResponseContentType="image/png",
        ResponseContentDisposition='attachment; filename="y.png"',
        ResponseCacheControl="max-age=5",
    )
    assert got["ContentType"] == "image/png"
    assert got["ContentDisposition"] == 'attachment; filename="y.png"'
    assert got["CacheControl"] == "max-age=5"


def test_conditional_writes(s3, bucket):
    s3.put_object(Bucket=bucket, Key="once", Body=b"1", IfNoneMatch="*")
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="once", Body=b"2", IfNoneMatch="*")
    assert status(err.value) == 412
    etag = s3.head_object(Bucket=bucket, Key="once")["ETag"]
    s3.put_object(Bucket=bucket, Key="once", Body=b"3", IfMatch=etag)
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="once", Body=b"4", IfMatch=etag)
    assert status(err.value) == 412
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"3"


def test_delete_is_idempotent(s3, bucket):
    s3.put_object(Bucket=bucket, Key="d", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="d")
    s3.delete_object(Bucket=bucket, Key="d")
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="d")


def test_delete_objects_quiet_and_verbose(s3, bucket):
    for i in range(5):
        s3.put_object(Bucket=bucket, Key=f"m/{i}", Body=b"x")
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "m/0"}, {"Key": "m/1"}, {"Key": "absent"}]})
    assert sorted(d["Key"] for d in result["Deleted"]) == ["absent", "m/0", "m/1"]
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "m/2"}], "Quiet": True})
    assert "Deleted" not in result
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["m/3", "m/4"]


def test_copy_object_copy_and_replace(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"payload", ContentType="text/plain", Metadata={"a": "1"})
    s3.copy_object(Bucket=bucket, Key="dst1", CopySource={"Bucket": bucket, "Key": "src"})
    got = s3.get_object(Bucket=bucket, Key="dst1")
    assert got["Body"].read() == b"payload"
    assert got["Metadata"] == {"a": "1"} and got["ContentType"] == "text/plain"
    s3.copy_object(
        Bucket=bucket,
        Key="dst2",
        CopySource={"Bucket": bucket, "Key": "src"},
        MetadataDirective="REPLACE",
        Metadata={"b": "2"},
        ContentType="application/json",
    )
    got = s3.get_object(Bucket=bucket, Key="dst2")
    assert got["Metadata"] == {"b": "2"} and got["ContentType"] == "application/json"
    # overwriting the source leaves the copies intact (blocks are shared, not aliased)
    s3.put_object(Bucket=bucket, Key="src", Body=b"changed")
    assert s3.get_object(Bucket=bucket, Key="dst1")["Body"].read() == b"payload"


def test_copy_to_itself_needs_replace(s3, bucket):
    s3.put_object(Bucket=bucket, Key="self", Body=b"x", Metadata={"v": "1"})
    with pytest.raises(ClientError) as err:
        s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"})
    assert error_code(err.value) == "InvalidRequest"
    s3.copy_object(
        Bucket=bucket,
        Key="self",
        CopySource={"Bucket": bucket, "Key": "self"},
        MetadataDirective="REPLACE",
        Metadata={"v": "2"},
    )
    assert s3.head_object(Bucket=bucket, Key="self")["Metadata"] == {"v": "2"}


def test_copy_source_conditionals(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="cs", Body=b"x")["ETag"]
    src = {"Bucket": bucket, "Key": "cs"}
    s3.copy_object(Bucket=bucket, Key="cd", CopySource=src, CopySourceIfMatch=etag)
    for kwargs in (
        {"CopySourceIfMatch": '"bad"'},
        {"CopySourceIfNoneMatch": etag},
        {"CopySourceIfModifiedSince": datetime.now(UTC) + timedelta(hours=1)},
        {"CopySourceIfUnmodifiedSince": datetime.now(UTC) - timedelta(hours=1)},
    ):
        with pytest.raises(ClientError) as err:
            s3.copy_object(Bucket=bucket, Key="cd", CopySource=src, **kwargs)
        assert status(err.value) == 412, kwargs


def test_copy_missing_source(s3, bucket):
    with pytest.raises(ClientError) as err:
        s3.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "missing"})
    assert error_code(err.value) == "NoSuchKey"


def test_key_too_long(s3, bucket):
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x")
    assert error_code(err.value) == "KeyTooLongError"


def test_bad_content_md5_loses_nothing(s3, bucket):
    s3.put_object(Bucket=bucket, Key="md5", Body=b"original")
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="md5", Body=b"new", ContentMD5="1B2M2Y8AsgTpgAmY7PhCfg==")
    assert error_code(err.value) == "BadDigest"
    assert s3.get_object(Bucket=bucket, Key="md5")["Body"].read() == b"original"


def test_last_modified_moves_on_overwrite(s3, bucket):
    s3.put_object(Bucket=bucket, Key="t", Body=b"1")
    first = s3.head_object(Bucket=bucket, Key="t")["LastModified"]
    time.sleep(1.1)
    s3.put_object(Bucket=bucket, Key="t", Body=b"2")
    assert s3.head_object(Bucket=bucket, Key="t")["LastModified"] > first


def test_unsupported_subresource_is_501(s3, bucket):
    s3.put_object(Bucket=bucket, Key="t", Body=b"1")
    with pytest.raises(ClientError) as err:
        s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={})
    assert status(err.value) == 501
    assert error_code(err.value) == "NotImplemented"
    with pytest.raises(ClientError) as err:  # probing GETs hear "none configured" (tests/test_s3_acl.py)
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert (status(err.value), error_code(err.value)) == (404, "NoSuchLifecycleConfiguration")


def test_several_workers_share_one_store(tmp_path):
    from conftest import boto_client, start_gateway, stop_gateway

    gw = start_gateway(tmp_path, "--workers", "3")
    try:
        clients = [boto_client(gw) for _ in range(3)]
        clients[0].create_bucket(Bucket="workers")
        for i in range(30):
            clients[i % 3].put_object(Bucket="workers", Key=f"k{i:02d}", Body=str(i).encode())
        keys = [o["Key"] for o in clients[1].list_objects_v2(Bucket="workers")["Contents"]]
        assert keys == [f"k{i:02d}" for i in range(30)]
        for i in range(30):
            assert clients[(i + 1) % 3].get_object(Bucket="workers", Key=f"k{i:02d}")["Body"].read() == str(i).encode()
    finally:
        stop_gateway(gw)


def test_client_abandoning_a_download_is_not_a_server_error(tmp_path):
    """s3fs (fsspec) and others drop a GET mid-body; that is the client's choice, not a 500
    with a traceback in the gateway's log (found by `make conformance`)."""
    import json

    import requests
    from conftest import boto_client, start_gateway, stop_gateway

    gw = start_gateway(tmp_path)
    try:
        s3 = boto_client(gw)
        s3.create_bucket(Bucket="abandon")
        size = 32 * 1024 * 1024  # far more than socket buffers hold
        s3.put_object(Bucket="abandon", Key="big", Body=b"z" * size)
        url = s3.generate_presigned_url("get_object", Params={"Bucket": "abandon", "Key": "big"})
        with requests.get(url, stream=True) as resp:
            assert resp.status_code == 200
            assert next(resp.iter_content(65536))
        # leaving the block closes the connection with most of the body unsent
        for _ in range(300):
            records = [
                json.loads(line) for line in gw.logs().splitlines() if '"/abandon/big"' in line and '"GET"' in line
            ]
            if records:
                break
            time.sleep(0.1)
        assert len(records) == 1 and records[0]["status"] == 200, records
        assert records[0]["bytes_out"] < size
        assert "Error handling request" not in gw.logs() and "Traceback" not in gw.logs()
    finally:
        stop_gateway(gw)
