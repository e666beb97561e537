"""Seed 004's file-server API (/api/finder, /api/new_file, ... gateway/files/) against a real
gateway: every route's answers and errors, every write read back through S3 (boto3) and the
native API byte-identical, per-path rules refusing writes on the file API and S3 alike, folder
zips checked with zipfile, and the role gate per endpoint."""

from __future__ import annotations

import base64
import io
import json
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from botocore.exceptions import ClientError
from browser_helpers import admin, console
from conftest import boto_client, meta_url, start_gateway, stop_gateway

from gateway.client import NativeClient

BOTH_ENGINES = True  # the role and settings tables are SQL of both engines


@pytest.fixture(scope="module")
def gw(tmp_path_factory, meta_engine):
    gateway = start_gateway(tmp_path_factory.mktemp(f"fileapi-{meta_engine}"), meta=meta_url(meta_engine))
    yield gateway
    stop_gateway(gateway)


class Api:
    """A file-API client: a bearer token or an X-API-KEY header."""

    def __init__(self, gw, headers: dict[str, str]) -> None:
        self.url = gw.url
        self.http = requests.Session()
        self.http.headers.update(headers)

    def get(self, route: str, **params):
        return self.http.get(f"{self.url}/api/{route}", params=params)

    def post(self, route: str, body=None, **kwargs):
        return self.http.post(f"{self.url}/api/{route}", json=body, **kwargs)


@pytest.fixture(scope="module")
def root(gw) -> Api:
    return Api(gw, {"Authorization": f"Bearer {admin(gw).token}"})


@pytest.fixture(scope="module")
def s3(gw):
    return boto_client(gw)


@pytest.fixture(scope="module")
def native(gw):
    return NativeClient(gw.url, gw.access_key, gw.secret_key)


@pytest.fixture
def bkt(root) -> str:
    name = f"fa-{uuid.uuid4().hex[:10]}"
    made = root.post("create_folder", {"folder_name": name, "path": "/"})
    assert made.status_code == 200 and made.json() == {"status": "Folder created", "path": f"/{name}"}, made.text
    return name


def new_user(root, gw, bkt, *, role="user", paths=(), paths_write=()):
    name = f"u{uuid.uuid4().hex[:8]}"
    made = root.post(
        "user/create",
        {
            "username": name,
            "password": f"{name}-password",
            "name": name.upper(),
            "role": role,
            "paths": json.dumps(list(paths)),
            "paths_write": json.dumps(list(paths_write)),
        },
    )
    assert made.status_code == 200, made.text
    token = requests.post(f"{gw.url}/api/user/login", json={"username": name, "password": f"{name}-password"})
    assert token.status_code == 200, token.text
    body = made.json()
    return (
        Api(gw, {"Authorization": f"Bearer {token.json()['token']}"}),
        Api(gw, {"X-API-KEY": f"{body['API_KEY']}:{body['secretKey']}"}),
        body,
    )


def both_ways(s3, native, bucket: str, key: str) -> list[bytes]:
    return [
        s3.get_object(Bucket=bucket, Key=key)["Body"].read(),
        native.download_by_path(f"{bucket}/{key}"),
    ]


# ------------------------------------------------------------------ files


def test_new_edit_get_rename_delete_file_read_back_everywhere(root, s3, native, bkt):
    made = root.post("new_file", {"file_name": "notes.txt", "path": f"/{bkt}/docs", "file_content": "héllo\n"})
    assert made.status_code == 200 and made.json() == {"status": "File created", "path": f"/{bkt}/docs/notes.txt"}
    assert both_ways(s3, native, bkt, "docs/notes.txt") == ["héllo\n".encode()] * 2
    got = root.get("get_file", file_path=f"/{bkt}/docs/notes.txt")
    assert got.json() == {"status": "File content retrieved", "content": "héllo\n", "type": "text"}

    again = root.post("new_file", {"file_name": "notes.txt", "path": f"/{bkt}/docs", "file_content": "x"})
    assert again.status_code == 409 and both_ways(s3, native, bkt, "docs/notes.txt")[0] == "héllo\n".encode()

    edited = root.post("edit_file", {"path": f"/{bkt}/docs/notes.txt", "file_content": "second version"})
    assert edited.status_code == 200 and edited.json() == {"status": "File edited", "path": f"/{bkt}/docs/notes.txt"}
    assert both_ways(s3, native, bkt, "docs/notes.txt") == [b"second version"] * 2
    assert root.post("edit_file", {"path": f"/{bkt}/docs/notes.txt"}).status_code == 200  # content defaults to ""
    assert both_ways(s3, native, bkt, "docs/notes.txt") == [b""] * 2

    renamed = root.post("rename_file", {"file_name": "notes.txt", "new_name": "renamed.md", "path": f"/{bkt}/docs"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json() == {"status": "File renamed", "path": f"/{bkt}/docs/renamed.md"}
    assert both_ways(s3, native, bkt, "docs/renamed.md") == [b""] * 2
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bkt, Key="docs/notes.txt")

    deleted = root.post("delete_file", {"path": f"/{bkt}/docs/renamed.md"})
    assert deleted.status_code == 200 and deleted.json() == {"status": "File deleted"}
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bkt, Key="docs/renamed.md")


