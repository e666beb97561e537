"""ACL compatibility and the configuration GETs clients probe (s3cmd info, rclone, minio-py)."""

import uuid

import pytest
import requests
from botocore.exceptions import ClientError


def error_code(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


def status(exc: ClientError) -> int:
    return exc.response["ResponseMetadata"]["HTTPStatusCode"]


def owner_only(policy: dict, owner: str) -> None:
    assert policy["Owner"] == {"ID": owner, "DisplayName": owner}
    assert policy["Grants"] == [
        {"Grantee": {"ID": owner, "DisplayName": owner, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}
    ]


def test_get_bucket_and_object_acl(gateway, s3, bucket):
    owner_only(s3.get_bucket_acl(Bucket=bucket), gateway.access_key)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    owner_only(s3.get_object_acl(Bucket=bucket, Key="k"), gateway.access_key)
    with pytest.raises(ClientError) as err:
        s3.get_object_acl(Bucket=bucket, Key="absent")
    assert error_code(err.value) == "NoSuchKey"
    with pytest.raises(ClientError) as err:
        s3.get_bucket_acl(Bucket="no-such-bucket-h5")
    assert error_code(err.value) == "NoSuchBucket"


def test_private_acl_is_accepted_everywhere(gateway, s3):
    name = f"acl-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name, ACL="private")
    s3.put_object(Bucket=name, Key="k", Body=b"x", ACL="private")
    s3.put_object(Bucket=name, Key="o", Body=b"x", ACL="bucket-owner-full-control")
    upload = s3.create_multipart_upload(Bucket=name, Key="mp", ACL="private")
    s3.abort_multipart_upload(Bucket=name, Key="mp", UploadId=upload["UploadId"])
    s3.copy_object(Bucket=name, Key="c", CopySource={"Bucket": name, "Key": "k"}, ACL="private")
    s3.put_bucket_acl(Bucket=name, ACL="private")
    s3.put_object_acl(Bucket=name, Key="k", ACL="private")
    owner = {"ID": gateway.access_key, "DisplayName": gateway.access_key}
    policy = {"Owner": owner, "Grants": [{"Grantee": {**owner, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}]}
    s3.put_bucket_acl(Bucket=name, AccessControlPolicy=policy)
    s3.put_object_acl(Bucket=name, Key="k", AccessControlPolicy=policy)
    s3.put_object_acl(Bucket=name, Key="k", GrantFullControl=f'id="{gateway.access_key}"')
    owner_only(s3.get_object_acl(Bucket=name, Key="k"), gateway.access_key)
    assert s3.get_object(Bucket=name, Key="c")["Body"].read() == b"x"


@pytest.mark.parametrize("acl", ["public-read", "public-read-write", "authenticated-read"])
def test_granting_acls_are_not_implemented(s3, bucket, acl):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    for call in (
        lambda: s3.put_object(Bucket=bucket, Key="new", Body=b"x", ACL=acl),
        lambda: s3.put_bucket_acl(Bucket=bucket, ACL=acl),
        lambda: s3.put_object_acl(Bucket=bucket, Key="k", ACL=acl),
        lambda: s3.create_multipart_upload(Bucket=bucket, Key="mp", ACL=acl),
        lambda: s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"}, ACL=acl),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert (status(err.value), error_code(err.value)) == (501, "NotImplemented")
        assert "private" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="new")  # the refused write stored nothing
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_create_bucket_with_public_acl_is_refused(s3):
    name = f"acl-{uuid.uuid4().hex[:10]}"
    with pytest.raises(ClientError) as err:
        s3.create_bucket(Bucket=name, ACL="public-read")
    assert status(err.value) == 501
    with pytest.raises(ClientError) as err:
        s3.head_bucket(Bucket=name)
    assert status(err.value) == 404


def test_grants_to_others_are_not_implemented(gateway, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as err:
        s3.put_object_acl(Bucket=bucket, Key="k", GrantRead='uri="http://acs.amazonaws.com/groups/global/AllUsers"')
    assert status(err.value) == 501
    owner = {"ID": gateway.access_key, "DisplayName": gateway.access_key}
    policy = {
        "Owner": owner,
        "Grants": [
            {"Grantee": {**owner, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"},
            {
                "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
                "Permission": "READ",
            },
        ],
    }
    with pytest.raises(ClientError) as err:
        s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy=policy)
    assert status(err.value) == 501
    policy["Grants"][1] = {"Grantee": {"ID": "someone-else", "Type": "CanonicalUser"}, "Permission": "READ"}
    with pytest.raises(ClientError) as err:
        s3.put_object_acl(Bucket=bucket, Key="k", AccessControlPolicy=policy)
    assert status(err.value) == 501


def test_unknown_canned_acl_and_malformed_policy(s3, bucket):
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="everyone-please")
    assert error_code(err.value) == "InvalidArgument"

    def swap(request, **_):
        request.data = b"<AccessControlPolicy><AccessControlList><Grant>"
        for name in list(request.headers):
            if name.lower() == "content-md5" or name.lower().startswith("x-amz-checksum-"):
                del request.headers[name]

    s3.meta.events.register_first("before-sign.s3.PutBucketAcl", swap)
    try:
        with pytest.raises(ClientError) as err:
            s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy={"Owner": {"ID": "x"}, "Grants": []})
    finally:
        s3.meta.events.unregister("before-sign.s3.PutBucketAcl", swap)
    assert (status(err.value), error_code(err.value)) == (400, "MalformedACLError")


@pytest.mark.parametrize(
    "probe, code",
    [
        ("get_bucket_policy", "NoSuchBucketPolicy"),
        ("get_bucket_lifecycle_configuration", "NoSuchLifecycleConfiguration"),
        ("get_bucket_website", "NoSuchWebsiteConfiguration"),
        ("get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError"),
        ("get_bucket_replication", "ReplicationConfigurationNotFoundError"),
        ("get_object_lock_configuration", "ObjectLockConfigurationNotFoundError"),
        ("get_public_access_block", "NoSuchPublicAccessBlockConfiguration"),
    ],
)
def test_probed_configurations_are_absent(s3, bucket, probe, code):
    with pytest.raises(ClientError) as err:
        getattr(s3, probe)(Bucket=bucket)
    assert (status(err.value), error_code(err.value)) == (404, code)
    with pytest.raises(ClientError) as err:
        getattr(s3, probe)(Bucket="no-such-bucket-h5")
    assert error_code(err.value) == "NoSuchBucket"


def test_setting_those_configurations_stays_501(s3, bucket):
    with pytest.raises(ClientError) as err:
        s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    assert status(err.value) == 501
    with pytest.raises(ClientError) as err:
        s3.delete_bucket_policy(Bucket=bucket)
    assert status(err.value) == 501


def test_acl_needs_a_signature(gateway, bucket):
    assert requests.get(f"{gateway.url}/{bucket}?acl").status_code == 403
    assert requests.put(f"{gateway.url}/{bucket}?acl", headers={"x-amz-acl": "private"}).status_code == 403
