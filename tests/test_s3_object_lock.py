"""S3 Object Lock through boto3 (and aws-cli where a CLI user meets it) against a real gateway:
bucket configuration, retention and legal hold, the lock headers of writes and reads, and every
road to deleting a locked version (S3 by version id, DeleteObjects, native delete, console)."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from gateway.client import NativeClient
from tests.access_helpers import Principal, new_account
from tests.access_helpers import client as access_client
from tests.test_awscli import CLIS, run
from tests.test_console_api import call as console_call
from tests.test_console_api import export_client, volume_id

PROTECTED = "Access Denied because object protected by object lock."


def status(exc: ClientError) -> int:
    return exc.response["ResponseMetadata"]["HTTPStatusCode"]


def code(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


def fails(fn, *args, **kwargs) -> tuple[int, str]:
    with pytest.raises(ClientError) as err:
        fn(*args, **kwargs)
    return status(err.value), code(err.value)


def later(**delta: float) -> datetime:
    return (datetime.now(UTC) + timedelta(**delta)).replace(microsecond=0)


@pytest.fixture
def locked_bucket(s3) -> str:
    name = f"lk-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


def test_create_bucket_with_lock_enables_versioning_for_good(s3, locked_bucket):
    assert s3.get_bucket_versioning(Bucket=locked_bucket)["Status"] == "Enabled"
    config = s3.get_object_lock_configuration(Bucket=locked_bucket)["ObjectLockConfiguration"]
    assert config == {"ObjectLockEnabled": "Enabled"}
    assert fails(s3.put_bucket_versioning, Bucket=locked_bucket, VersioningConfiguration={"Status": "Suspended"}) == (
        409,
        "InvalidBucketState",
    )
    s3.put_bucket_versioning(Bucket=locked_bucket, VersioningConfiguration={"Status": "Enabled"})


def test_lock_configuration_on_existing_buckets(s3, bucket):
    assert fails(s3.get_object_lock_configuration, Bucket=bucket) == (404, "ObjectLockConfigurationNotFoundError")
    rule = {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}
    config = {"ObjectLockEnabled": "Enabled", "Rule": rule}
    assert fails(s3.put_object_lock_configuration, Bucket=bucket, ObjectLockConfiguration=config) == (
        409,
        "InvalidBucketState",
    )
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=config)  # AWS allows it now
    assert s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"] == config


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            {
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1, "Years": 1}},
            },
            "MalformedXML",
        ),
        ({"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE"}}}, "MalformedXML"),
        (
            {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 0}}},
            "InvalidRetentionPeriod",
        ),
        (
            {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": -1}}},
            "InvalidRetentionPeriod",
        ),
        (
            {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "governance", "Days": 1}}},
            "MalformedXML",
        ),
        ({"ObjectLockEnabled": "Disabled"}, "MalformedXML"),
    ],
)
def test_lock_configuration_is_validated(s3, locked_bucket, config, expected):
    assert fails(s3.put_object_lock_configuration, Bucket=locked_bucket, ObjectLockConfiguration=config) == (
        409 if expected == "InvalidBucketState" else 400,
        expected,
    )


def test_default_retention_applies_to_new_versions(s3, locked_bucket):
    config = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 2}}}
    s3.put_object_lock_configuration(Bucket=locked_bucket, ObjectLockConfiguration=config)
    put = s3.put_object(Bucket=locked_bucket, Key="k", Body=b"x")
    head = s3.head_object(Bucket=locked_bucket, Key="k")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert abs(head["ObjectLockRetainUntilDate"] - later(days=2)) < timedelta(minutes=1)
    assert "ObjectLockLegalHoldStatus" not in head
    retention = s3.get_object_retention(Bucket=locked_bucket, Key="k", VersionId=put["VersionId"])["Retention"]
    assert retention["Mode"] == "GOVERNANCE"
    assert fails(s3.delete_object, Bucket=locked_bucket, Key="k", VersionId=put["VersionId"]) == (403, "AccessDenied")


def test_put_object_lock_headers_and_what_get_reports(s3, locked_bucket):
    until = later(days=1)
    put = s3.put_object(
        Bucket=locked_bucket,
        Key="k",
        Body=b"x",
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=until,
        ObjectLockLegalHoldStatus="ON",
    )
    got = s3.get_object(Bucket=locked_bucket, Key="k")
    assert (got["ObjectLockMode"], got["ObjectLockRetainUntilDate"], got["ObjectLockLegalHoldStatus"]) == (
        "COMPLIANCE",
        until,
        "ON",
    )
    assert s3.get_object_legal_hold(Bucket=locked_bucket, Key="k")["LegalHold"] == {"Status": "ON"}
    assert s3.get_object_retention(Bucket=locked_bucket, Key="k")["Retention"] == {
        "Mode": "COMPLIANCE",
        "RetainUntilDate": until,
    }
    assert put["VersionId"] == got["VersionId"]


def test_lock_headers_are_refused_without_lock_or_when_invalid(s3, bucket, locked_bucket):
    assert fails(
        s3.put_object,
        Bucket=bucket,
        Key="k",
        Body=b"x",
        ObjectLockMode="GOVERNANCE",
        ObjectLockRetainUntilDate=later(days=1),
    ) == (400, "InvalidRequest")
    assert fails(s3.put_object, Bucket=locked_bucket, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE") == (
        400,
        "InvalidArgument",
    )
    assert fails(
        s3.put_object,
        Bucket=locked_bucket,
        Key="k",
        Body=b"x",
        ObjectLockMode="GOVERNANCE",
        ObjectLockRetainUntilDate=later(days=-1),
    ) == (400, "InvalidArgument")
    assert fails(s3.put_object, Bucket=locked_bucket, Key="k", Body=b"x", ObjectLockLegalHoldStatus="MAYBE") == (
        400,
        "InvalidArgument",
    )
    assert "Versions" not in s3.list_object_versions(Bucket=locked_bucket)


def test_lock_headers_need_a_digest_of_the_body(gateway, locked_bucket):
    """A PUT the lock will protect must carry Content-MD5 or a checksum (AWS's rule)."""
    url = f"{gateway.url}/{locked_bucket}/k"
    headers = {
        "x-amz-object-lock-legal-hold": "ON",
        "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
        "Content-Length": "1",
    }
    request = AWSRequest("PUT", url, data=b"x", headers=headers)
    SigV4Auth(Credentials(gateway.access_key, gateway.secret_key), "s3", "us-east-1").add_auth(request)
    answer = requests.put(url, data=b"x", headers=dict(request.headers.items()))
    assert answer.status_code == 400
    assert "<Code>InvalidRequest</Code>" in answer.text
    assert "Content-MD5 OR x-amz-checksum- HTTP header is required" in answer.text


def _unsigned_payload_put(gateway, path: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    url = gateway.url + path
    headers = {**headers, "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "Content-Length": str(len(body))}
    request = AWSRequest("PUT", url, data=body, headers=headers)
    SigV4Auth(Credentials(gateway.access_key, gateway.secret_key), "s3", "us-east-1").add_auth(request)
    return requests.put(url, data=body, headers=dict(request.headers.items()))


def test_parts_of_a_locked_upload_need_a_digest(gateway, s3, locked_bucket, bucket):
    upload = s3.create_multipart_upload(
        Bucket=locked_bucket, Key="mp", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=later(days=1)
    )["UploadId"]
    answer = _unsigned_payload_put(gateway, f"/{locked_bucket}/mp?partNumber=1&uploadId={upload}", b"p", {})
    assert answer.status_code == 400 and "<Code>InvalidRequest</Code>" in answer.text
    assert "required for Put Part requests with Object Lock parameters" in answer.text
    md5 = base64.b64encode(hashlib.md5(b"p").digest()).decode()
    path = f"/{locked_bucket}/mp?partNumber=1&uploadId={upload}"
    assert _unsigned_payload_put(gateway, path, b"p", {"Content-MD5": md5}).status_code == 200
    plain = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]  # nothing to protect: no digest needed
    assert _unsigned_payload_put(gateway, f"/{bucket}/mp?partNumber=1&uploadId={plain}", b"p", {}).status_code == 200


def test_governance_retention_rules(s3, locked_bucket):
    until = later(days=2)
    version = s3.put_object(
        Bucket=locked_bucket, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until
    )["VersionId"]
    key = {"Bucket": locked_bucket, "Key": "k", "VersionId": version}
    s3.put_object_retention(**key, Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later(days=3)})  # extend
    shorter = {"Mode": "GOVERNANCE", "RetainUntilDate": later(days=1)}
    assert fails(s3.put_object_retention, **key, Retention=shorter) == (403, "AccessDenied")
    to_compliance = {"Mode": "COMPLIANCE", "RetainUntilDate": later(days=5)}
    assert fails(s3.put_object_retention, **key, Retention=to_compliance) == (403, "AccessDenied")
    s3.put_object_retention(**key, Retention=shorter, BypassGovernanceRetention=True)
    assert s3.get_object_retention(**key)["Retention"]["RetainUntilDate"] == shorter["RetainUntilDate"]
    with pytest.raises(ClientError) as err:
        s3.delete_object(**key)
    assert (status(err.value), code(err.value)) == (403, "AccessDenied")
    assert err.value.response["Error"]["Message"] == PROTECTED
    marker = s3.delete_object(Bucket=locked_bucket, Key="k")  # no version id: only a delete marker
    assert marker["DeleteMarker"] is True
    s3.delete_object(**key, BypassGovernanceRetention=True)
    versions = s3.list_object_versions(Bucket=locked_bucket)
    assert "Versions" not in versions and len(versions["DeleteMarkers"]) == 1


def test_removing_governance_retention_needs_the_bypass(s3, locked_bucket):
    version = s3.put_object(
        Bucket=locked_bucket, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=later(days=1)
    )["VersionId"]
    key = {"Bucket": locked_bucket, "Key": "k", "VersionId": version}
    assert fails(s3.put_object_retention, **key, Retention={}) == (403, "AccessDenied")
    s3.put_object_retention(**key, Retention={}, BypassGovernanceRetention=True)
    assert fails(s3.get_object_retention, **key) == (404, "NoSuchObjectLockConfiguration")
    s3.delete_object(**key)


def test_compliance_can_only_be_extended(s3, locked_bucket):
    until = later(days=2)
    version = s3.put_object(
        Bucket=locked_bucket, Key="k", Body=b"x", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until
    )["VersionId"]
    key = {"Bucket": locked_bucket, "Key": "k", "VersionId": version}
    for retention in (
        {"Mode": "COMPLIANCE", "RetainUntilDate": later(days=1)},
        {"Mode": "GOVERNANCE", "RetainUntilDate": later(days=9)},
    ):
        assert fails(s3.put_object_retention, **key, Retention=retention, BypassGovernanceRetention=True) == (
            403,
            "AccessDenied",
        )
    s3.put_object_retention(**key, Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later(days=4)})
    assert fails(s3.delete_object, **key, BypassGovernanceRetention=True) == (403, "AccessDenied")
    result = s3.delete_objects(
        Bucket=locked_bucket,
        Delete={"Objects": [{"Key": "k", "VersionId": version}]},
        BypassGovernanceRetention=True,
    )
    assert [(e["Code"], e["Message"]) for e in result["Errors"]] == [("AccessDenied", PROTECTED)]


