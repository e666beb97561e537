"""/v1/object/*: upload, download, listing, move, delete, clone, and S3 <-> native visibility."""

import hashlib
import re
from datetime import datetime

import pytest
import requests
from native_helpers import expect_error, full_hash, native, nbucket, npackage, raw_request  # noqa: F401

from gateway.client import build_form

BOTH_ENGINES = True  # the gateway fixture runs on SQLite and on PostgreSQL (conftest.ENGINES)

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")


# ------------------------------------------------------------------ upload


def test_upload_shapes_and_s3_view(native, s3, nbucket, npackage):
    files = [("test.txt", b"testdata"), ("a/b/test2.txt", b"testdata2"), ("sp ace+plus%.txt", b"")]
    uploaded = native.upload(npackage["packageID"], files)
    assert [u["path"] for u in uploaded] == [p for p, _ in files]
    for item, (path, data) in zip(uploaded, files, strict=True):
        assert item["packageID"] == npackage["packageID"]
        assert item["size"] == str(len(data)) and isinstance(item["size"], str)
        assert item["fileHash"] == full_hash(data)
        assert item["redundancy"] == {"type": "none"}
        assert RFC3339.match(item["createTime"]) and RFC3339.match(item["updateTime"])
        datetime.fromisoformat(item["createTime"])
        got = s3.get_object(Bucket=nbucket["name"], Key=f"pkg/{path}")
        assert got["Body"].read() == data
        assert got["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
        assert got["ContentLength"] == len(data)


def test_upload_to_root_package(native, s3, nbucket):
    root = native.get_package(nbucket["name"], "")
    uploaded = native.upload(root["packageID"], [("top.txt", b"top")])[0]
    assert s3.get_object(Bucket=nbucket["name"], Key="top.txt")["Body"].read() == b"top"
    assert native.download_by_path(f"{nbucket['name']}/top.txt") == b"top"
    assert uploaded["packageID"] == root["packageID"]
    # a root path with '/' would read back as another package: refused
    expect_error("BadArgument", 400, native.upload, root["packageID"], [("a/b.txt", b"x")])


def test_overwrite_keeps_id_and_replaces_bytes(native, npackage):
    first = native.upload(npackage["packageID"], [("o.txt", b"one")])[0]
    second = native.upload(npackage["packageID"], [("o.txt", b"two!")])[0]
    assert second["objectID"] == first["objectID"] and second["size"] == "4"
    assert native.download(first["objectID"]) == b"two!"


@pytest.mark.parametrize("path", ["../escape.txt", "a/../../b", "/abs.txt", "./x", "a/./b", "nul\x00.txt", ""])
def test_unsafe_paths_refused_and_nothing_written(native, npackage, path):
    expect_error("BadArgument", 400, native.upload, npackage["packageID"], [("good.txt", b"ok"), (path, b"bad")])
    assert native.package_objects(npackage["packageID"]) == []


def test_upload_edges(native, npackage):
    expect_error("DataNotFound", 404, native.upload, 987654321, [("x", b"x")])
    assert native.upload(npackage["packageID"], []) == []
    # affinity: 0 and unknown spaces fall back to the default space
    assert native.upload(npackage["packageID"], [("aff0", b"1")], affinity=0)[0]["size"] == "1"
    assert native.upload(npackage["packageID"], [("aff9", b"1")], affinity=999)[0]["size"] == "1"


def _post_form(native, body: bytes, content_type: str):
    return native.request("POST", "/v1/object/upload", body=body, headers={"Content-Type": content_type})


def _form(info, parts, boundary="XyZ"):
    out = b""
    if info is not None:
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="info"\r\n\r\n'.encode() + info + b"\r\n"
    for header, data in parts:
        out += f"--{boundary}\r\n{header}\r\n\r\n".encode() + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def test_malformed_multipart(native, npackage):
    info = f'{{"packageID": {npackage["packageID"]}}}'.encode()
    file_part = ('Content-Disposition: form-data; name="files"; filename="f.txt"', b"data")
    ctype = "multipart/form-data; boundary=XyZ"
    cases = [
        (_form(None, [file_part]), ctype),  # no info part first
        (_form(b"{not json", [file_part]), ctype),
        (_form(b"[1, 2]", [file_part]), ctype),
        (_form(b"{}", [file_part]), ctype),  # packageID missing
        (_form(info, [('Content-Disposition: form-data; name="other"; filename="f"', b"x")]), ctype),
        (_form(info, [('Content-Disposition: form-data; name="files"', b"no filename")]), ctype),
        (
            _form(
                info,
                [
                    (
                        'Content-Disposition: form-data; name="files"; filename="f"\r\n'
                        "Content-Transfer-Encoding: base64",
                        b"ZGF0YQ==",
                    )
                ],
            ),
            ctype,
        ),
        (_form(info, [file_part])[:-30], ctype),  # truncated: no closing boundary
        (b"garbage without boundaries", ctype),
        (_form(info, [file_part]), "application/json"),
        (_form(info, [file_part]), "multipart/form-data"),  # no boundary parameter
    ]
    for body, content_type in cases:
        resp = _post_form(native, body, content_type)
        assert resp.status_code == 400, (body, resp.text)
        assert resp.json()["code"] == "BadArgument", (body, resp.text)
    assert native.package_objects(npackage["packageID"]) == []
    # the well-formed version of the same body works
    assert _post_form(native, _form(info, [file_part]), ctype).json()["code"] == "OK"


# ------------------------------------------------------------------ download


def test_download_ranges_and_errors(native, npackage):
    data = bytes(range(256)) * 10
    obj = native.upload(npackage["packageID"], [("bin/r.bin", data)])[0]
    assert native.download(obj["objectID"]) == data
    assert native.download(obj["objectID"], offset=100) == data[100:]
    assert native.download(obj["objectID"], offset=100, length=50) == data[100:150]
    assert native.download(obj["objectID"], length=10) == data[:10]
    assert native.download(obj["objectID"], offset=2550, length=100) == data[2550:]
    assert native.download(obj["objectID"], offset=len(data)) == b""
    resp = native.request("GET", "/v1/object/download", query={"objectID": obj["objectID"]})
    assert resp.headers["Content-Type"] == "application/octet-stream"
    assert resp.headers["Content-Length"] == str(len(data))
    for query, code, status in [
        ({"objectID": 987654321}, "DataNotFound", 404),
        ({"objectID": obj["objectID"], "offset": len(data) + 1}, "BadArgument", 416),
        ({"objectID": obj["objectID"], "offset": -1}, "BadArgument", 400),
        ({"objectID": obj["objectID"], "length": -5}, "BadArgument", 400),
        ({"objectID": "abc"}, "BadArgument", 400),
        ({}, "BadArgument", 400),
    ]:
        resp = native.request("GET", "/v1/object/download", query=query)
        assert resp.headers["Content-Type"].startswith("application/json")
        assert (resp.status_code, resp.json()["code"]) == (status, code), query


def test_download_by_path(native, s3, nbucket, npackage):
    native.upload(npackage["packageID"], [("a/b/c.txt", b"deep")])
    assert native.download_by_path(f"{nbucket['name']}/pkg/a/b/c.txt") == b"deep"
    assert native.download_by_path(f"{nbucket['name']}/pkg/a/b/c.txt", offset=1, length=2) == b"ee"
    s3.put_object(Bucket=nbucket["name"], Key="pkg/from-s3.txt", Body=b"s3 bytes")
    assert native.download_by_path(f"{nbucket['name']}/pkg/from-s3.txt") == b"s3 bytes"
    for path, code in [
        (f"{nbucket['name']}/pkg/", "DataNotFound"),
        (f"{nbucket['name']}/pkg/none", "DataNotFound"),
        ("no-such-bucket-x/pkg/a", "DataNotFound"),
        (nbucket["name"], "BadArgument"),
    ]:
        resp = native.request("GET", "/v1/object/downloadByPath", query={"path": path})
        assert resp.json()["code"] == code, path


# ------------------------------------------------------------------ listing


def _paths(page):
    return [o["path"] for o in page["objects"]]


def test_list_by_path(native, npackage):
    files = ["a/1.txt", "a/2.txt", "a/b/3.txt", "a/c/4.txt", "z.txt", "a+b.txt"]
    native.upload(npackage["packageID"], [(f, f.encode()) for f in files])
    pid = npackage["packageID"]
    exact = native.list_by_path(pid, "a/1.txt")
    assert _paths(exact) == ["a/1.txt"] and exact["isTruncated"] is False and exact["commonPrefixes"] == []
    assert _paths(native.list_by_path(pid, "a/")) == []  # not a prefix search: exact path only
    assert _paths(native.list_by_path(pid, "a/", is_prefix=True)) == ["a/1.txt", "a/2.txt", "a/b/3.txt", "a/c/4.txt"]
    flat = native.list_by_path(pid, "a/", is_prefix=True, no_recursive=True)
    assert _paths(flat) == ["a/1.txt", "a/2.txt"] and flat["commonPrefixes"] == ["a/b/", "a/c/"]
    top = native.list_by_path(pid, "", is_prefix=True, no_recursive=True)
    assert _paths(top) == ["a+b.txt", "z.txt"] and top["commonPrefixes"] == ["a/"]
    assert _paths(native.list_by_path(pid, "a+", is_prefix=True)) == ["a+b.txt"]


def test_list_pagination(native, npackage):
    files = [f"d/{i:02d}.txt" for i in range(7)] + ["d/sub/x.txt", "d/sub2/y.txt"]
    native.upload(npackage["packageID"], [(f, b"1") for f in files])
    seen_objects, seen_prefixes, token, pages = [], [], None, 0
    while True:
        page = native.list_by_path(
            npackage["packageID"], "d/", is_prefix=True, no_recursive=True, max_keys=3, continuation_token=token
        )
        pages += 1
        assert len(page["objects"]) + len(page["commonPrefixes"]) <= 3
        seen_objects += _paths(page)
        seen_prefixes += page["commonPrefixes"]
        if not page["isTruncated"]:
            assert page["nextContinuationToken"] == ""
            break
        token = page["nextContinuationToken"]
        assert token
    assert seen_objects == files[:7] and seen_prefixes == ["d/sub/", "d/sub2/"] and pages == 3
    expect_error(
        "BadArgument",
        400,
        native.list_by_path,
        npackage["packageID"],
        "d/",
        is_prefix=True,
        continuation_token="%%%not-a-token",
    )


def test_root_package_listing_is_only_its_own(native, s3, nbucket, npackage):
    native.upload(npackage["packageID"], [("inner.txt", b"1")])
    s3.put_object(Bucket=nbucket["name"], Key="root1.txt", Body=b"r")
    s3.put_object(Bucket=nbucket["name"], Key="/abs/key", Body=b"r")
    root = native.get_package(nbucket["name"], "")
    everything = native.list_by_path(root["packageID"], "", is_prefix=True)
    assert _paths(everything) == ["/abs/key", "root1.txt"]
    flat = native.list_by_path(root["packageID"], "", is_prefix=True, no_recursive=True)
    assert _paths(flat) == ["root1.txt"] and flat["commonPrefixes"] == ["/"]
    assert [o["path"] for o in native.package_objects(root["packageID"])] == ["/abs/key", "root1.txt"]


def test_listing_edges(native, npackage):
    expect_error("DataNotFound", 404, native.list_by_path, 987654321, "", is_prefix=True)
    expect_error(
        "BadArgument",
        400,
        native.call,
        "GET",
        "/v1/object/listByPath",
        query={"packageID": npackage["packageID"], "isPrefix": "maybe"},
    )
    expect_error("DataNotFound", 404, native.package_objects, 987654321)
    expect_error("BadArgument", 400, native.call, "GET", "/v1/object/getPackageObjects")


def test_s3_objects_in_package_objects(native, s3, nbucket, npackage):
    s3.put_object(Bucket=nbucket["name"], Key="pkg/x/y.txt", Body=b"from s3")
    objects = native.package_objects(npackage["packageID"])
    assert [(o["path"], o["size"], o["fileHash"]) for o in objects] == [("x/y.txt", "7", full_hash(b"from s3"))]
    assert native.download(objects[0]["objectID"]) == b"from s3"


# ------------------------------------------------------------------ move, delete, clone


def test_move_keeps_id_and_reports_successes(native, s3, nbucket, npackage):
    other = native.create_package(nbucket["bucketID"], "other")
    a, b, c = native.upload(npackage["packageID"], [("a.txt", b"A"), ("b.txt", b"B"), ("c.txt", b"C")])
    native.upload(other["packageID"], [("taken.txt", b"T")])
    moves = [
        {"objectID": a["objectID"], "packageID": other["packageID"], "path": "moved/a.txt"},
        {"objectID": b["objectID"], "packageID": other["packageID"], "path": "taken.txt"},  # target exists
        {"objectID": 987654321, "packageID": other["packageID"], "path": "x"},  # unknown object
        {"objectID": c["objectID"], "packageID": npackage["packageID"], "path": "../c.txt"},  # unsafe path
        {"objectID": c["objectID"], "packageID": npackage["packageID"], "path": "renamed-c.txt"},
        "not an object",
    ]
    assert native.move(moves) == [a["objectID"], c["objectID"]]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=nbucket["name"])["Contents"]]
    assert keys == ["other/", "other/moved/a.txt", "other/taken.txt", "pkg/", "pkg/b.txt", "pkg/renamed-c.txt"]
    assert native.download(a["objectID"]) == b"A"
    assert native.download_by_path(f"{nbucket['name']}/other/taken.txt") == b"T"
    moved = [o for o in native.package_objects(other["packageID"]) if o["objectID"] == a["objectID"]][0]
    assert moved["path"] == "moved/a.txt" and moved["createTime"] == a["createTime"]
    expect_error("BadArgument", 400, native.call, "POST", "/v1/object/move", json_body={"movings": 3})