def test_writes_are_ordinary_object_writes_versions_and_quotas(root, gw, s3, bkt):
    s3.put_bucket_versioning(Bucket=bkt, VersioningConfiguration={"Status": "Enabled"})
    root.post("new_file", {"file_name": "v.txt", "path": f"/{bkt}", "file_content": "one"})
    root.post("edit_file", {"path": f"/{bkt}/v.txt", "file_content": "two"})
    root.post("rename_file", {"file_name": "v.txt", "new_name": "w.txt", "path": f"/{bkt}"})
    versions = s3.list_object_versions(Bucket=bkt, Prefix="v.txt")
    olds = [
        s3.get_object(Bucket=bkt, Key="v.txt", VersionId=v["VersionId"])["Body"].read() for v in versions["Versions"]
    ]
    assert sorted(olds) == [b"one", b"two"] and versions["DeleteMarkers"][0]["IsLatest"]  # the rename's marker
    assert s3.get_object(Bucket=bkt, Key="w.txt")["Body"].read() == b"two"

    volume = next(v["id"] for v in console(gw, "GET", "/volumes").json() if v["name"] == bkt)
    quota = console(gw, "POST", f"/volumes/{volume}/quotas", {"path": "/capped", "size": 10})
    assert quota.status_code in (200, 201), quota.text
    assert root.post("new_file", {"file_name": "a", "path": f"/{bkt}/capped", "file_content": "x" * 8}).ok
    full = root.post("new_file", {"file_name": "b", "path": f"/{bkt}/capped", "file_content": "x" * 8})
    assert full.status_code == 507 and full.json()["code"] == "QuotaExceeded", full.text
    big = root.post("upload", data={"path": f"/{bkt}/capped"}, files={"file": ("c", b"y" * 100)})
    assert big.status_code == 507
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bkt, Prefix="capped/")["Contents"]] == ["capped/a"]


def test_file_errors(root, s3, bkt):
    cases = [
        (root.post("new_file", {"path": f"/{bkt}", "file_content": "x"}), 400, "No file name or content provided"),
        (root.post("new_file", {"file_name": "a.txt", "path": f"/{bkt}"}), 400, "No file name or content provided"),
        (root.post("delete_file", {}), 400, "No path provided"),
        (root.post("delete_file", {"path": f"/{bkt}/missing.txt"}), 404, "Path does not exist"),
        (root.post("edit_file", {}), 400, "No path provided"),
        (root.post("edit_file", {"path": f"/{bkt}/missing.txt", "file_content": "x"}), 404, "Path does not exist"),
        (root.get("get_file"), 400, "No file path provided"),
        (root.get("get_file", file_path=f"/{bkt}/missing.txt"), 404, "Path does not exist"),
        (root.get("get_file", file_path="/no-such-bucket-here/a.txt"), 404, "Path does not exist"),
        (root.post("rename_file", {"new_name": "b", "path": f"/{bkt}"}), 400, "No file name provided"),
        (root.post("rename_file", {"file_name": "a", "new_name": "b"}), 400, "No path provided"),
        (root.post("rename_file", {"file_name": "a", "new_name": "b", "path": f"/{bkt}"}), 404, "Path does not exist"),
    ]
    for response, status, error in cases:
        assert (response.status_code, response.json()["error"]) == (status, error), response.text
    climbing = root.post("new_file", {"file_name": "x", "path": f"/{bkt}/../other", "file_content": "x"})
    assert climbing.status_code == 400
    slash = root.post("new_file", {"file_name": "a/b", "path": f"/{bkt}", "file_content": "x"})
    assert slash.status_code == 400
    s3.put_object(Bucket=bkt, Key="one.txt", Body=b"1")
    s3.put_object(Bucket=bkt, Key="two.txt", Body=b"2")
    taken = root.post("rename_file", {"file_name": "one.txt", "new_name": "two.txt", "path": f"/{bkt}"})
    assert taken.status_code == 409 and s3.get_object(Bucket=bkt, Key="two.txt")["Body"].read() == b"2"
    anonymous = ({}, {"Authorization": "Bearer not-a-token"}, {"X-API-KEY": "JUNCTIONTESTKEY:wrong"})
    for headers in (*anonymous, {"X-API-KEY": "JUNCTIONTESTKEY"}):  # an access key id alone is no secret
        refused = requests.get(f"{root.url}/api/finder", params={"path": "/"}, headers=headers)
        assert refused.status_code == 401 and refused.json()["error"] == "Unauthorized", refused.text


