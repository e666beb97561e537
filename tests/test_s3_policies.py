"""Bucket policies, public access block, ownership controls, presigned URLs and POST forms acting
as their signer, and 100-continue refused before the body: the S3 access model end to end."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from urllib.parse import urlsplit

import pytest
import requests
from access_helpers import client, code_of, new_account, new_user, outcome, unique
from conftest import start_gateway, stop_gateway

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    gateway = start_gateway(tmp_path_factory.mktemp("policies"))
    yield gateway
    stop_gateway(gateway)


@pytest.fixture(scope="module")
def people(gw):
    owner = new_account(gw, "owner")
    return {"owner": owner, "other": new_account(gw, "other"), "user": new_user(gw, owner)}


@pytest.fixture
def open_bucket(gw, people):
    """A bucket of the owner's with the public access block removed (policies may be public)."""
    s3 = client(gw, people["owner"])
    name = unique("p")
    s3.create_bucket(Bucket=name)
    s3.delete_public_access_block(Bucket=name)
    for key in ("pub/a", "priv/b", "secret/c"):
        s3.put_object(Bucket=name, Key=key, Body=b"data")
    return name


def policy(bucket: str, *statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(bucket: str, principal: object = "*", action: object = "s3:GetObject", resource: str = "/*", **extra) -> dict:
    return {
        "Effect": "Allow",
        "Principal": principal,
        "Action": action,
        "Resource": f"arn:aws:s3:::{bucket}{resource}",
        **extra,
    }


def test_anonymous_get_by_source_ip(gw, people, open_bucket):
    s3, anon = client(gw, people["owner"]), client(gw, None)
    assert code_of(anon.get_object, Bucket=open_bucket, Key="pub/a") == (403, "AccessDenied")
    inside = allow(open_bucket, Condition={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}})
    s3.put_bucket_policy(Bucket=open_bucket, Policy=policy(open_bucket, inside))
    assert anon.get_object(Bucket=open_bucket, Key="pub/a")["Body"].read() == b"data"
    outside = allow(open_bucket, Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    s3.put_bucket_policy(Bucket=open_bucket, Policy=policy(open_bucket, outside))
    assert code_of(anon.get_object, Bucket=open_bucket, Key="pub/a") == (403, "AccessDenied")
    assert s3.get_bucket_policy_status(Bucket=open_bucket)["PolicyStatus"]["IsPublic"] is False


def test_list_by_prefix_for_another_account(gw, people, open_bucket):
    s3, other = client(gw, people["owner"]), client(gw, people["other"])
    listing = allow(
        open_bucket,
        {"AWS": f"arn:aws:iam::{account_id(gw, people['other'])}:root"},
        "s3:ListBucket",
        "",
        Condition={"StringLike": {"s3:prefix": "pub/*"}},
    )
    s3.put_bucket_policy(Bucket=open_bucket, Policy=policy(open_bucket, listing))
    keys = [o["Key"] for o in other.list_objects_v2(Bucket=open_bucket, Prefix="pub/")["Contents"]]
    assert keys == ["pub/a"]
    assert code_of(other.list_objects_v2, Bucket=open_bucket, Prefix="priv/") == (403, "AccessDenied")
    assert code_of(other.list_objects_v2, Bucket=open_bucket) == (403, "AccessDenied")


def account_id(gw, who) -> str:
    """The 12-digit id of `who`'s account, from the console's account list."""
    from test_console_api import call

    accounts = call(gw, "GET", "/accounts").json()
    return next(a["id"] for a in accounts if a["name"] == who.account)


def test_existing_object_tags(gw, people, open_bucket):
    s3, anon = client(gw, people["owner"]), client(gw, None)
    s3.put_object_tagging(Bucket=open_bucket, Key="pub/a", Tagging={"TagSet": [{"Key": "Public", "Value": "yes"}]})
    tagged = allow(open_bucket, Condition={"StringEquals": {"s3:ExistingObjectTag/Public": "yes"}})
    s3.put_bucket_policy(Bucket=open_bucket, Policy=policy(open_bucket, tagged))
    assert anon.get_object(Bucket=open_bucket, Key="pub/a")["Body"].read() == b"data"
    assert code_of(anon.get_object, Bucket=open_bucket, Key="priv/b") == (403, "AccessDenied")


def test_request_object_tags_on_put(gw, people, open_bucket):
    s3, other = client(gw, people["owner"]), client(gw, people["other"])
    principal = {"AWS": account_id(gw, people["other"])}
    tagged_put = allow(
        open_bucket, principal, "s3:PutObject", Condition={"StringEquals": {"s3:RequestObjectTag/team": "web"}}
    )
    s3.put_bucket_policy(Bucket=open_bucket, Policy=policy(open_bucket, tagged_put))
    other.put_object(Bucket=open_bucket, Key="up/ok", Body=b"1", Tagging="team=web")
    assert code_of(other.put_object, Bucket=open_bucket, Key="up/no", Body=b"1", Tagging="team=db") == (
        403,
        "AccessDenied",
    )
    assert code_of(other.put_object, Bucket=open_bucket, Key="up/no", Body=b"1") == (403, "AccessDenied")


def test_dates(gw, people, open_bucket):
    s3, anon = client(gw, people["owner"]), client(gw, None)
    past = allow(open_bucket, Condition={"DateLessThan": {"aws:CurrentTime": "2000-01-01T00:00:00Z"}})
    s3.put_bucket_policy(Bucket=open_bucket, Policy=policy(open_bucket, past))
    assert code_of(anon.get_object, Bucket=open_bucket, Key="pub/a") == (403, "AccessDenied")
    since = allow(open_bucket, Condition={"DateGreaterThan": {"aws:CurrentTime": "2000-01-01T00:00:00Z"}})
    s3.put_bucket_policy(Bucket=open_bucket, Policy=policy(open_bucket, since))
    assert anon.get_object(Bucket=open_bucket, Key="pub/a")["Body"].read() == b"data"
    assert s3.get_bucket_policy_status(Bucket=open_bucket)["PolicyStatus"]["IsPublic"] is True


def test_deny_overrides_allow(gw, people, open_bucket):
    s3, other, user = client(gw, people["owner"]), client(gw, people["other"]), client(gw, people["user"])
    statements = (
        allow(open_bucket),
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{open_bucket}/secret/*",
        },
    )
    s3.put_bucket_policy(Bucket=open_bucket, Policy=policy(open_bucket, *statements))
    assert other.get_object(Bucket=open_bucket, Key="priv/b")["Body"].read() == b"data"
    assert user.get_object(Bucket=open_bucket, Key="priv/b")["Body"].read() == b"data"
    for who in (other, user, s3):  # the deny reaches the owner account's root too
        assert code_of(who.get_object, Bucket=open_bucket, Key="secret/c") == (403, "AccessDenied")
    s3.delete_bucket_policy(Bucket=open_bucket)
    assert s3.get_object(Bucket=open_bucket, Key="secret/c")["Body"].read() == b"data"
    assert code_of(s3.get_bucket_policy, Bucket=open_bucket) == (404, "NoSuchBucketPolicy")


def test_malformed_policies_say_why(gw, people, open_bucket):
    s3 = client(gw, people["owner"])
    cases = {
        "not json": "Policies must be valid JSON",
        "{not json": "This policy contains invalid Json",
        policy(open_bucket, {**allow(open_bucket), "Action": "s3:Fly"}): "invalid action",
        policy(open_bucket, allow(open_bucket, {"AWS": "123456789012"})): "Invalid principal",
        policy(open_bucket, {**allow(open_bucket), "Resource": "arn:aws:s3:::another-bucket/*"}): "invalid resource",
    }
    for text, reason in cases.items():
        status, code = code_of(s3.put_bucket_policy, Bucket=open_bucket, Policy=text)
        assert (status, code) == (400, "MalformedPolicy"), text
        try:
            s3.put_bucket_policy(Bucket=open_bucket, Policy=text)
        except Exception as exc:  # noqa: BLE001 - the message is what we check
            assert reason in str(exc)
    assert code_of(s3.get_bucket_policy, Bucket=open_bucket) == (404, "NoSuchBucketPolicy")


def test_public_access_block_on_and_off(gw, people):
    s3, anon = client(gw, people["owner"]), client(gw, None)
    name = unique("pab")
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
    block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    assert block == {
        k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    }
    s3.put_object(Bucket=name, Key="k", Body=b"data")
    assert code_of(s3.put_bucket_policy, Bucket=name, Policy=policy(name, allow(name))) == (403, "AccessDenied")
    assert code_of(s3.put_object_acl, Bucket=name, Key="k", ACL="public-read") == (403, "AccessDenied")
    assert code_of(s3.put_bucket_acl, Bucket=name, ACL="public-read") == (403, "AccessDenied")
    # BlockPublicPolicy off, RestrictPublicBuckets on: the public policy is stored but serves only the owner's account
    flags = {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": True,
    }
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=flags)
    s3.put_bucket_policy(Bucket=name, Policy=policy(name, allow(name)))
    assert code_of(anon.get_object, Bucket=name, Key="k") == (403, "AccessDenied")
    # IgnorePublicAcls: a public-read ACL set while allowed is ignored once the flag is on
    s3.delete_bucket_policy(Bucket=name)
    s3.delete_public_access_block(Bucket=name)
    assert code_of(s3.get_public_access_block, Bucket=name) == (404, "NoSuchPublicAccessBlockConfiguration")
    s3.put_object_acl(Bucket=name, Key="k", ACL="public-read")
    assert anon.get_object(Bucket=name, Key="k")["Body"].read() == b"data"
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
    assert code_of(anon.get_object, Bucket=name, Key="k") == (403, "AccessDenied")
    s3.delete_public_access_block(Bucket=name)
    assert anon.get_object(Bucket=name, Key="k")["Body"].read() == b"data"


def test_ownership_controls(gw, people):
    s3, other = client(gw, people["owner"]), client(gw, people["other"])
    name = unique("own")
    s3.create_bucket(Bucket=name)
    rules = s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    s3.delete_public_access_block(Bucket=name)
    grant = allow(name, {"AWS": account_id(gw, people["other"])}, "s3:PutObject")
    s3.put_bucket_policy(Bucket=name, Policy=policy(name, grant))
    owner_id = s3.get_bucket_acl(Bucket=name)["Owner"]["ID"]
    other.put_object(Bucket=name, Key="enforced", Body=b"1")
    assert s3.get_object_acl(Bucket=name, Key="enforced")["Owner"]["ID"] == owner_id  # the bucket owner owns it
    assert code_of(other.put_object, Bucket=name, Key="x", Body=b"1", ACL="public-read") == (
        400,
        "AccessControlListNotSupported",
    )
    preferred = {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=preferred)
    other.put_object(Bucket=name, Key="preferred", Body=b"1", ACL="bucket-owner-full-control")
    assert s3.get_object_acl(Bucket=name, Key="preferred")["Owner"]["ID"] == owner_id
    other.put_object(Bucket=name, Key="writer-owned", Body=b"1")
    writer = s3.get_object_acl(Bucket=name, Key="writer-owned")["Owner"]["ID"]
    assert writer == people["other"].canonical_id
    s3.delete_bucket_ownership_controls(Bucket=name)
    assert code_of(s3.get_bucket_ownership_controls, Bucket=name) == (404, "OwnershipControlsNotFoundError")
    s3.put_bucket_acl(Bucket=name, ACL="public-read")
    enforced = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert code_of(s3.put_bucket_ownership_controls, Bucket=name, OwnershipControls=enforced) == (
        400,
        "InvalidBucketAclWithObjectOwnership",
    )


def test_presigned_urls_act_as_their_signer(gw, people, open_bucket):
    owner, other = client(gw, people["owner"]), client(gw, people["other"])
    mine = owner.generate_presigned_url("get_object", Params={"Bucket": open_bucket, "Key": "priv/b"})
    theirs = other.generate_presigned_url("get_object", Params={"Bucket": open_bucket, "Key": "priv/b"})
    assert requests.get(mine).content == b"data"
    assert requests.get(theirs).status_code == 403
    upload = other.generate_presigned_url("put_object", Params={"Bucket": open_bucket, "Key": "pre/x"})
    assert requests.put(upload, data=b"x").status_code == 403


def test_post_forms_act_as_their_signer(gw, people, open_bucket):
    owner, other = client(gw, people["owner"]), client(gw, people["other"])
    for who, expected in ((owner, 204), (other, 403)):
        form = who.generate_presigned_post(open_bucket, "form/${filename}")
        files = {"file": ("f.txt", b"form data")}
        assert requests.post(form["url"], data=form["fields"], files=files).status_code == expected


def _raw_put(gw, path: str, headers: dict[str, str]) -> bytes:
    """Send only the headers of a PUT with `Expect: 100-continue` and return the first answer."""
    parts = urlsplit(gw.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        lines = [f"PUT {path} HTTP/1.1", f"Host: {parts.netloc}", "Content-Length: 5", "Expect: 100-continue"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return sock.recv(4096)


def test_100_continue_is_refused_before_the_body(gw, people, open_bucket):
    answer = _raw_put(gw, f"/{open_bucket}/continue/anon", {})
    assert answer.startswith(b"HTTP/1.1 403"), answer  # not "100 Continue": the body is never asked for
    assert b"AccessDenied" in answer
    assert code_of(client(gw, people["owner"]).head_object, Bucket=open_bucket, Key="continue/anon")[0] == 404
    s3 = client(gw, people["owner"])
    s3.put_bucket_policy(Bucket=open_bucket, Policy=policy(open_bucket, allow(open_bucket, action="s3:PutObject")))
    answer = _raw_put(gw, f"/{open_bucket}/continue/anon", {})
    assert answer.startswith(b"HTTP/1.1 100 Continue"), answer


def test_aws_cli_put_bucket_policy_and_acl(gw, people, open_bucket, tmp_path):
    who = people["owner"]
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": who.access_key,
        "AWS_SECRET_ACCESS_KEY": who.secret_key,
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    document = tmp_path / "policy.json"
    document.write_text(policy(open_bucket, allow(open_bucket, resource="/pub/*")))

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["aws", "--endpoint-url", gw.url, "s3api", *args], env=env, capture_output=True, text=True, timeout=60
        )

    assert cli("put-bucket-policy", "--bucket", open_bucket, "--policy", f"file://{document}").returncode == 0
    shown = cli("get-bucket-policy", "--bucket", open_bucket)
    assert json.loads(json.loads(shown.stdout)["Policy"]) == json.loads(document.read_text())
    anon = client(gw, None)
    assert anon.get_object(Bucket=open_bucket, Key="pub/a")["Body"].read() == b"data"
    assert outcome(anon.get_object, Bucket=open_bucket, Key="priv/b") == 403
    ownership = '{"Rules":[{"ObjectOwnership":"ObjectWriter"}]}'
    assert (
        cli("put-bucket-ownership-controls", "--bucket", open_bucket, "--ownership-controls", ownership).returncode == 0
    )
    done = cli("put-bucket-acl", "--bucket", open_bucket, "--acl", "public-read")
    assert done.returncode == 0, done.stderr
    assert anon.list_objects_v2(Bucket=open_bucket)["KeyCount"] >= 3
    bad = cli("put-bucket-acl", "--bucket", open_bucket, "--grant-read", "emailAddress=a@example.com")
    assert bad.returncode != 0 and "UnresolvableGrantByEmailAddress" in bad.stderr


def test_object_acl_follows_its_version(gw, people):
    s3, anon = client(gw, people["owner"]), client(gw, None)
    name = unique("ver")
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
    s3.delete_public_access_block(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=name, Key="k", Body=b"v1", ACL="public-read")["VersionId"]
    second = s3.put_object(Bucket=name, Key="k", Body=b"v2")["VersionId"]
    assert code_of(anon.get_object, Bucket=name, Key="k") == (403, "AccessDenied")
    assert anon.get_object(Bucket=name, Key="k", VersionId=first)["Body"].read() == b"v1"
    grants = s3.get_object_acl(Bucket=name, Key="k", VersionId=first)["Grants"]
    assert {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"} in grants
    s3.delete_object(Bucket=name, Key="k", VersionId=second)  # the public version is current again
    assert anon.get_object(Bucket=name, Key="k")["Body"].read() == b"v1"


def test_account_public_access_block_combines_with_the_buckets(gw, people, open_bucket):
    """The account's console setting and the bucket's combine, the most restrictive flag winning."""
    from test_console_api import call

    s3, anon = client(gw, people["owner"]), client(gw, None)
    account = people["owner"].account
    s3.put_bucket_policy(Bucket=open_bucket, Policy=policy(open_bucket, allow(open_bucket)))
    assert anon.get_object(Bucket=open_bucket, Key="pub/a")["Body"].read() == b"data"
    flags = {"RestrictPublicBuckets": True, "BlockPublicPolicy": True}
    assert call(gw, "PUT", f"/accounts/{account}/public-access-block", flags, {"nonce": unique("n")}).status_code == 200
    try:
        assert code_of(anon.get_object, Bucket=open_bucket, Key="pub/a") == (403, "AccessDenied")
        again = policy(open_bucket, allow(open_bucket, resource="/pub/*"))
        assert code_of(s3.put_bucket_policy, Bucket=open_bucket, Policy=again) == (403, "AccessDenied")
    finally:
        call(gw, "PUT", f"/accounts/{account}/public-access-block", {}, {"nonce": unique("n")})
    assert anon.get_object(Bucket=open_bucket, Key="pub/a")["Body"].read() == b"data"


def test_multipart_and_copy_acls(gw, people):
    """CreateMultipartUpload's ACL reaches the completed object; CopyObject never copies the source's."""
    s3, anon = client(gw, people["owner"]), client(gw, None)
    name = unique("mpacl")
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
    s3.delete_public_access_block(Bucket=name)
    upload = s3.create_multipart_upload(Bucket=name, Key="mp", ACL="public-read")["UploadId"]
    etag = s3.upload_part(Bucket=name, Key="mp", UploadId=upload, PartNumber=1, Body=b"part")["ETag"]
    s3.complete_multipart_upload(
        Bucket=name, Key="mp", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}
    )
    assert anon.get_object(Bucket=name, Key="mp")["Body"].read() == b"part"
    s3.copy_object(Bucket=name, Key="copy", CopySource={"Bucket": name, "Key": "mp"})
    assert code_of(anon.get_object, Bucket=name, Key="copy") == (403, "AccessDenied")
    s3.copy_object(Bucket=name, Key="copy2", CopySource={"Bucket": name, "Key": "mp"}, ACL="public-read")
    assert anon.get_object(Bucket=name, Key="copy2")["Body"].read() == b"part"
    form = s3.generate_presigned_post(
        name, "form.txt", Fields={"acl": "public-read"}, Conditions=[{"acl": "public-read"}]
    )
    assert requests.post(form["url"], data=form["fields"], files={"file": ("f", b"f")}).status_code == 204
    assert anon.get_object(Bucket=name, Key="form.txt")["Body"].read() == b"f"


def test_anonymous_writes_where_the_bucket_acl_allows(gw, people):
    s3, anon = client(gw, people["owner"]), client(gw, None)
    name = unique("drop")
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
    s3.delete_public_access_block(Bucket=name)
    assert code_of(anon.put_object, Bucket=name, Key="in", Body=b"1") == (403, "AccessDenied")
    s3.put_bucket_acl(Bucket=name, ACL="public-read-write")
    anon.put_object(Bucket=name, Key="in", Body=b"1")
    owner = s3.get_object_acl(Bucket=name, Key="in")["Owner"]["ID"]
    assert owner == people["owner"].canonical_id  # anonymous writes belong to the bucket owner
    assert s3.get_object(Bucket=name, Key="in")["Body"].read() == b"1"
