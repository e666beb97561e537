"""Browser API settings, errors and rate limits (seed 003): `/api/settings/*` read by anyone
signed in, changed by gateway administrators only, validated (400 `{"error","message"}`) and
kept in the metadata store across restarts; S3 endpoints as user spaces; the caller's own
access keys; 413 for an upload over the size limit, 507 for a full quota; 429 with
`retryAfter` per client address and route class."""

from __future__ import annotations

import http.client
import json
import uuid

import pytest
import requests
from backend_fixtures import start_moto
from botocore.exceptions import ClientError
from browser_fixtures import bkt, gw, root  # noqa: F401  (fixtures)
from browser_helpers import XRW, admin, b64, console, make_user, signed_in
from conftest import ENGINES, boto_client, meta_url, start_gateway, stop_gateway

DEFAULTS = {
    "maxConcurrentTransfers": 2,
    "maxFilesPerPage": 100,
    "maxUploadSize": 0,
    "maxInlineFileSize": 8 * 1024 * 1024,  # the file API's (tests/test_file_api.py)
    "zipCompressionLevel": 0,
    "auditRetentionDays": 90,
}


@pytest.fixture
def restore(gw, root):
    """Put every setting back to its default after the test (the module's gateway is shared)."""
    yield
    assert root.put(f"{gw.url}/api/settings", json=DEFAULTS).status_code == 200


def upload(session, gw, bucket, key, data):
    return session.post(f"{gw.url}/api/objects/upload/{bucket}/{b64(key)}", files={"file": (key, data)})


def assert_error(response, status, name):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"error", "message"} and body["error"] == name and body["message"], body
    return body


# ------------------------------------------------------------------ settings


def test_settings_read_in_the_documents_shapes(gw, root):
    every = root.get(f"{gw.url}/api/settings")
    assert every.status_code == 200
    assert every.json()["settings"] == DEFAULTS and every.json()["canEdit"] is True
    names = {d["name"] for d in every.json()["definitions"]}
    assert names == {
        "max-concurrent-transfers",
        "max-files-per-page",
        "max-upload-size",
        "max-inline-file-size",
        "zip-compression-level",
        "audit-retention",
    }
    one = root.get(f"{gw.url}/api/settings/max-concurrent-transfers")
    assert one.status_code == 200 and one.json() == {"maxConcurrentTransfers": 2}
    assert root.get(f"{gw.url}/api/settings/max-files-per-page").json() == {"maxFilesPerPage": 100}
    assert_error(root.get(f"{gw.url}/api/settings/proxy"), 404, "NoSuchKey")  # not a setting here


def test_settings_need_a_session_and_writes_an_administrator(gw, root, restore):
    assert_error(requests.get(f"{gw.url}/api/settings"), 401, "Unauthorized")
    make_user(gw, "settings-reader", "reader-password-1", policies=["read-write"])
    user = signed_in(gw, "settings-reader", "reader-password-1")
    seen = user.get(f"{gw.url}/api/settings")
    assert seen.status_code == 200 and seen.json()["canEdit"] is False
    refused = user.put(f"{gw.url}/api/settings/max-files-per-page", json={"maxFilesPerPage": 50})
    assert_error(refused, 403, "AccessDenied")
    assert_error(user.put(f"{gw.url}/api/settings", json={"maxFilesPerPage": 50}), 403, "AccessDenied")
    assert_error(user.get(f"{gw.url}/api/settings/s3"), 403, "AccessDenied")
    assert root.get(f"{gw.url}/api/settings/max-files-per-page").json() == {"maxFilesPerPage": 100}
    changed = root.put(f"{gw.url}/api/settings/max-files-per-page", json={"maxFilesPerPage": 50})
    assert changed.status_code == 200 and changed.json() == {
        "message": "Settings updated successfully",
        "maxFilesPerPage": 50,
    }
    assert user.get(f"{gw.url}/api/settings/max-files-per-page").json() == {"maxFilesPerPage": 50}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/max-files-per-page", {"maxFilesPerPage": 5}),  # under the document's 10
        ("/max-files-per-page", {"maxFilesPerPage": 1001}),
        ("/max-files-per-page", {"maxFilesPerPage": 20.5}),
        ("/max-files-per-page", {"maxFilesPerPage": "20"}),
        ("/max-files-per-page", {"maxFilesPerPage": True}),
        ("/max-files-per-page", {"maxFilesPerPage": None}),
        ("/max-files-per-page", {}),
        ("/max-files-per-page", {"maxConcurrentTransfers": 3}),  # another setting's field
        ("/max-concurrent-transfers", {"maxConcurrentTransfers": 0}),
        ("/max-concurrent-transfers", {"maxConcurrentTransfers": 21}),
        ("/max-upload-size", {"maxUploadSize": -1}),
        ("/audit-retention", {"auditRetentionDays": -0.5}),
        ("", {"maxFilesPerPage": 20, "maxConcurrentTransfers": 99}),  # one bad value: nothing is stored
        ("", {"maxFilesPerPage": 20, "colour": "blue"}),
        ("", {}),
    ],
)
def test_settings_are_validated(gw, root, path, body):
    refused = root.put(f"{gw.url}/api/settings{path}", json=body)
    assert_error(refused, 400, "InvalidArgument")
    assert root.get(f"{gw.url}/api/settings").json()["settings"] == DEFAULTS


