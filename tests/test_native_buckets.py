"""/v1/bucket/*: happy paths, edges, and buckets shared with S3."""

import uuid

from botocore.exceptions import ClientError
from native_helpers import expect_error, native, nbucket, raw_request  # noqa: F401  (fixtures)


def test_create_get_list_delete(native):
    name = f"n-{uuid.uuid4().hex[:12]}"
    created = native.create_bucket(name)
    assert created["name"] == name and isinstance(created["bucketID"], int)
    assert native.get_bucket(name) == created
    assert created in native.list_buckets()
    native.delete_bucket(created["bucketID"])
    expect_error("DataNotFound", 404, native.get_bucket, name)
    assert all(b["name"] != name for b in native.list_buckets())


def test_envelope_shape(gateway, nbucket):
    resp = raw_request(gateway, "GET", "/v1/bucket/getByName", query=f"name={nbucket['name']}")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("application/json")
    assert resp.json() == {"code": "OK", "message": "", "data": {"bucket": nbucket}}


def test_duplicate_name(native, nbucket):
    expect_error("DataExists", 409, native.create_bucket, nbucket["name"])


def test_invalid_and_missing_names(native):
    expect_error("BadArgument", 400, native.create_bucket, "UPPER_case")
    expect_error("BadArgument", 400, native.call, "POST", "/v1/bucket/create", json_body={"userID": 1})
    expect_error("BadArgument", 400, native.call, "POST", "/v1/bucket/create", json_body={"name": 7})
    expect_error("BadArgument", 400, native.call, "POST", "/v1/bucket/create", json_body=["not", "an", "object"])
    expect_error(
        "BadArgument",
        400,
        native.call,
        "POST",
        "/v1/bucket/create",
        body=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    expect_error("BadArgument", 400, native.call, "GET", "/v1/bucket/getByName")


def test_unknown_ids(native):
    expect_error("DataNotFound", 404, native.delete_bucket, 987654321)
    expect_error("BadArgument", 400, native.delete_bucket, "one")
    expect_error("BadArgument", 400, native.delete_bucket, True)


def test_id_as_string_is_accepted(native):
    bucket = native.create_bucket(f"n-{uuid.uuid4().hex[:12]}")
    native.call("POST", "/v1/bucket/delete", json_body={"bucketID": str(bucket["bucketID"])})
    expect_error("DataNotFound", 404, native.get_bucket, bucket["name"])


def test_wrong_method(native):
    expect_error("BadArgument", 405, native.call, "GET", "/v1/bucket/create")
    expect_error("BadArgument", 405, native.call, "POST", "/v1/bucket/listAll", json_body={})


def test_non_empty_bucket_is_not_deleted(native, nbucket, s3):
    s3.put_object(Bucket=nbucket["name"], Key="keep.txt", Body=b"x")
    expect_error("OperationFailed", 409, native.delete_bucket, nbucket["bucketID"])
    assert s3.get_object(Bucket=nbucket["name"], Key="keep.txt")["Body"].read() == b"x"


def test_buckets_are_shared_with_s3(native, s3):
    name = f"n-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    bucket = native.get_bucket(name)
    assert bucket["name"] == name
    native.delete_bucket(bucket["bucketID"])
    try:
        s3.head_bucket(Bucket=name)
    except ClientError as exc:
        assert exc.response["Error"]["Code"] in ("404", "NoSuchBucket")
    else:
        raise AssertionError("bucket deleted natively is still visible through S3")
    other = native.create_bucket(f"n-{uuid.uuid4().hex[:12]}")
    assert other["name"] in [b["Name"] for b in s3.list_buckets()["Buckets"]]
