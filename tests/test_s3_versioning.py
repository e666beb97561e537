"""S3 bucket versioning end to end (boto3 and aws-cli on a live gateway), plus the parts only
the core shows: blobs of noncurrent versions and the collector, quotas, native deletes."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from gateway.core.objects import ObjectAttrs
from gateway.core.service import Core
from gateway.domain.errors import JunctionError

BOTH_ENGINES = True  # the gateway fixture runs on SQLite and on PostgreSQL (conftest.ENGINES)

AWS_V1 = str(Path(sys.executable).parent / "aws")


def enable(s3, bucket, status="Enabled"):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})


def body(s3, bucket, key, **kw) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key, **kw)["Body"].read()


def error_of(call, *args, **kw) -> ClientError:
    with pytest.raises(ClientError) as info:
        call(*args, **kw)
    return info.value


def headers(response) -> dict:
    return response["ResponseMetadata"]["HTTPHeaders"]


def history(s3, bucket, **kw) -> list[tuple]:
    """(key, version id, is latest, is marker): versions, then delete markers (boto3 splits them)."""
    resp = s3.list_object_versions(Bucket=bucket, **kw)
    entries = [(v["Key"], v["VersionId"], v["IsLatest"], False) for v in resp.get("Versions", [])]
    return entries + [(m["Key"], m["VersionId"], m["IsLatest"], True) for m in resp.get("DeleteMarkers", [])]


# ---------------------------------------------------------------- configuration


def test_status_starts_unset_then_enabled_then_suspended(s3, bucket):
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    enable(s3, bucket)
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    enable(s3, bucket, "Suspended")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"


def test_bad_configurations_are_refused(s3, bucket):
    err = error_of(
        s3.put_bucket_versioning,
        Bucket=bucket,
        VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"},
        MFA="SERIAL 123456",
    )
    assert err.response["Error"]["Code"] == "NotImplemented"
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    err = error_of(s3.put_bucket_versioning, Bucket=bucket, VersioningConfiguration={"Status": "Sometimes"})
    assert err.response["Error"]["Code"] == "MalformedXML"
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    err = error_of(s3.get_bucket_versioning, Bucket="no-such-bucket-" + uuid.uuid4().hex[:8])
    assert err.response["Error"]["Code"] == "NoSuchBucket"


# ---------------------------------------------------------------- versions


def test_each_write_is_a_version_readable_by_id(s3, bucket):
    enable(s3, bucket)
    first = s3.put_object(Bucket=bucket, Key="doc", Body=b"first")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key="doc", Body=b"second!")["VersionId"]
    assert first != second and len(first) == len(second) == 32
    assert body(s3, bucket, "doc", VersionId=first) == b"first"
    assert body(s3, bucket, "doc", VersionId=second) == b"second!"
    latest = s3.get_object(Bucket=bucket, Key="doc")
    assert latest["VersionId"] == second and latest["Body"].read() == b"second!"
    head = s3.head_object(Bucket=bucket, Key="doc", VersionId=first)
    assert head["VersionId"] == first and head["ContentLength"] == 5
    ranged = s3.get_object(Bucket=bucket, Key="doc", VersionId=first, Range="bytes=1-2")
    assert ranged["Body"].read() == b"ir"
    assert history(s3, bucket) == [("doc", second, True, False), ("doc", first, False, False)]


def test_delete_inserts_a_marker_that_hides_the_key(s3, bucket):
    enable(s3, bucket)
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"two")["VersionId"]
    s3.put_object(Bucket=bucket, Key="other", Body=b"x")
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    marker = deleted["VersionId"]
    assert deleted["DeleteMarker"] is True and marker not in (v1, v2)

    err = error_of(s3.get_object, Bucket=bucket, Key="k")
    assert err.response["Error"]["Code"] == "NoSuchKey"
    assert headers(err.response)["x-amz-delete-marker"] == "true"
    assert headers(err.response)["x-amz-version-id"] == marker
    err = error_of(s3.head_object, Bucket=bucket, Key="k")
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert headers(err.response)["x-amz-delete-marker"] == "true"
    err = error_of(s3.get_object, Bucket=bucket, Key="k", VersionId=marker)
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 405
    assert headers(err.response)["x-amz-delete-marker"] == "true"

    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["other"]
    assert [o["Key"] for o in s3.list_objects(Bucket=bucket)["Contents"]] == ["other"]
    resp = s3.list_object_versions(Bucket=bucket, Prefix="k")
    assert [(v["VersionId"], v["IsLatest"]) for v in resp["Versions"]] == [(v2, False), (v1, False)]
    assert [(m["VersionId"], m["IsLatest"]) for m in resp["DeleteMarkers"]] == [(marker, True)]
    assert body(s3, bucket, "k", VersionId=v1) == b"one"  # history stays readable

    removed = s3.delete_object(Bucket=bucket, Key="k", VersionId=marker)
    assert removed["VersionId"] == marker and removed["DeleteMarker"] is True
    restored = s3.get_object(Bucket=bucket, Key="k")
    assert restored["VersionId"] == v2 and restored["Body"].read() == b"two"
    assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]) == ["k", "other"]


def test_a_second_marker_keeps_the_key_hidden_when_the_first_goes(s3, bucket):
    enable(s3, bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    first = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    second = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    assert first != second
    s3.delete_object(Bucket=bucket, Key="k", VersionId=second)
    err = error_of(s3.get_object, Bucket=bucket, Key="k")
    assert headers(err.response)["x-amz-version-id"] == first


def test_delete_a_specific_version(s3, bucket):
    enable(s3, bucket)
    ids = [s3.put_object(Bucket=bucket, Key="k", Body=f"v{i}".encode())["VersionId"] for i in range(3)]
    resp = s3.delete_object(Bucket=bucket, Key="k", VersionId=ids[2])  # the current one
    assert resp["VersionId"] == ids[2] and "DeleteMarker" not in resp
    latest = s3.get_object(Bucket=bucket, Key="k")
    assert latest["VersionId"] == ids[1] and latest["Body"].read() == b"v1"
    s3.delete_object(Bucket=bucket, Key="k", VersionId=ids[0])  # a noncurrent one
    assert history(s3, bucket) == [("k", ids[1], True, False)]
    err = error_of(s3.get_object, Bucket=bucket, Key="k", VersionId=ids[0])
    assert err.response["Error"]["Code"] == "NoSuchVersion"
    err = error_of(s3.get_object, Bucket=bucket, Key="k", VersionId="not-a-version-id")
    assert err.response["Error"]["Code"] == "InvalidArgument"
    assert s3.delete_object(Bucket=bucket, Key="k", VersionId=ids[0])["ResponseMetadata"]["HTTPStatusCode"] == 204
    s3.delete_object(Bucket=bucket, Key="k", VersionId=ids[1])  # the last one: the key is gone
    assert "Versions" not in s3.list_object_versions(Bucket=bucket)
    assert error_of(s3.get_object, Bucket=bucket, Key="k").response["Error"]["Code"] == "NoSuchKey"


def test_objects_from_before_versioning_are_the_null_version(s3, bucket):
    s3.put_object(Bucket=bucket, Key="old", Body=b"before")
    enable(s3, bucket)
    assert s3.head_object(Bucket=bucket, Key="old")["VersionId"] == "null"
    new = s3.put_object(Bucket=bucket, Key="old", Body=b"after")["VersionId"]
    assert history(s3, bucket) == [("old", new, True, False), ("old", "null", False, False)]
    assert body(s3, bucket, "old", VersionId="null") == b"before"


def test_suspended_writes_replace_the_null_version(s3, bucket):
    enable(s3, bucket)
    kept = s3.put_object(Bucket=bucket, Key="k", Body=b"kept")["VersionId"]
    enable(s3, bucket, "Suspended")
    assert s3.put_object(Bucket=bucket, Key="k", Body=b"null one")["VersionId"] == "null"
    assert s3.put_object(Bucket=bucket, Key="k", Body=b"null two")["VersionId"] == "null"
    assert history(s3, bucket) == [("k", "null", True, False), ("k", kept, False, False)]
    assert body(s3, bucket, "k") == b"null two"
    assert body(s3, bucket, "k", VersionId=kept) == b"kept"
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert deleted["VersionId"] == "null" and deleted["DeleteMarker"] is True
    assert history(s3, bucket) == [("k", kept, False, False), ("k", "null", True, True)]
    s3.delete_object(Bucket=bucket, Key="k", VersionId="null")
    assert body(s3, bucket, "k") == b"kept"


def test_copy_from_a_version(s3, bucket):
    enable(s3, bucket)
    v1 = s3.put_object(Bucket=bucket, Key="src", Body=b"version one", Metadata={"n": "1"})["VersionId"]
    s3.put_object(Bucket=bucket, Key="src", Body=b"version two")
    copied = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src", "VersionId": v1})
    assert copied["CopySourceVersionId"] == v1 and len(copied["VersionId"]) == 32
    assert body(s3, bucket, "dst") == b"version one"
    assert s3.head_object(Bucket=bucket, Key="dst")["Metadata"] == {"n": "1"}
    # restoring an old version over its own key is allowed (it is not a self-copy)
    restored = s3.copy_object(Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src", "VersionId": v1})
    assert body(s3, bucket, "src") == b"version one"
    assert len([v for v in history(s3, bucket, Prefix="src") if not v[3]]) == 3
    assert restored["VersionId"] != v1
    marker = s3.delete_object(Bucket=bucket, Key="src")["VersionId"]
    err = error_of(
        s3.copy_object, Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "src", "VersionId": marker}
    )
    assert err.response["Error"]["Code"] == "InvalidRequest"
    err = error_of(s3.copy_object, Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "src"})
    assert err.response["Error"]["Code"] == "NoSuchKey"


def test_multi_delete_with_versions(s3, bucket):
    enable(s3, bucket)
    v1 = s3.put_object(Bucket=bucket, Key="a", Body=b"1")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="a", Body=b"2")["VersionId"]
    b = s3.put_object(Bucket=bucket, Key="b", Body=b"b")["VersionId"]
    resp = s3.delete_objects(
        Bucket=bucket,
        Delete={
            "Objects": [
                {"Key": "a", "VersionId": v1},
                {"Key": "b"},
                {"Key": "a", "VersionId": "bogus"},
            ]
        },
    )
    deleted = {(d["Key"], d.get("VersionId")): d for d in resp["Deleted"]}
    assert "DeleteMarker" not in deleted[("a", v1)]
    assert deleted[("b", None)]["DeleteMarker"] is True
    marker = deleted[("b", None)]["DeleteMarkerVersionId"]
    assert [(e["Key"], e["VersionId"], e["Code"]) for e in resp["Errors"]] == [("a", "bogus", "InvalidArgument")]
    resp = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "b", "VersionId": marker}]})
    assert resp["Deleted"][0]["DeleteMarker"] is True and resp["Deleted"][0]["DeleteMarkerVersionId"] == marker
    assert body(s3, bucket, "b") == b"b"
    assert history(s3, bucket) == [("a", v2, True, False), ("b", b, True, False)]


def test_multipart_completion_is_a_version(s3, bucket):
    enable(s3, bucket)
    plain = s3.put_object(Bucket=bucket, Key="mp", Body=b"plain")["VersionId"]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"part")["ETag"]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}
    )
    assert done["VersionId"] not in (None, plain)
    assert body(s3, bucket, "mp") == b"part" and body(s3, bucket, "mp", VersionId=plain) == b"plain"


def tags(s3, bucket, key, version_id) -> dict:
    resp = s3.get_object_tagging(Bucket=bucket, Key=key, VersionId=version_id)
    return {t["Key"]: t["Value"] for t in resp["TagSet"]}


def test_tags_follow_their_version(s3, bucket):
    enable(s3, bucket)
    v1 = s3.put_object(Bucket=bucket, Key="t", Body=b"1", Tagging="gen=1")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="t", Body=b"2", Tagging="gen=2")["VersionId"]
    assert tags(s3, bucket, "t", v1) == {"gen": "1"} and tags(s3, bucket, "t", v2) == {"gen": "2"}
    s3.put_object_tagging(Bucket=bucket, Key="t", VersionId=v1, Tagging={"TagSet": [{"Key": "gen", "Value": "one"}]})
    assert tags(s3, bucket, "t", v1) == {"gen": "one"}
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [{"Key": "gen", "Value": "2"}]
    copied = s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "t", "VersionId": v1})
    assert tags(s3, bucket, "c", copied["VersionId"]) == {"gen": "one"}

    marker = s3.delete_object(Bucket=bucket, Key="t")["VersionId"]
    assert tags(s3, bucket, "t", v2) == {"gen": "2"}  # the retired current took its tags along
    err = error_of(s3.get_object_tagging, Bucket=bucket, Key="t", VersionId=marker)
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 405
    s3.delete_object(Bucket=bucket, Key="t", VersionId=marker)  # v2 is current again, with its tags
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [{"Key": "gen", "Value": "2"}]
    assert s3.head_object(Bucket=bucket, Key="t", VersionId=v1)["TagCount"] == 1
    s3.delete_object_tagging(Bucket=bucket, Key="t", VersionId=v1)
    assert tags(s3, bucket, "t", v1) == {} and tags(s3, bucket, "t", v2) == {"gen": "2"}
    assert "TagCount" not in s3.head_object(Bucket=bucket, Key="t", VersionId=v1)


def test_part_records_follow_their_version(s3, bucket):
    enable(s3, bucket)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm="CRC32")["UploadId"]
    part = s3.upload_part(
        Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"part", ChecksumAlgorithm="CRC32"
    )
    first = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"], "ChecksumCRC32": part["ChecksumCRC32"]}]},
    )["VersionId"]
    s3.put_object(Bucket=bucket, Key="mp", Body=b"plain")
    attrs = s3.get_object_attributes(Bucket=bucket, Key="mp", VersionId=first, ObjectAttributes=["ObjectParts"])
    assert [(p["PartNumber"], p["Size"]) for p in attrs["ObjectParts"]["Parts"]] == [(1, 4)]


# ---------------------------------------------------------------- listing


def test_list_versions_paginates_with_key_and_version_markers(s3, bucket):
    enable(s3, bucket)
    expected = []
    for key in ("a", "b/1", "b/2", "c"):
        ids = [s3.put_object(Bucket=bucket, Key=key, Body=f"{key}{i}".encode())["VersionId"] for i in range(4)]
        expected += [(key, vid) for vid in reversed(ids)]
    marker = s3.delete_object(Bucket=bucket, Key="c")["VersionId"]
    expected.insert(expected.index(("c", ids[-1])), ("c", marker))

    seen, pages, kw = [], 0, {}
    while True:
        resp = s3.list_object_versions(Bucket=bucket, MaxKeys=3, **kw)
        entries = [(v["Key"], v["VersionId"]) for v in resp.get("Versions", [])]
        entries += [(m["Key"], m["VersionId"]) for m in resp.get("DeleteMarkers", [])]
        assert len(entries) <= 3
        seen += sorted(entries, key=expected.index)
        pages += 1
        if not resp["IsTruncated"]:
            break
        assert (resp["NextKeyMarker"], resp["NextVersionIdMarker"]) == seen[-1]
        kw = {"KeyMarker": resp["NextKeyMarker"], "VersionIdMarker": resp["NextVersionIdMarker"]}
    assert seen == expected and pages == 6

    paginator = s3.get_paginator("list_object_versions")
    total = sum(
        len(p.get("Versions", [])) + len(p.get("DeleteMarkers", []))
        for p in paginator.paginate(Bucket=bucket, PaginationConfig={"PageSize": 5})
    )
    assert total == len(expected)

    rolled = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["b/"]
    assert {v["Key"] for v in rolled["Versions"]} == {"a", "c"}
    after_prefix = s3.list_object_versions(Bucket=bucket, Delimiter="/", KeyMarker="b/")
    assert {v["Key"] for v in after_prefix["Versions"]} == {"c"} and "CommonPrefixes" not in after_prefix
    only_b = s3.list_object_versions(Bucket=bucket, Prefix="b/", KeyMarker="b/1")
    assert {v["Key"] for v in only_b["Versions"]} == {"b/2"}


def test_list_versions_of_an_unversioned_bucket_and_url_encoding(s3, bucket):
    s3.put_object(Bucket=bucket, Key="plain key+ü", Body=b"x")
    resp = s3.list_object_versions(Bucket=bucket)  # boto3 asks for url encoding and decodes
    assert [(v["Key"], v["VersionId"], v["IsLatest"], v["Size"]) for v in resp["Versions"]] == [
        ("plain key+ü", "null", True, 1)
    ]
    raw = s3.list_object_versions(Bucket=bucket, EncodingType="url")  # asked for: left encoded
    assert raw["Versions"][0]["Key"] == "plain%20key%2B%C3%BC"
    err = error_of(s3.list_object_versions, Bucket=bucket, VersionIdMarker="null")
    assert err.response["Error"]["Code"] == "InvalidArgument"


def test_unversioned_bucket_answers_carry_no_version_header(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    assert "x-amz-version-id" not in headers(put)
    assert "x-amz-version-id" not in headers(s3.get_object(Bucket=bucket, Key="k"))
    assert "x-amz-version-id" not in headers(s3.head_object(Bucket=bucket, Key="k"))
    copy = s3.copy_object(Bucket=bucket, Key="k2", CopySource={"Bucket": bucket, "Key": "k"})
    assert "x-amz-version-id" not in headers(copy)
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert "x-amz-version-id" not in headers(deleted) and "x-amz-delete-marker" not in headers(deleted)
    err = error_of(s3.get_object, Bucket=bucket, Key="k")
    assert "x-amz-delete-marker" not in headers(err.response)
    assert "Versions" not in s3.list_object_versions(Bucket=bucket, Prefix="k/")


def test_bucket_with_history_is_not_empty(s3, bucket):
    enable(s3, bucket)
    vid = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["VersionId"]
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    assert error_of(s3.delete_bucket, Bucket=bucket).response["Error"]["Code"] == "BucketNotEmpty"
    s3.delete_object(Bucket=bucket, Key="k", VersionId=vid)
    assert error_of(s3.delete_bucket, Bucket=bucket).response["Error"]["Code"] == "BucketNotEmpty"
    s3.delete_object(Bucket=bucket, Key="k", VersionId=marker)
    s3.delete_bucket(Bucket=bucket)


def test_aws_cli_lists_object_versions(gateway, s3, bucket):
    if not os.path.exists(AWS_V1):
        pytest.fail(f"{AWS_V1} is missing: `make test` installs it (pip awscli)")
    enable(s3, bucket)
    ids = [s3.put_object(Bucket=bucket, Key="cli", Body=b"x" * i)["VersionId"] for i in (1, 2)]
    marker = s3.delete_object(Bucket=bucket, Key="cli")["VersionId"]
    proc = subprocess.run(
        [AWS_V1, "--endpoint-url", gateway.url, "s3api", "list-object-versions", "--bucket", bucket],
        env=gateway.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [(v["VersionId"], v["Size"], v["IsLatest"]) for v in out["Versions"]] == [
        (ids[1], 2, False),
        (ids[0], 1, False),
    ]
    assert [(m["VersionId"], m["IsLatest"]) for m in out["DeleteMarkers"]] == [(marker, True)]


# ---------------------------------------------------------------- in the core


@pytest.fixture
async def core(tmp_path):
    c = Core(tmp_path, root_access_key="AK", root_secret_key="SK", gc_interval=0)
    await c.start()
    await c.buckets.create("bkt", "AK")
    await c.versioning.set_status("bkt", "Enabled")
    yield c
    await c.stop()


async def _stream(data: bytes):
    yield data


async def put(core: Core, key: str, data: bytes):
    return await core.objects.put("bkt", key, _stream(data), length=len(data), attrs=ObjectAttrs())


def blob_files(root: Path) -> list[Path]:
    return [p for p in (root / "blobs").rglob("*") if p.is_file()]


async def test_noncurrent_blobs_survive_collection_until_permanently_deleted(core, tmp_path):
    v1 = await put(core, "k", b"one")
    await put(core, "k", b"two")
    marker = await core.objects.delete("bkt", "k")
    assert await core.blobs.collect(grace_seconds=0) == 0
    assert len(blob_files(tmp_path)) == 2
    await core.objects.delete("bkt", "k", version_id=v1.version_id)
    assert await core.blobs.collect(grace_seconds=0) == 1
    assert len(blob_files(tmp_path)) == 1
    await core.objects.delete("bkt", "k", version_id=marker.version_id)  # restores "two"
    obj = await core.objects.head("bkt", "k")
    assert b"".join([p async for p in core.objects.read(obj)]) == b"two"


async def test_suspended_overwrite_releases_the_replaced_null_version(core, tmp_path):
    await core.versioning.set_status("bkt", "Suspended")
    await put(core, "k", b"one")
    await put(core, "k", b"two")
    assert await core.blobs.collect(grace_seconds=0) == 1
    assert len(blob_files(tmp_path)) == 1


async def test_noncurrent_versions_count_towards_usage_and_quotas(core):
    bucket = await core.buckets.get("bkt")
    await core.quotas.create(bucket.id, {"path": "/", "size": 10})
    await put(core, "k", b"123456")
    with pytest.raises(JunctionError) as info:
        await put(core, "k", b"654321")  # the first version is kept: 12 bytes > 10
    assert info.value.code == "QuotaExceeded"
    await core.objects.delete("bkt", "k")
    assert await core.store.buckets.usage(bucket.id) == (6, 1)
    await core.versioning.set_status("bkt", "Suspended")
    await put(core, "n", b"1234")  # 10 bytes in all: fits
    await put(core, "n", b"4321")  # replaces the null version: still 10
    assert await core.store.buckets.usage(bucket.id) == (10, 2)


async def test_native_delete_by_id_leaves_a_delete_marker(core):
    obj = await put(core, "pkg/file", b"native")
    assert await core.store.packages.delete_object(obj.id)
    page = await core.versioning.list_versions("bkt")
    assert [(v.key, v.delete_marker, v.is_latest) for v in page.versions] == [
        ("pkg/file", True, True),
        ("pkg/file", False, False),
    ]
    assert await core.store.packages.get(obj.bucket_id, "pkg") is None  # the folder is gone with its object
    again = await core.objects.head("bkt", "pkg/file", obj.version_id)
    assert b"".join([p async for p in core.objects.read(again)]) == b"native"


async def test_removing_a_native_upload_in_progress_leaves_no_marker(core):
    bucket = await core.buckets.get("bkt")
    pending = await core.store.native_parts.new_pending(bucket.id, "pkg/big", core.guards)
    assert await core.store.packages.delete_object(pending.id)
    assert (await core.versioning.list_versions("bkt")).versions == []


async def test_forced_bucket_delete_releases_noncurrent_blobs(core, tmp_path):
    await put(core, "k", b"one")
    await put(core, "k", b"two")
    await core.objects.delete("bkt", "k")
    with pytest.raises(JunctionError) as info:
        await core.buckets.delete("bkt")
    assert info.value.code == "BucketNotEmpty"
    await core.buckets.delete("bkt", force=True)
    assert await core.blobs.collect(grace_seconds=0) == 2
    assert blob_files(tmp_path) == []
