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


def user_arn(gw, who) -> str:
    return f"arn:aws:iam::{account_id(gw, who)}:user/{who.user}"


def test_caller_and_request_condition_keys_reach_the_engine(gw, people, bucket):
    """aws:username / aws:userid, s3:max-keys / s3:delimiter, s3:x-amz-acl and
    s3:RequestObjectTagKeys as real requests carry them; a same-account user named by its ARN
    in the bucket policy needs no identity policy (AWS: either side allows within an account)."""
    s3, user, other = client(gw, people["owner"]), client(gw, people["user"]), client(gw, people["other"])
    arn = user_arn(gw, people["user"])
    name = arn.rsplit("/", 1)[1]
    owner_id, other_id = account_id(gw, people["owner"]), account_id(gw, people["other"])
    statements = [
        {
            "Sid": "OwnHome",
            "Effect": "Allow",
            "Principal": {"AWS": arn},
            "Action": ["s3:PutObject", "s3:GetObject"],
            "Resource": f"arn:aws:s3:::{bucket}/home/${{aws:username}}/*",
            "Condition": {"StringEquals": {"aws:userid": f"{owner_id}:{name}"}},
        },
        {
            "Sid": "SmallPages",
            "Effect": "Allow",
            "Principal": {"AWS": other_id},
            "Action": "s3:ListBucket",
            "Resource": f"arn:aws:s3:::{bucket}",
            "Condition": {"NumericLessThanEquals": {"s3:max-keys": "10"}, "StringEquals": {"s3:delimiter": "/"}},
        },
        {
            "Sid": "PrivateTaggedWrites",
            "Effect": "Allow",
            "Principal": {"AWS": other_id},
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{bucket}/in/*",
            "Condition": {
                "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"},
                "ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["team", "stage"]},
            },
        },
    ]
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(*statements))
    user.put_object(Bucket=bucket, Key=f"home/{name}/notes", Body=b"mine")
    assert user.get_object(Bucket=bucket, Key=f"home/{name}/notes")["Body"].read() == b"mine"
    assert code_of(user.put_object, Bucket=bucket, Key="home/someone-else/notes", Body=b"x") == (403, "AccessDenied")
    assert code_of(user.get_object, Bucket=bucket, Key="k") == (403, "AccessDenied")

    assert other.list_objects_v2(Bucket=bucket, MaxKeys=5, Delimiter="/")["KeyCount"] >= 1
    assert code_of(other.list_objects_v2, Bucket=bucket, MaxKeys=50, Delimiter="/") == (403, "AccessDenied")
    assert code_of(other.list_objects_v2, Bucket=bucket, MaxKeys=5) == (403, "AccessDenied")

    good = {"Body": b"1", "ACL": "bucket-owner-full-control"}
    other.put_object(Bucket=bucket, Key="in/a", Tagging="team=web&stage=dev", **good)
    other.put_object(Bucket=bucket, Key="in/b", **good)  # no tags: ForAllValues holds vacuously
    assert code_of(other.put_object, Bucket=bucket, Key="in/c", Tagging="team=web&cost=1", **good) == (
        403,
        "AccessDenied",
    )
    assert code_of(other.put_object, Bucket=bucket, Key="in/d", Body=b"1") == (403, "AccessDenied")  # no x-amz-acl


def test_not_principal_not_action_not_resource(gw, people, bucket):
    """The negated elements end to end: deny everyone but the owner account's root everything but
    reads, outside public/."""
    s3, user, other = (client(gw, people[w]) for w in ("owner", "user", "other"))
    anon = client(gw, None)
    owner_id = account_id(gw, people["owner"])
    s3.put_object(Bucket=bucket, Key="public/p", Body=b"p")
    statements = [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": f"arn:aws:s3:::{bucket}/*"},
        {
            "Effect": "Deny",
            "NotPrincipal": {"AWS": f"arn:aws:iam::{owner_id}:root"},
            "NotAction": "s3:GetObject",
            "NotResource": f"arn:aws:s3:::{bucket}/public/*",
        },
    ]
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(*statements))
    for who in (user, other, anon):
        assert who.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data"  # GetObject: not denied
        assert code_of(who.put_object, Bucket=bucket, Key="w", Body=b"x") == (403, "AccessDenied")
        assert who.put_object(Bucket=bucket, Key="public/w", Body=b"x")["ResponseMetadata"]["HTTPStatusCode"] == 200
    s3.put_object(Bucket=bucket, Key="w", Body=b"owner")  # the owner account's root is not denied
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True


def test_unknown_condition_keys_and_operators_are_malformed(gw, people, bucket):
    s3 = client(gw, people["owner"])
    base = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    for condition, reason in (
        ({"StringEquals": {"s3:no-such-key": "x"}}, "s3:no-such-key"),
        ({"StringEqualz": {"s3:prefix": "x"}}, "StringEqualz"),
        ({"IpAddress": {"aws:SourceIp": "not-a-network"}}, "not-a-network"),
    ):
        text = policy({**base, "Condition": condition})
        assert code_of(s3.put_bucket_policy, Bucket=bucket, Policy=text) == (400, "MalformedPolicy"), condition
        with pytest.raises(Exception, match=reason):
            s3.put_bucket_policy(Bucket=bucket, Policy=text)
    assert code_of(s3.get_bucket_policy, Bucket=bucket) == (404, "NoSuchBucketPolicy")


def test_create_bucket_ownership_header(gw, people):
    s3 = client(gw, people["owner"])
    name = unique("own")
    assert code_of(s3.create_bucket, Bucket=name, ObjectOwnership="Nobody") == (400, "InvalidArgument")
    s3.create_bucket(Bucket=name, ObjectOwnership="BucketOwnerPreferred")
    rules = s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerPreferred"}]


def test_100_continue_checks_a_signed_callers_permission_before_the_body(gw, people, bucket):
    """Authenticated is not enough: a signed caller the engine refuses gets 403, not 100 Continue."""
    import socket
    from types import SimpleNamespace

    from connection_helpers import signed_head

    def first_answer(who) -> bytes:
        as_who = SimpleNamespace(url=gw.url, port=gw.port, access_key=who.access_key, secret_key=who.secret_key)
        head = signed_head(
            as_who, "PUT", f"/{bucket}/continue/signed", {"Content-Length": "5", "Expect": "100-continue"}
        )
        with socket.create_connection(("127.0.0.1", gw.port), timeout=10) as sock:
            sock.sendall(head)
            return sock.recv(4096)

    refused = first_answer(people["other"])
    assert refused.startswith(b"HTTP/1.1 403") and b"AccessDenied" in refused, refused
    assert first_answer(people["owner"]).startswith(b"HTTP/1.1 100 Continue")


def test_block_public_acls_refuses_every_write_that_carries_one(gw, people):
    """S3: with BlockPublicAcls, PUT Bucket, PUT Object (and the other object writes) fail when
    the request includes a public ACL, canned or granted; nothing is stored."""
    s3 = client(gw, people["owner"])
    assert code_of(s3.create_bucket, Bucket=unique("pub"), ObjectOwnership="ObjectWriter", ACL="public-read") == (
        403,
        "AccessDenied",
    )
    name = unique("blocked")
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")  # new buckets block public access
    everyone = 'uri="http://acs.amazonaws.com/groups/global/AllUsers"'
    assert code_of(s3.put_object, Bucket=name, Key="a", Body=b"x", ACL="public-read") == (403, "AccessDenied")
    assert code_of(s3.put_object, Bucket=name, Key="b", Body=b"x", GrantRead=everyone) == (403, "AccessDenied")
    assert code_of(s3.create_multipart_upload, Bucket=name, Key="c", ACL="public-read") == (403, "AccessDenied")
    s3.put_object(Bucket=name, Key="src", Body=b"x")
    copy = {"Bucket": name, "Key": "d", "CopySource": {"Bucket": name, "Key": "src"}, "ACL": "authenticated-read"}
    assert code_of(s3.copy_object, **copy) == (403, "AccessDenied")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=name)["Contents"]] == ["src"]
    assert s3.list_multipart_uploads(Bucket=name).get("Uploads", []) == []
    s3.put_object(Bucket=name, Key="e", Body=b"x", ACL="bucket-owner-full-control")  # not public: fine
