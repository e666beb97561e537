"""Object and bucket tagging through boto3 and aws-cli against the real gateway."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError

BOTH_ENGINES = True  # the gateway fixture runs on SQLite and on PostgreSQL (conftest.ENGINES)

MiB = 1024 * 1024


def error_code(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


def status(exc: ClientError) -> int:
    return exc.response["ResponseMetadata"]["HTTPStatusCode"]


def tag_set(pairs: dict) -> dict:
    return {"TagSet": [{"Key": k, "Value": v} for k, v in pairs.items()]}


def tags_of(s3, bucket, key) -> dict:
    return {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]}


def test_put_get_delete_object_tagging(s3, bucket):
    s3.put_object(Bucket=bucket, Key="docs/t.txt", Body=b"x")
    assert s3.get_object_tagging(Bucket=bucket, Key="docs/t.txt")["TagSet"] == []
    assert "TagCount" not in s3.head_object(Bucket=bucket, Key="docs/t.txt")
    s3.put_object_tagging(
        Bucket=bucket, Key="docs/t.txt", Tagging=tag_set({"project": "junction", "empty": "", "ünï": "a b+c/@:=.-_"})
    )
    got = s3.get_object_tagging(Bucket=bucket, Key="docs/t.txt")["TagSet"]
    assert got == [
        {"Key": "project", "Value": "junction"},
        {"Key": "empty", "Value": ""},
        {"Key": "ünï", "Value": "a b+c/@:=.-_"},
    ]  # the client's order is kept
    assert (
        s3.head_object(Bucket=bucket, Key="docs/t.txt")["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"] == "3"
    )
    assert s3.get_object(Bucket=bucket, Key="docs/t.txt")["TagCount"] == 3
    s3.put_object_tagging(Bucket=bucket, Key="docs/t.txt", Tagging=tag_set({"only": "one"}))  # replaces the set
    assert tags_of(s3, bucket, "docs/t.txt") == {"only": "one"}
    deleted = s3.delete_object_tagging(Bucket=bucket, Key="docs/t.txt")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert tags_of(s3, bucket, "docs/t.txt") == {}
    assert s3.get_object(Bucket=bucket, Key="docs/t.txt")["Body"].read() == b"x"  # the data is untouched


def test_tagging_of_missing_object_or_bucket(s3, bucket):
    for call in (
        lambda: s3.get_object_tagging(Bucket=bucket, Key="absent"),
        lambda: s3.put_object_tagging(Bucket=bucket, Key="absent", Tagging=tag_set({"a": "1"})),
        lambda: s3.delete_object_tagging(Bucket=bucket, Key="absent"),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert error_code(err.value) == "NoSuchKey"
    with pytest.raises(ClientError) as err:
        s3.get_object_tagging(Bucket="no-such-bucket-h5", Key="k")
    assert error_code(err.value) == "NoSuchBucket"


@pytest.mark.parametrize(
    "tags, message",
    [
        ({f"k{i}": "v" for i in range(11)}, "cannot be greater than 10"),
        ({"k" * 129: "v"}, "max 128"),
        ({"k": "v" * 257}, "max 256"),
        ({"bad<key>": "v"}, "TagKey you have provided is invalid"),
        ({"aws:reserved": "v"}, "aws:"),
    ],
)
def test_invalid_object_tags_are_refused(s3, bucket, tags, message):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as err:
        s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=tag_set(tags))
    assert (status(err.value), error_code(err.value)) == (400, "InvalidTag")
    assert message in err.value.response["Error"]["Message"]
    assert tags_of(s3, bucket, "k") == {}


def test_limits_are_inclusive(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    tags = {f"{i:02d}" + "k" * 126: "v" * 256 for i in range(10)}
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=tag_set(tags))
    assert tags_of(s3, bucket, "k") == tags


def test_duplicate_keys_and_malformed_xml(s3, bucket, gateway):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as err:
        s3.put_object_tagging(
            Bucket=bucket, Key="k", Tagging={"TagSet": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]}
        )
    assert error_code(err.value) == "InvalidTag"
    body = b"<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>"  # no Value
    with pytest.raises(ClientError) as err:
        _raw_put_tagging(s3, bucket, "k", body)
    assert error_code(err.value) == "MalformedXML"
    with pytest.raises(ClientError) as err:
        _raw_put_tagging(s3, bucket, "k", b"<Tagging><TagSet>")
    assert error_code(err.value) == "MalformedXML"


def _raw_put_tagging(s3, bucket, key, body: bytes):
    """Send a hand-made body through boto3's signer (replacing the serialized document)."""

    def swap(request, **_):
        request.data = body
        for name in list(request.headers):
            if name.lower() == "content-md5" or name.lower().startswith("x-amz-checksum-"):
                del request.headers[name]

    s3.meta.events.register_first("before-sign.s3.PutObjectTagging", swap)
    try:
        return s3.put_object_tagging(Bucket=bucket, Key=key, Tagging=tag_set({"x": "y"}))
    finally:
        s3.meta.events.unregister("before-sign.s3.PutObjectTagging", swap)


