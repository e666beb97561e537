"""One contract every storage adapter must keep, run against each adapter on a real target.

Targets: `Local` in a temp dir; `S3` against moto's server; `S3` against another Junction
instance (the gateway as somebody's backend); `OBS` against tests/fake_obs.py (skipped until
backends/obs.py exists). Remote targets share one bucket per session and give each test a
fresh working dir, which also proves the working-dir prefix isolates and is stripped.
After the contract come the S3 adapter's own failure modes: refused credentials, an
unreachable endpoint, a missing bucket, and retries through a proxy that fails on purpose.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp import ClientSession, web
from backend_fixtures import MotoServer, moto_server  # noqa: F401  (fixture)
from conftest import Gateway, boto_client, free_port

from backends.base import (
    Backend,
    BackendAccessDenied,
    BackendError,
    BackendUnavailable,
    BlobInfo,
    BlobNotFound,
    InvalidBlobKey,
)
from backends.local import LocalBackend, _temporary_beside
from backends.registry import FACTORIES, build_backend

MiB = 1024 * 1024
PART = 5 * MiB  # the smallest part size S3 allows, so the multipart path runs on 20 MiB
FAST_FAIL = {"maxAttempts": 2, "backoffBase": 0.01, "backoffCap": 0.05, "connectTimeout": 2, "readTimeout": 10}
HAVE_OBS = (
    importlib.util.find_spec("backends.obs") is not None
    and "OBS" in FACTORIES
    and (Path(__file__).parent / "fake_obs.py").exists()
)


def s3_storage(url: str, bucket: str, **extra) -> dict:
    return {
        "type": "S3",
        "region": "us-east-1",
        "endpoint": url,
        "bucket": bucket,
        "pathStyle": True,
        "partSize": PART,
        **extra,
    }


def s3_credential(access_key: str, secret_key: str) -> dict:
    return {"type": "S3", "accessKeyId": access_key, "secretAccessKey": secret_key}


# ----- targets -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def moto_bucket(moto_server: MotoServer) -> str:
    return moto_server.new_bucket()


@pytest.fixture(scope="session")
def junction_bucket(gateway: Gateway) -> str:
    name = f"backend-{uuid.uuid4().hex[:10]}"
    boto_client(gateway).create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="session")
def fake_obs(tmp_path_factory):
    fake_obs_module = pytest.importorskip("fake_obs", reason="tests/fake_obs.py (the fake OBS server) is not there yet")
    fake = fake_obs_module.start_fake_obs(tmp_path_factory.mktemp("obs"))
    yield fake
    fake.stop()


@pytest.fixture(params=["Local", "S3-moto", "S3-junction", "OBS-fake"])
def target(request) -> str:
    if request.param == "OBS-fake" and not HAVE_OBS:
        pytest.skip("the OBS adapter (backends/obs.py, registered as 'OBS') or tests/fake_obs.py is not there yet")
    return request.param


@pytest.fixture
async def open_backend(request, target: str, tmp_path: Path) -> AsyncIterator[Callable[..., Backend]]:
    """A factory for adapters of the current target: `make(working_dir=None, **storage_fields)`.

    Each test gets a fresh working dir; adapters are closed at teardown.
    """
    default_dir = f"wd/{uuid.uuid4().hex[:8]}"
    opened: list[Backend] = []

    def make(working_dir: str | None = None, **extra) -> Backend:
        working_dir = default_dir if working_dir is None else working_dir
        if target == "Local":
            backend: Backend = LocalBackend(tmp_path / "root" / working_dir)
        elif target == "S3-moto":
            moto: MotoServer = request.getfixturevalue("moto_server")
            storage = s3_storage(moto.url, request.getfixturevalue("moto_bucket"), **extra)
            backend = build_backend(storage, s3_credential(moto.access_key, moto.secret_key), working_dir)
        elif target == "S3-junction":
            gw: Gateway = request.getfixturevalue("gateway")
            storage = s3_storage(gw.url, request.getfixturevalue("junction_bucket"), **extra)
            backend = build_backend(storage, s3_credential(gw.access_key, gw.secret_key), working_dir)
        else:
            fake = request.getfixturevalue("fake_obs")
            storage = {
                "type": "OBS",
                "region": "cn-north-4",
                "endpoint": fake.url,
                "bucket": fake.bucket,
                "pathStyle": True,
                "partSize": PART,
                **extra,
            }
            credential = {"type": "OBS", "accessKeyId": fake.access_key, "secretAccessKey": fake.secret_key}
            backend = build_backend(storage, credential, working_dir)
        opened.append(backend)
        return backend

    make.working_dir = default_dir  # type: ignore[attr-defined]
    yield make
    for backend in opened:
        await backend.close()


@pytest.fixture
def raw_keys(request, target: str, tmp_path: Path) -> Callable[[str], list[str]]:
    """What the target itself holds under a prefix, seen without the adapter."""

    def keys(prefix: str) -> list[str]:
        if target == "Local":
            root = tmp_path / "root"
            return sorted(
                p.relative_to(root).as_posix()
                for p in root.rglob("*")
                if p.is_file() and p.relative_to(root).as_posix().startswith(prefix)
            )
        if target == "OBS-fake":
            return sorted(k for k in request.getfixturevalue("fake_obs").keys() if k.startswith(prefix))
        if target == "S3-moto":
            client, bucket = request.getfixturevalue("moto_server").client(), request.getfixturevalue("moto_bucket")
        else:
            client, bucket = boto_client(request.getfixturevalue("gateway")), request.getfixturevalue("junction_bucket")
        answer = client.list_objects_v2(Bucket=bucket, Prefix=prefix)
        return [o["Key"] for o in answer.get("Contents", [])]

    return keys


@pytest.fixture
def open_uploads(request, target: str) -> Callable[[str], list[str]]:
    """Keys of multipart uploads still open on the target under a prefix (none for Local)."""

    def uploads(prefix: str) -> list[str]:
        if target == "Local":
            return []
        if target == "OBS-fake":
            return [u.key for u in request.getfixturevalue("fake_obs").uploads.values() if u.key.startswith(prefix)]
        if target == "S3-moto":
            client, bucket = request.getfixturevalue("moto_server").client(), request.getfixturevalue("moto_bucket")
        else:
            client, bucket = boto_client(request.getfixturevalue("gateway")), request.getfixturevalue("junction_bucket")
        return [u["Key"] for u in client.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", [])]

    return uploads


@pytest.fixture
async def backend(open_backend) -> Backend:
    return open_backend()


# ----- helpers -----------------------------------------------------------------------


async def chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def read(backend: Backend, key: str, offset: int = 0, length: int | None = None) -> bytes:
    return b"".join([piece async for piece in backend.get(key, offset, length)])


async def listing(backend: Backend, prefix: str = "") -> list[BlobInfo]:
    return [info async for info in backend.list(prefix)]


# ----- the contract ------------------------------------------------------------------


async def test_put_then_get_whole(backend: Backend) -> None:
    data = os.urandom(300_000)
    assert await backend.put("blocks/a/one", chunks(data), len(data)) == len(data)
    assert await read(backend, "blocks/a/one") == data


async def test_empty_blob(backend: Backend) -> None:
    assert await backend.put("empty", chunks(b"")) == 0
    assert await read(backend, "empty") == b""
    info = await backend.stat("empty")
    assert info is not None and info.size == 0


@pytest.mark.parametrize(
    "offset,length,expected",
    [
        (0, 10, slice(0, 10)),  # start
        (400, 100, slice(400, 500)),  # middle
        (990, None, slice(990, None)),  # suffix to the end
        (995, 100, slice(995, None)),  # length past the end
        (1000, None, slice(0, 0)),  # offset at the end: nothing
        (500, 0, slice(0, 0)),  # zero length: nothing
    ],
)
async def test_ranged_get(backend: Backend, offset: int, length: int | None, expected: slice) -> None:
    data = os.urandom(1000)
    await backend.put("ranged", chunks(data, 333))
    assert await read(backend, "ranged", offset, length) == data[expected]


async def test_stat_size_and_mtime(backend: Backend) -> None:
    before = time.time()
    await backend.put("stat/me", chunks(b"x" * 4321))
    info = await backend.stat("stat/me")
    assert info is not None
    assert (info.key, info.size) == ("stat/me", 4321)
    # same machine, so only second-granularity clocks separate the two
    assert before - 2 <= info.mtime <= time.time() + 2
    assert await backend.stat("stat/absent") is None
    assert await backend.stat("stat") is None  # a key prefix is not a blob


async def test_list_prefix_in_key_order(backend: Backend) -> None:
    # (no key is also a "directory" of another: Local cannot hold both `p/b` and `p/b/c`)
    keys = ["p/b/c", "p/a", "q/x", "p/b/d", "pa", "p/a-2", "p/B"]
    for i, key in enumerate(keys):
        await backend.put(key, chunks(b"z" * i))
    found = await listing(backend, "p/")
    assert [i.key for i in found] == sorted([k for k in keys if k.startswith("p/")], key=str.encode)
    assert {i.key: i.size for i in found}["p/b/c"] == 0
    assert {i.key: i.size for i in found}["p/B"] == 6
    assert [i.key for i in await listing(backend)] == sorted(keys, key=str.encode)
    assert [i.key for i in await listing(backend, "p")] == sorted(
        [k for k in keys if k.startswith("p")], key=str.encode
    )
    assert await listing(backend, "nothing/") == []


async def test_working_dir_is_a_key_prefix(open_backend, raw_keys) -> None:
    """Blobs live under the working dir on the target, and `list` strips it off again."""
    wd = open_backend.working_dir
    first, sibling = open_backend(), open_backend(working_dir=wd + "-sibling")
    await first.put("k/one", chunks(b"1"))
    await sibling.put("k/two", chunks(b"2"))
    assert [i.key for i in await listing(first)] == ["k/one"]
    assert [i.key for i in await listing(sibling)] == ["k/two"]
    assert await sibling.stat("k/one") is None
    assert raw_keys(wd + "/") == [f"{wd}/k/one"]


async def test_delete_is_idempotent(backend: Backend) -> None:
    await backend.put("del/me", chunks(b"bye"))
    await backend.delete("del/me")
    assert await backend.stat("del/me") is None
    with pytest.raises(BlobNotFound):
        await read(backend, "del/me")
    await backend.delete("del/me")
    await backend.delete("del/never-existed")


async def test_copy(backend: Backend) -> None:
    data = os.urandom(70_000)
    await backend.put("copy/src", chunks(data))
    assert await backend.copy("copy/src", "copy/dst/deeper") is True
    assert await read(backend, "copy/dst/deeper") == data
    assert await read(backend, "copy/src") == data
    assert await backend.copy("copy/src", "copy/src") is True  # onto itself: a no-op
    assert await read(backend, "copy/src") == data
    with pytest.raises(BlobNotFound):
        await backend.copy("copy/absent", "copy/x")


async def test_copy_in_parts(open_backend) -> None:
    """Above `maxSingleCopy` the copy runs as UploadPartCopy ranges (lowered so 12 MiB needs three)."""
    backend = open_backend(maxSingleCopy=PART, copyPartSize=PART)
    data = os.urandom(12 * MiB + 5)
    await backend.put("copy/big", chunks(data, MiB))
    assert await backend.copy("copy/big", "copy/big2") is True
    digest = hashlib.sha256()
    async for piece in backend.get("copy/big2"):
        digest.update(piece)
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()


async def test_overwrite_replaces_whole(backend: Backend) -> None:
    await backend.put("over", chunks(b"a" * 100_000))
    await backend.put("over", chunks(b"short"))
    assert await read(backend, "over") == b"short"
    info = await backend.stat("over")
    assert info is not None and info.size == 5


@pytest.mark.slow
async def test_large_blob_multipart_is_byte_identical(backend: Backend) -> None:
    data = os.urandom(MiB) * 20  # 20 MiB, four 5 MiB parts
    data = data[:7] + b"!" + data[8:]
    # odd piece sizes so parts never align with what the stream yields
    assert await backend.put("big/blob", chunks(data, 777 * 1024)) == len(data)
    info = await backend.stat("big/blob")
    assert info is not None and info.size == len(data)
    digest = hashlib.sha256()
    async for piece in backend.get("big/blob"):
        digest.update(piece)
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
    # a range across the first part boundary
    assert await read(backend, "big/blob", PART - 10, 20) == data[PART - 10 : PART + 10]


@pytest.mark.parametrize("size", [PART, PART + 1])
async def test_part_size_boundaries(backend: Backend, size: int) -> None:
    """Exactly one part is a single PUT; one byte more is a multipart upload with a 1-byte tail."""
    data = os.urandom(size)
    assert await backend.put("edge", chunks(data, MiB)) == size
    assert await read(backend, "edge") == data


@pytest.mark.parametrize(
    "key",
    [
        "dir with space/file name.txt",
        "unicodé/файл/名前 ü.bin",
        "plus+percent%20hash#question?amp&eq=1",
        "tilde~star*quote'paren(1)/semi;colon:comma,at@dollar$",
    ],
)
async def test_awkward_keys(backend: Backend, key: str) -> None:
    data = key.encode() * 3
    await backend.put(key, chunks(data))
    assert await read(backend, key) == data
    info = await backend.stat(key)
    assert info is not None and info.size == len(data)
    assert [i.key for i in await listing(backend, key.split("/")[0])] == [key]
    assert await backend.copy(key, key + ".copy") is True
    assert await read(backend, key + ".copy") == data
    await backend.delete(key)
    assert await backend.stat(key) is None


async def test_a_name_as_long_as_the_file_system_allows(backend: Backend) -> None:
    """A 255-byte last segment (the usual NAME_MAX) is a name the disk can hold: the temporary
    file a write goes through must not be longer than the name itself."""
    key = "long/" + "n" * 251 + ".txt"
    await backend.put(key, chunks(b"long"))
    assert await read(backend, key) == b"long"
    assert await backend.copy(key, "copy/" + "c" * 255) is True
    assert await read(backend, "copy/" + "c" * 255) == b"long"


async def test_local_delete_frees_an_unfinished_writes_partial_of_a_long_name(tmp_path: Path) -> None:
    """A killed write leaves its temporary beside the final name (made here the way the write
    names it); deleting the key (the collector does, for a pending blob) removes it, however
    long the name, and leaves another name's alone."""
    backend = LocalBackend(tmp_path)
    (tmp_path / "d").mkdir()
    long_name, other = tmp_path / "d" / ("n" * 255), tmp_path / "d" / "other"
    for final in (long_name, other):
        _temporary_beside(final).write_bytes(b"partial")
    await backend.delete("d/" + "n" * 255)
    assert [p.name.startswith(_temporary_beside(other).name[:17]) for p in tmp_path.rglob("*.junction-tmp")] == [True]


