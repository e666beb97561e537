"""ACL grants to named accounts and groups, end to end: `x-amz-grant-*` headers and
AccessControlPolicy bodies naming canonical ids and the AllUsers/AuthenticatedUsers groups,
as another account's root and users see them (a grant to an account reaches its root directly,
its users only when their own policies allow the action too: AWS's delegation)."""

from __future__ import annotations

import pytest
from access_helpers import client, code_of, new_account, new_user, unique
from conftest import start_gateway, stop_gateway

AUTHENTICATED = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    gateway = start_gateway(tmp_path_factory.mktemp("aclgrants"))
    yield gateway
    stop_gateway(gateway)


@pytest.fixture(scope="module")
def people(gw):
    owner, other = new_account(gw, "owner"), new_account(gw, "other")
    return {
        "owner": owner,
        "other": other,
        "other-plain": new_user(gw, other),
        "other-reader": new_user(gw, other, ["read-only"]),
    }


@pytest.fixture
def bucket(gw, people):
    s3 = client(gw, people["owner"])
    name = unique("g")
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
    s3.delete_public_access_block(Bucket=name)
    return name


def test_header_grants_to_another_account(gw, people, bucket):
    s3 = client(gw, people["owner"])
    other, plain, reader = (client(gw, people[w]) for w in ("other", "other-plain", "other-reader"))
    s3.put_object(Bucket=bucket, Key="shared", Body=b"shared", GrantRead=f'id="{people["other"].canonical_id}"')
    s3.put_object(Bucket=bucket, Key="mine", Body=b"mine")
    assert other.get_object(Bucket=bucket, Key="shared")["Body"].read() == b"shared"
    assert reader.get_object(Bucket=bucket, Key="shared")["Body"].read() == b"shared"  # delegated and allowed
    assert code_of(plain.get_object, Bucket=bucket, Key="shared") == (403, "AccessDenied")  # delegated, no policy
    assert code_of(other.get_object, Bucket=bucket, Key="mine") == (403, "AccessDenied")
    assert code_of(other.get_object_acl, Bucket=bucket, Key="shared") == (403, "AccessDenied")  # READ, not READ_ACP

    s3.put_bucket_acl(
        Bucket=bucket,
        GrantWrite=f'id="{people["other"].canonical_id}"',
        GrantFullControl=f'id="{people["owner"].canonical_id}"',
    )
    other.put_object(Bucket=bucket, Key="from-other", Body=b"theirs")
    written = s3.get_object_acl(Bucket=bucket, Key="from-other")
    assert written["Owner"]["ID"] == people["other"].canonical_id  # ObjectWriter: the writer owns it
    shown = s3.get_bucket_acl(Bucket=bucket)["Grants"]
    assert {
        "Grantee": {
            "ID": people["other"].canonical_id,
            "DisplayName": people["other"].account,
            "Type": "CanonicalUser",
        },
        "Permission": "WRITE",
    } in shown
    assert code_of(other.list_objects_v2, Bucket=bucket) == (403, "AccessDenied")  # WRITE is not READ


def test_document_grants_to_accounts_and_groups(gw, people, bucket):
    s3, other, anon = client(gw, people["owner"]), client(gw, people["other"]), client(gw, None)
    s3.put_object(Bucket=bucket, Key="doc", Body=b"doc")
    acl = s3.get_object_acl(Bucket=bucket, Key="doc")
    owner_grant = acl["Grants"][0]
    other_id = people["other"].canonical_id
    grants = [
        owner_grant,
        {"Grantee": {"Type": "CanonicalUser", "ID": other_id}, "Permission": "READ_ACP"},
        {"Grantee": {"Type": "CanonicalUser", "ID": other_id}, "Permission": "WRITE_ACP"},
    ]
    s3.put_object_acl(Bucket=bucket, Key="doc", AccessControlPolicy={"Owner": acl["Owner"], "Grants": grants})
    assert code_of(other.get_object, Bucket=bucket, Key="doc") == (403, "AccessDenied")  # no READ
    seen = other.get_object_acl(Bucket=bucket, Key="doc")
    assert {g["Permission"] for g in seen["Grants"] if g["Grantee"].get("ID") == other_id} == {"READ_ACP", "WRITE_ACP"}
    other.put_object_acl(Bucket=bucket, Key="doc", GrantRead=f'id="{other_id}"')  # WRITE_ACP lets it rewrite
    assert other.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"doc"
    assert code_of(other.get_object_acl, Bucket=bucket, Key="doc") == (403, "AccessDenied")  # it gave READ_ACP away

    bucket_acl = s3.get_bucket_acl(Bucket=bucket)
    signed_readers = [
        bucket_acl["Grants"][0],
        {"Grantee": {"Type": "Group", "URI": AUTHENTICATED}, "Permission": "READ"},
    ]
    s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy={"Owner": bucket_acl["Owner"], "Grants": signed_readers})
    assert [o["Key"] for o in other.list_objects_v2(Bucket=bucket)["Contents"]] == ["doc"]
    assert code_of(anon.list_objects_v2, Bucket=bucket) == (403, "AccessDenied")