def test_legal_hold(s3, locked_bucket):
    version = s3.put_object(Bucket=locked_bucket, Key="k", Body=b"x")["VersionId"]
    key = {"Bucket": locked_bucket, "Key": "k", "VersionId": version}
    assert fails(s3.get_object_legal_hold, **key) == (404, "NoSuchObjectLockConfiguration")
    s3.put_object_legal_hold(**key, LegalHold={"Status": "ON"})
    assert fails(s3.delete_object, **key, BypassGovernanceRetention=True) == (403, "AccessDenied")
    assert fails(s3.put_object_legal_hold, **key, LegalHold={"Status": "on"}) == (400, "MalformedXML")
    s3.put_object_legal_hold(**key, LegalHold={"Status": "OFF"})
    assert s3.get_object_legal_hold(**key)["LegalHold"] == {"Status": "OFF"}
    assert s3.head_object(**key)["ObjectLockLegalHoldStatus"] == "OFF"
    s3.delete_object(**key)


def test_retention_and_hold_need_a_lock_bucket(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    retention = {"Mode": "GOVERNANCE", "RetainUntilDate": later(days=1)}
    assert fails(s3.put_object_retention, Bucket=bucket, Key="k", Retention=retention) == (400, "InvalidRequest")
    assert fails(s3.get_object_retention, Bucket=bucket, Key="k") == (400, "InvalidRequest")
    assert fails(s3.put_object_legal_hold, Bucket=bucket, Key="k", LegalHold={"Status": "ON"}) == (
        400,
        "InvalidRequest",
    )
    assert fails(s3.get_object_legal_hold, Bucket=bucket, Key="k") == (400, "InvalidRequest")


def test_retention_dates_in_the_past_are_refused(s3, locked_bucket):
    s3.put_object(Bucket=locked_bucket, Key="k", Body=b"x")
    retention = {"Mode": "GOVERNANCE", "RetainUntilDate": later(days=-1)}
    assert fails(s3.put_object_retention, Bucket=locked_bucket, Key="k", Retention=retention) == (
        400,
        "InvalidArgument",
    )


def test_lock_follows_the_version_into_history(s3, locked_bucket):
    until = later(days=1)
    old = s3.put_object(
        Bucket=locked_bucket, Key="k", Body=b"1", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until
    )["VersionId"]
    new = s3.put_object(Bucket=locked_bucket, Key="k", Body=b"2")["VersionId"]
    assert s3.get_object_retention(Bucket=locked_bucket, Key="k", VersionId=old)["Retention"]["Mode"] == "GOVERNANCE"
    assert s3.head_object(Bucket=locked_bucket, Key="k", VersionId=old)["ObjectLockRetainUntilDate"] == until
    assert "ObjectLockMode" not in s3.head_object(Bucket=locked_bucket, Key="k")
    assert fails(s3.delete_object, Bucket=locked_bucket, Key="k", VersionId=old) == (403, "AccessDenied")
    s3.delete_object(Bucket=locked_bucket, Key="k", VersionId=new)  # the old version becomes current again
    assert s3.head_object(Bucket=locked_bucket, Key="k")["ObjectLockMode"] == "GOVERNANCE"
    s3.put_object_legal_hold(Bucket=locked_bucket, Key="k", LegalHold={"Status": "ON"})  # current, by no version id
    assert s3.get_object_legal_hold(Bucket=locked_bucket, Key="k", VersionId=old)["LegalHold"]["Status"] == "ON"


def test_copy_and_multipart_take_lock_headers_not_the_source_lock(s3, locked_bucket):
    until = later(days=1)
    s3.put_object(Bucket=locked_bucket, Key="src", Body=b"s", ObjectLockLegalHoldStatus="ON")
    s3.copy_object(
        Bucket=locked_bucket,
        Key="copy",
        CopySource={"Bucket": locked_bucket, "Key": "src"},
        ObjectLockMode="GOVERNANCE",
        ObjectLockRetainUntilDate=until,
    )
    head = s3.head_object(Bucket=locked_bucket, Key="copy")
    assert head["ObjectLockMode"] == "GOVERNANCE" and "ObjectLockLegalHoldStatus" not in head
    upload = s3.create_multipart_upload(
        Bucket=locked_bucket, Key="mp", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until
    )["UploadId"]
    etag = s3.upload_part(Bucket=locked_bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"p")["ETag"]
    done = s3.complete_multipart_upload(
        Bucket=locked_bucket, Key="mp", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}
    )
    head = s3.head_object(Bucket=locked_bucket, Key="mp")
    assert (head["ObjectLockMode"], head["ObjectLockRetainUntilDate"]) == ("COMPLIANCE", until)
    assert fails(s3.delete_object, Bucket=locked_bucket, Key="mp", VersionId=done["VersionId"]) == (
        403,
        "AccessDenied",
    )


