"""A download whose backend fails (or whose client hangs up) after the headers went out.

The gateway runs in-process on a loopback port (pytest-aiohttp's test server) so that a
backend wrapper can fail on cue; the clients are real: boto3 to write, a SigV4-signed
http.client GET to read both S3 GetObject and native /v1/object/download.
"""

from __future__ import annotations

import asyncio
import http.client
import logging
import socket
import struct
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import boto3
import pytest
from aiohttp import web
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config as BotoConfig
from botocore.credentials import Credentials

from backends.base import Backend, BackendUnavailable
from gateway.app import CORE_KEY, create_app
from gateway.config import Config

ACCESS, SECRET = "AKDOWNLOADTEST", "download-test-secret"
SIZE = 3 * 256 * 1024 + 17  # several backend pieces


class FailingBackend:
    """Delegates to the real backend; `get` yields its first piece, then raises `error`
    (or, with `error` None, waits for `resume` before yielding the rest)."""

    def __init__(self, inner: Backend, error: BaseException | None) -> None:
        self.inner, self.error = inner, error
        self.resume = asyncio.Event()

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    async def get(self, key: str, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        pieces = self.inner.get(key, offset, length)
        yield await anext(pieces)
        if self.error is not None:
            raise self.error
        await self.resume.wait()
        async for piece in pieces:
            yield piece


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    truncated: bool
    request_id: str = field(default="")


def signed_get(base: str, path: str, query: str, service: str) -> Reply:
    """A SigV4-signed GET read to the end (or to where the server cut it)."""
    url = f"{base}{path}" + (f"?{query}" if query else "")
    request = AWSRequest(method="GET", url=url, headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    SigV4Auth(Credentials(ACCESS, SECRET), service, "us-east-1").add_auth(request)
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", path + (f"?{query}" if query else ""), headers=dict(request.headers.items()))
        resp = conn.getresponse()
        try:
            body, truncated = resp.read(), False
        except http.client.IncompleteRead as exc:
            body, truncated = exc.partial, True
        headers = {k.lower(): v for k, v in resp.getheaders()}
        return Reply(resp.status, headers, body, truncated, headers.get("x-amz-request-id", ""))
    finally:
        conn.close()


@pytest.fixture
async def gateway(tmp_path):
    """The app served as `junction serve` serves it (web.run_app's defaults: a handler is not
    cancelled when its client goes away), on a free loopback port."""
    config = Config(data_dir=tmp_path, root_access_key=ACCESS, root_secret_key=SECRET, gc_interval=0)
    app = create_app(config)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield app, f"http://{host}:{port}"
    await runner.cleanup()


async def put_object(base: str, data: bytes) -> tuple[str, str]:
    s3 = boto3.client(
        "s3",
        endpoint_url=base,
        aws_access_key_id=ACCESS,
        aws_secret_access_key=SECRET,
        region_name="us-east-1",
        config=BotoConfig(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    bucket = f"b-{uuid.uuid4().hex[:10]}"
    await asyncio.to_thread(s3.create_bucket, Bucket=bucket)
    await asyncio.to_thread(s3.put_object, Bucket=bucket, Key="pkg/blob.bin", Body=data)
    return bucket, "pkg/blob.bin"


def wrap_backends(monkeypatch, core, error: BaseException | None) -> list[FailingBackend]:
    wrappers: list[FailingBackend] = []
    real = core.spaces.backend

    def backend(space_id: int):
        wrapper = FailingBackend(real(space_id), error)
        wrappers.append(wrapper)
        return wrapper

    monkeypatch.setattr(core.spaces, "backend", backend)
    return wrappers


async def download_target(app, bucket: str, key: str, front_end: str) -> tuple[str, str, str]:
    if front_end == "s3":
        return f"/{bucket}/{key}", "", "s3"
    obj = await app[CORE_KEY].objects.head(bucket, key)
    return "/v1/object/download", f"objectID={obj.id}", "jcs"


def stream_logs(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "junction.streaming"]


@pytest.mark.parametrize("front_end", ["s3", "native"])
@pytest.mark.parametrize(
    "error",
    [BackendUnavailable("storage went away"), OSError(5, "Input/output error"), RuntimeError("a bug")],
    ids=["unavailable", "oserror", "unexpected"],
)
async def test_backend_failure_mid_body_cuts_the_connection(gateway, monkeypatch, caplog, front_end, error):
    app, base = gateway
    data = bytes(range(256)) * (SIZE // 256) + b"x" * (SIZE % 256)
    bucket, key = await put_object(base, data)
    path, query, service = await download_target(app, bucket, key, front_end)
    wrap_backends(monkeypatch, app[CORE_KEY], error)
    caplog.set_level(logging.INFO)

    reply = await asyncio.to_thread(signed_get, base, path, query, service)

    assert reply.status == 200
    assert reply.headers["content-length"] == str(SIZE)
    assert reply.truncated and 0 < len(reply.body) < SIZE  # a short body, never a second response
    assert data.startswith(reply.body)
    assert b"<Error>" not in reply.body and b'"code"' not in reply.body
    [line] = stream_logs(caplog)
    assert line.levelno == logging.WARNING
    assert line.fields["rid"] == reply.request_id  # type: ignore[attr-defined]
    assert "\n" not in line.getMessage() and line.exc_info is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

    monkeypatch.undo()  # the gateway keeps serving: the same download now completes
    again = await asyncio.to_thread(signed_get, base, path, query, service)
    assert (again.status, again.truncated, again.body) == (200, False, data)


@pytest.mark.parametrize("front_end", ["s3", "native"])
async def test_client_hanging_up_mid_body_is_logged_as_the_clients(gateway, monkeypatch, caplog, front_end):
    app, base = gateway
    data = b"z" * (8 * 1024 * 1024)
    bucket, key = await put_object(base, data)
    path, query, service = await download_target(app, bucket, key, front_end)
    wrappers = wrap_backends(monkeypatch, app[CORE_KEY], None)
    caplog.set_level(logging.INFO)

    url = f"{base}{path}" + (f"?{query}" if query else "")
    request = AWSRequest(method="GET", url=url, headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    SigV4Auth(Credentials(ACCESS, SECRET), service, "us-east-1").add_auth(request)
    parts = urlsplit(base)

    def read_headers_then_hang_up() -> None:
        sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
        head = f"GET {path}{'?' + query if query else ''} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in request.headers.items()
        )
        sock.sendall((head + f"Host: {parts.netloc}\r\nConnection: close\r\n\r\n").encode())
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()  # linger 0: an RST, as a client that gives up does

    await asyncio.to_thread(read_headers_then_hang_up)
    [wrapper] = wrappers
    wrapper.resume.set()
    for _ in range(200):  # the handler notices on its next writes
        if stream_logs(caplog):
            break
        await asyncio.sleep(0.05)

    [line] = stream_logs(caplog)
    assert line.levelno == logging.INFO
    assert "client" in line.getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    monkeypatch.undo()
    again = await asyncio.to_thread(signed_get, base, path, query, service)
    assert (again.status, again.truncated, len(again.body)) == (200, False, len(data))
