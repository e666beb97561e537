"""Console API (/api/v1): the document's example client, token auth, volumes, exports,
quotas, and export flags enforced through boto3."""

import base64
import concurrent.futures as cf
import json
import time
import uuid

import console_example
import pytest
import requests
from botocore.exceptions import ClientError
from conftest import boto_client, start_gateway, stop_gateway

BOTH_ENGINES = True  # the gateway fixture runs on SQLite and on PostgreSQL (conftest.ENGINES)


def call(gw, method, path, data=None, query=None, *, key=None, secret=None, timestamp=None, token=None):
    """Sign a console request exactly as the example client does."""
    url = f"{gw.url}/api/v1{path}"
    req = requests.Request(method, url, params=query, json=data).prepare()
    body = req.body or b""
    ts = int(time.time()) if timestamp is None else timestamp
    host = url.split("/")[2]
    signature = console_example.sign(secret or gw.secret_key, ts, method, f"/api/v1{path}", {"Host": host}, query, body)
    auth = {"access_key": key or gw.access_key, "timestamp": ts, "signature": signature, "version": 1}
    req.headers["Authorization"] = token or base64.b64encode(json.dumps(auth).encode()).decode()
    return requests.Session().send(req)


def volume_id(gw, name):
    volumes = call(gw, "GET", "/volumes").json()
    return next(v["id"] for v in volumes if v["name"] == name)


def test_document_example_client_works_unchanged(tmp_path):
    gw = start_gateway(tmp_path)
    try:
        boto_client(gw).create_bucket(Bucket="example-volume")
        console_example.API_URL = f"{gw.url}/api/v1"
        console_example.access_key, console_example.secret_key = gw.access_key, gw.secret_key
        volumes = console_example.get_volumes().json()
        assert [(v["id"], v["name"]) for v in volumes] == [(1, "example-volume")]
        created = console_example.create_volume_export()
        assert created.status_code == 201 and created.json()["secret_key"]
        assert console_example.get_volume_exports().json()[0]["desc"] == "for mount"
        assert console_example.update_volume_export().status_code == 200
        quota = console_example.create_volume_quota().json()
        assert quota["path"] == "/path/to/subdir" and quota["inodes"] == 1 << 20
        assert [q["id"] for q in console_example.get_volume_quotas().json()] == [quota["id"]]
        assert console_example.update_volume_quota().status_code == 404  # quota 9 does not exist
        assert console_example.delete_volume().status_code == 204
        assert console_example.get_volumes().json() == []
    finally:
        stop_gateway(gw)


def test_stale_forged_unknown_and_replayed_tokens(gateway):
    assert call(gateway, "GET", "/volumes").status_code == 200
    stale = call(gateway, "GET", "/volumes", timestamp=int(time.time()) - 400)
    assert stale.status_code == 401 and stale.json()["error"]["code"] == "Unauthorized"
    assert call(gateway, "GET", "/volumes", secret="forged").status_code == 401
    assert call(gateway, "GET", "/volumes", key="NOSUCHKEY").status_code == 401
    assert call(gateway, "GET", "/volumes", token="not base64 json!").status_code == 401
    assert requests.get(f"{gateway.url}/api/v1/volumes").status_code == 401


def test_replayed_state_changing_token_is_refused(gateway, bucket):
    vid = volume_id(gateway, bucket)
    first = call(gateway, "POST", f"/volumes/{vid}/quotas", data={"path": "/replay", "size": 5})
    assert first.status_code == 201
    replay = requests.Session().send(first.request)
    assert replay.status_code == 401 and "already used" in replay.json()["error"]["message"]
    assert len(call(gateway, "GET", f"/volumes/{vid}/quotas").json()) == 1


def test_a_token_is_accepted_once_by_all_workers_together(tmp_path):
    """Workers share one record of used tokens: a replay reaching another worker is refused too."""
    gw = start_gateway(tmp_path, "--workers", "2")
    try:
        boto_client(gw).create_bucket(Bucket="replays")
        vid = volume_id(gw, "replays")
        first = call(gw, "POST", f"/volumes/{vid}/quotas", data={"path": "/once", "size": 5})
        assert first.status_code == 201
        with cf.ThreadPoolExecutor(8) as pool:  # fresh connections, spread over both workers
            replays = list(pool.map(lambda _: requests.Session().send(first.request).status_code, range(24)))
        assert replays == [401] * 24
        assert len(call(gw, "GET", f"/volumes/{vid}/quotas").json()) == 1
    finally:
        stop_gateway(gw)


