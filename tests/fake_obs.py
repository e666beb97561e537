"""A small stand-in for Huawei OBS, for testing the `OBS` storage adapter without a cloud.

Run it in-process: `start_fake_obs(tmp_path)` serves on a loopback port from a background
thread with its own event loop (tests stay synchronous), and returns a `FakeObs` with
`url`, `access_key`, `secret_key`, `bucket` and `stop()`.

What it imitates, closely enough for a client to notice mistakes:
- every request must be signed: OBS's own header signature (`Authorization: OBS AK:sig`,
  checked with backends/obs_auth.py) or AWS SigV4 (OBS's S3-compatible mode; verified for
  real with gateway/auth/sigv4.py, including a signed payload hash; aws-chunked bodies are
  refused with 501). Unknown AK -> 403 InvalidAccessKeyId, bad signature -> 403
  SignatureDoesNotMatch, with OBS's XML error body and `x-obs-request-id`.
- objects: PUT (Content-MD5 checked), GET with Range (206/416) and If-Match, HEAD, DELETE (204 even when
  absent), copy (`x-obs-copy-source` / `x-amz-copy-source`), ListObjects v1 (prefix,
  marker, max-keys, delimiter) in OBS's namespace, multipart (initiate, upload part, upload
  part copy, list parts, complete, abort; parts other than the last must be >= 100 KiB as
  on OBS), NoSuchKey / NoSuchBucket / NoSuchUpload 404s.
- path-style (`/bucket/key`) and virtual-hosted (`Host: bucket.<anything>`) addressing.
Bodies stream to and from files under the root directory; only the key index is in memory.

Failure switches, for tests of a backend that misbehaves or goes away:
- `fake.unavailable = True`: every request gets 503 ServiceUnavailable.
- `fake.fail_next_requests = n`: the next n requests get 503 (transient trouble).
- `fake.fail_after_bytes = n`: uploads and downloads are cut (connection aborted) after n
  body bytes.
- `fake.down()` / `fake.up()`: stop listening and drop connections / listen again on the
  same port.
- `fake.hold_reads = True`: an object GET waits, unanswered, until it is set back to False
  (a space that has gone quiet in the middle of a transfer); listings are still answered.
`fake.requests` records (method, path?query, auth scheme) of every request received.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, unquote

from aiohttp import web
from lxml import etree

from backends import obs_auth
from gateway.auth import sigv4, types
from s3xml.xml import MalformedXML, add, child_text, children, http_date, iso8601, parse, serialize

OBS_NS = "http://obs.myhuaweicloud.com/doc/2015-06-30/"
CHUNK = 64 * 1024
MIN_PART_SIZE = 100 * 1024
MAX_XML_BODY = 1024 * 1024
MAX_KEYS = 1000

ERRORS: dict[str, tuple[int, str]] = {
    "AccessDenied": (403, "Access Denied"),
    "BadDigest": (400, "The Content-MD5 you specified did not match what we received."),
    "EntityTooSmall": (400, "Your proposed upload is smaller than the minimum allowed object size."),
    "InvalidAccessKeyId": (403, "The access key Id you provided does not exist in our records."),
    "InvalidArgument": (400, "Invalid Argument"),
    "InvalidPart": (400, "One or more of the specified parts could not be found."),
    "InvalidPartOrder": (400, "The list of parts was not in ascending order."),
    "InvalidRange": (416, "The requested range cannot be satisfied."),
    "MalformedXML": (400, "The XML you provided was not well-formed."),
    "MethodNotAllowed": (405, "The specified method is not allowed against this resource."),
    "NoSuchBucket": (404, "The specified bucket does not exist."),
    "NoSuchKey": (404, "The specified key does not exist."),
    "NoSuchUpload": (404, "The specified multipart upload does not exist."),
    "NotImplemented": (501, "A header you provided implies functionality that is not implemented."),
    "PreconditionFailed": (412, "At least one of the pre-conditions you specified did not hold."),
    "RequestTimeTooSkewed": (403, "The difference between the request time and the server's time is too large."),
    "ServiceUnavailable": (503, "Please reduce your request rate."),
    "SignatureDoesNotMatch": (403, "The request signature we calculated does not match the signature you provided."),
    "XAmzContentSHA256Mismatch": (400, "The provided 'x-amz-content-sha256' header does not match."),
}
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class ObsError(Exception):
    """An OBS error response; rendered as OBS's XML error document."""

    def __init__(self, code: str, message: str = "", **fields: str) -> None:
        super().__init__(code)
        self.code = code
        self.status, default = ERRORS[code]
        self.message = message or default
        self.fields = fields


