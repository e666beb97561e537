"""Bucket-policy edges AWS documents and issue #10 names, end to end on a real gateway: the bucket
owner's root is never locked out of its own policy, other accounts may not manage a bucket's
policy even when granted (405), and the S3 condition keys a request carries reach the engine."""

from __future__ import annotations

import json

import pytest
import requests
from access_helpers import client, code_of, new_account, new_user, outcome, unique
from conftest import start_gateway, stop_gateway
from test_s3_policies import account_id


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    gateway = start_gateway(tmp_path_factory.mktemp("policyedges"))
    yield gateway
    stop_gateway(gateway)


@pytest.fixture(scope="module")
def people(gw):
    owner = new_account(gw, "owner")
    return {"owner": owner, "other": new_account(gw, "other"), "user": new_user(gw, owner)}


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def everything(bucket: str) -> list[str]:
    return [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]


@pytest.fixture
def bucket(gw, people):
    s3 = client(gw, people["owner"])
    name = unique("e")
    s3.create_bucket(Bucket=name)
    s3.delete_public_access_block(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"data")
    return name


def test_the_owner_root_is_never_locked_out_of_its_bucket_policy(gw, people, bucket):
    """S3: the bucket owner's root may Get/Put/DeleteBucketPolicy even when the policy denies it."""
    s3, user = client(gw, people["owner"]), client(gw, people["user"])
    deny_all = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": everything(bucket)}
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(deny_all))
    assert code_of(s3.get_object, Bucket=bucket, Key="k") == (403, "AccessDenied")  # the deny holds elsewhere
    assert code_of(user.get_bucket_policy, Bucket=bucket) == (403, "AccessDenied")  # and for the account's users
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]["Effect"] == "Deny"
    narrower = {**deny_all, "Action": "s3:DeleteObject"}
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(narrower))
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data"
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(deny_all))
    s3.delete_bucket_policy(Bucket=bucket)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data"


def test_other_accounts_may_not_manage_the_policy_even_when_granted(gw, people, bucket):
    """S3: permission granted, but not the bucket owner's account -> 405 MethodNotAllowed."""
    s3, other, anon = client(gw, people["owner"]), client(gw, people["other"]), client(gw, None)
    assert code_of(other.get_bucket_policy, Bucket=bucket) == (403, "AccessDenied")  # no permission: 403
    grant = {
        "Effect": "Allow",
        "Principal": {"AWS": account_id(gw, people["other"])},
        "Action": "s3:*",
        "Resource": everything(bucket),
    }
    public = {"Effect": "Allow", "Principal": "*", "Action": "s3:*Policy", "Resource": everything(bucket)}
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(grant, public))
    takeover = policy(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    )
    assert code_of(other.get_bucket_policy, Bucket=bucket) == (405, "MethodNotAllowed")
    assert code_of(other.put_bucket_policy, Bucket=bucket, Policy=takeover) == (405, "MethodNotAllowed")
    assert code_of(other.delete_bucket_policy, Bucket=bucket) == (405, "MethodNotAllowed")
    assert code_of(anon.put_bucket_policy, Bucket=bucket, Policy=takeover) == (405, "MethodNotAllowed")
    assert code_of(anon.delete_bucket_policy, Bucket=bucket) == (405, "MethodNotAllowed")
    assert other.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data"  # the grant itself still works
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0] == grant


def test_unsigned_post_forms_are_anonymous_uploads(gw, people):
    """A form with no policy and no signature is an anonymous upload (S3: the policy is optional;
    a publicly writable bucket takes it): allowed exactly where an ACL or a policy lets anyone write."""
    s3 = client(gw, people["owner"])
    name = unique("form")
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
    s3.delete_public_access_block(Bucket=name)
    url = f"{gw.url}/{name}"

    def post(key: str, **fields: str) -> requests.Response:
        return requests.post(url, data={"key": key, **fields}, files={"file": ("f.txt", b"anonymous")})

    refused = post("private")
    assert refused.status_code == 403 and b"<Code>AccessDenied</Code>" in refused.content
    s3.put_bucket_acl(Bucket=name, ACL="public-read-write")
    assert post("dropped/${filename}", success_action_status="201").status_code == 201
    assert s3.get_object(Bucket=name, Key="dropped/f.txt")["Body"].read() == b"anonymous"
    assert s3.get_object_acl(Bucket=name, Key="dropped/f.txt")["Owner"]["ID"] == people["owner"].canonical_id
    no_key = requests.post(url, files={"file": ("f.txt", b"x")})
    assert no_key.status_code == 400 and b"<Code>InvalidArgument</Code>" in no_key.content
    signed_without_policy = post("half", **{"x-amz-signature": "00", "x-amz-algorithm": "AWS4-HMAC-SHA256"})
    assert signed_without_policy.status_code in (400, 403)  # a signature needs the policy it signs
    assert outcome(s3.head_object, Bucket=name, Key="half") == 404
    # a bucket policy letting anyone put under drop/ (the ACL back to private)
    s3.put_bucket_acl(Bucket=name, ACL="private")
    assert post("drop/a").status_code == 403
    anyone_puts = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{name}/drop/*",
    }
    s3.put_bucket_policy(Bucket=name, Policy=policy(anyone_puts))
    assert post("drop/a").status_code == 204
    assert post("elsewhere").status_code == 403
    assert s3.get_object(Bucket=name, Key="drop/a")["Body"].read() == b"anonymous"