def test_an_export_key_cannot_bypass_governance(gateway, s3, locked_bucket):
    version = s3.put_object(
        Bucket=locked_bucket, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=later(days=1)
    )["VersionId"]
    client, _ = export_client(gateway, locked_bucket)
    assert fails(
        client.delete_object, Bucket=locked_bucket, Key="k", VersionId=version, BypassGovernanceRetention=True
    ) == (
        403,
        "AccessDenied",
    )
    assert s3.head_object(Bucket=locked_bucket, Key="k", VersionId=version)["ObjectLockMode"] == "GOVERNANCE"


def test_native_delete_and_console_force_delete_spare_locked_versions(gateway, s3, locked_bucket):
    version = s3.put_object(
        Bucket=locked_bucket,
        Key="pkg/k",
        Body=b"x",
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=later(days=1),
    )["VersionId"]
    native = NativeClient(gateway.url, gateway.access_key, gateway.secret_key)
    package = native.get_package(locked_bucket, "pkg")
    [obj] = native.package_objects(package["packageID"])
    native.delete([obj["objectID"]])  # a versioned bucket: the version stays, under a delete marker
    assert s3.head_object(Bucket=locked_bucket, Key="pkg/k", VersionId=version)["ObjectLockMode"] == "COMPLIANCE"
    vid = volume_id(gateway, locked_bucket)
    answer = console_call(gateway, "DELETE", f"/volumes/{vid}", query={"force": "true"})
    assert answer.status_code == 403, answer.text
    assert json.loads(answer.text)["error"]["code"] == "AccessDenied"
    assert s3.head_object(Bucket=locked_bucket, Key="pkg/k", VersionId=version)["ObjectLockMode"] == "COMPLIANCE"