def test_query_is_signed(gateway):
    good = call(gateway, "GET", "/volumes", query={"a": ["2", "1"], "b": "x y"})
    assert good.status_code == 200
    tampered = good.request.copy()
    tampered.url = tampered.url.replace("b=x", "b=z")
    assert requests.Session().send(tampered).status_code == 401


def test_volumes_usage_and_delete(gateway, s3, bucket):
    s3.put_object(Bucket=bucket, Key="p/a", Body=b"12345")
    s3.put_object(Bucket=bucket, Key="b", Body=b"678")
    vid = volume_id(gateway, bucket)
    volume = call(gateway, "GET", f"/volumes/{vid}").json()
    assert volume["name"] == bucket and volume["usage"] == {"size": 8, "inodes": 2}
    refused = call(gateway, "DELETE", f"/volumes/{vid}")
    assert refused.status_code == 409 and "force" in refused.json()["error"]["message"]
    assert call(gateway, "DELETE", f"/volumes/{vid}", query={"force": "true"}).status_code == 204
    assert call(gateway, "GET", f"/volumes/{vid}").status_code == 404
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket=bucket)


def test_unknown_ids_and_invalid_bodies(gateway, bucket):
    vid = volume_id(gateway, bucket)
    assert call(gateway, "GET", "/volumes/999999").status_code == 404
    assert call(gateway, "PUT", f"/volumes/{vid}/exports/999999", data={"desc": "x"}).status_code == 404
    assert call(gateway, "DELETE", f"/volumes/{vid}/quotas/999999").status_code == 404
    bad = call(gateway, "POST", f"/volumes/{vid}/exports", data={"iprange": "not-a-cidr"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "iprange"
    bad = call(gateway, "POST", f"/volumes/{vid}/exports", data={"readonly": "yes"})
    assert bad.json()["error"]["field"] == "readonly"
    bad = call(gateway, "POST", f"/volumes/{vid}/quotas", data={"path": "relative", "size": 1})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "path"
    bad = call(gateway, "POST", f"/volumes/{vid}/quotas", data={"path": "/a/../b", "size": 1})
    assert bad.json()["error"]["field"] == "path"
    bad = call(gateway, "POST", f"/volumes/{vid}/quotas", data={"path": "/a", "size": -1})
    assert bad.json()["error"]["field"] == "size"


def test_export_crud_never_shows_the_secret_twice(gateway, bucket):
    vid = volume_id(gateway, bucket)
    created = call(gateway, "POST", f"/volumes/{vid}/exports", data={"desc": "d", "readonly": True}).json()
    assert created["secret_key"] and created["readonly"] is True
    listed = call(gateway, "GET", f"/volumes/{vid}/exports").json()
    assert [e["id"] for e in listed] == [created["id"]] and "secret_key" not in listed[0]
    updated = call(gateway, "PUT", f"/volumes/{vid}/exports/{created['id']}", data={"readonly": False}).json()
    assert updated["readonly"] is False and updated["desc"] == "d"
    assert call(gateway, "DELETE", f"/volumes/{vid}/exports/{created['id']}").status_code == 204
    assert call(gateway, "GET", f"/volumes/{vid}/exports").json() == []


def export_client(gateway, bucket, **flags):
    vid = volume_id(gateway, bucket)
    created = call(gateway, "POST", f"/volumes/{vid}/exports", data=flags).json()
    return boto_client(
        type(gateway)(**{**gateway.__dict__, "access_key": created["access_key"], "secret_key": created["secret_key"]})
    ), created


def denied(fn, *args, **kwargs):
    with pytest.raises(ClientError) as err:
        fn(*args, **kwargs)
    return err.value.response["Error"]["Code"] == "AccessDenied"


def test_export_is_confined_to_its_volume(gateway, s3, bucket):
    other = f"other-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=other)
    client, _ = export_client(gateway, bucket)
    client.put_object(Bucket=bucket, Key="mine", Body=b"x")
    assert client.get_object(Bucket=bucket, Key="mine")["Body"].read() == b"x"
    assert [b["Name"] for b in client.list_buckets()["Buckets"]] == [bucket]
    assert denied(client.put_object, Bucket=other, Key="x", Body=b"x")
    assert denied(client.list_objects_v2, Bucket=other)
    assert denied(client.create_bucket, Bucket=f"new-{uuid.uuid4().hex[:8]}")
    assert denied(client.delete_bucket, Bucket=bucket)


def test_readonly_export(gateway, s3, bucket):
    s3.put_object(Bucket=bucket, Key="r", Body=b"data")
    client, _ = export_client(gateway, bucket, readonly=True)
    assert client.get_object(Bucket=bucket, Key="r")["Body"].read() == b"data"
    assert denied(client.put_object, Bucket=bucket, Key="w", Body=b"x")
    assert denied(client.delete_object, Bucket=bucket, Key="r")
    assert denied(client.copy_object, Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "r"})
    assert denied(client.create_multipart_upload, Bucket=bucket, Key="m")
    assert s3.get_object(Bucket=bucket, Key="r")["Body"].read() == b"data"


def test_appendonly_export(gateway, s3, bucket):
    client, _ = export_client(gateway, bucket, appendonly=True)
    client.put_object(Bucket=bucket, Key="a", Body=b"first")
    assert denied(client.put_object, Bucket=bucket, Key="a", Body=b"second")
    assert denied(client.delete_object, Bucket=bucket, Key="a")
    assert denied(
        client.copy_object,
        Bucket=bucket,
        Key="a",
        CopySource={"Bucket": bucket, "Key": "a"},
        MetadataDirective="REPLACE",
    )
    upload = client.create_multipart_upload(Bucket=bucket, Key="a")["UploadId"]
    etag = client.upload_part(Bucket=bucket, Key="a", UploadId=upload, PartNumber=1, Body=b"mp")["ETag"]
    assert denied(
        client.complete_multipart_upload,
        Bucket=bucket,
        Key="a",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
    )
    assert s3.get_object(Bucket=bucket, Key="a")["Body"].read() == b"first"


def test_iprange_export(gateway, s3, bucket):
    allowed, _ = export_client(gateway, bucket, iprange="127.0.0.0/8")
    allowed.put_object(Bucket=bucket, Key="ip", Body=b"x")
    refused, _ = export_client(gateway, bucket, iprange="10.0.0.0/8, 192.168.0.0/16")
    assert denied(refused.get_object, Bucket=bucket, Key="ip")


def test_iprange_export_is_enforced_on_the_console(gateway, bucket):
    vid = volume_id(gateway, bucket)
    outside = call(gateway, "POST", f"/volumes/{vid}/exports", data={"iprange": "10.0.0.0/8"}).json()
    inside = call(gateway, "POST", f"/volumes/{vid}/exports", data={"iprange": "192.168.0.0/16, 127.0.0.0/8"}).json()
    for path in ("/volumes", f"/volumes/{vid}", f"/volumes/{vid}/quotas"):
        refused = call(gateway, "GET", path, key=outside["access_key"], secret=outside["secret_key"])
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "AccessDenied", path
        allowed = call(gateway, "GET", path, key=inside["access_key"], secret=inside["secret_key"])
        assert allowed.status_code == 200, path


def test_apionly_export_cannot_use_the_console(gateway, bucket):
    vid = volume_id(gateway, bucket)
    api_only = call(gateway, "POST", f"/volumes/{vid}/exports", data={"apionly": True}).json()
    plain = call(gateway, "POST", f"/volumes/{vid}/exports", data={}).json()
    refused = call(gateway, "GET", "/volumes", key=api_only["access_key"], secret=api_only["secret_key"])
    assert refused.status_code == 403
    seen = call(gateway, "GET", "/volumes", key=plain["access_key"], secret=plain["secret_key"])
    assert [v["id"] for v in seen.json()] == [vid]  # an export key sees only its own volume
    assert (
        call(
            gateway, "POST", f"/volumes/{vid}/exports", data={}, key=plain["access_key"], secret=plain["secret_key"]
        ).status_code
        == 403
    )


def test_quota_crud_and_usage(gateway, s3, bucket):
    vid = volume_id(gateway, bucket)
    quota = call(gateway, "POST", f"/volumes/{vid}/quotas", data={"path": "/pkg/sub", "size": 100}).json()
    assert quota["usage"] == {"size": 0, "inodes": 0}
    s3.put_object(Bucket=bucket, Key="pkg/sub/a", Body=b"x" * 60)
    s3.put_object(Bucket=bucket, Key="pkg/other", Body=b"x" * 60)  # outside the quota's path
    assert call(gateway, "GET", f"/volumes/{vid}/quotas/{quota['id']}").json()["usage"] == {"size": 60, "inodes": 1}
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="pkg/sub/b", Body=b"x" * 41)
    assert err.value.response["Error"]["Code"] == "QuotaExceeded"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    s3.put_object(Bucket=bucket, Key="pkg/sub/a", Body=b"x" * 100)  # overwrite: only the growth counts
    updated = call(gateway, "PUT", f"/volumes/{vid}/quotas/{quota['id']}", data={"size": 200, "inodes": 1}).json()
    assert updated["size"] == 200 and updated["inodes"] == 1
    with pytest.raises(ClientError):
        s3.copy_object(Bucket=bucket, Key="pkg/sub/copy", CopySource={"Bucket": bucket, "Key": "pkg/other"})
    assert call(gateway, "DELETE", f"/volumes/{vid}/quotas/{quota['id']}").status_code == 204
    s3.copy_object(Bucket=bucket, Key="pkg/sub/copy", CopySource={"Bucket": bucket, "Key": "pkg/other"})