def test_malformed_settings_bodies(gw, root):
    url = f"{gw.url}/api/settings/max-files-per-page"
    assert_error(root.put(url, data=b"{not json", headers={"Content-Type": "application/json"}), 400, "MalformedJSON")
    assert_error(root.put(url, data=b"[20]", headers={"Content-Type": "application/json"}), 400, "MalformedJSON")
    assert_error(root.put(url, data=b"NaN", headers={"Content-Type": "application/json"}), 400, "MalformedJSON")
    nan = root.put(url, data=b'{"maxFilesPerPage": NaN}', headers={"Content-Type": "application/json"})
    assert_error(nan, 400, "InvalidArgument")


@pytest.mark.parametrize("engine", ENGINES)
def test_settings_persist_across_a_restart(tmp_path, engine):
    meta = meta_url(engine)  # the settings table on SQLite and on PostgreSQL
    first = start_gateway(tmp_path, env={"JUNCTION_AUDIT_RETENTION_DAYS": "30"}, meta=meta)
    try:
        session = admin(first)
        assert session.get(f"{first.url}/api/settings/audit-retention").json() == {"auditRetentionDays": 30}
        body = {"maxConcurrentTransfers": 7, "maxFilesPerPage": 250, "auditRetentionDays": 2.5}
        assert session.put(f"{first.url}/api/settings", json=body).status_code == 200
        assert session.get(f"{first.url}/api/logs?limit=1").json()["retentionDays"] == 2.5
    finally:
        stop_gateway(first)
    again = start_gateway(tmp_path, env={"JUNCTION_AUDIT_RETENTION_DAYS": "30"}, data_dir=first.data_dir, meta=meta)
    try:
        session = admin(again)
        values = session.get(f"{again.url}/api/settings").json()["settings"]
        assert values == {**DEFAULTS, **body, "maxUploadSize": 0}  # the stored value wins over the configured default
        assert session.get(f"{again.url}/api/logs?limit=1").json()["retentionDays"] == 2.5
    finally:
        stop_gateway(again)


def test_max_files_per_page_is_the_listing_default(gw, root, bkt, restore):
    for i in range(12):
        assert upload(root, gw, bkt, f"f{i:02}", b"x").status_code == 200
    assert root.put(f"{gw.url}/api/settings/max-files-per-page", json={"maxFilesPerPage": 10}).status_code == 200
    page = root.get(f"{gw.url}/api/objects/{bkt}").json()
    assert len(page["objects"]) == 10 and page["isTruncated"] is True
    rest = root.get(f"{gw.url}/api/objects/{bkt}", params={"continuationToken": page["nextContinuationToken"]})
    assert [o["Key"] for o in rest.json()["objects"]] == ["f10", "f11"]
    asked = root.get(f"{gw.url}/api/objects/{bkt}", params={"maxKeys": "3"}).json()
    assert len(asked["objects"]) == 3  # an explicit maxKeys still rules