@pytest.mark.parametrize("cli", CLIS)
def test_awscli_object_lock(gateway, s3, cli, locked_bucket, tmp_path):
    config = '{"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}}'
    run(
        gateway,
        cli,
        "s3api",
        "put-object-lock-configuration",
        "--bucket",
        locked_bucket,
        "--object-lock-configuration",
        config,
    )
    shown = json.loads(run(gateway, cli, "s3api", "get-object-lock-configuration", "--bucket", locked_bucket).stdout)
    assert shown["ObjectLockConfiguration"]["Rule"]["DefaultRetention"] == {"Mode": "GOVERNANCE", "Days": 1}
    body = tmp_path / "f.txt"
    body.write_text("hello")
    run(gateway, cli, "s3api", "put-object", "--bucket", locked_bucket, "--key", "f", "--body", str(body))
    until = later(days=3).strftime("%Y-%m-%dT%H:%M:%SZ")
    run(
        gateway,
        cli,
        "s3api",
        "put-object-retention",
        "--bucket",
        locked_bucket,
        "--key",
        "f",
        "--retention",
        json.dumps({"Mode": "GOVERNANCE", "RetainUntilDate": until}),
    )
    got = json.loads(run(gateway, cli, "s3api", "get-object-retention", "--bucket", locked_bucket, "--key", "f").stdout)
    assert got["Retention"]["Mode"] == "GOVERNANCE"
    run(
        gateway,
        cli,
        "s3api",
        "put-object-legal-hold",
        "--bucket",
        locked_bucket,
        "--key",
        "f",
        "--legal-hold",
        "Status=ON",
    )
    hold = json.loads(
        run(gateway, cli, "s3api", "get-object-legal-hold", "--bucket", locked_bucket, "--key", "f").stdout
    )
    assert hold["LegalHold"]["Status"] == "ON"
    version = s3.head_object(Bucket=locked_bucket, Key="f")["VersionId"]
    refused = run(
        gateway,
        cli,
        "s3api",
        "delete-object",
        "--bucket",
        locked_bucket,
        "--key",
        "f",
        "--version-id",
        version,
        check=False,
    )
    assert refused.returncode != 0 and "AccessDenied" in refused.stderr


