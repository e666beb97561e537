"""What a caller learns about an object that is not there, and about tags it may not read.

AWS answers a read of a missing key with 404 NoSuchKey (NoSuchVersion for ?versionId=) only when
the caller also has s3:ListBucket on the bucket; otherwise 403 AccessDenied, so that a caller who
may read some keys cannot probe which other keys exist. `x-amz-tagging-count` on GET/HEAD is shown
only to a caller that may read the tags (s3:GetObjectTagging)."""

from __future__ import annotations

import uuid

import pytest
from access_helpers import Principal, client, code_of, new_account, new_user, unique
from conftest import start_gateway, stop_gateway
from native_helpers import expect_error
from test_console_api import call as console_call

from gateway.client import NativeClient

MISSING = "no/such/key"


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    gateway = start_gateway(tmp_path_factory.mktemp("missing"))
    yield gateway
    stop_gateway(gateway)


def _user_with(gw, owner: Principal, actions: list[str], resources: list[str], *more: dict) -> Principal:
    """A user of `owner`'s account whose only policy allows `actions` on `resources` (and `more`)."""
    name = unique("pol")
    statement = {"Effect": "Allow", "Action": actions, "Resource": resources}
    document = {"Version": "2012-10-17", "Statement": [statement, *more]}
    made = console_call(
        gw,
        "POST",
        f"/accounts/{owner.account}/policies",
        {"name": name, "document": document},
        {"nonce": uuid.uuid4().hex},
    )
    assert made.status_code == 201, made.text
    return new_user(gw, owner, [name])


READS = ["s3:GetObject*", "s3:PutObject", "s3:AbortMultipartUpload"]


@pytest.fixture(scope="module")
def people(gw):
    owner = new_account(gw, "owner")
    return {
        "owner": owner,
        "reader": _user_with(gw, owner, READS, ["arn:aws:s3:::*/*"]),  # no s3:ListBucket
        "lister": _user_with(gw, owner, [*READS, "s3:ListBucket"], ["arn:aws:s3:::*"]),
        "untagged": _user_with(gw, owner, ["s3:GetObject", "s3:GetObjectVersion"], ["arn:aws:s3:::*/*"]),
    }


@pytest.fixture
def bucket(gw, people):
    s3 = client(gw, people["owner"])
    name = unique("m")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="here", Body=b"data", Tagging="a=1&b=2")
    return name


def _reads(s3, bucket: str, key: str, **version) -> dict[str, tuple[int, str]]:
    return {
        "get": code_of(s3.get_object, Bucket=bucket, Key=key, **version),
        "head": code_of(s3.head_object, Bucket=bucket, Key=key, **version),
        "acl": code_of(s3.get_object_acl, Bucket=bucket, Key=key, **version),
        "tagging": code_of(s3.get_object_tagging, Bucket=bucket, Key=key, **version),
        "attributes": code_of(
            s3.get_object_attributes, Bucket=bucket, Key=key, ObjectAttributes=["ETag", "ObjectSize"], **version
        ),
    }


def test_missing_key_is_404_only_for_a_caller_that_may_list(gw, people, bucket):
    for who in ("owner", "lister"):
        found = _reads(client(gw, people[who]), bucket, MISSING)
        assert found == {
            "get": (404, "NoSuchKey"),
            "head": (404, "404"),
            "acl": (404, "NoSuchKey"),
            "tagging": (404, "NoSuchKey"),
            "attributes": (404, "NoSuchKey"),
        }, who
    hidden = _reads(client(gw, people["reader"]), bucket, MISSING)
    assert hidden == {
        "get": (403, "AccessDenied"),
        "head": (403, "403"),
        "acl": (403, "AccessDenied"),
        "tagging": (403, "AccessDenied"),
        "attributes": (403, "AccessDenied"),
    }
    # the same reader still reads what is there
    reader = client(gw, people["reader"])
    assert reader.get_object(Bucket=bucket, Key="here")["Body"].read() == b"data"
    assert reader.head_object(Bucket=bucket, Key="here")["ContentLength"] == 4


def test_missing_version_and_delete_marker(gw, people, bucket):
    s3 = client(gw, people["owner"])
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    other_version = s3.put_object(Bucket=bucket, Key="other", Body=b"x")["VersionId"]  # a real id, not of "here"
    s3.put_object(Bucket=bucket, Key="gone", Body=b"y")
    s3.delete_object(Bucket=bucket, Key="gone")  # a delete marker hides it
    lister, reader = client(gw, people["lister"]), client(gw, people["reader"])
    wrong = {"VersionId": other_version}
    assert code_of(lister.get_object, Bucket=bucket, Key="here", **wrong) == (404, "NoSuchVersion")
    assert code_of(lister.head_object, Bucket=bucket, Key="here", **wrong) == (404, "404")
    assert code_of(reader.get_object, Bucket=bucket, Key="here", **wrong) == (403, "AccessDenied")
    assert code_of(reader.head_object, Bucket=bucket, Key="here", **wrong) == (403, "403")
    assert code_of(reader.get_object_tagging, Bucket=bucket, Key="here", **wrong) == (403, "AccessDenied")
    # behind a delete marker: the lister is told so, the reader learns nothing
    with pytest.raises(Exception) as seen:
        lister.get_object(Bucket=bucket, Key="gone")
    response = seen.value.response  # type: ignore[attr-defined]
    assert response["Error"]["Code"] == "NoSuchKey"
    assert response["ResponseMetadata"]["HTTPHeaders"].get("x-amz-delete-marker") == "true"
    with pytest.raises(Exception) as hidden:
        reader.get_object(Bucket=bucket, Key="gone")
    response = hidden.value.response  # type: ignore[attr-defined]
    assert response["Error"]["Code"] == "AccessDenied"
    assert "x-amz-delete-marker" not in response["ResponseMetadata"]["HTTPHeaders"]