def test_quota_holds_under_20_concurrent_uploads(gateway, s3, bucket):
    vid = volume_id(gateway, bucket)
    limit, size = 10 * 1000, 1000  # room for exactly 10 of the 20 uploads
    quota = call(gateway, "POST", f"/volumes/{vid}/quotas", data={"path": "/", "size": limit}).json()
    clients = [boto_client(gateway) for _ in range(20)]

    def upload(i):
        try:
            clients[i].put_object(Bucket=bucket, Key=f"c/{i}", Body=bytes([i]) * size)
            return "ok"
        except ClientError as exc:
            return exc.response["Error"]["Code"]

    with cf.ThreadPoolExecutor(20) as pool:
        outcomes = list(pool.map(upload, range(20)))
    assert outcomes.count("ok") == 10 and outcomes.count("QuotaExceeded") == 10
    usage = call(gateway, "GET", f"/volumes/{vid}/quotas/{quota['id']}").json()["usage"]
    assert usage == {"size": limit, "inodes": 10}
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert len(listed) == 10 and sum(o["Size"] for o in listed) == limit


def test_openapi_document(gateway):
    spec = requests.get(f"{gateway.url}/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/volumes/{volume}/quotas" in spec["paths"]
    assert "/v1/object/upload" in spec["paths"]


def test_bucket_named_api_is_reserved(s3):
    with pytest.raises(ClientError) as err:
        s3.create_bucket(Bucket="api")
    assert err.value.response["Error"]["Code"] == "InvalidBucketName"


def test_admin_cli_keys_work_on_console_and_s3(tmp_path):
    import subprocess
    import sys

    gw = start_gateway(tmp_path)
    try:
        out = subprocess.run(
            [sys.executable, "-m", "gateway.cli", "admin", "--data-dir", str(gw.data_dir), "create-key"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        key = out.split("access key: ")[1].split()[0]
        secret = out.split("secret key: ")[1].split()[0]
        assert call(gw, "GET", "/volumes", key=key, secret=secret).status_code == 200
        admin = boto_client(type(gw)(**{**gw.__dict__, "access_key": key, "secret_key": secret}))
        admin.create_bucket(Bucket="made-by-admin")
        listed = subprocess.run(
            [sys.executable, "-m", "gateway.cli", "admin", "--data-dir", str(gw.data_dir), "list-keys"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert key in listed and secret not in listed
        subprocess.run(
            [sys.executable, "-m", "gateway.cli", "admin", "--data-dir", str(gw.data_dir), "delete-key", key],
            check=True,
            capture_output=True,
        )
        assert call(gw, "GET", "/volumes", key=key, secret=secret).status_code == 401
    finally:
        stop_gateway(gw)


def test_quota_applies_to_native_upload_and_clone(gateway):
    from gateway.client import NativeClient, NativeError

    native = NativeClient(gateway.url, gateway.access_key, gateway.secret_key)
    nbucket = native.create_bucket(f"nq-{uuid.uuid4().hex[:8]}")
    package = native.create_package(nbucket["bucketID"], "pkg")
    quota = call(gateway, "POST", f"/volumes/{nbucket['bucketID']}/quotas", data={"path": "/pkg", "size": 100}).json()
    uploaded = native.upload(package["packageID"], [("a.bin", b"x" * 80)])[0]
    with pytest.raises(NativeError) as err:
        native.upload(package["packageID"], [("b.bin", b"y" * 30)])
    assert err.value.code != "OK" and err.value.status == 403
    with pytest.raises(NativeError):
        native.clone([{"objectID": uploaded["objectID"], "newPath": "copy.bin", "newPackageID": package["packageID"]}])
    assert [o["path"] for o in native.package_objects(package["packageID"])] == ["a.bin"]
    usage = call(gateway, "GET", f"/volumes/{nbucket['bucketID']}/quotas/{quota['id']}").json()["usage"]
    assert usage["size"] == 80
