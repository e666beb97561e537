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
    assert policy["Owner"]["ID"] == owner and policy["Owner"]["DisplayName"]
    assert policy["Grants"] == [
        {
            "Grantee": {"ID": owner, "DisplayName": policy["Owner"]["DisplayName"], "Type": "CanonicalUser"},
            "Permission": "FULL_CONTROL",
        }
    ]


def test_get_bucket_and_object_acl(gateway, s3, bucket):
    owner = s3.get_bucket_acl(Bucket=bucket)["Owner"]["ID"]
    assert len(owner) == 64  # the owning account's canonical id
    owner_only(s3.get_bucket_acl(Bucket=bucket), owner)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    owner_only(s3.get_object_acl(Bucket=bucket, Key="k"), owner)
    with pytest.raises(ClientError) as err:
        s3.get_object_acl(Bucket=bucket, Key="absent")
    assert error_code(err.value) == "NoSuchKey"
    with pytest.raises(ClientError) as err:
        s3.get_bucket_acl(Bucket="no-such-bucket-h5")
    assert error_code(err.value) == "NoSuchBucket"


def test_owner_only_acls_are_accepted_with_acls_disabled(gateway, s3):
    """New buckets enforce bucket-owner ownership (ACLs disabled, S3's default): what clients
    such as rclone and s3cmd send -- private, bucket-owner-full-control, the owner's own grant --
    is accepted; anything granting others is AccessControlListNotSupported."""
    name = f"acl-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name, ACL="private")
    s3.put_object(Bucket=name, Key="k", Body=b"x", ACL="private")
    s3.put_object(Bucket=name, Key="o", Body=b"x", ACL="bucket-owner-full-control")
    upload = s3.create_multipart_upload(Bucket=name, Key="mp", ACL="private")
    s3.abort_multipart_upload(Bucket=name, Key="mp", UploadId=upload["UploadId"])
    s3.copy_object(Bucket=name, Key="c", CopySource={"Bucket": name, "Key": "k"}, ACL="private")
    s3.put_bucket_acl(Bucket=name, ACL="private")
    s3.put_object_acl(Bucket=name, Key="k", ACL="private")
    owner = s3.get_bucket_acl(Bucket=name)["Owner"]
    policy = {"Owner": owner, "Grants": [{"Grantee": {**owner, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}]}
    s3.put_bucket_acl(Bucket=name, AccessControlPolicy=policy)
    s3.put_object_acl(Bucket=name, Key="k", AccessControlPolicy=policy)
    s3.put_object_acl(Bucket=name, Key="k", GrantFullControl=f'id="{owner["ID"]}"')
    owner_only(s3.get_object_acl(Bucket=name, Key="k"), owner["ID"])
    assert s3.get_object(Bucket=name, Key="c")["Body"].read() == b"x"


@pytest.mark.parametrize("acl", ["public-read", "public-read-write", "authenticated-read"])
def test_granting_acls_on_an_acls_disabled_bucket(s3, bucket, acl):
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
        assert (status(err.value), error_code(err.value)) == (400, "AccessControlListNotSupported")
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="new")  # the refused write stored nothing
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_create_bucket_with_public_acl_is_refused(s3):
    name = f"acl-{uuid.uuid4().hex[:10]}"
    with pytest.raises(ClientError) as err:
        s3.create_bucket(Bucket=name, ACL="public-read")
    assert (status(err.value), error_code(err.value)) == (400, "InvalidBucketAclWithObjectOwnership")
    with pytest.raises(ClientError) as err:
        s3.head_bucket(Bucket=name)
    assert status(err.value) == 404


def test_grantees_must_resolve(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    with pytest.raises(ClientError) as err:
        s3.put_object_acl(Bucket=bucket, Key="k", GrantRead="emailAddress=someone@example.com")
    assert (status(err.value), error_code(err.value)) == (400, "UnresolvableGrantByEmailAddress")
    with pytest.raises(ClientError) as err:
        s3.put_object_acl(Bucket=bucket, Key="k", GrantRead='id="' + "0" * 64 + '"')
    assert (status(err.value), error_code(err.value)) == (400, "InvalidArgument")
    with pytest.raises(ClientError) as err:
        s3.put_object_acl(Bucket=bucket, Key="k", GrantRead='uri="http://acs.amazonaws.com/groups/global/Nobody"')
    assert (status(err.value), error_code(err.value)) == (400, "InvalidArgument")
    owner = s3.get_bucket_acl(Bucket=bucket)["Owner"]
    by_email = {"Grantee": {"Type": "AmazonCustomerByEmail", "EmailAddress": "a@example.com"}, "Permission": "READ"}
    with pytest.raises(ClientError) as err:
        s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy={"Owner": owner, "Grants": [by_email]})
    assert error_code(err.value) == "UnresolvableGrantByEmailAddress"


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
        ("get_bucket_policy_status", "NoSuchBucketPolicy"),
        ("get_bucket_lifecycle_configuration", "NoSuchLifecycleConfiguration"),
        ("get_bucket_website", "NoSuchWebsiteConfiguration"),
        ("get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError"),
        ("get_bucket_replication", "ReplicationConfigurationNotFoundError"),
        ("get_object_lock_configuration", "ObjectLockConfigurationNotFoundError"),
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
        s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    assert status(err.value) == 501


def test_anonymous_acl_requests_are_refused_on_a_private_bucket(gateway, bucket):
    assert requests.get(f"{gateway.url}/{bucket}?acl").status_code == 403
    assert requests.put(f"{gateway.url}/{bucket}?acl", headers={"x-amz-acl": "private"}).status_code == 403