def test_tagging_header_on_put_and_overwrite_starts_afresh(s3, bucket):
    s3.put_object(Bucket=bucket, Key="h", Body=b"1", Tagging="a=1&b=two%20words&c=")
    assert tags_of(s3, bucket, "h") == {"a": "1", "b": "two words", "c": ""}
    s3.put_object(Bucket=bucket, Key="h", Body=b"2", Tagging="z=26")
    assert tags_of(s3, bucket, "h") == {"z": "26"}
    s3.put_object(Bucket=bucket, Key="h", Body=b"3")  # an overwrite without tags has none
    assert tags_of(s3, bucket, "h") == {}
    s3.delete_object(Bucket=bucket, Key="h")
    s3.put_object(Bucket=bucket, Key="h", Body=b"4")
    assert tags_of(s3, bucket, "h") == {}


def test_invalid_tagging_header_writes_nothing(s3, bucket):
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="bad", Body=b"1", Tagging="&".join(f"k{i}=v" for i in range(11)))
    assert error_code(err.value) == "InvalidTag"
    with pytest.raises(ClientError) as err:
        s3.head_object(Bucket=bucket, Key="bad")
    assert status(err.value) == 404


def test_multipart_upload_tags_apply_at_complete(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", Tagging="stage=raw&team=data")
    parts = []
    for number, data in ((1, os.urandom(5 * MiB)), (2, b"tail")):
        etag = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload["UploadId"], PartNumber=number, Body=data)[
            "ETag"
        ]
        parts.append({"PartNumber": number, "ETag": etag})
    with pytest.raises(ClientError):
        s3.get_object_tagging(Bucket=bucket, Key="mp")  # nothing is visible before completion
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload["UploadId"], MultipartUpload={"Parts": parts})
    assert tags_of(s3, bucket, "mp") == {"stage": "raw", "team": "data"}


def test_invalid_tags_on_create_multipart_upload(s3, bucket):
    with pytest.raises(ClientError) as err:
        s3.create_multipart_upload(Bucket=bucket, Key="mp", Tagging="k=" + "v" * 300)
    assert error_code(err.value) == "InvalidTag"
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_copy_object_tagging_directive(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"data", Tagging="origin=src")
    s3.copy_object(Bucket=bucket, Key="copied", CopySource={"Bucket": bucket, "Key": "src"})
    assert tags_of(s3, bucket, "copied") == {"origin": "src"}  # COPY is the default
    s3.copy_object(
        Bucket=bucket,
        Key="replaced",
        CopySource={"Bucket": bucket, "Key": "src"},
        TaggingDirective="REPLACE",
        Tagging="new=1",
    )
    assert tags_of(s3, bucket, "replaced") == {"new": "1"}
    s3.copy_object(
        Bucket=bucket, Key="cleared", CopySource={"Bucket": bucket, "Key": "src"}, TaggingDirective="REPLACE"
    )
    assert tags_of(s3, bucket, "cleared") == {}
    assert tags_of(s3, bucket, "src") == {"origin": "src"}
    with pytest.raises(ClientError) as err:
        s3.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "src"}, TaggingDirective="MERGE")
    assert error_code(err.value) == "InvalidArgument"


def test_tags_go_with_the_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="gone", Body=b"1", Tagging="a=1")
    s3.delete_object(Bucket=bucket, Key="gone")
    with pytest.raises(ClientError) as err:
        s3.get_object_tagging(Bucket=bucket, Key="gone")
    assert error_code(err.value) == "NoSuchKey"
    s3.put_object(Bucket=bucket, Key="gone", Body=b"2")
    assert tags_of(s3, bucket, "gone") == {}


