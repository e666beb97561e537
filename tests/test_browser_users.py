"""Seed 004's /api/user/* routes on the identity engine: users of the caller's account with a
role and `paths` / `paths_write` rules enforced alike on the console, S3 and the native API;
passwords never returned."""

from __future__ import annotations

import json
import uuid

import pytest
import requests
from botocore.exceptions import ClientError
from browser_fixtures import bkt, gw, root  # noqa: F401  (fixtures)
from browser_helpers import XRW, admin, b64, signed_in
from conftest import boto_client

from gateway.client import NativeClient, NativeError


def create(root, gw, **body):
    return root.post(f"{gw.url}/api/user/create", json=body)


def test_create_get_and_login_never_show_a_password(gw, root, bkt):
    made = create(
        root,
        gw,
        username="alice",
        password="alice-password-1",
        name="Alice Liddell",
        role="user",
        paths=json.dumps([f"{bkt}/shared/"]),
        paths_write=[f"{bkt}/inbox/"],
    )
    assert made.status_code == 200, made.text
    body = made.json()
    assert body["status"] == "User created" and body["API_KEY"] and body["secretKey"]
    login = requests.post(f"{gw.url}/api/user/login", json={"username": "alice", "password": "alice-password-1"})
    assert login.status_code == 200 and login.json()["token"]
    alice = requests.Session()
    alice.headers["Authorization"] = f"Bearer {login.json()['token']}"
    me = alice.get(f"{gw.url}/api/user/get_self").json()
    assert me["username"] == "alice" and me["name"] == "Alice Liddell" and me["role"] == "user"
    assert me["paths"] == [f"{bkt}/shared/"] and me["paths_write"] == [f"{bkt}/inbox/"]
    assert body["API_KEY"] in me["API_KEYS"]
    everyone = root.get(f"{gw.url}/api/user/get_all")
    assert everyone.status_code == 200
    alice_row = next(u for u in everyone.json() if u["username"] == "alice")
    assert alice_row["paths"] == me["paths"]
    for text in (me, everyone.json(), alice.get(f"{gw.url}/api/auth/me").json()):
        assert "alice-password-1" not in json.dumps(text) and "password" not in json.dumps(text).replace(
            "hasPassword", ""
        )
    bad = requests.post(f"{gw.url}/api/user/login", json={"username": "alice", "password": "wrong-password"})
    assert bad.status_code == 401


def test_paths_are_enforced_on_console_s3_and_native(gw, root, bkt):
    upload = root.post(
        f"{gw.url}/api/objects/upload/{bkt}/{b64('shared/doc.txt')}", files={"file": ("doc.txt", b"doc")}
    )
    assert upload.status_code == 200, upload.text
    made = create(
        root,
        gw,
        username="bob",
        password="bob-password-12",
        name="Bob",
        role="user",
        paths=[f"{bkt}/shared/"],
        paths_write=[f"{bkt}/inbox/"],
    ).json()
    bob = signed_in(gw, "bob", "bob-password-12")
    refused = bob.post(f"{gw.url}/api/objects/upload/{bkt}/{b64('shared/x.txt')}", files={"file": ("x", b"x")})
    assert refused.status_code == 403
    allowed = bob.post(f"{gw.url}/api/objects/upload/{bkt}/{b64('inbox/x.txt')}", files={"file": ("x", b"x")})
    assert allowed.status_code == 200
    s3 = boto_client(gw)
    s3._request_signer._credentials.access_key = made["API_KEY"]  # noqa: SLF001
    s3._request_signer._credentials.secret_key = made["secretKey"]  # noqa: SLF001
    assert s3.get_object(Bucket=bkt, Key="shared/doc.txt")["Body"].read() == b"doc"
    with pytest.raises(ClientError) as denied:
        s3.put_object(Bucket=bkt, Key="shared/new.txt", Body=b"no")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    s3.put_object(Bucket=bkt, Key="inbox/s3.txt", Body=b"ok")
    native = NativeClient(gw.url, made["API_KEY"], made["secretKey"])
    with pytest.raises(NativeError):
        native.create_bucket(f"nope-{uuid.uuid4().hex[:8]}")
    # an edit replaces the rules: now shared/ is writable
    edited = root.post(f"{gw.url}/api/user/edit", json={"username": "bob", "paths_write": [f"{bkt}/shared/"]})
    assert edited.status_code == 200 and edited.json() == {"status": "User edited"}
    s3.put_object(Bucket=bkt, Key="shared/now.txt", Body=b"yes")
    me = bob.get(f"{gw.url}/api/user/get_self").json()
    assert me["paths"] == [f"{bkt}/shared/"] and me["paths_write"] == [f"{bkt}/shared/"]