@pytest.mark.parametrize("key", ["../x", "/abs", "a//b", "a/./b", "a/..", "", "nul\x00byte", "back\\slash"])
async def test_keys_that_could_escape_are_rejected(backend: Backend, key: str) -> None:
    with pytest.raises(InvalidBlobKey):
        await backend.put(key, chunks(b"x"))
    with pytest.raises(InvalidBlobKey):
        await read(backend, key)
    with pytest.raises(InvalidBlobKey):
        await backend.stat(key)
    with pytest.raises(InvalidBlobKey):
        await backend.delete(key)
    with pytest.raises(InvalidBlobKey):
        await backend.copy("fine", key)


async def test_list_prefix_is_checked(backend: Backend) -> None:
    with pytest.raises(InvalidBlobKey):
        await listing(backend, "../")


async def test_get_absent_raises_blob_not_found(backend: Backend) -> None:
    with pytest.raises(BlobNotFound):
        await read(backend, "no/such/blob")
    with pytest.raises(BlobNotFound):
        await read(backend, "no/such/blob", 10, 5)


async def test_failed_stream_leaves_nothing(backend: Backend, open_backend, open_uploads) -> None:
    """A source that breaks mid-way (after a part went out) stores nothing, not even an open upload."""

    class Broken(Exception):
        pass

    async def breaking() -> AsyncIterator[bytes]:
        for _ in range(7):
            yield b"y" * MiB
        raise Broken()

    with pytest.raises(Broken):
        await backend.put("broken", breaking())
    assert await backend.stat("broken") is None
    assert [i.key for i in await listing(backend)] == []
    assert open_uploads(open_backend.working_dir + "/") == []