def test_get_file_text_or_base64_by_mime_type(root, s3, bkt):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    s3.put_object(Bucket=bkt, Key="img/pic.png", Body=png, ContentType="image/png")
    s3.put_object(Bucket=bkt, Key="data.json", Body=b'{"a": 1}')
    s3.put_object(Bucket=bkt, Key="latin1.txt", Body="café".encode("latin-1"))
    pic = root.get("get_file", file_path=f"/{bkt}/img/pic.png").json()
    assert pic["type"] == "binary" and base64.b64decode(pic["content"]) == png
    assert root.get("get_file", file_path=f"/{bkt}/data.json").json()["type"] == "text"
    latin = root.get("get_file", file_path=f"/{bkt}/latin1.txt").json()  # text/plain, not UTF-8: base64
    assert latin["type"] == "binary" and base64.b64decode(latin["content"]) == "café".encode("latin-1")


def test_upload_streams_into_an_object(root, s3, native, bkt):
    data = bytes(range(256)) * 4096 + b"tail"  # 1 MiB and a bit
    up = root.post("upload", data={"path": f"/{bkt}/incoming"}, files={"file": ("blob.bin", data)})
    assert up.status_code == 200 and up.json()["status"] == "File uploaded", up.text
    assert both_ways(s3, native, bkt, "incoming/blob.bin") == [data, data]
    by_query = root.http.post(
        f"{root.url}/api/upload", params={"path": f"/{bkt}"}, files={"file": ("top.txt", b"at the root")}
    )
    assert by_query.status_code == 200 and both_ways(s3, native, bkt, "top.txt") == [b"at the root"] * 2
    none = root.post("upload", data={"path": f"/{bkt}"})
    assert none.status_code == 400 and none.json()["error"] == "No file provided"
    nowhere = root.post("upload", data={"path": "/"}, files={"file": ("x.txt", b"x")})
    assert nowhere.status_code == 400


def test_finder_lists_folders_and_files(root, s3, bkt):
    for key in ("a.txt", "pkg/b.txt", "pkg/sub/c.txt", "pkg/sub/d.txt"):
        s3.put_object(Bucket=bkt, Key=key, Body=key.encode())
    top = root.get("finder", path="/")
    assert top.status_code == 200 and bkt in top.json()["items"]
    listing = root.get("finder", path=f"/{bkt}").json()
    assert listing["items"] == ["pkg", "a.txt"]
    assert [e["type"] for e in listing["entries"]] == ["folder", "file"]
    assert root.get("finder", path=f"/{bkt}/pkg").json()["items"] == ["sub", "b.txt"]
    assert root.get("finder", path=f"/{bkt}/pkg/sub/").json()["items"] == ["c.txt", "d.txt"]
    missing = root.get("finder", path=f"/{bkt}/nothing")
    assert missing.status_code == 404 and missing.json()["error"] == "Path does not exist"
    assert root.get("finder", path="/no-such-bucket-x").status_code == 404


# ------------------------------------------------------------------ folders


