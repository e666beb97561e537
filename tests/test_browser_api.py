"""Browser API (/api, seed 003's shapes) and the /console app's serving: sign-in, sessions,
CSRF, buckets, objects, search, streamed upload and download, SSE upload progress with
one-time tickets, and per-path rules enforced alike here and on S3."""

from __future__ import annotations

import json
import os
import threading
import uuid

import pytest
import requests
from botocore.exceptions import ClientError
from browser_fixtures import bkt, gw, root  # noqa: F401  (fixtures)
from browser_helpers import XRW, admin, b64, console, make_user, signed_in, user_key
from conftest import boto_client, start_gateway, stop_gateway


def upload(session, gw, bucket, key, data, upload_id=None, content_type="application/octet-stream"):
    url = f"{gw.url}/api/objects/upload/{bucket}/{b64(key)}"
    return session.post(
        url, params={"uploadId": upload_id} if upload_id else None, files={"file": (key, data, content_type)}
    )


# ------------------------------------------------------------------ the app and the redirect


def test_browser_opening_root_is_sent_to_the_console(gw):
    page = requests.get(gw.url + "/", headers={"Accept": "text/html,*/*"}, allow_redirects=False)
    assert page.status_code == 302 and page.headers["Location"] == "/console/"
    s3_client = requests.get(gw.url + "/", headers={"Accept": "*/*"}, allow_redirects=False)
    assert s3_client.status_code == 403 and b"<Error>" in s3_client.content  # an S3 client still gets S3
    signed = requests.get(gw.url + "/", headers={"Accept": "text/html", "Authorization": "AWS4-HMAC-SHA256 x"})
    assert b"<Error>" in signed.content
    presigned = requests.get(gw.url + "/?X-Amz-Algorithm=AWS4-HMAC-SHA256", headers={"Accept": "text/html"})
    assert presigned.status_code != 302 and b"<Error>" in presigned.content


def test_console_app_is_served_with_a_strict_policy(gw):
    index = requests.get(gw.url + "/console/")
    assert index.status_code == 200 and index.headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in index.headers["Content-Security-Policy"]
    assert '<script type="module" src="/console/app.js">' in index.text
    script = requests.get(gw.url + "/console/app.js")
    assert script.status_code == 200 and script.headers["Content-Type"].startswith("text/javascript")
    assert requests.get(gw.url + "/console/style.css").headers["Content-Type"].startswith("text/css")
    # client-side routes answer the app; nothing outside the static folder is reachable
    assert requests.get(gw.url + "/console/buckets/x").text == index.text
    escaped = requests.get(gw.url + "/console/%2e%2e/%2e%2e/routes.py")
    assert escaped.text == index.text


# ------------------------------------------------------------------ sign-in and sessions


def test_auth_info_and_login_shapes(gw):
    info = requests.get(f"{gw.url}/api/auth/info").json()
    assert info["authEnabled"] is True
    response = requests.post(f"{gw.url}/api/auth/login", json={"username": gw.access_key, "password": gw.secret_key})
    body = response.json()
    assert response.status_code == 200 and body["expiresIn"] == 8 * 3600
    assert body["user"]["roles"] == ["admin"] and body["user"]["username"]
    header, payload, _ = body["token"].split(".")
    assert json.loads(__import__("base64").urlsafe_b64decode(header + "==")) == {"alg": "HS256", "typ": "JWT"}
    cookie = response.headers["Set-Cookie"]
    assert "s4_auth_token=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # plain http here; see test_cookie_is_secure_over_tls
    me = requests.get(f"{gw.url}/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json()["admin"] is True


def test_signing_key_is_private(gw, root):
    assert (gw.data_dir / "console-jwt.key").stat().st_mode & 0o777 == 0o600


def test_wrong_password_and_missing_fields(gw):
    wrong = requests.post(f"{gw.url}/api/auth/login", json={"username": "nobody", "password": "nope-nope"})
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "Unauthorized", "message": "Invalid username or password"}
    missing = requests.post(f"{gw.url}/api/auth/login", json={"username": "x"})
    assert missing.status_code == 400 and missing.json()["error"] == "InvalidArgument"
    garbage = requests.post(f"{gw.url}/api/auth/login", data=b"{nope")
    assert garbage.status_code == 400 and garbage.json()["error"] == "MalformedJSON"