# ----- the S3 adapter's own failure modes --------------------------------------------


async def test_wrong_secret_is_access_denied_and_never_echoed(gateway: Gateway, junction_bucket: str) -> None:
    secret = "not-the-right-secret-0123456789"
    backend = build_backend(
        s3_storage(gateway.url, junction_bucket, **FAST_FAIL), s3_credential(gateway.access_key, secret), "wd"
    )
    try:
        with pytest.raises(BackendAccessDenied) as refused:
            await backend.put("x", chunks(b"1"))
        message = str(refused.value)
        assert "SignatureDoesNotMatch" in message and "secret access key" in message
        assert gateway.url in message and junction_bucket in message
        assert secret not in message and gateway.secret_key not in message
        with pytest.raises(BackendAccessDenied):
            await backend.stat("x")  # HEAD: no error body, still refused
        with pytest.raises(BackendAccessDenied):
            await read(backend, "x")
        with pytest.raises(BackendAccessDenied):
            await listing(backend)
    finally:
        await backend.close()


async def test_unknown_access_key_is_access_denied(gateway: Gateway, junction_bucket: str) -> None:
    backend = build_backend(
        s3_storage(gateway.url, junction_bucket, **FAST_FAIL), s3_credential("NOSUCHKEY0000", "whatever"), "wd"
    )
    try:
        with pytest.raises(BackendAccessDenied, match="InvalidAccessKeyId"):
            await backend.put("x", chunks(b"1"))
    finally:
        await backend.close()