def test_copy_from_a_missing_source(gw, people, bucket):
    for who, expected in (("lister", (404, "NoSuchKey")), ("reader", (403, "AccessDenied"))):
        s3 = client(gw, people[who])
        source = {"Bucket": bucket, "Key": MISSING}
        assert code_of(s3.copy_object, Bucket=bucket, Key="copy", CopySource=source) == expected, who
        upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
        part = code_of(s3.upload_part_copy, Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, CopySource=source)
        assert part == expected, who
        s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload)
    # a present source copies for the reader too
    reader = client(gw, people["reader"])
    reader.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "here"})


def test_a_denied_read_stays_denied_and_public_readers_follow_the_rule(gw, people, bucket):
    """A caller without s3:GetObject gets 403 whether or not the key exists (nothing to probe)."""
    other = new_account(gw, "stranger")
    stranger = client(gw, other)
    assert code_of(stranger.get_object, Bucket=bucket, Key="here") == (403, "AccessDenied")
    assert code_of(stranger.get_object, Bucket=bucket, Key=MISSING) == (403, "AccessDenied")


def test_a_caller_who_may_list_only_a_prefix_learns_absence_only_there(gw, people, bucket):
    """s3:ListBucket is asked as a listing of the key's own name (s3:prefix): a caller that may
    list docs/ sees a missing docs/ key as 404, like a listing would show it; elsewhere 403."""
    listing = {
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": f"arn:aws:s3:::{bucket}",
        "Condition": {"StringLike": {"s3:prefix": ["docs/*"]}},
    }
    scoped = client(gw, _user_with(gw, people["owner"], ["s3:GetObject"], [f"arn:aws:s3:::{bucket}/*"], listing))
    assert code_of(scoped.get_object, Bucket=bucket, Key="docs/missing") == (404, "NoSuchKey")
    assert code_of(scoped.head_object, Bucket=bucket, Key="docs/missing") == (404, "404")
    assert code_of(scoped.get_object, Bucket=bucket, Key="other/missing") == (403, "AccessDenied")
    assert scoped.list_objects_v2(Bucket=bucket, Prefix="docs/")["KeyCount"] == 0
    assert code_of(scoped.list_objects_v2, Bucket=bucket, Prefix="other/") == (403, "AccessDenied")


# ------------------------------------------------------------------ x-amz-tagging-count


def test_tagging_count_only_for_callers_that_may_read_tags(gw, people, bucket):
    for who in ("owner", "reader"):
        s3 = client(gw, people[who])
        assert (
            s3.head_object(Bucket=bucket, Key="here")["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"] == "2"
        )
        assert s3.get_object(Bucket=bucket, Key="here")["TagCount"] == 2
    untagged = client(gw, people["untagged"])
    head = untagged.head_object(Bucket=bucket, Key="here")
    assert "x-amz-tagging-count" not in head["ResponseMetadata"]["HTTPHeaders"]
    got = untagged.get_object(Bucket=bucket, Key="here")
    assert got["Body"].read() == b"data" and "TagCount" not in got


def test_tagging_count_of_a_version_needs_get_object_version_tagging(gw, people, bucket):
    s3 = client(gw, people["owner"])
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket=bucket, Key="v", Body=b"1", Tagging="k=v")["VersionId"]
    reader, untagged = client(gw, people["reader"]), client(gw, people["untagged"])
    assert (
        reader.head_object(Bucket=bucket, Key="v", VersionId=version)["ResponseMetadata"]["HTTPHeaders"][
            "x-amz-tagging-count"
        ]
        == "1"
    )
    head = untagged.head_object(Bucket=bucket, Key="v", VersionId=version)
    assert "x-amz-tagging-count" not in head["ResponseMetadata"]["HTTPHeaders"]


# ------------------------------------------------------------------ the native API


def test_native_download_by_path_follows_the_same_rule(gw, people, bucket):
    lister = NativeClient(gw.url, people["lister"].access_key, people["lister"].secret_key)
    reader = NativeClient(gw.url, people["reader"].access_key, people["reader"].secret_key)
    assert reader.download_by_path(f"{bucket}/here") == b"data"
    expect_error("DataNotFound", 404, lister.download_by_path, f"{bucket}/{MISSING}")
    denied = expect_error("Unauthorized", 403, reader.download_by_path, f"{bucket}/{MISSING}")
    assert MISSING not in str(denied)