def test_users_sign_in_with_their_password_and_logout_revokes(gw):
    make_user(gw, "carol", "carol-password-1", policies=["read-only"])
    session = signed_in(gw, "carol", "carol-password-1")
    token = session.token
    me = session.get(f"{gw.url}/api/auth/me").json()
    assert me["user"]["username"] == "carol" and me["user"]["roles"] == ["user"] and me["policies"] == ["read-only"]
    assert signed_in(gw, "root/carol", "carol-password-1")  # account/name picks the account
    assert session.post(f"{gw.url}/api/auth/logout").status_code == 200
    bearer = {"Authorization": f"Bearer {token}"}
    after = requests.get(f"{gw.url}/api/auth/me", headers=bearer)
    assert after.status_code == 401 and "revoked" in after.json()["message"].lower()
    assert requests.get(f"{gw.url}/api/auth/me", cookies={"s4_auth_token": token}).status_code == 401


def test_password_change_and_disabling_end_sessions(gw):
    make_user(gw, "dave", "dave-password-1")
    session = signed_in(gw, "dave", "dave-password-1")
    assert session.get(f"{gw.url}/api/auth/me").status_code == 200
    assert console(gw, "PUT", "/accounts/root/users/dave", {"password": "dave-password-2"}).status_code == 200
    assert session.get(f"{gw.url}/api/auth/me").status_code == 401
    session = signed_in(gw, "dave", "dave-password-2")
    assert console(gw, "PUT", "/accounts/root/users/dave", {"disabled": True}).status_code == 200
    assert session.get(f"{gw.url}/api/auth/me").status_code == 401
    refused = requests.post(f"{gw.url}/api/auth/login", json={"username": "dave", "password": "dave-password-2"})
    assert refused.status_code == 401