# ------------------------------------------------------------------ 413, 507


def test_upload_over_the_size_limit_is_413(gw, root, bkt, restore):
    assert root.put(f"{gw.url}/api/settings/max-upload-size", json={"maxUploadSize": 1000}).status_code == 200
    declared = upload(root, gw, bkt, "big.bin", b"b" * 100_000)  # refused from its Content-Length
    assert_error(declared, 413, "EntityTooLarge")
    streamed = upload(root, gw, bkt, "over.bin", b"o" * 1001)  # the form is within reach: counted as it streams
    assert_error(streamed, 413, "EntityTooLarge")
    assert upload(root, gw, bkt, "fits.bin", b"f" * 1000).status_code == 200
    s3 = boto_client(gw)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bkt).get("Contents", [])] == ["fits.bin"]


def test_upload_into_a_full_quota_is_507(gw, root, bkt):
    volume = next(v for v in console(gw, "GET", "/volumes").json() if v["name"] == bkt)
    quota = console(gw, "POST", f"/volumes/{volume['id']}/quotas", {"path": "/capped", "size": 100})
    assert quota.status_code == 201, quota.text
    assert upload(root, gw, bkt, "capped/small", b"s" * 60).status_code == 200
    body = assert_error(upload(root, gw, bkt, "capped/more", b"m" * 60), 507, "QuotaExceeded")
    assert "/capped" in body["message"]
    assert upload(root, gw, bkt, "elsewhere", b"e" * 60).status_code == 200  # outside the quota's path


# ------------------------------------------------------------------ S3 endpoints as user spaces


def test_s3_endpoints_are_user_spaces(gw, root, tmp_path):
    moto = start_moto(tmp_path)
    try:
        bucket = moto.new_bucket()
        body = {
            "name": "archive-s3",
            "endpoint": moto.url,
            "region": moto.region,
            "bucket": bucket,
            "pathStyle": True,
            "accessKeyId": moto.access_key,
            "secretAccessKey": moto.secret_key,
        }
        tested = root.post(f"{gw.url}/api/settings/test-s3", json=body)
        assert tested.status_code == 200 and tested.json() == {"message": "Connection successful"}
        added = root.put(f"{gw.url}/api/settings/s3", json=body)
        assert added.status_code == 200, added.text
        listed = root.get(f"{gw.url}/api/settings/s3")
        assert [e["name"] for e in listed.json()["endpoints"]] == ["archive-s3"]
        assert moto.secret_key not in listed.text and "secretAccessKey" not in listed.text
        # a stored endpoint tests with its stored secret; a change without one keeps it
        named = {k: v for k, v in body.items() if k not in ("accessKeyId", "secretAccessKey")}
        assert root.post(f"{gw.url}/api/settings/test-s3", json=named).status_code == 200
        moved = root.put(f"{gw.url}/api/settings/s3", json={**named, "workingDir": "junction"})
        assert moved.status_code == 200 and moved.json()["endpoint"]["workingDir"] == "junction"
        assert root.post(f"{gw.url}/api/settings/test-s3", json={**named, "workingDir": "junction"}).status_code == 200
        # the user space is the one the native API sees
        assert_error(
            root.put(f"{gw.url}/api/settings/s3", json={**body, "endpoint": "ftp://x"}), 400, "InvalidArgument"
        )
        assert_error(root.put(f"{gw.url}/api/settings/s3", json={**body, "type": "Local"}), 400, "InvalidArgument")
        missing = {k: v for k, v in named.items() if k != "bucket"}
        assert_error(root.put(f"{gw.url}/api/settings/s3", json=missing), 400, "InvalidArgument")
        new_without_secret = root.put(f"{gw.url}/api/settings/s3", json={**named, "name": "no-secret"})
        assert_error(new_without_secret, 400, "InvalidArgument")
        assert root.delete(f"{gw.url}/api/settings/s3/archive-s3").status_code == 200
        assert root.get(f"{gw.url}/api/settings/s3").json()["endpoints"] == []
        assert_error(root.delete(f"{gw.url}/api/settings/s3/archive-s3"), 404, "NoSuchUserSpace")
    finally:
        moto.stop()