async def test_unreachable_endpoint_is_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    backend = build_backend(s3_storage(url, "bucket", **FAST_FAIL), s3_credential("k", "s"), "")
    try:
        with pytest.raises(BackendUnavailable, match="after 2 attempt") as down:
            await backend.put("x", chunks(b"1"))
        assert url in str(down.value)
        with pytest.raises(BackendUnavailable):
            await backend.stat("x")
        with pytest.raises(BackendUnavailable):
            await read(backend, "x")
        with pytest.raises(BackendUnavailable):
            await listing(backend)
    finally:
        await backend.close()


async def test_silent_endpoint_times_out_as_unavailable() -> None:
    """A server that accepts connections but never answers: the read timeout, then retries, then give up."""
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        backend = build_backend(
            s3_storage(url, "bucket", **{**FAST_FAIL, "readTimeout": 0.3}), s3_credential("k", "s"), ""
        )
        try:
            with pytest.raises(BackendUnavailable, match="timed out"):
                await backend.stat("x")
        finally:
            await backend.close()


async def test_missing_bucket_is_a_clear_error(moto_server: MotoServer) -> None:
    backend = build_backend(
        s3_storage(moto_server.url, "no-such-bucket-here", **FAST_FAIL),
        s3_credential(moto_server.access_key, moto_server.secret_key),
        "wd",
    )
    expected = f"bucket no-such-bucket-here does not exist at {moto_server.url}"
    calls = [
        lambda: backend.put("x", chunks(b"1")),
        lambda: backend.put("x", chunks(os.urandom(PART + 1))),
        lambda: backend.stat("x"),
        lambda: read(backend, "x"),
        lambda: listing(backend),
        lambda: backend.delete("x"),
        lambda: backend.copy("x", "y"),
    ]
    try:
        for call in calls:
            with pytest.raises(BackendError, match=expected) as failed:
                await call()
            assert not isinstance(failed.value, (BlobNotFound, BackendUnavailable, BackendAccessDenied))
    finally:
        await backend.close()


