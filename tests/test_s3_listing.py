"""ListObjects v1/v2 semantics and the package mapping seen through listings."""

import pytest
from botocore.exceptions import ClientError

BOTH_ENGINES = True  # the gateway fixture runs on SQLite and on PostgreSQL (conftest.ENGINES)

KEYS = ["a.txt", "b/1", "b/2", "b/c/3", "c/4", "d", "é/5", "z+z", "b/", "/root"]


@pytest.fixture
def filled(s3, bucket):
    for key in KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    return bucket


def all_v2(s3, bucket, **kw):
    keys, prefixes, token = [], [], None
    while True:
        args = dict(Bucket=bucket, **kw)
        if token:
            args["ContinuationToken"] = token
        page = s3.list_objects_v2(**args)
        keys += [o["Key"] for o in page.get("Contents", [])]
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        assert page["KeyCount"] == len(page.get("Contents", [])) + len(page.get("CommonPrefixes", []))
        if not page["IsTruncated"]:
            return keys, prefixes
        token = page["NextContinuationToken"]


def test_full_listing_is_utf8_binary_order(s3, filled):
    keys, prefixes = all_v2(s3, filled)
    assert keys == sorted(KEYS, key=lambda k: k.encode())
    assert prefixes == []


def test_delimiter_at_root_shows_packages_as_prefixes(s3, filled):
    keys, prefixes = all_v2(s3, filled, Delimiter="/")
    assert keys == ["a.txt", "d", "z+z"]
    assert prefixes == ["/", "b/", "c/", "é/"]


def test_prefix_and_delimiter(s3, filled):
    keys, prefixes = all_v2(s3, filled, Prefix="b/", Delimiter="/")
    assert keys == ["b/", "b/1", "b/2"]
    assert prefixes == ["b/c/"]


@pytest.mark.parametrize("page_size", [1, 2, 3, 7])
def test_pagination_v2_with_delimiter_never_repeats(s3, filled, page_size):
    keys, prefixes = all_v2(s3, filled, Delimiter="/", MaxKeys=page_size)
    assert keys == ["a.txt", "d", "z+z"]
    assert prefixes == ["/", "b/", "c/", "é/"]


@pytest.mark.parametrize("page_size", [1, 4])
def test_pagination_v1(s3, filled, page_size):
    keys, marker = [], ""
    while True:
        page = s3.list_objects(Bucket=filled, Marker=marker, MaxKeys=page_size)
        batch = [o["Key"] for o in page.get("Contents", [])]
        keys += batch
        if not page["IsTruncated"]:
            break
        marker = page.get("NextMarker") or batch[-1]
    assert keys == sorted(KEYS, key=lambda k: k.encode())


def test_v1_next_marker_with_delimiter(s3, filled):
    page = s3.list_objects(Bucket=filled, Delimiter="/", MaxKeys=2)
    assert page["IsTruncated"] is True
    assert page["NextMarker"] == "a.txt"
    page = s3.list_objects(Bucket=filled, Delimiter="/", MaxKeys=2, Marker="b/")
    assert [p["Prefix"] for p in page.get("CommonPrefixes", [])] == ["c/"]
    assert [o["Key"] for o in page.get("Contents", [])] == ["d"]


def test_start_after(s3, filled):
    keys, _ = all_v2(s3, filled, StartAfter="b/2")
    assert keys == [k for k in sorted(KEYS, key=lambda k: k.encode()) if k.encode() > b"b/2"]


def test_max_keys_zero(s3, filled):
    page = s3.list_objects_v2(Bucket=filled, MaxKeys=0)
    assert page["KeyCount"] == 0 and page["IsTruncated"] is False


def test_encoding_type_url(s3, bucket):
    s3.put_object(Bucket=bucket, Key="sp ace/ü+%#?", Body=b"x")
    # botocore decodes keys only when it chose encoding-type=url itself (it always does)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["sp ace/ü+%#?"]
    page = s3.list_objects_v2(Bucket=bucket, EncodingType="url")
    assert [o["Key"] for o in page["Contents"]] == ["sp%20ace/%C3%BC%2B%25%23%3F"]


def test_fetch_owner(s3, filled):
    page = s3.list_objects_v2(Bucket=filled, FetchOwner=True, MaxKeys=1)
    assert "Owner" in page["Contents"][0]
    page = s3.list_objects_v2(Bucket=filled, MaxKeys=1)
    assert "Owner" not in page["Contents"][0]


def test_bad_continuation_token(s3, filled):
    with pytest.raises(ClientError) as err:
        s3.list_objects_v2(Bucket=filled, ContinuationToken="!!!not-a-token")
    assert err.value.response["Error"]["Code"] == "InvalidArgument"


def test_folder_marker_and_package_lifecycle(s3, bucket):
    # An implicit package vanishes with its last object, as an S3 prefix does.
    s3.put_object(Bucket=bucket, Key="pkg/x", Body=b"1")
    s3.delete_object(Bucket=bucket, Key="pkg/x")
    assert all_v2(s3, bucket, Delimiter="/") == ([], [])
    # A folder marker "pkg/" keeps the package, and is listed like any key.
    s3.put_object(Bucket=bucket, Key="pkg/", Body=b"")
    s3.put_object(Bucket=bucket, Key="pkg/x", Body=b"1")
    s3.delete_object(Bucket=bucket, Key="pkg/x")
    assert all_v2(s3, bucket) == (["pkg/"], [])
    assert all_v2(s3, bucket, Delimiter="/") == ([], ["pkg/"])
    s3.delete_object(Bucket=bucket, Key="pkg/")
    assert all_v2(s3, bucket) == ([], [])
