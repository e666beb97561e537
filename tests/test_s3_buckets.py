"""Bucket operations through boto3 against a live gateway."""

import uuid

import pytest
from botocore.exceptions import ClientError


def error_code(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


def test_create_list_head_delete(s3):
    name = f"bk-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.head_bucket(Bucket=name)
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] in (None, "")
    s3.delete_bucket(Bucket=name)
    with pytest.raises(ClientError) as err:
        s3.head_bucket(Bucket=name)
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_create_twice_in_us_east_1_leaves_the_bucket_untouched(s3, bucket):
    """S3's legacy us-east-1 behaviour: re-creating your own bucket is a 200 that changes nothing."""
    s3.put_object(Bucket=bucket, Key="kept", Body=b"1")
    s3.create_bucket(Bucket=bucket)
    assert s3.get_object(Bucket=bucket, Key="kept")["Body"].read() == b"1"


@pytest.mark.parametrize(
    "name", ["ab", "UPPER-case", "a" * 64, "bad..dots", "192.168.1.1", "-lead", "trail-", "xn--abc"]
)
def test_invalid_bucket_names(s3, name):
    with pytest.raises(ClientError) as err:
        s3.create_bucket(Bucket=name)
    assert error_code(err.value) == "InvalidBucketName"


def test_delete_non_empty_bucket_is_refused(s3, bucket):
    s3.put_object(Bucket=bucket, Key="x", Body=b"1")
    with pytest.raises(ClientError) as err:
        s3.delete_bucket(Bucket=bucket)
    assert error_code(err.value) == "BucketNotEmpty"
    assert s3.get_object(Bucket=bucket, Key="x")["Body"].read() == b"1"


def test_missing_bucket(s3):
    with pytest.raises(ClientError) as err:
        s3.list_objects_v2(Bucket="no-such-bucket-here")
    assert error_code(err.value) == "NoSuchBucket"
    assert err.value.response["Error"]["BucketName"] == "no-such-bucket-here"


def test_location_constraint_other_region_refused(s3):
    with pytest.raises(ClientError) as err:
        s3.create_bucket(
            Bucket=f"bk-{uuid.uuid4().hex[:10]}", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
    assert error_code(err.value) == "IllegalLocationConstraintException"