def test_bypassing_governance_is_a_permission_on_each_object(gateway):
    """`s3:BypassGovernanceRetention` is decided per object (its ARN `bucket/key`), for
    DeleteObjects as for DeleteObject and PutObjectRetention: a bucket policy denying it on the
    bucket's objects stops even the owner, until the policy goes."""
    owner = new_account(gateway, "lockowner")
    s3 = access_client(gateway, owner)
    name = f"lkp-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    s3.delete_public_access_block(Bucket=name)
    version = s3.put_object(
        Bucket=name, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=later(days=2)
    )["VersionId"]
    key = {"Bucket": name, "Key": "k", "VersionId": version}
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:BypassGovernanceRetention",
                "Resource": f"arn:aws:s3:::{name}/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(deny))
    shorter = {"Mode": "GOVERNANCE", "RetainUntilDate": later(days=1)}
    assert fails(s3.put_object_retention, **key, Retention=shorter, BypassGovernanceRetention=True) == (
        403,
        "AccessDenied",
    )
    assert fails(s3.delete_object, **key, BypassGovernanceRetention=True) == (403, "AccessDenied")
    result = s3.delete_objects(
        Bucket=name, Delete={"Objects": [{"Key": "k", "VersionId": version}]}, BypassGovernanceRetention=True
    )
    assert [(e["Code"], e["VersionId"]) for e in result.get("Errors", [])] == [("AccessDenied", version)]
    assert s3.head_object(**key)["ObjectLockMode"] == "GOVERNANCE"
    s3.delete_bucket_policy(Bucket=name)
    result = s3.delete_objects(
        Bucket=name, Delete={"Objects": [{"Key": "k", "VersionId": version}]}, BypassGovernanceRetention=True
    )
    assert [d["VersionId"] for d in result["Deleted"]] == [version]
    assert "Versions" not in s3.list_object_versions(Bucket=name)