def test_move_across_buckets_and_out_of_implied_package(native, s3, nbucket):
    s3.put_object(Bucket=nbucket["name"], Key="implied/only.txt", Body=b"I")
    implied = native.get_package(nbucket["name"], "implied")
    obj = native.package_objects(implied["packageID"])[0]
    dest_bucket = native.create_bucket(nbucket["name"] + "-d")
    dest = native.create_package(dest_bucket["bucketID"], "in")
    assert native.move([{"objectID": obj["objectID"], "packageID": dest["packageID"], "path": "only.txt"}]) == [
        obj["objectID"]
    ]
    assert s3.get_object(Bucket=dest_bucket["name"], Key="in/only.txt")["Body"].read() == b"I"
    expect_error("DataNotFound", 404, native.get_package, nbucket["name"], "implied")


def test_delete_is_ok_when_absent(native, s3, nbucket, npackage):
    a, b = native.upload(npackage["packageID"], [("a", b"1"), ("b", b"2")])
    native.delete([a["objectID"], 987654321, a["objectID"]])
    assert [o["path"] for o in native.package_objects(npackage["packageID"])] == ["b"]
    native.delete([])
    assert s3.list_objects_v2(Bucket=nbucket["name"], Prefix="pkg/a").get("KeyCount") == 0
    expect_error("BadArgument", 400, native.delete, ["x"])
    expect_error("BadArgument", 400, native.call, "POST", "/v1/object/delete", json_body={})