def test_roles_and_who_may_manage_users(gw, root):
    assert create(root, gw, username="carol", password="carol-password-1", name="C", role="user").status_code == 200
    carol = signed_in(gw, "carol", "carol-password-1")
    attempt = carol.post(
        f"{gw.url}/api/user/create", json={"username": "x1", "password": "x-password-1", "name": "X", "role": "user"}
    )
    assert attempt.status_code == 403 and attempt.json()["error"] == "AccessDenied"
    assert carol.get(f"{gw.url}/api/user/get_all").status_code == 403
    assert root.post(f"{gw.url}/api/user/edit", json={"username": "carol", "role": "admin"}).status_code == 200
    assert carol.get(f"{gw.url}/api/user/get_self").json()["role"] == "admin"
    assert carol.get(f"{gw.url}/api/user/get_all").status_code == 200
    made = carol.post(
        f"{gw.url}/api/user/create",
        json={"username": "dave", "password": "dave-password-1", "name": "D", "role": "user"},
    )
    assert made.status_code == 200, made.text
    assert carol.post(f"{gw.url}/api/user/delete", json={"username": "dave"}).json() == {"status": "User deleted"}
    assert "dave" not in [u["username"] for u in root.get(f"{gw.url}/api/user/get_all").json()]


def test_edit_self_changes_password_name_and_settings_only(gw, root):
    assert create(root, gw, username="erin", password="erin-password-1", name="E", role="user").status_code == 200
    erin = signed_in(gw, "erin", "erin-password-1")
    assert erin.post(f"{gw.url}/api/user/edit_self", json={"role": "admin"}).status_code == 400
    assert erin.post(f"{gw.url}/api/user/edit_self", json={"paths_write": ["any/"]}).status_code == 400
    assert erin.post(f"{gw.url}/api/user/edit_self", json={}).status_code == 400
    done = erin.post(
        f"{gw.url}/api/user/edit_self",
        json={"name": "Erin E.", "settings": '{"theme":"dark"}', "password": "new-pass-123"},
    )
    assert done.status_code == 200 and done.json() == {"status": "User updated"}
    fresh = signed_in(gw, "erin", "new-pass-123")
    me = fresh.get(f"{gw.url}/api/user/get_self").json()
    assert me["name"] == "Erin E." and me["settings"] == '{"theme":"dark"}' and me["role"] == "user"
    old = requests.post(f"{gw.url}/api/user/login", json={"username": "erin", "password": "erin-password-1"})
    assert old.status_code == 401


def test_bad_input(gw, root):
    missing = create(root, gw, username="frank", password="frank-password-1", role="user")
    assert missing.status_code == 400 and missing.json()["error"] == "InvalidArgument"
    assert create(root, gw, username="frank", password="frank-password-1", name="F", role="boss").status_code == 400
    assert (
        create(root, gw, username="frank", password="frank-password-1", name="F", role="user", paths="{not json")
    ).status_code == 400
    assert "frank" not in [u["username"] for u in root.get(f"{gw.url}/api/user/get_all").json()]
    assert root.post(f"{gw.url}/api/user/delete", json={}).status_code == 400
    assert root.post(f"{gw.url}/api/user/delete", json={"username": "nobody-here"}).status_code == 404
    assert requests.get(f"{gw.url}/api/user/get_self").status_code == 401
    cookie_only = requests.Session()
    cookie_only.cookies.update(root.cookies)
    no_xrw = cookie_only.post(f"{gw.url}/api/user/delete", json={"username": "alice"})
    assert no_xrw.status_code == 403  # CSRF: a cookie without X-Requested-With changes nothing
    assert XRW