def test_bucket_tagging(s3, bucket):
    with pytest.raises(ClientError) as err:
        s3.get_bucket_tagging(Bucket=bucket)
    assert (status(err.value), error_code(err.value)) == (404, "NoSuchTagSet")
    s3.put_bucket_tagging(Bucket=bucket, Tagging=tag_set({"cost-center": "42", "env": "test"}))
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [
        {"Key": "cost-center", "Value": "42"},
        {"Key": "env", "Value": "test"},
    ]
    many = {f"k{i}": "v" for i in range(50)}
    s3.put_bucket_tagging(Bucket=bucket, Tagging=tag_set(many))  # buckets may have 50
    assert len(s3.get_bucket_tagging(Bucket=bucket)["TagSet"]) == 50
    with pytest.raises(ClientError) as err:
        s3.put_bucket_tagging(Bucket=bucket, Tagging=tag_set({f"k{i}": "v" for i in range(51)}))
    assert error_code(err.value) == "InvalidTag"
    s3.delete_bucket_tagging(Bucket=bucket)
    with pytest.raises(ClientError) as err:
        s3.get_bucket_tagging(Bucket=bucket)
    assert error_code(err.value) == "NoSuchTagSet"
    with pytest.raises(ClientError) as err:
        s3.get_bucket_tagging(Bucket="no-such-bucket-h5")
    assert error_code(err.value) == "NoSuchBucket"


def test_bucket_tags_disappear_with_the_bucket(s3, bucket):
    s3.put_bucket_tagging(Bucket=bucket, Tagging=tag_set({"a": "1"}))
    s3.delete_bucket(Bucket=bucket)
    s3.create_bucket(Bucket=bucket)
    with pytest.raises(ClientError) as err:
        s3.get_bucket_tagging(Bucket=bucket)
    assert error_code(err.value) == "NoSuchTagSet"


def test_tagging_needs_a_signature(gateway, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="a=1")
    response = requests.get(f"{gateway.url}/{bucket}/k?tagging")
    assert response.status_code == 403


def test_aws_cli_put_and_get_object_tagging(gateway, s3, bucket):
    cli = str(Path(sys.executable).parent / "aws")
    if not os.path.exists(cli):
        cli = "/usr/bin/aws"
    s3.put_object(Bucket=bucket, Key="cli.txt", Body=b"x")

    def run(*args):
        proc = subprocess.run(
            [cli, "--endpoint-url", gateway.url, "s3api", *args],
            env=gateway.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    run(
        "put-object-tagging",
        "--bucket",
        bucket,
        "--key",
        "cli.txt",
        "--tagging",
        json.dumps(tag_set({"via": "aws-cli", "n": "1"})),
    )
    out = json.loads(run("get-object-tagging", "--bucket", bucket, "--key", "cli.txt"))
    assert out["TagSet"] == [{"Key": "via", "Value": "aws-cli"}, {"Key": "n", "Value": "1"}]
    assert tags_of(s3, bucket, "cli.txt") == {"via": "aws-cli", "n": "1"}


def test_tagging_by_version_id(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    old = s3.put_object(Bucket=bucket, Key="v", Body=b"1", Tagging="gen=1")["VersionId"]
    new = s3.put_object(Bucket=bucket, Key="v", Body=b"2", Tagging="gen=2")["VersionId"]
    current = s3.get_object_tagging(Bucket=bucket, Key="v", VersionId=new)
    assert current["TagSet"] == [{"Key": "gen", "Value": "2"}]
    assert current["VersionId"] == new
    s3.put_object_tagging(Bucket=bucket, Key="v", VersionId=new, Tagging=tag_set({"gen": "two"}))
    assert tags_of(s3, bucket, "v") == {"gen": "two"}
    # a noncurrent version kept its own tags (they follow it into history: test_s3_versioning.py)
    assert s3.get_object_tagging(Bucket=bucket, Key="v", VersionId=old)["TagSet"] == [{"Key": "gen", "Value": "1"}]
    with pytest.raises(ClientError) as err:
        s3.get_object_tagging(Bucket=bucket, Key="v", VersionId="0" * 32)
    assert error_code(err.value) in ("NoSuchVersion", "InvalidArgument")


def test_tags_follow_native_move_and_clone(gateway, s3, bucket):
    from gateway.client import NativeClient

    native = NativeClient(gateway.url, gateway.access_key, gateway.secret_key)
    s3.put_object(Bucket=bucket, Key="pkg/a.txt", Body=b"a", Tagging="t=1")
    package = native.get_package(bucket, "pkg")
    obj = [o for o in native.package_objects(package["packageID"]) if o["path"] == "a.txt"][0]
    native.clone([{"objectID": obj["objectID"], "newPath": "copy.txt", "newPackageID": package["packageID"]}])
    assert tags_of(s3, bucket, "pkg/copy.txt") == {"t": "1"}
    native.move([{"objectID": obj["objectID"], "packageID": package["packageID"], "path": "moved.txt"}])
    assert tags_of(s3, bucket, "pkg/moved.txt") == {"t": "1"}
    s3.put_object_tagging(Bucket=bucket, Key="pkg/moved.txt", Tagging=tag_set({"t": "2"}))
    assert tags_of(s3, bucket, "pkg/copy.txt") == {"t": "1"}  # the clone has its own tag set