def test_clone_shares_blocks(native, s3, nbucket, npackage):
    data = b"clone me" * 1000
    src = native.upload(npackage["packageID"], [("src.bin", data)])[0]
    other = native.create_package(nbucket["bucketID"], "copies")
    clones = native.clone(
        [
            {"objectID": src["objectID"], "newPath": "c1.bin", "newPackageID": other["packageID"]},
            {"objectID": src["objectID"], "newPath": "c2.bin", "newPackageID": npackage["packageID"]},
        ]
    )
    assert [c["path"] for c in clones] == ["c1.bin", "c2.bin"]
    assert all(c["fileHash"] == src["fileHash"] and c["size"] == src["size"] for c in clones)
    assert len({c["objectID"] for c in clones} | {src["objectID"]}) == 3
    native.delete([src["objectID"]])  # the clones keep their (shared) blocks
    assert native.download(clones[0]["objectID"]) == data
    got = s3.get_object(Bucket=nbucket["name"], Key="pkg/c2.bin")
    assert got["Body"].read() == data and got["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'


def test_clone_errors_are_all_or_nothing(native, npackage):
    src = native.upload(npackage["packageID"], [("s", b"s")])[0]
    good = {"objectID": src["objectID"], "newPath": "ok", "newPackageID": npackage["packageID"]}
    for bad, code, status in [
        ({"objectID": 987654321, "newPath": "x", "newPackageID": npackage["packageID"]}, "DataNotFound", 404),
        ({"objectID": src["objectID"], "newPath": "x", "newPackageID": 987654321}, "DataNotFound", 404),
        ({"objectID": src["objectID"], "newPath": "/abs", "newPackageID": npackage["packageID"]}, "BadArgument", 400),
        ({"objectID": src["objectID"], "newPackageID": npackage["packageID"]}, "BadArgument", 400),
    ]:
        expect_error(code, status, native.clone, [good, bad])
    assert [o["path"] for o in native.package_objects(npackage["packageID"])] == ["s"]


def test_upload_streams_through_requests_without_client(gateway, npackage):
    """Plain requests + botocore signer, body hash signed (no x-amz-content-sha256 header)."""
    with build_form({"packageID": npackage["packageID"]}, [("files", "r.txt", b"raw")]) as (body, ctype, _):
        resp = raw_request(gateway, "POST", "/v1/object/upload", body=body.read(), headers={"Content-Type": ctype})
    assert resp.json()["code"] == "OK"
    assert requests.get(gateway.url + "/health").json() == {"status": "ok"}
