"""The HTTP machinery shared by every S3-style object-store adapter (S3, OBS, ...).

`HttpObjectStore` implements the whole Backend protocol over REST calls to one bucket:
addressing, retries with backoff, error mapping, ListObjects paging, single/multipart
uploads with bounded memory, ranged streaming reads and server-side copies. What differs
between services is small and injected:

* `signer` - a callable that adds authentication headers to an `HttpRequest` (SigV4 for
  S3, the OBS header signature for OBS). It is called again for every retry attempt,
  so it may stamp a fresh date each time.
* `header_prefix` - `"x-amz-"` or `"x-obs-"`; used for the copy-source headers.
* addressing - `endpoint` (scheme://host[:port], no path) and `path_style`
  (`endpoint/bucket/key`) versus virtual-hosted (`scheme://bucket.host/key`); a subclass
  resolves defaults (e.g. the AWS regional endpoint) before calling `__init__`.
* `list_style` - `"v2"` (ListObjectsV2, continuation tokens) or `"v1"` (marker paging,
  the form OBS documents).
* `xml_namespace` - whether request documents carry the S3 namespace.

A subclass sets `kind` and provides a factory from the user-space JSON; see backends/s3.py.
Blob keys live under `working_dir` inside the bucket; `list` strips that prefix again.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import hashlib
import logging
import random
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote_plus

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from s3xml.xml import MalformedXML, child_text, children, document, local, parse, serialize

from .base import (
    BackendAccessDenied,
    BackendError,
    BackendUnavailable,
    BlobInfo,
    BlobNotFound,
    ByteSource,
    check_key,
    check_prefix,
)

log = logging.getLogger("junction.backend.http")

MiB = 1024 * 1024
MIN_PART_SIZE = 5 * MiB  # S3's floor for every part but the last
MAX_PART_SIZE = 5 * 1024 * MiB
MAX_PARTS = 10_000
MAX_SINGLE_COPY = 5 * 1024 * MiB  # CopyObject's limit; larger sources use UploadPartCopy
READ_CHUNK = 256 * 1024
SEND_CHUNK = 256 * 1024
LIST_PAGE = 500  # keeps a page of long, percent-encoded keys under the safe parser's 2 MiB cap
ERROR_BODY_LIMIT = 64 * 1024
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_CODES = frozenset({"SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "Throttling"})
ACCESS_HINTS = {
    "SignatureDoesNotMatch": "the secret access key does not match the access key id",
    "InvalidAccessKeyId": "the access key id is not known to the endpoint",
    "AccessDenied": "the credentials are not allowed to do this",
    "RequestTimeTooSkewed": "this machine's clock differs too much from the endpoint's",
    "ExpiredToken": "the session token has expired",
    "InvalidToken": "the session token is not valid",
}


def access_key_pair(credential: Mapping[str, Any], kind: str, types: tuple[str, ...]) -> tuple[str, str]:
    """(accessKeyId, secretAccessKey) of a user-space credential meant for a `kind` storage."""
    if credential.get("type", kind) not in types:
        raise BackendError(f"an {kind} storage needs a credential of type {' or '.join(types)}")
    access_key = credential.get("accessKeyId") or ""
    secret_key = credential.get("secretAccessKey") or ""
    if not access_key or not secret_key:
        raise BackendError(f"an {kind} credential needs accessKeyId and secretAccessKey")
    return access_key, secret_key


def location_fields(storage: Mapping[str, Any]) -> dict[str, Any]:
    """endpoint, region, bucket and path_style of a user-space storage, as the adapters take them."""
    path_style = storage.get("pathStyle")
    return {
        "endpoint": (storage.get("endpoint") or "").strip(),
        "region": (storage.get("region") or "").strip(),
        "bucket": (storage.get("bucket") or "").strip(),
        "path_style": None if path_style is None else bool(path_style),
    }


@dataclass
class HttpRequest:
    """One outgoing request, as a signer sees it.

    `url` is absolute and already percent-encoded; `key` is the raw object key inside the
    bucket (None for bucket-level calls); `query` holds the raw, unencoded parameters in
    the order sent (value "" for a bare sub-resource like `?uploads`). The signer adds
    its headers to `headers` in place.
    """

    method: str
    url: str
    bucket: str
    key: str | None
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes | bytearray | None = None


Signer = Callable[[HttpRequest], None]


@dataclass(frozen=True)
class StoreOptions:
    """Tunables; the defaults suit a real cloud endpoint, tests lower them."""

    part_size: int = 8 * MiB
    max_inflight_parts: int = 2
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_attempts: int = 5
    backoff_base: float = 0.2
    backoff_cap: float = 5.0
    max_single_copy: int = MAX_SINGLE_COPY
    copy_part_size: int = 512 * MiB
    verify_tls: bool = True
    max_connections: int = 64

    @classmethod
    def from_storage(cls, storage: Mapping[str, Any], min_part_size: int = MIN_PART_SIZE) -> StoreOptions:
        """Read the optional tuning fields of a storage description (camelCase, like the rest).

        `min_part_size` is the service's floor for non-final parts (5 MiB on S3, 100 KiB on OBS).
        """
        names = {
            "partSize": ("part_size", int),
            "maxInflightParts": ("max_inflight_parts", int),
            "connectTimeout": ("connect_timeout", float),
            "readTimeout": ("read_timeout", float),
            "maxAttempts": ("max_attempts", int),
            "backoffBase": ("backoff_base", float),
            "backoffCap": ("backoff_cap", float),
            "maxSingleCopy": ("max_single_copy", int),
            "copyPartSize": ("copy_part_size", int),
            "verifyTLS": ("verify_tls", bool),
        }
        values: dict[str, Any] = {}
        for name, (attr, kind) in names.items():
            if storage.get(name) is not None:
                try:
                    values[attr] = kind(storage[name])
                except (TypeError, ValueError):
                    raise BackendError(f"storage field {name} must be a {kind.__name__}") from None
        options = cls(**values)
        if options.part_size < min_part_size or options.copy_part_size < min_part_size:
            raise BackendError(f"partSize and copyPartSize must be at least {min_part_size} bytes")
        if options.max_attempts < 1 or options.max_inflight_parts < 1:
            raise BackendError("maxAttempts and maxInflightParts must be at least 1")
        return options


@dataclass
class Reply:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    code: str = ""


@dataclass
class _Failure:
    """Why the last attempt failed, for the final BackendUnavailable message."""

    what: str = ""
    attempts: int = 0


class HttpObjectStore:
    """A Backend over one bucket of an S3-style REST service (see the module docstring)."""

    kind = "HTTP"
    list_style = "v2"
    xml_namespace = True

    def __init__(
        self,
        *,
        endpoint: str,
        bucket: str,
        working_dir: str,
        signer: Signer,
        header_prefix: str,
        path_style: bool,
        options: StoreOptions | None = None,
    ) -> None:
        if not bucket:
            raise BackendError(f"a {self.kind} storage needs a bucket")
        endpoint = endpoint.rstrip("/")
        parsed = URL(endpoint)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise BackendError(f"{self.kind} endpoint {endpoint!r} is not an http(s) URL")
        self.endpoint = str(parsed.with_user(None).with_password(None))
        self.bucket = bucket
        self.options = options or StoreOptions()
        self.header_prefix = header_prefix
        self.path_style = path_style or "." in bucket  # dotted names break TLS on virtual hosts
        self._signer = signer
        self._base = endpoint if self.path_style else str(parsed.with_host(f"{bucket}.{parsed.host}"))
        wd = working_dir.strip("/")
        self._prefix = check_key(wd) + "/" if wd else ""
        self._session: aiohttp.ClientSession | None = None
        self._bucket_seen = False

    # ----- addressing and transport -------------------------------------------------

    def _full_key(self, key: str) -> str:
        return self._prefix + check_key(key)

    def _url(self, key: str | None, query: Mapping[str, str]) -> str:
        path = f"/{quote(key, safe='/~')}" if key is not None else "/"
        if self.path_style:
            path = f"/{quote(self.bucket, safe='')}" + (path if key is not None else "")
        url = self._base + path
        if query:
            url += "?" + "&".join(
                quote(name, safe="-_.~") + (f"={quote(value, safe='-_.~')}" if value != "" else "")
                for name, value in query.items()
            )
        return url

    def _session_(self) -> aiohttp.ClientSession:
        """One session per backend, made on first use (the factory runs outside any loop)."""
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(
                total=None, sock_connect=self.options.connect_timeout, sock_read=self.options.read_timeout
            )
            connector = aiohttp.TCPConnector(limit=self.options.max_connections, ssl=self.options.verify_tls)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=timeout,
                auto_decompress=False,  # blobs are opaque bytes, never transparently gunzipped
                skip_auto_headers=("Accept-Encoding", "Content-Type"),
            )
        return self._session

    def _backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
        return random.uniform(0, min(self.options.backoff_cap, self.options.backoff_base * 2**attempt))

    async def _send(
        self,
        op: str,
        method: str,
        key: str | None,
        *,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | bytearray | None = None,
        expect: Iterable[int] = (),
        subject: str | None = None,
        keep_open: bool = False,
    ) -> Reply | aiohttp.ClientResponse:
        """Send one call with retries; return the reply (or the open response if keep_open).

        Statuses below 300 and those in `expect` come back to the caller; any other is
        turned into the matching BackendError. Every attempt is signed afresh. Bodies are
        always in-memory buffers here, so every attempt can replay them.
        """
        query = dict(query or {})
        url = self._url(key, query)
        expected = frozenset(expect)
        failure = _Failure()
        for attempt in range(self.options.max_attempts):
            if attempt:
                await asyncio.sleep(self._backoff(attempt))
            request = HttpRequest(method, url, self.bucket, key, dict(query), dict(headers or {}), body)
            if body is not None:
                request.headers.setdefault("Content-Type", "application/octet-stream")
                request.headers["Content-Length"] = str(len(body))
            self._signer(request)
            failure.attempts = attempt + 1
            try:
                response = await self._session_().request(
                    method, URL(url, encoded=True), headers=request.headers, data=_body_payload(body)
                )
            except (TimeoutError, aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
                failure.what = _describe_exception(exc)
                log.warning("%s %s: %s (attempt %d)", op, self.endpoint, failure.what, attempt + 1)
                continue
            if response.status < 300 and keep_open:
                return response
            try:
                reply = await self._read_reply(response)
            except (TimeoutError, aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
                failure.what = _describe_exception(exc)
                log.warning("%s %s: %s reading the answer (attempt %d)", op, self.endpoint, failure.what, attempt + 1)
                continue
            if reply.status in RETRY_STATUSES or reply.code in RETRY_CODES:
                failure.what = f"HTTP {reply.status} {reply.code}".rstrip()
                log.warning("%s %s: %s (attempt %d)", op, self.endpoint, failure.what, attempt + 1)
                continue
            if reply.code == "NoSuchBucket":  # the remote store's S3 error code, not one of ours
                raise self._no_bucket()
            if reply.status < 300 or reply.status in expected:
                return reply
            raise self._error(op, subject if subject is not None else key, reply)
        raise BackendUnavailable(f"{op} failed at {self.endpoint} after {failure.attempts} attempt(s): {failure.what}")

    @staticmethod
    async def _read_reply(response: aiohttp.ClientResponse) -> Reply:
        """Read a small answer (at most the head of an error's body) and release the connection."""
        try:
            body = await (response.content.read(ERROR_BODY_LIMIT) if response.status >= 300 else response.read())
        finally:
            response.release()
        reply = Reply(response.status, response.headers, body)
        if response.status >= 300 and body:
            reply.code = _error_code(body)
        return reply

    def _no_bucket(self) -> BackendError:
        return BackendError(f"bucket {self.bucket} does not exist at {self.endpoint}")

    def _error(self, op: str, key: str | None, reply: Reply) -> BackendError:
        """Map a final error answer to the protocol's exceptions; never echoes credentials."""
        code = reply.code or f"HTTP {reply.status}"
        message = _error_message(reply.body)
        if reply.status == 403 or reply.code in ACCESS_HINTS:
            default = "access denied" if reply.code else "access denied (a HEAD answer carries no details)"
            hint = ACCESS_HINTS.get(reply.code, default)
            return BackendAccessDenied(f"{self.endpoint} refused {op} on bucket {self.bucket}: {code}: {hint}")
        if reply.code in ("NoSuchKey", "NoSuchUpload") or (reply.status == 404 and not reply.code):
            return BlobNotFound(key or "")
        detail = f": {message}" if message else ""
        region = reply.headers.get("x-amz-bucket-region")
        if region:  # AWS answers 301/400 when the configured region is not the bucket's
            detail += f" (the bucket is in region {region})"
        return BackendError(f"{op} {key or ''} at {self.endpoint} (bucket {self.bucket}) failed: {code}{detail}")

    async def _ensure_bucket(self) -> None:
        """Tell 'no such blob' from 'no such bucket' after a body-less 404 (HEAD)."""
        if self._bucket_seen:
            return
        reply = await self._send("HeadBucket", "HEAD", None, expect=(301, 307, 400, 403, 404))
        assert isinstance(reply, Reply)
        if reply.status == 404:
            raise self._no_bucket()
        self._bucket_seen = True

    # ----- reads ---------------------------------------------------------------------

    async def stat(self, key: str) -> BlobInfo | None:
        reply = await self._head(self._full_key(key), key)
        if reply is None:
            return None
        return BlobInfo(key=key, size=int(reply.headers.get("Content-Length", "0")), mtime=_http_time(reply.headers))

    async def _head(self, full: str, key: str) -> Reply | None:
        reply = await self._send("HeadObject", "HEAD", full, expect=(404,), subject=key)
        assert isinstance(reply, Reply)
        if reply.status == 404:
            await self._ensure_bucket()
            return None
        self._bucket_seen = True
        return reply

    async def get(self, key: str, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        full = self._full_key(key)
        if offset < 0 or (length is not None and length < 0):
            raise BackendError(f"invalid range offset={offset} length={length}")
        if length == 0:
            if await self._head(full, key) is None:
                raise BlobNotFound(key)
            return
        end = None if length is None else offset + length  # exclusive
        position, etag = offset, None
        resumes = 0
        while True:
            headers: dict[str, str] = {}
            if position or end is not None:
                headers["Range"] = f"bytes={position}-{'' if end is None else end - 1}"
            if etag:
                headers["If-Match"] = etag
            answer = await self._send(
                "GetObject", "GET", full, headers=headers, expect=(404, 412, 416), subject=key, keep_open=True
            )
            if isinstance(answer, Reply):
                if answer.status == 404:
                    raise BlobNotFound(key)
                if answer.status == 412:
                    raise BackendError(f"blob {key} changed while it was being read")
                return  # 416: the range starts at or after the end, like reading past EOF
            response, started = answer, position
            etag = etag or response.headers.get("ETag")
            skip = position if response.status == 200 and position else 0  # server ignored Range
            try:
                async for chunk in response.content.iter_chunked(READ_CHUNK):
                    if skip:
                        if len(chunk) <= skip:
                            skip -= len(chunk)
                            continue
                        chunk, skip = chunk[skip:], 0
                    if end is not None and position + len(chunk) > end:
                        chunk = chunk[: end - position]
                    if chunk:
                        position += len(chunk)
                        yield chunk
                    if end is not None and position >= end:
                        return
                return
            except (TimeoutError, aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
                # count only breaks that made no progress: a long read may survive many hiccups
                resumes = resumes + 1 if position == started else 1
                if resumes >= self.options.max_attempts or not etag:
                    raise BackendUnavailable(
                        f"reading {key} from {self.endpoint} broke off at byte {position}: {_describe_exception(exc)}"
                    ) from None
                log.warning("GetObject %s: %s; resuming at byte %d", self.endpoint, _describe_exception(exc), position)
            finally:
                response.release()

    async def list(self, prefix: str = "") -> AsyncIterator[BlobInfo]:
        check_prefix(prefix)
        full_prefix = self._prefix + prefix
        token: str | None = None
        while True:
            query = {"prefix": full_prefix, "encoding-type": "url"}
            if self.list_style == "v2":
                query = {"list-type": "2", **query, "max-keys": str(LIST_PAGE)}
                if token:
                    query["continuation-token"] = token
            else:
                query["max-keys"] = str(LIST_PAGE)
                if token:
                    query["marker"] = token
            reply = await self._send("ListObjects", "GET", None, query=query, subject=prefix)
            assert isinstance(reply, Reply)
            self._bucket_seen = True
            root = _parse(reply.body, "ListObjects")
            encoded = (child_text(root, "EncodingType") or "").lower() == "url"
            last = None
            for item in children(root, "Contents"):
                raw = child_text(item, "Key") or ""
                name = unquote_plus(raw) if encoded else raw
                last = name
                if not name.startswith(full_prefix):
                    continue
                yield BlobInfo(
                    key=name[len(self._prefix) :],
                    size=int(child_text(item, "Size") or 0),
                    mtime=_iso_time(child_text(item, "LastModified") or ""),
                )
            if (child_text(root, "IsTruncated") or "false").lower() != "true":
                return
            if self.list_style == "v2":
                token = child_text(root, "NextContinuationToken")
            else:
                marker = child_text(root, "NextMarker")
                token = (unquote_plus(marker) if encoded else marker) if marker else last
            if not token:
                raise BackendError(f"ListObjects at {self.endpoint} was truncated without a continuation")

    # ----- writes --------------------------------------------------------------------

    async def put(self, key: str, stream: ByteSource, size_hint: int | None = None) -> int:
        """Single PutObject when the stream fits one part, else a multipart upload.

        Memory stays bounded: one part being filled plus at most `max_inflight_parts`
        uploading. A failed multipart upload is aborted so no parts linger.
        """
        full = self._full_key(key)
        part_size = self._first_part_size(size_hint)
        reader = _PartReader(stream)
        first = await reader.read(part_size)
        if reader.exhausted:
            await self._send("PutObject", "PUT", full, headers=await self._md5_header(first), body=first, subject=key)
            self._bucket_seen = True
            return len(first)
        return await self._put_multipart(full, key, first, reader, part_size)

    def _first_part_size(self, size_hint: int | None) -> int:
        size = self.options.part_size
        if size_hint and size_hint > size * (MAX_PARTS - 1000):
            size = -(-size_hint // (MAX_PARTS - 1000))
            size = -(-size // MiB) * MiB
        return min(size, MAX_PART_SIZE)

    @staticmethod
    def _part_size(number: int, base: int) -> int:
        """Grow parts every 2,000 so an unknown-length stream can reach ~500x the base size."""
        return min(MAX_PART_SIZE, base << ((number - 1) // 2000))  # doubles every 2,000 parts

    async def _put_multipart(self, full: str, key: str, first: bytearray, reader: _PartReader, base: int) -> int:
        upload_id = await self._create_upload(full, key)
        etags: dict[int, str] = {}
        tasks: set[asyncio.Task[None]] = set()
        total, number, data = 0, 1, first
        try:
            while True:
                if len(tasks) >= self.options.max_inflight_parts:
                    done, tasks = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                    errors = [exc for task in done if (exc := task.exception()) is not None]
                    if errors:
                        raise errors[0]
                if number > MAX_PARTS:
                    raise BackendError(f"blob {key} needs more than {MAX_PARTS} parts")
                tasks.add(asyncio.create_task(self._upload_part(full, key, upload_id, number, data, etags)))
                total += len(data)
                if reader.exhausted:
                    break
                number += 1
                data = await reader.read(self._part_size(number, base))
            await asyncio.gather(*tasks)
            tasks = set()
            await self._complete_upload(full, key, upload_id, etags)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.shield(self._abort_upload(full, upload_id))
            raise
        return total

    async def _create_upload(self, full: str, key: str) -> str:
        reply = await self._send("CreateMultipartUpload", "POST", full, query={"uploads": ""}, subject=key)
        assert isinstance(reply, Reply)
        self._bucket_seen = True
        upload_id = child_text(_parse(reply.body, "CreateMultipartUpload"), "UploadId")
        if not upload_id:
            raise BackendError(f"CreateMultipartUpload at {self.endpoint} returned no UploadId")
        return upload_id

    async def _upload_part(
        self, full: str, key: str, upload_id: str, number: int, data: bytearray, etags: dict[int, str]
    ) -> None:
        reply = await self._send(
            "UploadPart",
            "PUT",
            full,
            query={"partNumber": str(number), "uploadId": upload_id},
            headers=await self._md5_header(data),
            body=data,
            subject=key,
        )
        assert isinstance(reply, Reply)
        etag = reply.headers.get("ETag")
        if not etag:
            raise BackendError(f"UploadPart {number} at {self.endpoint} returned no ETag")
        etags[number] = etag

    async def _complete_upload(self, full: str, key: str, upload_id: str, etags: dict[int, str]) -> None:
        parts = [("Part", [("PartNumber", n), ("ETag", etags[n])]) for n in sorted(etags)]
        body = serialize(document("CompleteMultipartUpload", parts, namespace=self.xml_namespace))
        try:
            reply = await self._send(
                "CompleteMultipartUpload",
                "POST",
                full,
                query={"uploadId": upload_id},
                headers={"Content-Type": "application/xml", **await self._md5_header(body)},
                body=body,
                subject=key,
            )
        except BlobNotFound:
            # NoSuchUpload: maybe an earlier attempt completed it and only its answer was lost
            info = await self._head(full, key)
            if info is not None and info.headers.get("ETag", "").strip('"') == _multipart_etag(etags):
                return
            raise BackendError(f"multipart upload of {key} vanished at {self.endpoint}") from None
        assert isinstance(reply, Reply)
        self._raise_embedded_error("CompleteMultipartUpload", key, reply)

    async def _abort_upload(self, full: str, upload_id: str) -> None:
        try:
            await self._send("AbortMultipartUpload", "DELETE", full, query={"uploadId": upload_id}, expect=(404,))
        except Exception as exc:  # the original failure matters more; lifecycle rules catch leftovers
            log.warning("could not abort multipart upload at %s: %s", self.endpoint, exc)

    async def delete(self, key: str) -> None:
        await self._send("DeleteObject", "DELETE", self._full_key(key), expect=(404,), subject=key)

    async def copy(self, src: str, dst: str) -> bool:
        src_full, dst_full = self._full_key(src), self._full_key(dst)
        head = await self._head(src_full, src)
        if head is None:
            raise BlobNotFound(src)
        if src_full == dst_full:
            return True
        size = int(head.headers.get("Content-Length", "0"))
        source = f"/{quote(self.bucket, safe='')}/{quote(src_full, safe='/~')}"
        if size <= self.options.max_single_copy:
            reply = await self._send(
                "CopyObject", "PUT", dst_full, headers={f"{self.header_prefix}copy-source": source}, subject=dst
            )
            assert isinstance(reply, Reply)
            self._raise_embedded_error("CopyObject", dst, reply)
            return True
        await self._copy_multipart(dst_full, dst, source, size)
        return True

    async def _copy_multipart(self, full: str, key: str, source: str, size: int) -> None:
        """UploadPartCopy in `copy_part_size` ranges, a few at a time; abort on failure."""
        upload_id = await self._create_upload(full, key)
        etags: dict[int, str] = {}
        part = max(self.options.copy_part_size, -(-size // MAX_PARTS))
        ranges = [(n + 1, start, min(start + part, size) - 1) for n, start in enumerate(range(0, size, part))]
        limit = asyncio.Semaphore(max(2, self.options.max_inflight_parts))

        async def one(number: int, first: int, last: int) -> None:
            async with limit:
                reply = await self._send(
                    "UploadPartCopy",
                    "PUT",
                    full,
                    query={"partNumber": str(number), "uploadId": upload_id},
                    headers={
                        f"{self.header_prefix}copy-source": source,
                        f"{self.header_prefix}copy-source-range": f"bytes={first}-{last}",
                    },
                    subject=key,
                )
            assert isinstance(reply, Reply)
            self._raise_embedded_error("UploadPartCopy", key, reply)
            etag = child_text(_parse(reply.body, "UploadPartCopy"), "ETag")
            if not etag:
                raise BackendError(f"UploadPartCopy {number} at {self.endpoint} returned no ETag")
            etags[number] = etag

        try:
            await asyncio.gather(*(one(*r) for r in ranges))
            await self._complete_upload(full, key, upload_id, etags)
        except BaseException:
            await asyncio.shield(self._abort_upload(full, upload_id))
            raise

    def _raise_embedded_error(self, op: str, key: str, reply: Reply) -> None:
        """Copy and Complete can answer 200 with an <Error> document; treat it as the error."""
        if not reply.body or b"Error" not in reply.body[:512]:
            return
        root = _parse(reply.body, op)
        if local(root.tag) != "Error":
            return
        code = child_text(root, "Code") or "InternalError"
        if code in RETRY_CODES:
            raise BackendUnavailable(f"{op} {key} at {self.endpoint} failed: {code}")
        raise self._error(op, key, Reply(400, reply.headers, reply.body, code))

    @staticmethod
    async def _md5_header(data: bytes | bytearray) -> dict[str, str]:
        """Content-MD5 lets the service reject a part damaged in transit (payload is unsigned)."""
        digest = await asyncio.to_thread(hashlib.md5, data) if len(data) > MiB else hashlib.md5(data)
        return {"Content-MD5": base64.b64encode(digest.digest()).decode()}

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class _PartReader:
    """Cuts an async byte stream into parts of a requested size.

    Each part is filled straight from the stream's pieces (one copy); the rest of the last
    piece waits as a view for the next part. One piece of lookahead tells whether the stream
    ended exactly at a part boundary, so a one-part blob still goes out as a single PUT.
    """

    def __init__(self, stream: ByteSource) -> None:
        self._source = aiter(stream)
        self._pending = memoryview(b"")
        self._done = False

    @property
    def exhausted(self) -> bool:
        return self._done and not self._pending

    async def _pull(self) -> None:
        while not self._done and not self._pending:
            try:
                self._pending = memoryview(await anext(self._source))
            except StopAsyncIteration:
                self._done = True

    async def read(self, size: int) -> bytearray:
        """Return the next `size` bytes (fewer only at the end of the stream)."""
        part = bytearray()
        while len(part) < size:
            await self._pull()
            if not self._pending:
                break
            take = size - len(part)
            part += self._pending[:take]
            self._pending = self._pending[take:]
        await self._pull()  # lookahead: is anything left?
        return part


async def _slices(body: bytes | bytearray) -> AsyncIterator[memoryview]:
    with memoryview(body) as view:
        for start in range(0, len(body), SEND_CHUNK):
            yield view[start : start + SEND_CHUNK]


def _body_payload(body: bytes | bytearray | None) -> Any:
    """Hand big bodies to aiohttp in slices: it then waits for the socket between slices
    instead of copying the unsent rest of a whole part into the transport's buffer.
    (Content-Length is set explicitly, so nothing is sent chunked.)"""
    if body is None or len(body) <= SEND_CHUNK:
        return body
    return _slices(body)


def _multipart_etag(etags: dict[int, str]) -> str:
    """S3's ETag of a completed multipart object: MD5 of the parts' MD5s, dash, part count."""
    try:
        digests = b"".join(bytes.fromhex(etags[n].strip('"')) for n in sorted(etags))
    except ValueError:
        return ""
    return f"{hashlib.md5(digests).hexdigest()}-{len(etags)}"


def _parse(body: bytes, op: str) -> Any:
    try:
        return parse(body)
    except MalformedXML as exc:
        raise BackendError(f"{op}: the endpoint answered with malformed XML ({exc})") from None


def _error_code(body: bytes) -> str:
    try:
        root = parse(body)
    except MalformedXML:
        return ""
    return (child_text(root, "Code") or "").strip()


def _error_message(body: bytes) -> str:
    if not body:
        return ""
    try:
        root = parse(body)
    except MalformedXML:
        return ""
    return (child_text(root, "Message") or "").strip()[:300]


def _describe_exception(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return f"timed out ({type(exc).__name__})"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _http_time(headers: Mapping[str, str]) -> float:
    value = headers.get("Last-Modified")
    if not value:
        return 0.0
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return 0.0


def _iso_time(value: str) -> float:
    try:
        return datetime.fromisoformat(value.strip()).timestamp()
    except ValueError:
        return 0.0