def test_create_rename_delete_folders(root, s3, native, bkt):
    made = root.post("create_folder", {"folder_name": "reports", "path": f"/{bkt}"})
    assert made.status_code == 200 and made.json() == {"status": "Folder created", "path": f"/{bkt}/reports"}
    assert s3.head_object(Bucket=bkt, Key="reports/")["ContentLength"] == 0  # the package's marker
    assert native.get_package(bkt, "reports")["name"] == "reports"
    nested = root.post("create_folder", {"folder_name": "2026", "path": f"/{bkt}/reports"})
    assert nested.status_code == 200 and s3.head_object(Bucket=bkt, Key="reports/2026/")["ContentLength"] == 0
    assert root.post("create_folder", {"folder_name": "reports", "path": f"/{bkt}"}).status_code == 409
    assert root.post("create_folder", {"path": f"/{bkt}"}).json()["error"] == "No folder name provided"
    for name in ("q1.csv", "q2.csv"):
        root.post("new_file", {"file_name": name, "path": f"/{bkt}/reports/2026", "file_content": name})
    before = {o["Key"]: o["ETag"] for o in s3.list_objects_v2(Bucket=bkt, Prefix="reports/")["Contents"]}

    # a prefix inside a package
    inner = root.post("rename_folder", {"folder_name": "2026", "new_name": "y2026", "path": f"/{bkt}/reports"})
    assert inner.status_code == 200 and inner.json() == {"status": "Folder renamed", "path": f"/{bkt}/reports/y2026"}
    assert both_ways(s3, native, bkt, "reports/y2026/q1.csv") == [b"q1.csv"] * 2

    # a package: a package move, the blobs stay (same ETags, same bytes)
    moved = root.post("rename_folder", {"folder_name": "reports", "new_name": "archive", "path": f"/{bkt}"})
    assert moved.status_code == 200, moved.text
    after = {o["Key"]: o["ETag"] for o in s3.list_objects_v2(Bucket=bkt)["Contents"]}
    assert after == {k.replace("reports/", "archive/").replace("/2026/", "/y2026/"): v for k, v in before.items()}
    assert native.get_package(bkt, "archive")["name"] == "archive"
    assert both_ways(s3, native, bkt, "archive/y2026/q2.csv") == [b"q2.csv"] * 2
    assert root.get("finder", path=f"/{bkt}/reports").status_code == 404
    assert root.post("rename_folder", {"folder_name": "nope", "new_name": "x", "path": f"/{bkt}"}).status_code == 404

    assert root.post("delete_folder", {}).json()["error"] == "No path provided"
    assert root.post("delete_folder", {"path": f"/{bkt}/nope"}).status_code == 404
    gone = root.post("delete_folder", {"path": f"/{bkt}/archive"})
    assert gone.status_code == 200 and gone.json() == {"status": "Folder deleted"}
    assert s3.list_objects_v2(Bucket=bkt).get("KeyCount") == 0
    assert root.post("delete_folder", {"path": f"/{bkt}"}).status_code == 200  # an empty bucket
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket=bkt)


def test_folders_of_more_than_a_listing_page(root, s3, native, bkt):
    keys = [f"many/k{n:04}.txt" for n in range(1003)] + ["many/sub/", "many/sub/deep.txt"]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=bkt, Key=k, Body=k.encode()), keys))
    moved = root.post("rename_folder", {"folder_name": "many", "new_name": "lots", "path": f"/{bkt}"})
    assert moved.status_code == 200, moved.text
    listed = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bkt) for o in page["Contents"]]
    renamed = [k.replace("many/", "lots/", 1) for k in keys]
    assert sorted(listed) == sorted([*renamed, "lots/"])  # a renamed package is an explicit one: its marker
    assert both_ways(s3, native, bkt, "lots/k1002.txt") == [b"many/k1002.txt"] * 2
    gone = root.post("delete_folder", {"path": f"/{bkt}/lots"})
    assert gone.status_code == 200 and s3.list_objects_v2(Bucket=bkt)["KeyCount"] == 0


def test_download_a_file_and_a_folder_as_zip(root, s3, bkt):
    files = {f"tree/d{i % 7}/f{i:03}.bin": uuid.uuid4().bytes * (i + 1) for i in range(150)}
    files["tree/empty.txt"] = b""
    for key, body in files.items():
        s3.put_object(Bucket=bkt, Key=key, Body=body)
    one = root.get("download", file_path=f"/{bkt}/tree/d0/f000.bin")
    assert one.status_code == 200 and one.content == files["tree/d0/f000.bin"]
    assert "f000.bin" in one.headers["Content-Disposition"]
    folder = root.get("download", file_path=f"/{bkt}/tree")
    assert folder.status_code == 200 and folder.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(folder.content)) as archive:
        assert archive.testzip() is None
        got = {name: archive.read(name) for name in archive.namelist()}
    assert got == {key[len("tree/") :]: body for key, body in files.items()}
    assert root.get("download").json()["error"] == "No file path provided"
    absent = root.get("download", file_path=f"/{bkt}/none")
    assert absent.status_code == 404 and absent.json()["error"] == "File or folder does not exist"