@pytest.mark.parametrize(
    "storage,credential,problem",
    [
        (
            {"type": "S3", "endpoint": "http://127.0.0.1:1"},
            {"type": "S3", "accessKeyId": "k", "secretAccessKey": "s"},
            "needs a bucket",
        ),
        ({"type": "S3", "bucket": "b"}, {"type": "S3", "accessKeyId": "k"}, "accessKeyId and secretAccessKey"),
        (
            {"type": "S3", "bucket": "b"},
            {"type": "OBS", "accessKeyId": "k", "secretAccessKey": "s"},
            "credential of type",
        ),
        (
            {"type": "S3", "bucket": "b", "endpoint": "ftp://host"},
            {"accessKeyId": "k", "secretAccessKey": "s"},
            "not an http",
        ),
        ({"type": "S3", "bucket": "b", "partSize": 1024}, {"accessKeyId": "k", "secretAccessKey": "s"}, "at least"),
    ],
)
def test_bad_s3_descriptions_are_refused(storage: dict, credential: dict, problem: str) -> None:
    with pytest.raises(BackendError, match=problem):
        build_backend(storage, credential, "")


def test_aws_addressing_defaults() -> None:
    aws = build_backend(
        {"type": "S3", "region": "eu-west-3", "bucket": "b"},
        {"type": "AK", "accessKeyId": "k", "secretAccessKey": "s"},
        "",
    )
    assert aws.endpoint == "https://s3.eu-west-3.amazonaws.com"
    assert aws._url("w/k y", {}) == "https://b.s3.eu-west-3.amazonaws.com/w/k%20y"  # virtual-hosted
    path = build_backend(
        {"type": "S3", "endpoint": "http://minio:9000", "bucket": "b"},
        {"type": "S3", "accessKeyId": "k", "secretAccessKey": "s"},
        "",
    )
    assert path._url("a+b", {"uploadId": "x/y", "uploads": ""}) == "http://minio:9000/b/a%2Bb?uploadId=x%2Fy&uploads"


