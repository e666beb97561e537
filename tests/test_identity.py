"""Accounts, users, keys and policies: the console API, the CLI against a running gateway,
and the one engine deciding on the S3 and native front ends (issue #10's identity half)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
import uuid

import boto3
import pytest
import requests
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError
from conftest import ROOT, boto_client, start_gateway, stop_gateway
from native_helpers import expect_error
from test_console_api import call as signed_call

from gateway.client import NativeClient
from gateway.console.identity_routes import ROUTES

READ_DOCS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}],
}
MANAGE_USERS = {"Statement": [{"Effect": "Allow", "Action": "junction:ManageUsers", "Resource": "*"}]}


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    gateway = start_gateway(tmp_path_factory.mktemp("identity"))
    yield gateway
    stop_gateway(gateway)


def client(gw, key: str, secret: str):
    return boto3.client(
        "s3",
        endpoint_url=gw.url,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=BotoConfig(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


def admin_cli(gw, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", "admin", "--data-dir", str(gw.data_dir), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def printed(out: str, label: str) -> str:
    return out.split(f"{label}: ")[1].split()[0]


def code_of(fn, *args, **kwargs) -> tuple[int, str]:
    with pytest.raises(ClientError) as err:
        fn(*args, **kwargs)
    return err.value.response["ResponseMetadata"]["HTTPStatusCode"], err.value.response["Error"]["Code"]


def call(gw, method, path, data=None, **kwargs):
    """A console call; state-changing ones carry a nonce query parameter, because the same
    request signed twice within a second is the same token, which the console refuses as a replay."""
    query = None if method == "GET" else {"nonce": uuid.uuid4().hex}
    return signed_call(gw, method, path, data, query, **kwargs)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# ------------------------------------------------------------------ console API


def test_two_accounts_with_users_and_keys_through_the_console(gw):
    first = call(gw, "GET", "/accounts").json()
    assert [a["name"] for a in first] == ["root"]
    assert len(first[0]["id"]) == 12 and len(first[0]["canonical_id"]) == 64
    owner = boto_client(gw).list_buckets()["Owner"]  # the configured root key is the first account's root
    assert owner == {"ID": first[0]["canonical_id"], "DisplayName": "root"}
    acme = call(gw, "POST", "/accounts", data={"name": unique("acme")})
    assert acme.status_code == 201
    acme = acme.json()
    assert acme["secret_key"] and acme["access_key"] and acme["id"].isdigit()
    beta = call(gw, "POST", "/accounts", data={"name": unique("beta")}).json()
    assert acme["id"] != beta["id"] and acme["canonical_id"] != beta["canonical_id"]
    names = {a["name"] for a in call(gw, "GET", "/accounts").json()}
    assert {acme["name"], beta["name"], "root"} <= names

    made = call(gw, "POST", f"/accounts/{acme['id']}/users", data={"name": "alice", "policies": ["read-only"]})
    assert made.status_code == 201 and made.json()["arn"] == f"arn:aws:iam::{acme['id']}:user/alice"
    key = call(gw, "POST", f"/accounts/{acme['name']}/users/alice/keys", data={})
    assert key.status_code == 201 and key.json()["secret_key"] and key.json()["status"] == "Active"
    user = call(gw, "GET", f"/accounts/{acme['id']}/users/alice").json()
    assert user["policies"] == ["read-only"] and [k["access_key"] for k in user["keys"]] == [key.json()["access_key"]]
    assert "secret_key" not in json.dumps(user) and "password" not in json.dumps(user).replace("has_password", "")

    # the account's root manages its own account, and no other
    root_key, root_secret = acme["access_key"], acme["secret_key"]
    own = call(gw, "GET", f"/accounts/{acme['id']}/users", key=root_key, secret=root_secret)
    assert own.status_code == 200 and [u["name"] for u in own.json()] == ["alice"]
    seen = call(gw, "GET", "/accounts", key=root_key, secret=root_secret).json()
    assert [a["id"] for a in seen] == [acme["id"]]
    other = call(gw, "GET", f"/accounts/{beta['id']}/users", key=root_key, secret=root_secret)
    assert other.status_code == 404 and other.json()["error"]["code"] == "NoSuchAccount"
    refused = call(gw, "POST", "/accounts", data={"name": unique("x")}, key=root_key, secret=root_secret)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "AccessDenied"
    bob = call(gw, "POST", f"/accounts/{acme['id']}/users", data={"name": "bob"}, key=root_key, secret=root_secret)
    assert bob.status_code == 201
    # a user allowed to manage users still may not touch the root's keys
    manager = call(gw, "POST", f"/accounts/{acme['id']}/policies", data={"name": "users", "document": MANAGE_USERS})
    assert manager.status_code == 201
    call(gw, "PUT", f"/accounts/{acme['id']}/users/bob/policies/users")
    bob_key = call(gw, "POST", f"/accounts/{acme['id']}/users/bob/keys", data={}).json()
    as_bob = {"key": bob_key["access_key"], "secret": bob_key["secret_key"]}
    assert call(gw, "GET", f"/accounts/{acme['id']}/users", **as_bob).status_code == 200
    assert call(gw, "POST", f"/accounts/{acme['id']}/keys", data={}, **as_bob).status_code == 403
    root_off = call(gw, "PUT", f"/accounts/{acme['id']}/keys/{root_key}", data={"status": "Inactive"}, **as_bob)
    assert root_off.status_code == 403
    assert call(gw, "GET", f"/accounts/{acme['id']}/users", key=root_key, secret=root_secret).status_code == 200
    # a read-only user manages nothing
    alice = key.json()
    denied = call(gw, "GET", f"/accounts/{acme['id']}/users", key=alice["access_key"], secret=alice["secret_key"])
    assert denied.status_code == 403


def test_console_errors_malformed_policy_duplicates_and_unknowns(gw):
    name = unique("errs")
    assert call(gw, "POST", "/accounts", data={"name": name}).status_code == 201
    duplicate = call(gw, "POST", "/accounts", data={"name": name})
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "EntityAlreadyExists"
    assert call(gw, "POST", "/accounts", data={"name": "no spaces"}).status_code == 400
    missing = call(gw, "GET", "/accounts/nosuchaccount/users")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NoSuchAccount"

    assert call(gw, "POST", f"/accounts/{name}/users", data={"name": "u1"}).status_code == 201
    again = call(gw, "POST", f"/accounts/{name}/users", data={"name": "u1"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "EntityAlreadyExists"
    nobody = call(gw, "GET", f"/accounts/{name}/users/nobody")
    assert nobody.status_code == 404 and nobody.json()["error"]["code"] == "NoSuchUser"

    bad_action = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}]}
    bad = call(gw, "POST", f"/accounts/{name}/policies", data={"name": "p", "document": bad_action})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "MalformedPolicy"
    assert "s3:GetObjekt" in bad.json()["error"]["message"]
    no_effect = {"Statement": [{"Action": "s3:GetObject", "Resource": "*"}]}
    bad = call(gw, "POST", f"/accounts/{name}/policies", data={"name": "p", "document": no_effect})
    assert bad.status_code == 400 and "Effect" in bad.json()["error"]["message"]
    not_json = call(gw, "POST", f"/accounts/{name}/policies", data={"name": "p", "document": "{nope"})
    assert not_json.status_code == 400 and not_json.json()["error"]["code"] == "MalformedPolicy"
    principal = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}
    assert call(gw, "POST", f"/accounts/{name}/policies", data={"name": "p", "document": principal}).status_code == 400

    created = call(gw, "POST", f"/accounts/{name}/policies", data={"name": "docs", "document": READ_DOCS})
    assert created.status_code == 201 and created.json()["document"]["Statement"][0]["Effect"] == "Allow"
    dup = call(gw, "POST", f"/accounts/{name}/policies", data={"name": "docs", "document": READ_DOCS})
    assert dup.status_code == 409
    builtin = call(gw, "POST", f"/accounts/{name}/policies", data={"name": "admin", "document": READ_DOCS})
    assert builtin.status_code == 409
    listed = [p["name"] for p in call(gw, "GET", f"/accounts/{name}/policies").json()]
    assert listed == ["admin", "read-write", "read-only", "docs"]
    assert call(gw, "PUT", f"/accounts/{name}/users/u1/policies/docs").json() == ["docs"]
    unknown = call(gw, "PUT", f"/accounts/{name}/users/u1/policies/nosuch")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "NoSuchPolicy"
    in_use = call(gw, "DELETE", f"/accounts/{name}/policies/docs")
    assert in_use.status_code == 409 and in_use.json()["error"]["code"] == "DeleteConflict"
    assert call(gw, "DELETE", f"/accounts/{name}/users/u1/policies/docs").status_code == 204
    assert call(gw, "DELETE", f"/accounts/{name}/policies/docs").status_code == 204
    assert call(gw, "GET", f"/accounts/{name}/policies/docs").status_code == 404
    no_key = call(gw, "PUT", f"/accounts/{name}/keys/NOSUCHKEY", data={"status": "Inactive"})
    assert no_key.status_code == 404 and no_key.json()["error"]["code"] == "NoSuchAccessKey"
    bad_status = call(gw, "PUT", f"/accounts/{name}/keys/NOSUCHKEY", data={"status": "Paused"})
    assert bad_status.status_code == 400
    first = call(gw, "GET", "/accounts").json()[0]
    assert call(gw, "DELETE", f"/accounts/{first['id']}").status_code == 409  # the gateway's own account
    assert call(gw, "DELETE", f"/accounts/{name}").status_code == 204
    assert call(gw, "GET", f"/accounts/{name}").status_code == 404


def test_account_public_access_block_setting(gw):
    name = unique("pab")
    call(gw, "POST", "/accounts", data={"name": name})
    assert call(gw, "GET", f"/accounts/{name}/public-access-block").json() == {
        "BlockPublicAcls": False,
        "IgnorePublicAcls": False,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False,
    }
    put = call(gw, "PUT", f"/accounts/{name}/public-access-block", data={"BlockPublicAcls": True})
    assert put.status_code == 200 and put.json()["BlockPublicAcls"] is True
    assert call(gw, "GET", f"/accounts/{name}/public-access-block").json()["BlockPublicAcls"] is True
    assert call(gw, "PUT", f"/accounts/{name}/public-access-block", data={"Nope": True}).status_code == 400


# ------------------------------------------------------------------ the CLI, on a running gateway


def test_cli_changes_apply_at_once_to_the_running_gateway(gw, tmp_path):
    s3 = boto_client(gw)
    bucket = unique("cli")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="doc.txt", Body=b"hello")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(READ_DOCS))
    user = unique("carol")
    made = admin_cli(gw, "create-user", user, "--account", "root", "--policy", str(policy), "--password", "pw-123456")
    assert made.returncode == 0, made.stderr
    key, secret = printed(made.stdout, "access key"), printed(made.stdout, "secret key")
    shown = call(gw, "GET", f"/accounts/root/users/{user}").json()
    assert shown["has_password"] is True and "pw-123456" not in json.dumps(shown)  # kept for the web console
    stored = b"".join(f.read_bytes() for f in gw.data_dir.glob("meta.sqlite3*"))
    assert stored and b"pw-123456" not in stored  # only its hash is kept
    carol = client(gw, key, secret)
    assert carol.get_object(Bucket=bucket, Key="doc.txt")["Body"].read() == b"hello"
    assert code_of(carol.put_object, Bucket=bucket, Key="new", Body=b"x") == (403, "AccessDenied")

    assert admin_cli(gw, "disable-user", user, "--account", "root").returncode == 0
    assert (gw.data_dir / "access.gen").stat().st_mode & 0o077 == 0  # the bump file is private too
    assert code_of(carol.get_object, Bucket=bucket, Key="doc.txt") == (403, "InvalidAccessKeyId")
    assert admin_cli(gw, "enable-user", user, "--account", "root").returncode == 0
    assert carol.get_object(Bucket=bucket, Key="doc.txt")["Body"].read() == b"hello"
    assert admin_cli(gw, "disable-key", key).returncode == 0
    assert code_of(carol.get_object, Bucket=bucket, Key="doc.txt") == (403, "InvalidAccessKeyId")
    assert admin_cli(gw, "enable-key", key).returncode == 0
    assert carol.get_object(Bucket=bucket, Key="doc.txt")["Body"].read() == b"hello"

    second = admin_cli(gw, "create-key", "--account", "root", "--user", user)
    assert second.returncode == 0, second.stderr
    listed = admin_cli(gw, "list-keys", "--account", "root", "--user", user).stdout
    assert key in listed and printed(second.stdout, "access key") in listed and secret not in listed
    assert admin_cli(gw, "delete-key", key).returncode == 0
    assert code_of(carol.get_object, Bucket=bucket, Key="doc.txt") == (403, "InvalidAccessKeyId")
    assert user in admin_cli(gw, "list-users", "--account", "root").stdout
    assert admin_cli(gw, "delete-user", user, "--account", "root").returncode == 0
    assert user not in admin_cli(gw, "list-users", "--account", "root").stdout


def test_cli_accounts_with_chosen_keys(gw):
    name = unique("cliacct")
    made = admin_cli(gw, "create-account", name, "--access-key", f"AK{name.upper()}", "--secret-key", "s3cr3t-v4lue")
    assert made.returncode == 0, made.stderr
    assert printed(made.stdout, "access key") == f"AK{name.upper()}"
    assert printed(made.stdout, "secret key") == "s3cr3t-v4lue"
    assert len(printed(made.stdout, "canonical id")) == 64
    assert name in admin_cli(gw, "list-accounts").stdout
    again = admin_cli(gw, "create-account", name)
    assert again.returncode == 1 and "EntityAlreadyExists" in again.stderr
    root = NativeClient(gw.url, f"AK{name.upper()}", "s3cr3t-v4lue")
    assert root.list_buckets() == []  # an account sees its own buckets, and has none
    assert admin_cli(gw, "disable-account", name).returncode == 0
    expect_error("Unauthorized", 401, root.list_buckets)
    assert admin_cli(gw, "enable-account", name).returncode == 0
    assert root.list_buckets() == []
    assert admin_cli(gw, "delete-account", name).returncode == 0
    assert name not in admin_cli(gw, "list-accounts").stdout
    assert admin_cli(gw, "delete-account", name).returncode == 1


# ------------------------------------------------------------------ the engine on each front end


def _user_with(gw, account: str, policies: list[str] | None = None, rules: list[dict] | None = None):
    name = unique("u")
    body = {"name": name, "policies": policies or [], "rules": rules or []}
    assert call(gw, "POST", f"/accounts/{account}/users", data=body).status_code == 201
    key = call(gw, "POST", f"/accounts/{account}/users/{name}/keys", data={}).json()
    return name, key["access_key"], key["secret_key"]


def test_native_routes_follow_the_users_policy(gw):
    admin = NativeClient(gw.url, gw.access_key, gw.secret_key)
    bucket = admin.create_bucket(unique("nat"))
    package = admin.create_package(bucket["bucketID"], "pkg")
    existing = admin.upload(package["packageID"], [("a.txt", b"data")])[0]
    _, key, secret = _user_with(gw, "root", ["read-only"])
    reader = NativeClient(gw.url, key, secret)
    assert reader.download(existing["objectID"]) == b"data"
    assert [o["path"] for o in reader.package_objects(package["packageID"])] == ["a.txt"]
    expect_error("Unauthorized", 403, reader.upload, package["packageID"], [("b.txt", b"new")])
    expect_error("Unauthorized", 403, reader.delete, [existing["objectID"]])
    expect_error("Unauthorized", 403, reader.create_bucket, unique("nope"))
    expect_error("Unauthorized", 403, reader.get_job, 1)  # junction:ManageJobs is not read-only's

    _, key, secret = _user_with(gw, "root", ["read-write"])
    writer = NativeClient(gw.url, key, secret)
    uploaded = writer.upload(package["packageID"], [("b.txt", b"new")])[0]
    writer.delete([uploaded["objectID"]])
    expect_error("Unauthorized", 403, writer.create_bucket, unique("nope"))


def test_per_path_rules(gw):
    s3 = boto_client(gw)
    bucket = unique("paths")
    s3.create_bucket(Bucket=bucket)
    for key in ("docs/a.txt", "docs/sub/b.txt", "private/c.txt"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    rules = [{"bucket": bucket, "prefix": "docs/", "access": "read"}]
    _, key, secret = _user_with(gw, "root", rules=rules)
    reader = client(gw, key, secret)
    assert reader.get_object(Bucket=bucket, Key="docs/sub/b.txt")["Body"].read() == b"docs/sub/b.txt"
    listed = reader.list_objects_v2(Bucket=bucket, Prefix="docs/")
    assert [o["Key"] for o in listed["Contents"]] == ["docs/a.txt", "docs/sub/b.txt"]
    assert code_of(reader.get_object, Bucket=bucket, Key="private/c.txt") == (403, "AccessDenied")
    assert code_of(reader.list_objects_v2, Bucket=bucket) == (403, "AccessDenied")
    assert code_of(reader.list_objects_v2, Bucket=bucket, Prefix="private/") == (403, "AccessDenied")
    assert code_of(reader.put_object, Bucket=bucket, Key="docs/new", Body=b"x") == (403, "AccessDenied")

    # the native API asks the same engine with the same prefixes
    native = NativeClient(gw.url, key, secret)
    assert native.download_by_path(f"{bucket}/docs/a.txt") == b"docs/a.txt"
    expect_error("Unauthorized", 403, native.download_by_path, f"{bucket}/private/c.txt")

    rules.append({"bucket": bucket, "prefix": "docs/", "access": "write"})
    name, key, secret = _user_with(gw, "root", rules=rules)
    writer = client(gw, key, secret)
    writer.put_object(Bucket=bucket, Key="docs/new", Body=b"x")
    assert code_of(writer.put_object, Bucket=bucket, Key="private/new", Body=b"x") == (403, "AccessDenied")
    bad = call(gw, "PUT", f"/accounts/root/users/{name}", data={"rules": [{"bucket": bucket, "access": "all"}]})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "rules"


def test_users_of_another_account_are_refused_the_first_accounts_buckets(gw):
    s3 = boto_client(gw)
    bucket = unique("mine")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    other = unique("other")
    call(gw, "POST", "/accounts", data={"name": other})
    _, key, secret = _user_with(gw, other, ["admin"])
    stranger = client(gw, key, secret)
    assert code_of(stranger.get_object, Bucket=bucket, Key="k") == (403, "AccessDenied")
    assert code_of(stranger.put_object, Bucket=bucket, Key="k", Body=b"x") == (403, "AccessDenied")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    # and the console hides the volume from it
    volumes = call(gw, "GET", "/volumes", key=key, secret=secret)
    assert volumes.status_code == 200 and bucket not in [v["name"] for v in volumes.json()]


def test_inactive_key_through_the_console_api(gw):
    name, key, secret = _user_with(gw, "root", ["read-only"])
    s3 = client(gw, key, secret)
    s3.list_buckets()
    inactive = call(gw, "PUT", f"/accounts/root/keys/{key}", data={"status": "Inactive"}).json()
    assert (inactive["status"], inactive["user"]) == ("Inactive", name)
    assert code_of(s3.list_buckets) == (403, "InvalidAccessKeyId")
    assert call(gw, "PUT", f"/accounts/root/keys/{key}", data={"status": "Active"}).status_code == 200
    s3.list_buckets()
    assert call(gw, "DELETE", f"/accounts/root/users/{name}").status_code == 204
    assert code_of(s3.list_buckets) == (403, "InvalidAccessKeyId")


def test_exports_are_users_of_the_volume_owner(gw):
    s3 = boto_client(gw)
    bucket = unique("exp")
    s3.create_bucket(Bucket=bucket)
    volume = next(v["id"] for v in call(gw, "GET", "/volumes").json() if v["name"] == bucket)
    export = call(gw, "POST", f"/volumes/{volume}/exports", data={"readonly": True}).json()
    users = {u["name"] for u in call(gw, "GET", "/accounts/root/users").json()}
    assert f"export-{export['id']}" in users
    user = call(gw, "GET", f"/accounts/root/users/export-{export['id']}").json()
    statements = user["inline_policies"]["export"]["Statement"]
    assert any(s["Resource"] == [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"] for s in statements)
    assert call(gw, "DELETE", f"/volumes/{volume}/exports/{export['id']}").status_code == 204
    assert f"export-{export['id']}" not in {u["name"] for u in call(gw, "GET", "/accounts/root/users").json()}
    exporter = client(gw, export["access_key"], export["secret_key"])
    assert code_of(exporter.list_buckets) == (403, "InvalidAccessKeyId")


def test_openapi_documents_every_identity_route(gw):
    paths = requests.get(f"{gw.url}/api/v1/openapi.json").json()["paths"]
    for method, path, _handler, created in ROUTES:
        operation = paths[path][method.lower()]
        assert ("201" in operation["responses"]) == created, (method, path)


def test_exports_made_before_accounts_are_adopted_at_start(tmp_path):
    """An export row written the pre-accounts way (a credential and an export, no user) keeps
    working at once, and the next start gives it its user and generated policy."""
    gateway = start_gateway(tmp_path)
    try:
        s3 = boto_client(gateway)
        s3.create_bucket(Bucket="legacy")
        s3.put_object(Bucket="legacy", Key="k", Body=b"v")
        volume = next(v["id"] for v in call(gateway, "GET", "/volumes").json() if v["name"] == "legacy")
        conn = sqlite3.connect(gateway.data_dir / "meta.sqlite3", timeout=10)
        with conn:
            conn.execute(
                "INSERT INTO credentials (access_key, secret_key, kind, bucket_id, readonly, created) "
                "VALUES ('OLDEXPORTKEY', 'old-export-secret', 'export', ?, 1, ?)",
                (volume, time.time()),
            )
            conn.execute(
                "INSERT INTO exports (access_key, bucket_id, created) VALUES ('OLDEXPORTKEY', ?, ?)",
                (volume, time.time()),
            )
        conn.close()
        old = client(gateway, "OLDEXPORTKEY", "old-export-secret")
        assert old.get_object(Bucket="legacy", Key="k")["Body"].read() == b"v"
        assert code_of(old.delete_object, Bucket="legacy", Key="k") == (403, "AccessDenied")
    finally:
        stop_gateway(gateway)
    gateway = start_gateway(tmp_path)
    try:
        export_id = call(gateway, "GET", f"/volumes/{volume}/exports").json()[0]["id"]
        user = call(gateway, "GET", f"/accounts/root/users/export-{export_id}").json()
        assert [k["access_key"] for k in user["keys"]] == ["OLDEXPORTKEY"]
        assert "export" in user["inline_policies"]
        old = client(gateway, "OLDEXPORTKEY", "old-export-secret")
        assert old.get_object(Bucket="legacy", Key="k")["Body"].read() == b"v"
        assert code_of(old.put_object, Bucket="legacy", Key="n", Body=b"x") == (403, "AccessDenied")
    finally:
        stop_gateway(gateway)


def test_user_spaces_are_for_administrators_only(gw):
    """/v1/userSpace/* asks for junction:ManageUserSpaces, which no built-in policy and no account
    root holds: only gateway administrators (and a policy naming the action) manage spaces."""
    from space_helpers import local_space

    admin = NativeClient(gw.url, gw.access_key, gw.secret_key)
    space = local_space(admin, gw.data_dir)
    other = unique("spaces")
    made = admin_cli(gw, "create-account", other)
    assert made.returncode == 0, made.stderr
    callers = {
        "admin-policy user": _user_with(gw, "root", ["admin"])[1:],
        "read-write user": _user_with(gw, "root", ["read-write"])[1:],
        "another account's root": (printed(made.stdout, "access key"), printed(made.stdout, "secret key")),
    }
    for who, (key, secret) in callers.items():
        native = NativeClient(gw.url, key, secret)
        expect_error("Unauthorized", 403, native.get_user_space, space["userSpaceID"])
        expect_error("Unauthorized", 403, native.delete_user_space, space["userSpaceID"])
        expect_error("Unauthorized", 403, local_space, native, gw.data_dir)
        assert admin.get_user_space(space["userSpaceID"])["name"] == space["name"], who
    spaces = call(gw, "POST", "/accounts/root/policies", data={"name": unique("sp"), "document": SPACES})
    assert spaces.status_code == 201
    _, key, secret = _user_with(gw, "root", [spaces.json()["name"]])
    assert NativeClient(gw.url, key, secret).get_user_space(space["userSpaceID"])["name"] == space["name"]


SPACES = {"Statement": [{"Effect": "Allow", "Action": "junction:ManageUserSpaces", "Resource": "*"}]}


def test_cli_users_with_chosen_keys(gw):
    s3 = boto_client(gw)
    bucket = unique("chosen")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    name, key = unique("dave"), f"AKDAVE{uuid.uuid4().hex[:10].upper()}"
    made = admin_cli(gw, "create-user", name, "--account", "root", "--access-key", key, "--secret-key", "dave-secret-1")
    assert made.returncode == 0, made.stderr
    assert (printed(made.stdout, "access key"), printed(made.stdout, "secret key")) == (key, "dave-secret-1")
    dave = client(gw, key, "dave-secret-1")
    assert code_of(dave.get_object, Bucket=bucket, Key="k") == (403, "AccessDenied")  # no policy yet
    assert admin_cli(gw, "attach-policy", "read-only", "--user", name, "--account", "root").returncode == 0
    assert dave.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    assert admin_cli(gw, "detach-policy", "read-only", "--user", name, "--account", "root").returncode == 0
    assert code_of(dave.get_object, Bucket=bucket, Key="k") == (403, "AccessDenied")
    eve = unique("eve")
    taken = admin_cli(
        gw, "create-user", eve, "--account", "root", "--access-key", key, "--secret-key", "another-secret"
    )
    assert taken.returncode == 1 and "EntityAlreadyExists" in taken.stderr, taken.stderr
    assert eve not in admin_cli(gw, "list-users", "--account", "root").stdout  # nothing half-made, taken.stderr
