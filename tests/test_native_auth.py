"""SigV4 (service jcs) on the native API: unsigned, wrong keys, tampering, deferred upload
verification, presigned downloads, and per-key authorization (export keys)."""

import hashlib
import json

import requests
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from native_helpers import add_export_key, expect_error, full_hash, native, nbucket, npackage, raw_request  # noqa: F401

from gateway.client import NativeClient, build_form


def envelope(resp):
    body = resp.json()
    return resp.status_code, body["code"]


def test_unsigned_is_rejected(gateway):
    resp = raw_request(gateway, "GET", "/v1/bucket/listAll", sign=False)
    assert envelope(resp) == (401, "Unauthorized")
    assert resp.json()["data"] is None and resp.json()["message"]


def test_wrong_secret_key_and_service(gateway):
    assert envelope(raw_request(gateway, "GET", "/v1/bucket/listAll", secret="wrong")) == (401, "Unauthorized")
    assert envelope(raw_request(gateway, "GET", "/v1/bucket/listAll", access="NOSUCHKEY")) == (401, "Unauthorized")
    assert envelope(raw_request(gateway, "GET", "/v1/bucket/listAll", service="s3")) == (401, "Unauthorized")


def test_any_region(gateway):
    client = NativeClient(gateway.url, gateway.access_key, gateway.secret_key, region="cn-north-4")
    assert isinstance(client.list_buckets(), list)


def test_tampered_json_body(gateway, nbucket):
    creds = Credentials(gateway.access_key, gateway.secret_key)
    url = gateway.url + "/v1/package/create"
    signed_body = json.dumps({"bucketID": nbucket["bucketID"], "name": "a"}).encode()
    request = AWSRequest(method="POST", url=url, data=signed_body, headers={"Content-Type": "application/json"})
    SigV4Auth(creds, "jcs", "us-east-1").add_auth(request)
    evil = json.dumps({"bucketID": nbucket["bucketID"], "name": "b"}).encode()
    resp = requests.post(url, headers=dict(request.headers.items()), data=evil)
    assert envelope(resp) == (401, "Unauthorized")


def test_declared_hash_must_match_json_body(gateway, nbucket):
    body = json.dumps({"bucketID": nbucket["bucketID"], "name": "x"}).encode()
    headers = {"Content-Type": "application/json", "X-Amz-Content-SHA256": hashlib.sha256(b"other").hexdigest()}
    resp = raw_request(gateway, "POST", "/v1/package/create", body=body, headers=headers)
    assert resp.json()["code"] in ("BadArgument", "Unauthorized") and resp.status_code in (400, 401)


def _signed_form(gateway, info, files, *, tamper=False, header=None):
    with build_form(info, [("files", p, d) for p, d in files]) as (body, ctype, digest):
        data = body.read()
    headers = {"Content-Type": ctype}
    if header == "unsigned":
        headers["X-Amz-Content-SHA256"] = "UNSIGNED-PAYLOAD"
    elif header == "hash":
        headers["X-Amz-Content-SHA256"] = digest
    creds = Credentials(gateway.access_key, gateway.secret_key)
    url = gateway.url + "/v1/object/upload"
    request = AWSRequest(method="POST", url=url, data=data, headers=headers)
    SigV4Auth(creds, "jcs", "us-east-1").add_auth(request)
    if tamper:
        data = data.replace(b"good data", b"evil data")
    return requests.post(url, headers=dict(request.headers.items()), data=data)


def test_deferred_upload_signature_verified_before_commit(gateway, native, npackage):
    info = {"packageID": npackage["packageID"]}
    resp = _signed_form(gateway, info, [("f.txt", b"good data")], tamper=True)
    assert envelope(resp) == (401, "Unauthorized")
    assert native.package_objects(npackage["packageID"]) == []
    resp = _signed_form(gateway, info, [("f.txt", b"good data")])
    assert envelope(resp) == (200, "OK")
    assert resp.json()["data"]["uploadeds"][0]["fileHash"] == full_hash(b"good data")