# ------------------------------------------------------------------ the caller's own access keys


def test_a_user_manages_its_own_access_keys(gw, root, bkt):
    make_user(gw, "keyholder", "keyholder-password-1", rules=[{"bucket": bkt, "prefix": "mine/", "access": "write"}])
    make_user(gw, "someone-else", "someone-else-password-1")
    user = signed_in(gw, "keyholder", "keyholder-password-1")
    assert user.get(f"{gw.url}/api/keys").json()["keys"] == []
    made = user.post(f"{gw.url}/api/keys", json={})
    assert made.status_code == 201, made.text
    key = made.json()
    assert key["user"] == "keyholder" and key["secret_key"]
    listed = user.get(f"{gw.url}/api/keys").json()
    assert [k["access_key"] for k in listed["keys"]] == [key["access_key"]]
    assert "secret_key" not in json.dumps(listed)
    # the key carries the user's rights, no more
    s3 = boto_client(gw)
    s3._request_signer._credentials.access_key = key["access_key"]  # noqa: SLF001
    s3._request_signer._credentials.secret_key = key["secret_key"]  # noqa: SLF001
    s3.put_object(Bucket=bkt, Key="mine/by-key.txt", Body=b"ok")
    with pytest.raises(ClientError) as denied:
        s3.put_object(Bucket=bkt, Key="theirs.txt", Body=b"no")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    # another user's key is not this user's to delete
    other = signed_in(gw, "someone-else", "someone-else-password-1")
    assert_error(other.delete(f"{gw.url}/api/keys/{key['access_key']}"), 404, "NoSuchAccessKey")
    assert_error(user.post(f"{gw.url}/api/keys", json={"secret_key": "chosen"}), 400, "InvalidArgument")
    assert user.delete(f"{gw.url}/api/keys/{key['access_key']}").status_code == 200
    assert user.get(f"{gw.url}/api/keys").json()["keys"] == []


def test_the_key_a_session_signed_in_with_is_not_deleted_from_it(gw, root):
    listed = root.get(f"{gw.url}/api/keys").json()["keys"]
    current = [k for k in listed if k["current"]]
    assert [k["access_key"] for k in current] == [gw.access_key]
    refused = root.delete(f"{gw.url}/api/keys/{gw.access_key}")
    assert refused.status_code == 400 and refused.json()["error"] in ("InvalidRequest", "InvalidArgument")
    assert requests.post(f"{gw.url}/api/keys", json={}).status_code == 401
    csrf = requests.Session()
    csrf.cookies.set("s4_auth_token", root.token)
    assert csrf.post(f"{gw.url}/api/keys", json={}).status_code == 403  # cookie without X-Requested-With


# ------------------------------------------------------------------ rate limits per client address