@dataclass
class StoredObject:
    path: Path
    size: int
    etag: str  # quoted, as on the wire
    mtime: float
    content_type: str


@dataclass
class Upload:
    bucket: str
    key: str
    directory: Path
    parts: dict[int, StoredObject] = field(default_factory=dict)


@dataclass
class Target:
    """What a request addresses once the addressing style is resolved."""

    bucket: str
    key: str
    query: dict[str, str]  # first value of each parameter, decoded


class FakeObs:
    """The server state, its aiohttp app and its thread; see the module docstring."""

    def __init__(
        self,
        root: Path,
        buckets: tuple[str, ...] = ("junction-obs",),
        access_key: str = "OBSFAKEAK0001",
        secret_key: str = "obs/fake+secret/0123456789abcdefghij",
    ) -> None:
        self.root = root
        self.access_key, self.secret_key = access_key, secret_key
        self.bucket = buckets[0]
        self.objects: dict[str, dict[str, StoredObject]] = {}
        for name in buckets:
            self.add_bucket(name)
        self.uploads: dict[str, Upload] = {}
        self.unavailable = False
        self.fail_next_requests = 0
        self.hold_reads = False
        self.fail_after_bytes: int | None = None
        self.min_part_size = MIN_PART_SIZE
        self.requests: list[tuple[str, str, str]] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_bucket(self, name: str) -> None:
        (self.root / name).mkdir(parents=True, exist_ok=True)
        self.objects.setdefault(name, {})

    def keys(self, bucket: str | None = None) -> list[str]:
        return sorted(self.objects[bucket or self.bucket])

    # -------------------------------------------------------------- lifecycle (test thread)

    def start(self) -> FakeObs:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), name="fake-obs", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake OBS did not start")
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._close_site(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop = None

    def down(self) -> None:
        """Stop listening and drop open connections (the port refuses until `up()`)."""
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self._close_site(), self._loop).result(10)

    def up(self) -> None:
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self._open_site(), self._loop).result(10)

    def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._open_site())
        ready.set()
        self._loop.run_forever()
        self._loop.close()

    async def _open_site(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        app = web.Application(client_max_size=1024**3)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def _close_site(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -------------------------------------------------------------- dispatch

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        request_id = uuid.uuid4().hex[:16].upper()
        auth = request.headers.get("Authorization", "")
        self.requests.append((request.method, request.raw_path, auth.split(" ", 1)[0]))
        target = self._target(request)
        while self.hold_reads and request.method == "GET" and target.key:
            await asyncio.sleep(0.05)
        try:
            if self.unavailable or self.fail_next_requests > 0:
                self.fail_next_requests = max(0, self.fail_next_requests - 1)
                raise ObsError("ServiceUnavailable")
            amz = await self._authenticate(request, target)
            response = await self._route(request, target, amz)
        except ObsError as err:
            response = self._error(request, target, err)
        response.headers["x-obs-request-id"] = request_id
        response.headers["x-obs-api"] = "3.0"  # OBS's SDKs probe this to choose the OBS protocol
        response.headers.setdefault("Server", "OBS")
        return response

    def _target(self, request: web.Request) -> Target:
        raw_path, _, raw_query = request.raw_path.partition("?")
        query: dict[str, str] = {}
        for name, value in parse_qsl(raw_query, keep_blank_values=True):
            query.setdefault(name, value)
        host = request.headers.get("Host", "").rsplit(":", 1)[0].lower()
        first_label = host.split(".", 1)[0]
        if "." in host and first_label in self.objects:  # virtual-hosted style
            return Target(first_label, unquote(raw_path[1:]), query)
        bucket, _, key = raw_path[1:].partition("/")
        return Target(unquote(bucket), unquote(key), query)

    async def _authenticate(self, request: web.Request, target: Target) -> types.AuthContext | None:
        """Check the signature; return the SigV4 context (None for the OBS signature)."""
        secrets = {self.access_key: self.secret_key}
        auth = request.headers.get("Authorization", "")
        if auth.startswith(types.ALGORITHM):
            return await self._verify_v4(request, secrets)
        try:
            obs_auth.verify_obs(request.method, target.bucket, target.key, target.query, request.headers, secrets)
        except obs_auth.ObsAuthError as err:
            extra = {"StringToSign": err.string_to_sign} if err.string_to_sign else {}
            raise ObsError(err.code, err.message, **extra) from None
        return None

    async def _verify_v4(self, request: web.Request, secrets: dict[str, str]) -> types.AuthContext:
        raw_path, _, raw_query = request.raw_path.partition("?")
        signed = types.SignedRequest(
            method=request.method,
            raw_path=raw_path,
            query=parse_qsl(raw_query, keep_blank_values=True),
            headers=request.headers,
        )

        async def lookup(access_key: str) -> str | None:
            return secrets.get(access_key)

        try:
            ctx = await sigv4.verify(signed, lookup)
        except types.AuthError as err:
            code = err.code if err.code in ERRORS else "AccessDenied"
            raise ObsError(code, err.message) from None
        if ctx.payload_mode not in (types.PayloadMode.SIGNED, types.PayloadMode.UNSIGNED):
            raise ObsError("NotImplemented", "aws-chunked request bodies are not supported by this fake.")
        return ctx

    async def _route(self, request: web.Request, t: Target, amz: types.AuthContext | None) -> web.StreamResponse:
        if not t.bucket:
            raise ObsError("MethodNotAllowed")
        if t.bucket not in self.objects:
            raise ObsError("NoSuchBucket", BucketName=t.bucket)
        method, q = request.method, t.query
        if not t.key:
            if method == "GET":
                return self._list(t)
            if method == "HEAD":
                return web.Response(status=200)
            raise ObsError("MethodNotAllowed")
        if "uploads" in q and method == "POST":
            return self._initiate(t)
        if "uploadId" in q:
            return await self._multipart(request, t, amz)
        if method == "PUT":
            if _copy_source(request):
                return self._copy(request, t)
            return await self._put(request, t, amz)
        if method in ("GET", "HEAD"):
            return await self._get(request, t)
        if method == "DELETE":
            stored = self.objects[t.bucket].pop(t.key, None)
            if stored is not None:
                stored.path.unlink(missing_ok=True)
            return web.Response(status=204)
        raise ObsError("MethodNotAllowed")

    # -------------------------------------------------------------- objects

    async def _put(self, request: web.Request, t: Target, amz: types.AuthContext | None) -> web.StreamResponse:
        path = self._object_path(t.bucket, t.key)
        size, etag = await self._receive(request, path, amz)
        content_type = request.headers.get("Content-Type", "binary/octet-stream")
        self.objects[t.bucket][t.key] = StoredObject(path, size, etag, time.time(), content_type)
        return web.Response(status=200, headers={"ETag": etag})

    async def _get(self, request: web.Request, t: Target) -> web.StreamResponse:
        stored = self._stored(t)
        start, end = 0, stored.size - 1
        status = 200
        headers = {
            "ETag": stored.etag,
            "Last-Modified": http_date(stored.mtime),
            "Content-Type": stored.content_type,
            "Accept-Ranges": "bytes",
        }
        if_match = request.headers.get("If-Match")
        if if_match is not None and if_match.strip('"') != stored.etag.strip('"'):
            raise ObsError("PreconditionFailed")
        if "Range" in request.headers and request.method == "GET":
            start, end = _parse_range(request.headers["Range"], stored.size)
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{stored.size}"
        length = max(0, end - start + 1)
        headers["Content-Length"] = str(length)
        if request.method == "HEAD":
            return web.Response(status=status, headers=headers)
        response = web.StreamResponse(status=status, headers=headers)
        await response.prepare(request)
        sent = 0
        with open(stored.path, "rb") as f:
            f.seek(start)
            while sent < length:
                chunk = f.read(min(CHUNK, length - sent))
                if not chunk:
                    break
                if self.fail_after_bytes is not None and sent + len(chunk) > self.fail_after_bytes:
                    await response.write(chunk[: max(0, self.fail_after_bytes - sent)])
                    _abort(request)
                    return response
                await response.write(chunk)
                sent += len(chunk)
        await response.write_eof()
        return response

    def _copy(self, request: web.Request, t: Target) -> web.StreamResponse:
        source = self._copy_source_object(request)
        path = self._object_path(t.bucket, t.key)
        tmp = path.with_name(f"{path.name}.tmp-{uuid.uuid4().hex}")
        _copy_range(source.path, tmp, 0, source.size)
        os.replace(tmp, path)
        stored = StoredObject(path, source.size, source.etag, time.time(), source.content_type)
        self.objects[t.bucket][t.key] = stored
        return _xml("CopyObjectResult", [("LastModified", iso8601(stored.mtime)), ("ETag", stored.etag)])

    def _list(self, t: Target) -> web.StreamResponse:
        q = t.query
        prefix, marker, delimiter = q.get("prefix", ""), q.get("marker", ""), q.get("delimiter", "")
        try:
            max_keys = min(MAX_KEYS, int(q.get("max-keys", MAX_KEYS)))
        except ValueError:
            raise ObsError("InvalidArgument", "max-keys is not an integer") from None
        if max_keys < 0:
            raise ObsError("InvalidArgument", "max-keys must not be negative")
        contents: list[str] = []
        prefixes: list[str] = []
        truncated = False
        last = ""
        for key in sorted(self.objects[t.bucket]):
            if not key.startswith(prefix) or key <= marker:
                continue
            entry = key
            if delimiter:
                cut = key.find(delimiter, len(prefix))
                if cut >= 0:
                    entry = key[: cut + len(delimiter)]
                    if prefixes and prefixes[-1] == entry:
                        continue
                    if entry <= marker:
                        continue
            if len(contents) + len(prefixes) >= max_keys:
                truncated = True
                break
            (prefixes if entry != key else contents).append(entry)
            last = entry
        encoding = q.get("encoding-type", "")
        if encoding not in ("", "url"):
            raise ObsError("InvalidArgument", "encoding-type must be url")

        def name(value: str) -> str:  # keys may hold characters XML 1.0 cannot carry
            return quote_plus(value, safe="/") if encoding else value

        fields: list[tuple[str, Any]] = [("Name", t.bucket), ("Prefix", name(prefix)), ("Marker", name(marker))]
        if truncated:
            fields.append(("NextMarker", name(last)))
        fields += [
            ("MaxKeys", max_keys),
            ("Delimiter", name(delimiter) or None),
            ("IsTruncated", truncated),
            ("EncodingType", encoding or None),
        ]
        for key in contents:
            o = self.objects[t.bucket][key]
            fields.append(
                (
                    "Contents",
                    [
                        ("Key", name(key)),
                        ("LastModified", iso8601(o.mtime)),
                        ("ETag", o.etag),
                        ("Size", o.size),
                        ("Owner", [("ID", "fakeowner")]),
                        ("Type", "Normal"),
                        ("StorageClass", "STANDARD"),
                    ],
                )
            )
        fields += [("CommonPrefixes", [("Prefix", name(p))]) for p in prefixes]
        return _xml("ListBucketResult", fields)

    # -------------------------------------------------------------- multipart

    def _initiate(self, t: Target) -> web.StreamResponse:
        upload_id = uuid.uuid4().hex.upper()
        directory = self.root / ".uploads" / upload_id
        directory.mkdir(parents=True)
        self.uploads[upload_id] = Upload(t.bucket, t.key, directory)
        return _xml("InitiateMultipartUploadResult", [("Bucket", t.bucket), ("Key", t.key), ("UploadId", upload_id)])

    async def _multipart(self, request: web.Request, t: Target, amz: types.AuthContext | None) -> web.StreamResponse:
        upload = self.uploads.get(t.query["uploadId"])
        if upload is None or (upload.bucket, upload.key) != (t.bucket, t.key):
            raise ObsError("NoSuchUpload", UploadId=t.query["uploadId"])
        if request.method == "PUT" and "partNumber" in t.query:
            return await self._upload_part(request, t, upload, amz)
        if request.method == "POST":
            return await self._complete(request, t, upload, amz)
        if request.method == "DELETE":
            self._discard(t.query["uploadId"])
            return web.Response(status=204)
        if request.method == "GET":
            parts = [
                ("Part", [("PartNumber", n), ("LastModified", iso8601(p.mtime)), ("ETag", p.etag), ("Size", p.size)])
                for n, p in sorted(upload.parts.items())
            ]
            return _xml(
                "ListPartsResult",
                [
                    ("Bucket", t.bucket),
                    ("Key", t.key),
                    ("UploadId", t.query["uploadId"]),
                    ("IsTruncated", False),
                    *parts,
                ],
            )
        raise ObsError("MethodNotAllowed")

    async def _upload_part(
        self, request: web.Request, t: Target, upload: Upload, amz: types.AuthContext | None
    ) -> web.StreamResponse:
        try:
            number = int(t.query["partNumber"])
        except ValueError:
            raise ObsError("InvalidArgument", "partNumber is not an integer") from None
        if not 1 <= number <= 10000:
            raise ObsError("InvalidArgument", "partNumber must be within 1..10000")
        path = upload.directory / str(number)
        source_header = _copy_source(request)
        if source_header:
            source = self._copy_source_object(request)
            start, end = 0, source.size - 1
            raw_range = request.headers.get("x-obs-copy-source-range") or request.headers.get("x-amz-copy-source-range")
            if raw_range:
                start, end = _parse_range(raw_range, source.size)
            etag = _copy_range(source.path, path, start, end - start + 1)
            stored = StoredObject(path, end - start + 1, etag, time.time(), "")
            upload.parts[number] = stored
            return _xml("CopyPartResult", [("LastModified", iso8601(stored.mtime)), ("ETag", etag)])
        size, etag = await self._receive(request, path, amz)
        upload.parts[number] = StoredObject(path, size, etag, time.time(), "")
        return web.Response(status=200, headers={"ETag": etag})

    async def _complete(
        self, request: web.Request, t: Target, upload: Upload, amz: types.AuthContext | None
    ) -> web.StreamResponse:
        body = await request.content.read(MAX_XML_BODY + 1)
        if amz is not None and amz.payload_sha256 and hashlib.sha256(body).hexdigest() != amz.payload_sha256:
            raise ObsError("XAmzContentSHA256Mismatch")
        try:
            root = parse(body)
        except MalformedXML as exc:
            raise ObsError("MalformedXML", str(exc)) from None
        chosen: list[StoredObject] = []
        previous = 0
        for part in children(root, "Part"):
            try:
                number = int(child_text(part, "PartNumber") or "")
            except ValueError:
                raise ObsError("MalformedXML", "PartNumber is not an integer") from None
            if number <= previous:
                raise ObsError("InvalidPartOrder")
            previous = number
            stored = upload.parts.get(number)
            if stored is None or (child_text(part, "ETag") or "").strip('"') != stored.etag.strip('"'):
                raise ObsError("InvalidPart", f"part {number} was not uploaded or its ETag differs")
            chosen.append(stored)
        if not chosen:
            raise ObsError("MalformedXML", "no parts")
        if any(p.size < self.min_part_size for p in chosen[:-1]):
            raise ObsError("EntityTooSmall")
        path = self._object_path(t.bucket, t.key)
        tmp = path.with_name(f"{path.name}.tmp-{uuid.uuid4().hex}")
        digests = b""
        with open(tmp, "wb") as out:
            for part in chosen:
                with open(part.path, "rb") as src:
                    while chunk := src.read(CHUNK):
                        out.write(chunk)
                digests += bytes.fromhex(part.etag.strip('"'))
        os.replace(tmp, path)
        etag = f'"{hashlib.md5(digests).hexdigest()}-{len(chosen)}"'
        size = sum(p.size for p in chosen)
        self.objects[t.bucket][t.key] = StoredObject(path, size, etag, time.time(), "binary/octet-stream")
        self._discard(t.query["uploadId"])
        return _xml(
            "CompleteMultipartUploadResult",
            [
                ("Location", f"{self.url}/{t.bucket}/{quote(t.key)}"),
                ("Bucket", t.bucket),
                ("Key", t.key),
                ("ETag", etag),
            ],
        )

    def _discard(self, upload_id: str) -> None:
        upload = self.uploads.pop(upload_id)
        for part in upload.parts.values():
            part.path.unlink(missing_ok=True)
        upload.directory.rmdir()

    # -------------------------------------------------------------- helpers

    def _object_path(self, bucket: str, key: str) -> Path:
        return self.root / bucket / hashlib.sha256(key.encode()).hexdigest()

    def _stored(self, t: Target) -> StoredObject:
        stored = self.objects[t.bucket].get(t.key)
        if stored is None:
            raise ObsError("NoSuchKey", Key=t.key)
        return stored

    def _copy_source_object(self, request: web.Request) -> StoredObject:
        source = unquote(_copy_source(request)).lstrip("/")
        bucket, _, key = source.partition("/")
        key = key.split("?versionId=", 1)[0]
        if bucket not in self.objects:
            raise ObsError("NoSuchBucket", BucketName=bucket)
        return self._stored(Target(bucket, key, {}))

    async def _receive(self, request: web.Request, path: Path, amz: types.AuthContext | None) -> tuple[int, str]:
        """Stream the body to `path` (atomically); check Content-MD5 and a signed SHA-256."""
        md5, sha = hashlib.md5(), hashlib.sha256()
        size = 0
        tmp = path.with_name(f"{path.name}.tmp-{uuid.uuid4().hex}")
        try:
            with open(tmp, "wb") as f:
                async for chunk in request.content.iter_chunked(CHUNK):
                    if self.fail_after_bytes is not None and size + len(chunk) > self.fail_after_bytes:
                        _abort(request)
                        raise ObsError("ServiceUnavailable", "connection cut by fail_after_bytes")
                    f.write(chunk)
                    md5.update(chunk)
                    sha.update(chunk)
                    size += len(chunk)
            claimed_md5 = request.headers.get("Content-MD5")
            if claimed_md5 is not None and claimed_md5 != _b64(md5.digest()):
                raise ObsError("BadDigest")
            if amz is not None and amz.payload_sha256 and sha.hexdigest() != amz.payload_sha256:
                raise ObsError("XAmzContentSHA256Mismatch")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return size, f'"{md5.hexdigest()}"'

    def _error(self, request: web.Request, t: Target, err: ObsError) -> web.Response:
        if request.method == "HEAD":
            return web.Response(status=err.status)
        fields = [
            ("Code", err.code),
            ("Message", err.message),
            ("RequestId", uuid.uuid4().hex[:16].upper()),
            ("HostId", "fake-obs"),
            *err.fields.items(),
        ]
        root = etree.Element("Error")
        add(root, fields)
        return web.Response(status=err.status, body=serialize(root), content_type="application/xml")


# ------------------------------------------------------------------ module helpers


def start_fake_obs(tmp_path: Path, buckets: tuple[str, ...] = ("junction-obs",)) -> FakeObs:
    """Start a fake OBS serving `buckets` (data under tmp_path/fake-obs); call `.stop()` after."""
    root = tmp_path / "fake-obs"
    root.mkdir(parents=True, exist_ok=True)
    return FakeObs(root, buckets).start()


def _xml(root_name: str, fields: list[tuple[str, Any]]) -> web.Response:
    root = etree.Element(root_name, nsmap={None: OBS_NS})
    add(root, fields)
    return web.Response(status=200, body=serialize(root), content_type="application/xml")


def _copy_source(request: web.Request) -> str:
    return request.headers.get("x-obs-copy-source") or request.headers.get("x-amz-copy-source") or ""


def _parse_range(value: str, size: int) -> tuple[int, int]:
    """(first, last) byte of a single `bytes=` range, or InvalidRange."""
    match = _RANGE.fullmatch(value.strip())
    if not match or match.groups() == ("", ""):
        raise ObsError("InvalidRange")
    first, last = match.groups()
    if first == "":
        start, end = max(0, size - int(last)), size - 1
    else:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        raise ObsError("InvalidRange")
    return start, end


def _copy_range(source: Path, dest: Path, offset: int, length: int) -> str:
    """Copy bytes [offset, offset+length) in chunks; return the quoted MD5 ETag."""
    md5 = hashlib.md5()
    with open(source, "rb") as src, open(dest, "wb") as out:
        src.seek(offset)
        for chunk in _chunks(src, length):
            out.write(chunk)
            md5.update(chunk)
    return f'"{md5.hexdigest()}"'


def _chunks(f: Any, length: int) -> Iterator[bytes]:
    while length > 0:
        chunk = f.read(min(CHUNK, length))
        if not chunk:
            return
        length -= len(chunk)
        yield chunk


def _abort(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.abort()


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()