# ------------------------------------------------------------------ per-path rules, API keys, roles


def test_read_only_path_rule_refuses_writes_on_file_api_and_s3(root, gw, s3, bkt):
    s3.put_object(Bucket=bkt, Key="shared/readme.txt", Body=b"read me")
    by_token, by_key, made = new_user(root, gw, bkt, paths=[f"{bkt}/shared/"], paths_write=[f"{bkt}/inbox/"])
    for api in (by_token, by_key):
        assert api.get("get_file", file_path=f"/{bkt}/shared/readme.txt").json()["content"] == "read me"
        refused = [
            api.post("new_file", {"file_name": "x.txt", "path": f"/{bkt}/shared", "file_content": "x"}),
            api.post("edit_file", {"path": f"/{bkt}/shared/readme.txt", "file_content": "changed"}),
            api.post("delete_file", {"path": f"/{bkt}/shared/readme.txt"}),
            api.post("rename_file", {"file_name": "readme.txt", "new_name": "r.txt", "path": f"/{bkt}/shared"}),
            api.post("upload", data={"path": f"/{bkt}/shared"}, files={"file": ("u.txt", b"u")}),
            api.post("create_folder", {"folder_name": "f", "path": f"/{bkt}/shared"}),
            api.post("delete_folder", {"path": f"/{bkt}/shared"}),
            # no probing: an absent file where the caller may not write is refused, not 404
            api.post("edit_file", {"path": f"/{bkt}/shared/absent.txt", "file_content": "x"}),
            api.post("rename_file", {"file_name": "absent.txt", "new_name": "b.txt", "path": f"/{bkt}/shared"}),
            api.get("download", file_path=f"/{bkt}/private/absent.txt"),
        ]
        for response in refused:
            assert response.status_code == 401 and response.json()["code"] == "AccessDenied", response.text
        wrote = api.post(
            "new_file", {"file_name": f"{uuid.uuid4().hex}.txt", "path": f"/{bkt}/inbox", "file_content": "ok"}
        )
        assert wrote.status_code == 200, wrote.text
        assert api.get("get_file", file_path=f"/{bkt}/other.txt").status_code == 401
    assert s3.get_object(Bucket=bkt, Key="shared/readme.txt")["Body"].read() == b"read me"
    user_s3 = boto_client(gw)
    user_s3 = __import__("boto3").client(
        "s3",
        endpoint_url=gw.url,
        aws_access_key_id=made["API_KEY"],
        aws_secret_access_key=made["secretKey"],
        region_name="us-east-1",
    )
    assert user_s3.get_object(Bucket=bkt, Key="shared/readme.txt")["Body"].read() == b"read me"
    with pytest.raises(ClientError) as denied:
        user_s3.put_object(Bucket=bkt, Key="shared/x.txt", Body=b"x")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"


def test_roles_gate_every_endpoint(root, gw, bkt):
    by_token, by_key, _ = new_user(root, gw, bkt, paths=[f"{bkt}/"], paths_write=[f"{bkt}/"])
    table = root.get("role/get")
    assert table.status_code == 200 and table.json()["/api/new_file"] == ["admin", "user"]
    assert table.json()["/api/role/edit"] == ["admin"]
    mine = by_token.get("role/self").json()
    assert mine["/api/new_file"] is True and mine["/api/role/edit"] is False
    assert by_token.get("role/get").status_code == 401  # admin-only
    assert by_key.post("role/edit", {"/api/finder": ["admin"]}).status_code == 401
    refused = root.post("role/edit", {"/api/user/create": ["admin", "user"]})
    assert refused.status_code == 400
    assert root.post("role/edit", {}).json()["error"] == "No roles provided"
    assert root.post("role/edit", {"/api/nothing": ["user"]}).status_code == 400

    edited = root.post("role/edit", {"/api/new_file": ["admin"], "/api/delete_file": []})
    assert edited.status_code == 200 and edited.json() == {"status": "Roles updated"}
    try:
        for api in (by_token, by_key):
            gated = api.post("new_file", {"file_name": "x.txt", "path": f"/{bkt}", "file_content": "x"})
            assert gated.status_code == 401 and gated.json()["code"] == "RoleDenied", gated.text
            assert api.get("finder", path=f"/{bkt}").status_code == 200  # other endpoints still open
        assert by_token.get("role/self").json()["/api/new_file"] is False
        assert root.post("new_file", {"file_name": "x.txt", "path": f"/{bkt}", "file_content": "x"}).status_code == 200
        assert root.get("role/get").json()["/api/delete_file"] == ["admin"]
    finally:
        assert root.post("role/edit", {"/api/new_file": ["admin", "user"], "/api/delete_file": ["user"]}).ok
    assert by_token.post("new_file", {"file_name": "y.txt", "path": f"/{bkt}", "file_content": "y"}).status_code == 200