def test_declared_hash_upload_mismatch_commits_nothing(gateway, native, npackage):
    info = {"packageID": npackage["packageID"]}
    resp = _signed_form(gateway, info, [("f.txt", b"good data")], tamper=True, header="hash")
    assert resp.status_code in (400, 401) and resp.json()["code"] != "OK"
    assert native.package_objects(npackage["packageID"]) == []
    resp = _signed_form(gateway, info, [("f.txt", b"good data")], header="hash")
    assert envelope(resp) == (200, "OK")


def test_unsigned_payload_upload(gateway, native, npackage):
    resp = _signed_form(gateway, {"packageID": npackage["packageID"]}, [("u.txt", b"good data")], header="unsigned")
    assert envelope(resp) == (200, "OK")
    assert native.package_objects(npackage["packageID"])[0]["path"] == "u.txt"


def test_unsigned_upload_rejected_before_reading(gateway, npackage):
    with build_form({"packageID": npackage["packageID"]}, [("files", "x", b"data")]) as (body, ctype, _):
        resp = requests.post(gateway.url + "/v1/object/upload", data=body.read(), headers={"Content-Type": ctype})
    assert envelope(resp) == (401, "Unauthorized")


def test_presigned_download(gateway, native, npackage):
    uploaded = native.upload(npackage["packageID"], [("p.txt", b"presigned bytes")])[0]
    url = f"{gateway.url}/v1/object/download?objectID={uploaded['objectID']}"
    request = AWSRequest(method="GET", url=url)
    SigV4QueryAuth(Credentials(gateway.access_key, gateway.secret_key), "jcs", "us-east-1", expires=60).add_auth(
        request
    )
    resp = requests.get(request.url)
    assert resp.status_code == 200 and resp.content == b"presigned bytes"


def test_export_key_is_confined_to_its_bucket(gateway, native, nbucket, npackage):
    other = native.create_bucket(nbucket["name"] + "-o")
    access, secret = add_export_key(gateway, nbucket["bucketID"])
    scoped = NativeClient(gateway.url, access, secret)
    assert [b["name"] for b in scoped.list_buckets()] == [nbucket["name"]]
    uploaded = scoped.upload(npackage["packageID"], [("mine.txt", b"1")])[0]
    assert scoped.download(uploaded["objectID"]) == b"1"
    expect_error("Unauthorized", 403, scoped.get_bucket, other["name"])
    expect_error("Unauthorized", 403, scoped.create_package, other["bucketID"], "p")
    expect_error("Unauthorized", 403, scoped.create_bucket, nbucket["name"] + "-x")


def test_readonly_and_appendonly_keys(gateway, native, nbucket, npackage):
    existing = native.upload(npackage["packageID"], [("e.txt", b"old")])[0]
    access, secret = add_export_key(gateway, nbucket["bucketID"], readonly=True)
    reader = NativeClient(gateway.url, access, secret)
    assert reader.download(existing["objectID"]) == b"old"
    expect_error("Unauthorized", 403, reader.upload, npackage["packageID"], [("n.txt", b"new")])
    expect_error("Unauthorized", 403, reader.delete, [existing["objectID"]])
    access, secret = add_export_key(gateway, nbucket["bucketID"], appendonly=True)
    appender = NativeClient(gateway.url, access, secret)
    appender.upload(npackage["packageID"], [("fresh.txt", b"new")])
    expect_error("Unauthorized", 403, appender.upload, npackage["packageID"], [("e.txt", b"overwrite")])
    expect_error("Unauthorized", 403, appender.delete, [existing["objectID"]])
    assert native.download(existing["objectID"]) == b"old"


def test_refused_upload_leaves_no_blob_behind(gateway, npackage):
    def blob_files():
        return sorted(p for p in (gateway.data_dir / "blobs").rglob("*") if p.is_file())

    before = blob_files()
    resp = _signed_form(gateway, {"packageID": npackage["packageID"]}, [("f.txt", b"good data" * 1000)], tamper=True)
    assert envelope(resp) == (401, "Unauthorized")
    assert blob_files() == before
