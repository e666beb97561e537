"""The audit log (issue 15 point 7): every mutating request on every front end recorded with
who, key, action, resource, result, size, address and time; paged at /api/logs for
administrators; pruned by `audit_retention_days`; nothing lost on a clean shutdown. Also
/api/resources and /api/is_up."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
import requests
from botocore.exceptions import ClientError
from browser_helpers import admin, console, make_user, signed_in, user_key
from conftest import boto_client, start_gateway, stop_gateway

from gateway.client import NativeClient
from gateway.core.audit_scope import AuditScope
from gateway.core.service import Core


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    gateway = start_gateway(tmp_path_factory.mktemp("audit"))
    yield gateway
    stop_gateway(gateway)


@pytest.fixture(scope="module")
def root(gw):
    return admin(gw)


def logs(session, gw, **params):
    response = session.get(f"{gw.url}/api/logs", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def entries_for(session, gw, resource):
    return logs(session, gw, resource=resource, limit=1000)["logs"]


def test_s3_writes_are_recorded_with_action_resource_size_and_key(gw, root):
    s3 = boto_client(gw)
    name = f"aud-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="dir/a.txt", Body=b"x" * 1234)
    s3.get_object(Bucket=name, Key="dir/a.txt")  # a read: not recorded
    s3.delete_object(Bucket=name, Key="dir/a.txt")
    found = entries_for(root, gw, name)
    actions = [(e["action"], e["resource"], e["result"]) for e in reversed(found)]
    assert actions == [
        ("s3:CreateBucket", name, 200),
        ("s3:PutObject", f"{name}/dir/a.txt", 200),
        ("s3:DeleteObject", f"{name}/dir/a.txt", 204),
    ]
    put = found[1]
    assert put["size"] == 1234 and put["accessKey"] == gw.access_key and put["frontEnd"] == "s3"
    assert put["method"] == "PUT" and put["ip"] == "127.0.0.1" and put["account"]
    assert put["timestamp"].endswith("+00:00") and abs(put["time"] - time.time()) < 600


def test_refused_and_unauthenticated_writes_are_recorded_too(gw, root):
    name = f"aud-{uuid.uuid4().hex[:8]}"
    boto_client(gw).create_bucket(Bucket=name)
    make_user(gw, "auditee", "auditee-password-1", rules=[{"bucket": name, "prefix": "ro/", "access": "read"}])
    key = user_key(gw, "auditee")
    s3 = boto_client(gw)
    s3._request_signer._credentials.access_key = key["access_key"]  # noqa: SLF001
    s3._request_signer._credentials.secret_key = key["secret_key"]  # noqa: SLF001
    with pytest.raises(ClientError):
        s3.put_object(Bucket=name, Key="ro/x", Body=b"no")
    anonymous = requests.put(f"{gw.url}/{name}/anon.txt", data=b"abc")
    assert anonymous.status_code == 403
    found = entries_for(root, gw, name)
    denied = next(e for e in found if e["resource"] == f"{name}/ro/x")
    assert denied["result"] == 403 and denied["action"] == "s3:PutObject"
    assert denied["user"] == "auditee" and denied["accessKey"] == key["access_key"]
    anon = next(e for e in found if e["resource"] == f"{name}/anon.txt")
    assert anon["result"] == 403 and anon["accessKey"] == "" and anon["size"] == 3


def test_native_console_and_browser_writes_are_recorded(gw, root):
    native = NativeClient(gw.url, gw.access_key, gw.secret_key)
    nb = native.create_bucket(f"aud-n-{uuid.uuid4().hex[:8]}")
    assert console(gw, "POST", "/accounts/root/users", {"name": "aud-console-user"}).status_code == 201
    assert root.post(f"{gw.url}/api/buckets", json={"bucketName": f"aud-b-{uuid.uuid4().hex[:8]}"}).status_code == 201
    recent = logs(root, gw, limit=50)["logs"]
    fronts = {e["frontEnd"] for e in recent}
    assert {"native", "console", "browser"} <= fronts
    native_entry = next(e for e in recent if e["frontEnd"] == "native" and e["method"] == "POST")
    assert native_entry["accessKey"] == gw.access_key and native_entry["result"] == 200, native_entry
    assert nb["bucketID"]
    browser_entry = next(e for e in recent if e["frontEnd"] == "browser" and e["action"] == "s3:CreateBucket")
    assert browser_entry["resource"] == "/api/buckets" and browser_entry["result"] == 201
    console_entry = next(e for e in recent if e["frontEnd"] == "console")
    assert console_entry["method"] == "POST" and console_entry["accessKey"] == gw.access_key


def test_sign_in_attempts_are_recorded_without_the_password(gw, root):
    failed = requests.post(f"{gw.url}/api/auth/login", json={"username": "nobody", "password": "Secret-Pw-123"})
    assert failed.status_code == 401
    found = logs(root, gw, action="POST /api/auth/login")["logs"]
    assert found and found[0]["result"] == 401 and found[0]["resource"] == "/api/auth/login"
    assert "Secret-Pw-123" not in requests.get(f"{gw.url}/api/logs", cookies=root.cookies, headers=root.headers).text


def test_logs_are_paged_newest_first(gw, root):
    s3 = boto_client(gw)
    name = f"aud-p-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    for i in range(7):
        s3.put_object(Bucket=name, Key=f"k{i}", Body=b"")
    first = logs(root, gw, resource=f"{name}/", limit=3)
    assert [e["resource"] for e in first["logs"]] == [f"{name}/k6", f"{name}/k5", f"{name}/k4"]
    assert first["isTruncated"] and first["nextBefore"] == first["logs"][-1]["id"]
    second = logs(root, gw, resource=f"{name}/", limit=3, before=first["nextBefore"])
    assert [e["resource"] for e in second["logs"]] == [f"{name}/k3", f"{name}/k2", f"{name}/k1"]
    third = logs(root, gw, resource=f"{name}/", limit=3, before=second["nextBefore"])
    assert [e["resource"] for e in third["logs"]] == [f"{name}/k0"] and not third["isTruncated"]
    assert third["nextBefore"] is None
    by_status = logs(root, gw, resource=f"{name}/", status=200, method="put")["logs"]
    assert len(by_status) == 7


def test_logs_are_for_administrators_only(gw, root):
    make_user(gw, "aud-plain", "plain-password-1", policies=["read-write"])
    plain = signed_in(gw, "aud-plain", "plain-password-1")
    refused = plain.get(f"{gw.url}/api/logs")
    assert refused.status_code == 403 and refused.json()["error"] == "AccessDenied"
    assert requests.get(f"{gw.url}/api/logs").status_code == 401
    bad = root.get(f"{gw.url}/api/logs", params={"limit": "lots"})
    assert bad.status_code == 400 and bad.json()["error"] == "InvalidArgument"
    assert root.get(f"{gw.url}/api/logs", params={"limit": "0"}).status_code == 400


def test_resources_and_is_up(gw, root):
    up = requests.get(f"{gw.url}/api/is_up")
    assert up.status_code == 200 and up.json() == {"status": "Server is up"}
    assert requests.get(f"{gw.url}/api/resources").status_code == 401
    usage = root.get(f"{gw.url}/api/resources").json()
    assert set(usage) == {"cpu", "memory", "disk"}
    assert all(isinstance(v, int) and 0 <= v <= 100 for v in usage.values())
    assert usage["memory"] > 0 and usage["disk"] > 0


def test_entries_survive_a_clean_shutdown(tmp_path):
    """Queued entries are written by stop(), even though the batch writer never ran."""

    async def run() -> list[dict]:
        core = Core(tmp_path, root_access_key="AK", root_secret_key="SK", gc_interval=0)
        await core.start()
        for i in range(5):
            core.audit.record(
                AuditScope(actions=["s3:PutObject"], resource=f"b/k{i}"),
                time=time.time(),
                front_end="s3",
                method="PUT",
                path=f"/b/k{i}",
                route="PUT",
                status=200,
            )
        await core.stop()
        again = Core(tmp_path, root_access_key="AK", root_secret_key="SK", gc_interval=0)
        await again.start()
        try:
            return (await again.audit.page(limit=10))["logs"]
        finally:
            await again.stop()

    found = asyncio.run(run())
    assert [e["resource"] for e in found] == [f"b/k{i}" for i in reversed(range(5))]


def test_retention_prunes_old_entries(tmp_path):
    async def run() -> list[str]:
        core = Core(tmp_path, root_access_key="AK", root_secret_key="SK", gc_interval=0, audit_retention_days=1)
        await core.start()
        try:
            for age_days, resource in ((3, "old"), (0.5, "recent"), (0, "now")):
                core.audit.record(
                    AuditScope(actions=["s3:PutObject"], resource=resource),
                    time=time.time() - age_days * 86400,
                    front_end="s3",
                    method="PUT",
                    path="/",
                    route="PUT",
                    status=200,
                )
            await core.audit.prune()
            return [e["resource"] for e in (await core.audit.page())["logs"]]
        finally:
            await core.stop()

    assert asyncio.run(run()) == ["now", "recent"]
