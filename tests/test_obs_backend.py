"""The OBS adapter (backends/obs.py) against tests/fake_obs.py (OBS header signature, and SigV4
verified by the fake) and against moto's server (S3-compatible mode), plus Huawei's own SDK
against the fake, which is what makes the fake's word worth something."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator

import pytest
from backend_fixtures import moto_server  # noqa: F401  (session fixture)
from fake_obs import FakeObs, start_fake_obs

from backends.base import BackendAccessDenied, BackendError, BackendUnavailable, BlobNotFound
from backends.http import HttpRequest
from backends.obs import MIN_PART_SIZE, ObsBackend, ObsSigner, build_obs, endpoint_for
from backends.registry import build_backend

KiB = 1024
FAST_RETRIES = {"maxAttempts": 3, "backoffBase": 0.01, "backoffCap": 0.02, "readTimeout": 10, "connectTimeout": 5}


@pytest.fixture(scope="module")
def fake(tmp_path_factory) -> FakeObs:
    server = start_fake_obs(tmp_path_factory.mktemp("obs"))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def healthy(request):
    """Every test starts with a well-behaved fake (failure switches off)."""
    yield
    if "fake" in request.fixturenames:
        server = request.getfixturevalue("fake")
        server.unavailable, server.fail_next_requests, server.fail_after_bytes = False, 0, None


@pytest.fixture
def obs_test_dns(monkeypatch):
    """Resolve `obs.test` and `*.obs.test` to loopback, so virtual-hosted addressing can be used."""
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if isinstance(host, str) and (host == "obs.test" or host.endswith(".obs.test")):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def obs_for(fake: FakeObs, *, secret: str | None = None, access_key: str | None = None, **storage) -> ObsBackend:
    """An adapter on the fake, in its own working dir, with test-sized parts and retries."""
    fields = {
        "type": "OBS",
        "endpoint": fake.url,
        "bucket": fake.bucket,
        "partSize": MIN_PART_SIZE,
        **FAST_RETRIES,
        **storage,
    }
    credential = {
        "type": "OBS",
        "accessKeyId": access_key or fake.access_key,
        "secretAccessKey": secret or fake.secret_key,
    }
    return build_obs(fields, credential, f"wd-{uuid.uuid4().hex[:8]}")


async def stream(data: bytes, piece: int = 7000) -> AsyncIterator[bytes]:
    for i in range(0, len(data), piece):
        yield data[i : i + piece]


async def read(backend, key: str, offset: int = 0, length: int | None = None) -> bytes:
    return b"".join([chunk async for chunk in backend.get(key, offset, length)])


def new_requests(fake: FakeObs, since: int) -> list[tuple[str, str, str]]:
    return fake.requests[since:]


# ------------------------------------------------------------------ OBS signature mode


async def test_put_get_range_stat_list_delete(fake):
    backend = obs_for(fake)
    start = len(fake.requests)
    try:
        assert await backend.put("pkg/a b+c.txt", stream(b"hello world")) == 11
        assert await backend.put("pkg/ü/€.bin", stream(b"x" * 5)) == 5
        assert await backend.put("top", stream(b"")) == 0
        assert await read(backend, "pkg/a b+c.txt") == b"hello world"
        assert await read(backend, "pkg/a b+c.txt", 6) == b"world"
        assert await read(backend, "pkg/a b+c.txt", 2, 3) == b"llo"
        assert await read(backend, "pkg/a b+c.txt", 11) == b""
        assert await read(backend, "top") == b""
        info = await backend.stat("pkg/a b+c.txt")
        assert info is not None and info.size == 11 and info.mtime > 0
        assert await backend.stat("pkg/missing") is None
        assert [(i.key, i.size) for i in [i async for i in backend.list("")]] == [
            ("pkg/a b+c.txt", 11),
            ("pkg/ü/€.bin", 5),
            ("top", 0),
        ]
        assert [i.key async for i in backend.list("pkg/ü/")] == ["pkg/ü/€.bin"]
        await backend.delete("pkg/a b+c.txt")
        await backend.delete("pkg/a b+c.txt")  # absent: not an error
        assert await backend.stat("pkg/a b+c.txt") is None
        with pytest.raises(BlobNotFound):
            await read(backend, "pkg/a b+c.txt")
    finally:
        await backend.close()
    schemes = {scheme for _, _, scheme in new_requests(fake, start)}
    assert schemes == {"OBS"}, "every request must carry the OBS header signature"


async def test_server_side_copy(fake):
    backend = obs_for(fake)
    try:
        await backend.put("src", stream(b"copy me"))
        start = len(fake.requests)
        assert await backend.copy("src", "dir/dst") is True
        assert await read(backend, "dir/dst") == b"copy me"
        assert any(method == "PUT" and path.endswith("/dir/dst") for method, path, _ in new_requests(fake, start))
        with pytest.raises(BlobNotFound):
            await backend.copy("nope", "x")
    finally:
        await backend.close()


async def test_multipart_upload_of_a_large_blob_with_small_parts(fake):
    backend = obs_for(fake)
    data = os.urandom(5 * MIN_PART_SIZE + 1234)
    start = len(fake.requests)
    try:
        assert await backend.put("big.bin", stream(data, 64 * KiB)) == len(data)
        assert await read(backend, "big.bin") == data
        assert await read(backend, "big.bin", 3 * MIN_PART_SIZE - 10, 20) == data[3 * MIN_PART_SIZE - 10 :][:20]
    finally:
        await backend.close()
    parts = [path for method, path, _ in new_requests(fake, start) if method == "PUT" and "partNumber=" in path]
    assert len(parts) == 6
    assert not fake.uploads, "the upload was completed, nothing left open"


async def test_multipart_copy_of_a_large_blob(fake):
    backend = obs_for(fake, maxSingleCopy=MIN_PART_SIZE, copyPartSize=MIN_PART_SIZE)
    data = os.urandom(2 * MIN_PART_SIZE + 77)
    try:
        await backend.put("src.bin", stream(data))
        start = len(fake.requests)
        assert await backend.copy("src.bin", "dst.bin")
        copies = [p for m, p, _ in new_requests(fake, start) if m == "PUT" and "partNumber=" in p]
        assert len(copies) == 3
        assert await read(backend, "dst.bin") == data
    finally:
        await backend.close()


async def test_listing_pages_with_marker(fake, monkeypatch):
    monkeypatch.setattr("backends.http.listing.LIST_PAGE", 3)
    backend = obs_for(fake)
    keys = [f"k/{i:02d} {'+' if i % 2 else '&'}" for i in range(8)]
    try:
        for key in keys:
            await backend.put(key, stream(key.encode()))
        start = len(fake.requests)
        assert [i.key async for i in backend.list("k/")] == sorted(keys)
    finally:
        await backend.close()
    lists = [p for m, p, _ in new_requests(fake, start) if m == "GET"]
    assert len(lists) == 3 and "marker=" in lists[1]


async def test_wrong_secret_is_access_denied(fake):
    backend = obs_for(fake, secret="not-the-secret")
    try:
        with pytest.raises(BackendAccessDenied) as err:
            await backend.put("k", stream(b"data"))
        assert "not-the-secret" not in str(err.value)
        with pytest.raises(BackendAccessDenied):
            await read(backend, "k")
    finally:
        await backend.close()


async def test_unknown_access_key_is_access_denied(fake):
    backend = obs_for(fake, access_key="NOSUCHAK")
    try:
        with pytest.raises(BackendAccessDenied, match="InvalidAccessKeyId"):
            [i async for i in backend.list("")]
    finally:
        await backend.close()


async def test_missing_bucket(fake):
    backend = obs_for(fake, bucket="no-such-bucket")
    try:
        with pytest.raises(BackendError, match="does not exist") as err:
            await backend.put("k", stream(b"x"))
        assert not isinstance(err.value, (BlobNotFound, BackendAccessDenied))
        with pytest.raises(BackendError, match="does not exist") as err:
            await backend.stat("k")  # a body-less 404 (HEAD) is told apart from a missing blob
    finally:
        await backend.close()


async def test_security_token_is_sent_and_signed(fake):
    credential = {
        "type": "OBS",
        "accessKeyId": fake.access_key,
        "secretAccessKey": fake.secret_key,
        "securityToken": "TEMPTOKEN",
    }
    backend = build_obs({"type": "OBS", "endpoint": fake.url, "bucket": fake.bucket}, credential, "tok")
    request = HttpRequest("GET", f"{fake.url}/{fake.bucket}/tok/k", fake.bucket, "tok/k", {}, {})
    backend._signer(request)
    assert request.headers["x-obs-security-token"] == "TEMPTOKEN"
    try:
        await backend.put("k", stream(b"with token"))  # the fake verifies the token header as signed
        assert await read(backend, "k") == b"with token"
    finally:
        await backend.close()


async def test_virtual_hosted_addressing(fake, obs_test_dns):
    backend = obs_for(fake, endpoint=f"http://obs.test:{fake.port}", pathStyle=False)
    start = len(fake.requests)
    try:
        await backend.put("vh/k", stream(b"virtual"))
        assert await read(backend, "vh/k") == b"virtual"
        assert [i.key async for i in backend.list("vh/")] == ["vh/k"]
    finally:
        await backend.close()
    paths = [p for _, p, _ in new_requests(fake, start)]
    assert all(not p.startswith(f"/{fake.bucket}") for p in paths), paths


# ------------------------------------------------------------------ a backend that misbehaves


async def test_transient_503s_are_retried(fake):
    backend = obs_for(fake)
    try:
        fake.fail_next_requests = 2
        await backend.put("retry", stream(b"eventually"))
        assert fake.fail_next_requests == 0
        assert await read(backend, "retry") == b"eventually"
    finally:
        await backend.close()


async def test_backend_that_stays_unavailable(fake):
    backend = obs_for(fake)
    try:
        fake.unavailable = True
        with pytest.raises(BackendUnavailable):
            await backend.put("k", stream(b"x"))
        with pytest.raises(BackendUnavailable):
            await backend.stat("k")
    finally:
        await backend.close()


async def test_download_cut_midway_resumes_where_it_broke(fake):
    backend = obs_for(fake, maxAttempts=5)
    data = os.urandom(250 * KiB)
    try:
        await backend.put("resume.bin", stream(data))
        fake.fail_after_bytes = 100 * KiB
        start = len(fake.requests)
        assert await read(backend, "resume.bin") == data
        gets = [p for m, p, _ in new_requests(fake, start) if m == "GET"]
        assert len(gets) == 3
    finally:
        await backend.close()


async def test_upload_cut_midway_leaves_nothing_behind(fake):
    backend = obs_for(fake)
    try:
        fake.fail_after_bytes = 50 * KiB
        with pytest.raises(BackendUnavailable):
            await backend.put("cut.bin", stream(os.urandom(3 * MIN_PART_SIZE)))
        fake.fail_after_bytes = None
        assert await backend.stat("cut.bin") is None
        assert not fake.uploads, "the failed multipart upload was aborted"
    finally:
        await backend.close()


async def test_backend_going_away_and_coming_back(fake):
    backend = obs_for(fake, maxAttempts=2)
    try:
        await backend.put("k", stream(b"before"))
        fake.down()
        try:
            with pytest.raises(BackendUnavailable):
                await read(backend, "k")
        finally:
            fake.up()
        assert await read(backend, "k") == b"before"
    finally:
        await backend.close()


# ------------------------------------------------------------------ S3-compatible mode


async def test_s3_signature_mode_against_the_fake(fake):
    backend = obs_for(fake, signature="S3", region="cn-north-4")
    start = len(fake.requests)
    try:
        await backend.put("s3mode", stream(b"sigv4"))
        assert await read(backend, "s3mode") == b"sigv4"
        assert await backend.copy("s3mode", "s3copy")
        assert [i.key async for i in backend.list("s3")] == ["s3copy", "s3mode"]
    finally:
        await backend.close()
    assert {scheme for _, _, scheme in new_requests(fake, start)} == {"AWS4-HMAC-SHA256"}
    bad = obs_for(fake, signature="S3", secret="wrong-secret")
    try:
        with pytest.raises(BackendAccessDenied):
            await read(bad, "s3mode")
    finally:
        await bad.close()


@pytest.fixture
def moto_bucket(moto_server) -> str:  # noqa: F811
    return moto_server.new_bucket()


async def test_s3_signature_mode_against_moto(moto_server, moto_bucket):  # noqa: F811
    storage = {
        "type": "OBS",
        "signature": "S3",
        "endpoint": moto_server.url,
        "region": moto_server.region,
        "bucket": moto_bucket,
        "partSize": 5 * 1024 * KiB,
        **FAST_RETRIES,
    }
    credential = {"type": "OBS", "accessKeyId": moto_server.access_key, "secretAccessKey": moto_server.secret_key}
    backend = build_backend(storage, credential, "space")
    assert isinstance(backend, ObsBackend)
    data = os.urandom(5 * 1024 * KiB + 4321)  # two parts at S3's (and moto's) 5 MiB floor
    try:
        assert await backend.put("obj/big", stream(data, 256 * KiB)) == len(data)
        assert await backend.put("obj/small", stream(b"small")) == 5
        assert await read(backend, "obj/big") == data
        assert await read(backend, "obj/big", 5 * 1024 * KiB - 3, 10) == data[5 * 1024 * KiB - 3 :][:10]
        assert await backend.copy("obj/small", "obj/copied")
        assert [(i.key, i.size) async for i in backend.list("obj/")] == [
            ("obj/big", len(data)),
            ("obj/copied", 5),
            ("obj/small", 5),
        ]
        await backend.delete("obj/small")
        assert await backend.stat("obj/small") is None
    finally:
        await backend.close()
    listed = moto_server.client().list_objects_v2(Bucket=moto_bucket)["Contents"]
    assert sorted(o["Key"] for o in listed) == ["space/obj/big", "space/obj/copied"]


# ------------------------------------------------------------------ configuration


def test_endpoint_derived_from_region():
    backend = build_obs(
        {"type": "OBS", "region": "ap-southeast-1", "bucket": "b"},
        {"type": "OBS", "accessKeyId": "AK", "secretAccessKey": "SK"},
        "",
    )
    assert endpoint_for("ap-southeast-1") == "https://obs.ap-southeast-1.myhuaweicloud.com"
    assert backend.endpoint == "https://obs.ap-southeast-1.myhuaweicloud.com"
    assert backend.path_style is False
    assert backend._url("dir/k", {}) == "https://b.obs.ap-southeast-1.myhuaweicloud.com/dir/k"
    default = build_obs({"type": "OBS", "bucket": "b"}, {"accessKeyId": "AK", "secretAccessKey": "SK"}, "")
    assert default.endpoint == "https://obs.cn-north-4.myhuaweicloud.com"


def test_custom_endpoint_is_path_style_unless_told():
    credential = {"type": "OBS", "accessKeyId": "AK", "secretAccessKey": "SK"}
    custom = build_obs({"type": "OBS", "endpoint": "obs.example.internal:9000", "bucket": "b"}, credential, "")
    assert custom.endpoint == "https://obs.example.internal:9000" and custom.path_style is True
    assert custom._url("k", {}) == "https://obs.example.internal:9000/b/k"
    virtual = build_obs(
        {"type": "OBS", "endpoint": "https://obs.example.internal", "bucket": "b", "pathStyle": False}, credential, ""
    )
    assert virtual._url("k", {}) == "https://b.obs.example.internal/k"


@pytest.mark.parametrize(
    "storage, credential, message",
    [
        ({"type": "OBS", "bucket": "b", "signature": "V2"}, {"accessKeyId": "A", "secretAccessKey": "S"}, "signature"),
        ({"type": "OBS", "bucket": "b"}, {"type": "S3", "accessKeyId": "A", "secretAccessKey": "S"}, "credential"),
        ({"type": "OBS", "bucket": "b"}, {"type": "OBS", "accessKeyId": "A"}, "secretAccessKey"),
        ({"type": "OBS", "bucket": ""}, {"accessKeyId": "A", "secretAccessKey": "S"}, "bucket"),
        (
            {"type": "OBS", "bucket": "b", "partSize": 50 * KiB},
            {"accessKeyId": "A", "secretAccessKey": "S"},
            "partSize",
        ),
    ],
)
def test_bad_configuration_is_refused(storage, credential, message):
    with pytest.raises(BackendError, match=message):
        build_obs(storage, credential, "")


def test_registry_and_repr_keep_secrets_out():
    backend = build_backend(
        {"type": "OBS", "bucket": "b", "projectID": "p1"},
        {"type": "OBS", "accessKeyId": "AKVISIBLE", "secretAccessKey": "SKHIDDEN"},
    )
    assert isinstance(backend, ObsBackend) and backend.kind == "OBS" and backend.project_id == "p1"
    assert "SKHIDDEN" not in repr(backend) and "SKHIDDEN" not in repr(backend._signer)
    assert "SKHIDDEN" not in repr(ObsSigner("AK", "SKHIDDEN"))


# ------------------------------------------------------------------ Huawei's SDK vouches for the fake


def test_huawei_sdk_against_the_fake(fake, obs_test_dns):
    obs = pytest.importorskip("obs")
    client = obs.ObsClient(
        access_key_id=fake.access_key,
        secret_access_key=fake.secret_key,
        server=f"http://obs.test:{fake.port}",
        signature="obs",
    )
    start = len(fake.requests)
    b, key = fake.bucket, f"sdk/{uuid.uuid4().hex[:6]} file.txt"
    try:
        assert client.putContent(b, key, "hello from the SDK").status == 200
        got = client.getObject(b, key, loadStreamInMemory=True)
        assert got.status == 200 and got.body.buffer == b"hello from the SDK"
        ranged = client.getObject(b, key, loadStreamInMemory=True, headers=obs.GetObjectHeader(range="6-9"))
        assert ranged.status == 206 and ranged.body.buffer == b"from"
        assert client.getObjectMetadata(b, key).body.contentLength == 18
        listed = client.listObjects(b, prefix="sdk/")
        assert listed.status == 200 and key in [c.key for c in listed.body.contents]
        assert client.copyObject(b, key, b, key + ".copy").status == 200
        upload = client.initiateMultipartUpload(b, key + ".mp").body.uploadId
        first, last = os.urandom(MIN_PART_SIZE), b"tail"
        e1 = client.uploadPart(b, key + ".mp", 1, upload, first).body.etag
        e2 = client.uploadPart(b, key + ".mp", 2, upload, last).body.etag
        parts = obs.CompleteMultipartUploadRequest([obs.CompletePart(1, e1), obs.CompletePart(2, e2)])
        assert client.completeMultipartUpload(b, key + ".mp", upload, parts).status == 200
        assert client.getObject(b, key + ".mp", loadStreamInMemory=True).body.buffer == first + last
        assert client.deleteObject(b, key + ".copy").status == 204
        missing = client.getObject(b, key + ".copy", loadStreamInMemory=True)
        assert (missing.status, missing.errorCode) == (404, "NoSuchKey")
    finally:
        client.close()
    signed = [scheme for _, path, scheme in new_requests(fake, start) if "apiversion" not in path]
    assert signed and set(signed) == {"OBS"}


def test_huawei_sdk_with_a_wrong_secret_is_refused(fake, obs_test_dns):
    obs = pytest.importorskip("obs")
    client = obs.ObsClient(
        access_key_id=fake.access_key, secret_access_key="wrong", server=f"http://obs.test:{fake.port}", signature="obs"
    )
    try:
        answer = client.putContent(fake.bucket, "sdk/refused", "x")
        assert (answer.status, answer.errorCode) == (403, "SignatureDoesNotMatch")
    finally:
        client.close()
    assert "sdk/refused" not in fake.keys()