def from_address(gw, source: str, method: str, path: str, body: dict | None = None, headers: dict | None = None):
    """One request from another loopback address (127.0.0.2 reaches 127.0.0.1 on Linux)."""
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=30, source_address=(source, 0))
    try:
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=payload, headers={"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read() or b"null")
    finally:
        conn.close()


def test_rate_limits_are_per_client_address_and_route_class(tmp_path):
    gw = start_gateway(tmp_path, "--workers", "1")  # workers share counts about once a second: one decides at once
    try:
        session = admin(gw)  # signed in before the address is locked out
        session.post(f"{gw.url}/api/buckets", json={"bucketName": "scan"})
        wrong = {"username": "nobody", "password": "wrong-password"}
        for _ in range(5):
            assert from_address(gw, "127.0.0.1", "POST", "/api/auth/login", wrong)[0] == 401
        status, headers, body = from_address(
            gw, "127.0.0.1", "POST", "/api/auth/login", {"username": gw.access_key, "password": gw.secret_key}
        )
        assert status == 429 and body["error"] == "RateLimitExceeded" and "5 per minute" in body["message"]
        assert body["retryAfter"] > 1_000_000_000_000  # epoch milliseconds, as the document's example
        assert 1 <= int(headers["Retry-After"]) <= 60
        # another address signs in at once
        good = {"username": gw.access_key, "password": gw.secret_key}
        status, _headers, body = from_address(gw, "127.0.0.2", "POST", "/api/auth/login", good)
        assert status == 200 and body["token"]
        # the locked-out address keeps its other route classes
        ticket = session.post(f"{gw.url}/api/auth/sse-ticket", json={"resource": "u-1", "resourceType": "upload"})
        assert ticket.status_code == 200
        assert session.get(f"{gw.url}/api/objects/scan", params={"q": "a", "mode": "contains"}).status_code == 200
        # the ticket class has its own figure (20 a minute)
        codes = [
            session.post(
                f"{gw.url}/api/auth/sse-ticket", json={"resource": f"u-{i}", "resourceType": "upload"}
            ).status_code
            for i in range(20)
        ]
        assert codes == [200] * 19 + [429]
        headers = {"Cookie": f"s4_auth_token={session.token}", **XRW}
        status, _headers, body = from_address(
            gw, "127.0.0.2", "POST", "/api/auth/sse-ticket", {"resource": "u-x", "resourceType": "upload"}, headers
        )
        assert status == 200 and body["ticket"]
    finally:
        stop_gateway(gw)


# ------------------------------------------------------------------ object tags


def test_object_tags_are_changed_as_s3_would(gw, root, bkt):
    assert upload(root, gw, bkt, "docs/plan.txt", b"plan").status_code == 200
    url = f"{gw.url}/api/objects/tags/{bkt}/{b64('docs/plan.txt')}"
    saved = root.put(url, json={"tags": {"project": "alpha", "owner": "ops@example.com"}})
    assert saved.status_code == 200 and saved.json()["tags"] == {"project": "alpha", "owner": "ops@example.com"}
    s3 = boto_client(gw)
    tag_set = s3.get_object_tagging(Bucket=bkt, Key="docs/plan.txt")["TagSet"]
    assert {t["Key"]: t["Value"] for t in tag_set} == {"project": "alpha", "owner": "ops@example.com"}
    view = root.get(f"{gw.url}/api/objects/view/{bkt}/{b64('docs/plan.txt')}").json()
    assert view["tags"] == {"project": "alpha", "owner": "ops@example.com"}
    # S3's rules, S3's refusals
    assert_error(root.put(url, json={"tags": {"aws:x": "1"}}), 400, "InvalidTag")
    assert_error(root.put(url, json={"tags": {f"k{i}": "v" for i in range(11)}}), 400, "InvalidTag")
    assert_error(root.put(url, json={"tags": {"a": "b,c"}}), 400, "InvalidTag")
    assert_error(root.put(url, json={"tags": ["a"]}), 400, "InvalidArgument")
    assert_error(root.put(url, json={"tags": {"a": 1}}), 400, "InvalidArgument")
    missing = f"{gw.url}/api/objects/tags/{bkt}/{b64('docs/none.txt')}"
    assert_error(root.put(missing, json={"tags": {"a": "b"}}), 404, "NoSuchKey")
    # a user that may read but not tag is refused, on the console as on S3
    make_user(gw, "tag-reader", "tag-reader-password-1", policies=["read-only"])
    reader = signed_in(gw, "tag-reader", "tag-reader-password-1")
    assert_error(reader.put(url, json={"tags": {"project": "beta"}}), 403, "AccessDenied")
    assert {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bkt, Key="docs/plan.txt")["TagSet"]} == {
        "project": "alpha",
        "owner": "ops@example.com",
    }
    # an empty set removes them
    assert root.put(url, json={"tags": {}}).json()["tags"] == {}
    assert s3.get_object_tagging(Bucket=bkt, Key="docs/plan.txt")["TagSet"] == []