def test_user_management_is_admin_only(root, gw, bkt):
    by_token, by_key, _ = new_user(root, gw, bkt)
    for api in (by_token, by_key):
        assert api.get("user/get_all").status_code in (401, 403)
        assert api.get("get_logs").status_code == 401
        assert api.post("update_settings", {"maxFilesPerPage": 50}).status_code == 401


# ------------------------------------------------------------------ logs, settings, version


def test_logs_settings_version(root, gw, bkt):
    root.post("new_file", {"file_name": "logged.txt", "path": f"/{bkt}", "file_content": "x"})
    logs = root.get("get_logs", limit="50")
    assert logs.status_code == 200
    entries = logs.json()
    assert entries and {"id", "timestamp", "action", "ip"} <= set(entries[0])
    assert [e["id"] for e in entries] == sorted((e["id"] for e in entries), reverse=True)
    assert any(e["method"] == "POST" and e["resource"] == f"{bkt}/logged.txt" for e in entries)

    settings = root.get("get_settings").json()
    assert settings["maxFilesPerPage"] == 100 and settings["zipCompressionLevel"] == 0
    assert settings == root.http.get(f"{root.url}/api/settings").json()["settings"]  # one store, seed 003's too
    assert root.post("update_settings", {}).json()["error"] == "No settings provided"
    assert root.post("update_settings", {"command": "rm -rf /"}).status_code == 400
    assert root.post("update_settings", {"maxFilesPerPage": "many"}).status_code == 400
    updated = root.post("update_settings", {"maxFilesPerPage": 10, "zipCompressionLevel": 6, "maxInlineFileSize": 4})
    assert updated.status_code == 200 and updated.json() == {"status": "Settings updated"}
    try:
        for n in range(12):
            root.post("new_file", {"file_name": f"f{n:02}", "path": f"/{bkt}", "file_content": "ab" * 100})
        page = root.get("finder", path=f"/{bkt}").json()
        assert len(page["items"]) == 10 and page["next"]
        rest = root.get("finder", path=f"/{bkt}", marker=page["next"]).json()
        assert rest["items"] and not set(rest["items"]) & set(page["items"])
        assert len(page["items"]) + len(rest["items"]) == 13  # and logged.txt
        folder = root.get("download", file_path=f"/{bkt}")
        with zipfile.ZipFile(io.BytesIO(folder.content)) as archive:
            info = archive.getinfo("f00")
            assert info.compress_type == zipfile.ZIP_DEFLATED and info.compress_size < info.file_size
            assert archive.read("f00") == b"ab" * 100
        too_big = root.get("get_file", file_path=f"/{bkt}/f00")
        assert too_big.status_code == 413 and "/api/download" in too_big.json()["message"]
    finally:
        restored = {"maxFilesPerPage": 100, "zipCompressionLevel": 0, "maxInlineFileSize": 8 * 1024 * 1024}
        assert root.post("update_settings", restored).ok
    version = root.get("get_version")
    assert version.status_code == 200 and version.json()["version"]


def test_wrong_api_keys_are_rate_limited(gw):
    """Five wrong keys a minute per address, then 429 (the processes share their counts about once a
    second, so a burst may get a few more 401s first)."""
    wrong = {"X-API-KEY": f"{gw.access_key}:not-the-secret"}
    answers = []
    while not answers or (answers[-1].status_code != 429 and len(answers) < 12):
        answers.append(requests.get(f"{gw.url}/api/finder", headers=wrong))
    assert [a.status_code for a in answers[:-1]] == [401] * (len(answers) - 1)
    assert answers[-1].status_code == 429 and int(answers[-1].headers["Retry-After"]) >= 1


@pytest.mark.parametrize("route", ["command", "shutdown", "restart", "update", "cloud/manage"])
def test_what_is_deliberately_not_there(root, route):
    refused = root.post(route, {"command": "id"})
    assert refused.status_code == 404 and "deliberately" in refused.json()["message"], refused.text