class FlakyProxy:
    """A loopback proxy to moto that fails every distinct request once: 503 SlowDown, or for
    GETs a body cut off half-way. A correct adapter retries (or resumes) through all of it."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.seen: set[tuple[str, str, str]] = set()
        self.refused = 0
        self.cut = 0

    async def start(self) -> str:
        self.session = ClientSession(auto_decompress=False)
        app = web.Application(client_max_size=64 * MiB)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{self.runner.addresses[0][1]}"

    async def stop(self) -> None:
        await self.session.close()
        await self.runner.cleanup()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        identity = (request.method, request.path_qs, request.headers.get("Range", ""))
        first = identity not in self.seen
        self.seen.add(identity)
        if first and request.method != "GET":
            self.refused += 1
            return web.Response(
                status=503,
                content_type="application/xml",
                body=b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
            )
        skip = {"host", "content-length", "transfer-encoding"}
        headers = {k: v for k, v in request.headers.items() if k.lower() not in skip}
        async with self.session.request(
            request.method, self.upstream + request.path_qs, headers=headers, data=body if body else None
        ) as upstream:
            payload = await upstream.read()
            out_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in skip}
            if request.method == "HEAD":  # a HEAD's Content-Length describes the object: keep it
                return web.Response(
                    status=upstream.status,
                    headers={**out_headers, "Content-Length": upstream.headers.get("Content-Length", "0")},
                )
            resumed = "If-Match" in request.headers  # an adapter resuming a broken read: let it through
            if not first or resumed or len(payload) < 2:
                return web.Response(status=upstream.status, headers=out_headers, body=payload)
        self.cut += 1
        response = web.StreamResponse(status=upstream.status, headers=out_headers)
        response.content_length = len(payload)
        await response.prepare(request)
        await response.write(payload[: len(payload) // 2])
        request.transport.close()  # hang up mid-body
        return response


async def test_retries_and_resumes_through_a_flaky_endpoint(moto_server: MotoServer, moto_bucket: str) -> None:
    proxy = FlakyProxy(moto_server.url)
    url = await proxy.start()
    backend = build_backend(
        s3_storage(url, moto_bucket, maxAttempts=3, backoffBase=0.01, backoffCap=0.05),
        s3_credential(moto_server.access_key, moto_server.secret_key),
        f"flaky/{uuid.uuid4().hex}",
    )
    try:
        small, big = os.urandom(1000), os.urandom(2 * PART + 123)
        await backend.put("small", chunks(small))
        await backend.put("big", chunks(big, MiB))  # create, 3 parts, complete: each refused once
        assert await read(backend, "small") == small
        assert await read(backend, "big") == big  # cut mid-body, resumed with a ranged GET
        assert await read(backend, "big", PART, 1000) == big[PART : PART + 1000]
        assert [i.key for i in await listing(backend)] == ["big", "small"]  # the list answer is cut once too
        assert await backend.copy("small", "small2") is True
        await backend.delete("small2")
        assert (await backend.stat("big")).size == len(big)  # type: ignore[union-attr]
        assert proxy.refused >= 9 and proxy.cut >= 3
    finally:
        await backend.close()
        await proxy.stop()