def _user_with_policy(gateway, account, actions: list[str], bucket: str):
    """A user of `account` whose identity policy allows just these actions on the bucket's objects."""
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": f"arn:aws:s3:::{bucket}/*"}],
    }
    name = f"u-{uuid.uuid4().hex[:8]}"
    made = console_call(
        gateway, "POST", f"/accounts/{account.account}/users", {"name": name, "policy": document}, {"nonce": name}
    )
    assert made.status_code == 201, made.text
    key = console_call(
        gateway, "POST", f"/accounts/{account.account}/users/{name}/keys", {}, {"nonce": uuid.uuid4().hex}
    ).json()
    return access_client(gateway, Principal(key["access_key"], key["secret_key"]))


def test_lock_headers_only_for_callers_who_may_read_them(gateway):
    """HEAD/GET report x-amz-object-lock-mode and -retain-until-date only to a caller with
    s3:GetObjectRetention, and x-amz-object-lock-legal-hold only with s3:GetObjectLegalHold (S3's
    HeadObject/GetObject reference); the object itself reads the same."""
    owner = new_account(gateway, "lockreader")
    s3 = access_client(gateway, owner)
    name = f"lkr-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    until = later(days=1)
    s3.put_object(
        Bucket=name,
        Key="k",
        Body=b"x",
        ObjectLockMode="GOVERNANCE",
        ObjectLockRetainUntilDate=until,
        ObjectLockLegalHoldStatus="ON",
    )
    lock_fields = {"ObjectLockMode", "ObjectLockRetainUntilDate", "ObjectLockLegalHoldStatus"}
    reader = _user_with_policy(gateway, owner, ["s3:GetObject"], name)
    for answer in (reader.head_object(Bucket=name, Key="k"), reader.get_object(Bucket=name, Key="k")):
        assert not lock_fields & set(answer)
    assert reader.get_object(Bucket=name, Key="k")["Body"].read() == b"x"
    retention_reader = _user_with_policy(gateway, owner, ["s3:GetObject", "s3:GetObjectRetention"], name)
    head = retention_reader.head_object(Bucket=name, Key="k")
    assert (head["ObjectLockMode"], head["ObjectLockRetainUntilDate"]) == ("GOVERNANCE", until)
    assert "ObjectLockLegalHoldStatus" not in head
    hold_reader = _user_with_policy(gateway, owner, ["s3:GetObject", "s3:GetObjectLegalHold"], name)
    head = hold_reader.head_object(Bucket=name, Key="k")
    assert head["ObjectLockLegalHoldStatus"] == "ON" and "ObjectLockMode" not in head
    head = s3.head_object(Bucket=name, Key="k")  # the account's root holds every permission
    assert lock_fields <= set(head)