def test_forged_and_expired_tokens(gw, root):
    token = root.token
    head, body, mac = token.split(".")
    forged = f"{head}.{body}.{mac[:-2]}AA"
    for bad in (forged, "a.b.c", "garbage", f"{head}.{body}."):
        response = requests.get(f"{gw.url}/api/auth/me", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401 and response.json()["message"] == "Invalid token"
    none_alg = __import__("base64").urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode() + f".{body}."
    assert requests.get(f"{gw.url}/api/auth/me", headers={"Authorization": f"Bearer {none_alg}"}).status_code == 401
    assert requests.get(f"{gw.url}/api/auth/me").status_code == 401


def test_cookie_requests_that_change_state_need_the_csrf_header(gw, root):
    cookie_only = requests.Session()
    cookie_only.cookies.set("s4_auth_token", root.token)
    name = f"csrf-{uuid.uuid4().hex[:8]}"
    refused = cookie_only.post(f"{gw.url}/api/buckets", json={"bucketName": name})
    assert refused.status_code == 403 and "X-Requested-With" in refused.json()["message"]
    assert cookie_only.get(f"{gw.url}/api/buckets").status_code == 200  # reads need no header
    assert cookie_only.post(f"{gw.url}/api/buckets", json={"bucketName": name}, headers=XRW).status_code == 201
    bearer = requests.delete(f"{gw.url}/api/buckets/{name}", headers={"Authorization": f"Bearer {root.token}"})
    assert bearer.status_code == 200  # a bearer token is never sent by a browser on its own
    preflight = requests.options(f"{gw.url}/api/buckets", headers={"Origin": "http://evil.example"})
    assert preflight.status_code == 403 and "Access-Control-Allow-Origin" not in preflight.headers


def test_console_api_accepts_the_session(gw, root, bkt):
    volumes = root.get(f"{gw.url}/api/v1/volumes")
    assert volumes.status_code == 200 and bkt in [v["name"] for v in volumes.json()]
    users = root.get(f"{gw.url}/api/v1/accounts/root/users")
    assert users.status_code == 200
    cookie_only = requests.Session()
    cookie_only.cookies.set("s4_auth_token", root.token)
    assert cookie_only.post(f"{gw.url}/api/v1/accounts/root/users", json={"name": "zed"}).status_code == 403


def test_login_rate_limit(tmp_path):
    gw = start_gateway(tmp_path, "--workers", "1")  # shared across workers once a second: one decides at once
    try:
        for _ in range(5):
            wrong = requests.post(f"{gw.url}/api/auth/login", json={"username": "x", "password": "wrong-password"})
            assert wrong.status_code == 401
        limited = requests.post(f"{gw.url}/api/auth/login", json={"username": gw.access_key, "password": gw.secret_key})
        assert limited.status_code == 429
        body = limited.json()
        assert (
            body["error"] == "RateLimitExceeded" and body["retryAfter"] > 0 and int(limited.headers["Retry-After"]) > 0
        )
    finally:
        stop_gateway(gw)


def test_cookie_is_secure_over_tls(tmp_path):
    gw = start_gateway(tmp_path, tls=True)
    try:
        response = requests.post(
            f"{gw.url}/api/auth/login", json={"username": gw.access_key, "password": gw.secret_key}, verify=False
        )
        assert response.status_code == 200 and "Secure" in response.headers["Set-Cookie"]
    finally:
        stop_gateway(gw)


# ------------------------------------------------------------------ buckets


def test_buckets_create_list_delete(gw, root):
    name = f"bk-{uuid.uuid4().hex[:8]}"
    created = root.post(f"{gw.url}/api/buckets", json={"bucketName": name})
    assert created.status_code == 201
    listed = root.get(f"{gw.url}/api/buckets").json()
    assert name in [b["Name"] for b in listed["buckets"]]
    again = root.post(f"{gw.url}/api/buckets", json={"bucketName": name})
    assert again.status_code == 409 and again.json()["error"].startswith("BucketAlready")
    bad = root.post(f"{gw.url}/api/buckets", json={"bucketName": "Bad_Name"})
    assert bad.status_code == 400 and bad.json()["error"] == "InvalidBucketName"
    upload(root, gw, name, "x.txt", b"x")
    full = root.delete(f"{gw.url}/api/buckets/{name}")
    assert full.status_code == 409 and full.json()["error"] == "BucketNotEmpty"
    root.delete(f"{gw.url}/api/objects/{name}/{b64('x.txt')}")
    assert root.delete(f"{gw.url}/api/buckets/{name}").status_code == 200
    missing = root.delete(f"{gw.url}/api/buckets/{name}")
    assert missing.status_code == 404 and missing.json()["error"] == "NoSuchBucket"


# ------------------------------------------------------------------ objects


def test_upload_list_download_view_delete(gw, root, bkt):
    data = os.urandom(300_000)
    done = upload(root, gw, bkt, "docs/report 1.bin", data)
    assert done.status_code == 200 and done.json()["size"] == len(data)
    upload(root, gw, bkt, "top.txt", b"top", content_type="text/plain")
    top = root.get(f"{gw.url}/api/objects/{bkt}").json()
    assert [o["Key"] for o in top["objects"]] == ["top.txt"]
    assert top["prefixes"] == [{"Prefix": "docs/"}] and top["isTruncated"] is False
    inside = root.get(f"{gw.url}/api/objects/{bkt}/{b64('docs/')}").json()
    assert [(o["Key"], o["Size"]) for o in inside["objects"]] == [("docs/report 1.bin", len(data))]
    download = root.get(f"{gw.url}/api/objects/download/{bkt}/{b64('docs/report 1.bin')}")
    assert download.status_code == 200 and download.content == data
    assert download.headers["Content-Disposition"].startswith('attachment; filename="report 1.bin"')
    boto_client(gw).put_object_tagging(
        Bucket=bkt, Key="top.txt", Tagging={"TagSet": [{"Key": "team", "Value": "blue"}]}
    )
    view = root.get(f"{gw.url}/api/objects/view/{bkt}/{b64('top.txt')}").json()
    assert view["size"] == 3 and view["contentType"] == "text/plain" and view["tags"] == {"team": "blue"}
    assert root.delete(f"{gw.url}/api/objects/{bkt}/{b64('top.txt')}").status_code == 200
    gone = root.get(f"{gw.url}/api/objects/view/{bkt}/{b64('top.txt')}")
    assert gone.status_code == 404 and gone.json()["error"] == "NoSuchKey"


def test_unicode_keys_and_bad_encodings(gw, root, bkt):
    key = "données/été ☃.txt"
    assert upload(root, gw, bkt, key, b"snow").status_code == 200
    assert root.get(f"{gw.url}/api/objects/download/{bkt}/{b64(key)}").content == b"snow"
    disposition = root.get(f"{gw.url}/api/objects/download/{bkt}/{b64(key)}").headers["Content-Disposition"]
    assert "filename*=UTF-8''%C3%A9t%C3%A9%20%E2%98%83.txt" in disposition
    bad = root.get(f"{gw.url}/api/objects/download/{bkt}/%%%")
    assert bad.status_code == 400
    not_utf8 = root.get(f"{gw.url}/api/objects/download/{bkt}/__8")
    assert not_utf8.status_code == 400 and not_utf8.json()["error"] == "InvalidArgument"


def test_pagination_and_search(gw, root, bkt):
    s3 = boto_client(gw)
    for i in range(7):
        s3.put_object(Bucket=bkt, Key=f"logs/app-{i}.log", Body=b"x")
    s3.put_object(Bucket=bkt, Key="logs/other.txt", Body=b"x")
    seen, token = [], None
    while True:
        params = {"maxKeys": 3, **({"continuationToken": token} if token else {})}
        page = root.get(f"{gw.url}/api/objects/{bkt}/{b64('logs/')}", params=params).json()
        seen += [o["Key"] for o in page["objects"]]
        if not page["isTruncated"]:
            break
        token = page["nextContinuationToken"]
    assert seen == [f"logs/app-{i}.log" for i in range(7)] + ["logs/other.txt"]
    starts = root.get(f"{gw.url}/api/objects/{bkt}/{b64('logs/')}", params={"q": "app-1", "mode": "startsWith"})
    assert [o["Key"] for o in starts.json()["objects"]] == ["logs/app-1.log"]
    contains = root.get(f"{gw.url}/api/objects/{bkt}", params={"q": "OTHER", "mode": "contains"})
    assert [o["Key"] for o in contains.json()["objects"]] == ["logs/other.txt"]
    bad = root.get(f"{gw.url}/api/objects/{bkt}", params={"maxKeys": "0"})
    assert bad.status_code == 400
    assert root.get(f"{gw.url}/api/objects/{bkt}", params={"q": "x", "mode": "fuzzy"}).status_code == 400


def test_contains_search_is_rate_limited(tmp_path):
    gw = start_gateway(tmp_path, "--workers", "1")  # workers share counts about once a second: one decides at once
    try:
        session = admin(gw)
        session.post(f"{gw.url}/api/buckets", json={"bucketName": "scan"})
        codes = [
            session.get(f"{gw.url}/api/objects/scan", params={"q": "a", "mode": "contains"}).status_code
            for _ in range(6)
        ]
        assert codes == [200] * 5 + [429]
        assert session.get(f"{gw.url}/api/objects/scan", params={"q": "a"}).status_code == 200  # startsWith is not
    finally:
        stop_gateway(gw)


def test_folder_delete_removes_everything_under_it(gw, root, bkt):
    for key in ("tmp/a", "tmp/b/c", "keep"):
        upload(root, gw, bkt, key, b"1")
    gone = root.delete(f"{gw.url}/api/objects/{bkt}/{b64('tmp/')}")
    assert gone.status_code == 200 and gone.json()["deleted"] == 2
    left = root.get(f"{gw.url}/api/objects/{bkt}").json()
    assert [o["Key"] for o in left["objects"]] == ["keep"] and left["prefixes"] == []


def test_upload_needs_a_file_part(gw, root, bkt):
    url = f"{gw.url}/api/objects/upload/{bkt}/{b64('x')}"
    no_form = root.post(url, data=b"raw", headers={"Content-Type": "application/octet-stream"})
    assert no_form.status_code == 400
    no_file = root.post(url, files={"other": ("x", b"1")})
    assert no_file.status_code == 400 and "'file'" in no_file.json()["message"]


def test_large_upload_streams_through(gw, root, bkt):
    """40 MiB sent as a generator (chunked): the server streams it into the object."""
    chunk = os.urandom(1024 * 1024)
    boundary = "junctionboundary"

    def body():
        yield f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big"\r\n\r\n'.encode()
        for _ in range(40):
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    response = root.post(
        f"{gw.url}/api/objects/upload/{bkt}/{b64('big')}",
        data=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 200 and response.json()["size"] == 40 * len(chunk)
    head = boto_client(gw).head_object(Bucket=bkt, Key="big")
    assert head["ContentLength"] == 40 * len(chunk)


# ------------------------------------------------------------------ SSE progress and tickets


def read_events(response):
    events = []
    for line in response.iter_lines(decode_unicode=True):
        if line and line.startswith("data: "):
            events.append(json.loads(line[6:]))
            if events[-1]["type"] != "progress":
                break
    return events


def test_upload_progress_over_sse_with_a_one_time_ticket(gw, root, bkt):
    upload_id = f"up-{uuid.uuid4().hex}"
    ticket = root.post(f"{gw.url}/api/auth/sse-ticket", json={"resource": upload_id, "resourceType": "upload"})
    body = ticket.json()
    assert ticket.status_code == 200 and body["expiresIn"] == 60 and body["sseUrl"].endswith(body["ticket"])
    stream = requests.get(gw.url + body["sseUrl"], stream=True, timeout=30)
    assert stream.status_code == 200 and stream.headers["Content-Type"].startswith("text/event-stream")
    events: list = []
    reader = threading.Thread(target=lambda: events.extend(read_events(stream)))
    reader.start()
    data = os.urandom(3 * 1024 * 1024)
    assert upload(root, gw, bkt, "watched.bin", data, upload_id).status_code == 200
    reader.join(30)
    assert events and events[-1]["type"] == "complete"
    assert events[-1]["upload"]["percent"] == 100 and events[-1]["upload"]["loaded"] == len(data)
    assert all(e["upload"]["id"] == upload_id for e in events)
    again = requests.get(gw.url + body["sseUrl"], timeout=10)
    assert again.status_code == 401 and again.json()["message"] == "Ticket already used"


def test_tickets_are_bound_to_their_resource_and_are_not_tokens(gw, root):
    ticket = root.post(f"{gw.url}/api/auth/sse-ticket", json={"resource": "one", "resourceType": "upload"}).json()
    other = requests.get(f"{gw.url}/api/objects/upload-progress/two?ticket={ticket['ticket']}", timeout=10)
    assert other.status_code == 401
    as_token = requests.get(f"{gw.url}/api/auth/me", headers={"Authorization": f"Bearer {ticket['ticket']}"})
    assert as_token.status_code == 401
    token_as_ticket = requests.get(f"{gw.url}/api/objects/upload-progress/one?ticket={root.token}", timeout=10)
    assert token_as_ticket.status_code == 401
    no_ticket = requests.get(f"{gw.url}/api/objects/upload-progress/one", timeout=10)
    assert no_ticket.status_code == 401
    bad_type = root.post(f"{gw.url}/api/auth/sse-ticket", json={"resource": "one", "resourceType": "shell"})
    assert bad_type.status_code == 400


# ------------------------------------------------------------------ per-path rules, here and on S3


def test_read_only_path_rule_is_enforced_in_the_console_and_on_s3(gw, root, bkt):
    upload(root, gw, bkt, "shared/readme.txt", b"read me")
    upload(root, gw, bkt, "private/secret.txt", b"no")
    rules = [
        {"bucket": bkt, "prefix": "shared/", "access": "read"},
        {"bucket": bkt, "prefix": "inbox/", "access": "write"},
    ]
    make_user(gw, "reader", "reader-password-1", rules=rules)
    reader = signed_in(gw, "reader", "reader-password-1")
    me = reader.get(f"{gw.url}/api/auth/me").json()
    assert me["paths"] == [f"{bkt}/shared/"] and me["paths_write"] == [f"{bkt}/inbox/"]
    listing = reader.get(f"{gw.url}/api/objects/{bkt}/{b64('shared/')}")
    assert listing.status_code == 200 and [o["Key"] for o in listing.json()["objects"]] == ["shared/readme.txt"]
    assert reader.get(f"{gw.url}/api/objects/download/{bkt}/{b64('shared/readme.txt')}").content == b"read me"
    refused = upload(reader, gw, bkt, "shared/new.txt", b"write")
    assert refused.status_code == 403 and refused.json()["error"] == "AccessDenied"
    assert reader.get(f"{gw.url}/api/objects/{bkt}/{b64('private/')}").status_code == 403
    assert reader.get(f"{gw.url}/api/objects/download/{bkt}/{b64('private/secret.txt')}").status_code == 403
    assert reader.delete(f"{gw.url}/api/objects/{bkt}/{b64('shared/readme.txt')}").status_code == 403
    assert upload(reader, gw, bkt, "inbox/drop.txt", b"ok").status_code == 200
    assert reader.post(f"{gw.url}/api/buckets", json={"bucketName": f"x{uuid.uuid4().hex[:8]}"}).status_code == 403
    # the same user's access key on S3: the same answers
    key = user_key(gw, "reader")
    s3 = boto_client(gw)
    s3._request_signer._credentials.access_key = key["access_key"]  # noqa: SLF001
    s3._request_signer._credentials.secret_key = key["secret_key"]  # noqa: SLF001
    assert s3.get_object(Bucket=bkt, Key="shared/readme.txt")["Body"].read() == b"read me"
    with pytest.raises(ClientError) as denied:
        s3.put_object(Bucket=bkt, Key="shared/new.txt", Body=b"write")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    s3.put_object(Bucket=bkt, Key="inbox/s3.txt", Body=b"ok")
