"""Signed calls to one bucket of an S3-style REST service: addressing, one session, and
retries with backoff.

The signer (SigV4 for S3, the OBS header signature for OBS) adds its headers to an
`HttpRequest`; it is called again for every attempt, so it may stamp a fresh date each time.
Addressing is `endpoint/bucket/key` (path style) or `scheme://bucket.host/key` (virtual hosted).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from ..base import BackendError, BackendUnavailable
from .errors import Reply, Where, describe_exception, error_code, is_no_such_bucket, is_retryable
from .options import StoreOptions

log = logging.getLogger("junction.backend.http")

SEND_CHUNK = 256 * 1024
ERROR_BODY_LIMIT = 64 * 1024
FAILURES = (TimeoutError, aiohttp.ClientConnectionError, aiohttp.ClientPayloadError)


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


@dataclass
class _Failure:
    """Why the last attempt failed, for the final BackendUnavailable message."""

    what: str = ""
    attempts: int = 0


class HttpTransport:
    """Sends signed calls to one bucket and knows whether that bucket has been seen to exist."""

    def __init__(
        self, *, kind: str, endpoint: str, bucket: str, signer: Signer, path_style: bool, options: StoreOptions
    ) -> None:
        if not bucket:
            raise BackendError(f"a {kind} storage needs a bucket")
        endpoint = endpoint.rstrip("/")
        parsed = URL(endpoint)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise BackendError(f"{kind} endpoint {endpoint!r} is not an http(s) URL")
        self.endpoint = str(parsed.with_user(None).with_password(None))
        self.bucket = bucket
        self.options = options
        self.path_style = path_style or "." in bucket  # dotted names break TLS on virtual hosts
        self.where = Where(self.endpoint, bucket)
        self.bucket_seen = False
        self._signer = signer
        self._base = endpoint if self.path_style else str(parsed.with_host(f"{bucket}.{parsed.host}"))
        self._session: aiohttp.ClientSession | None = None

    def url(self, key: str | None, query: Mapping[str, str]) -> str:
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

    async def call(
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
    ) -> Reply:
        """Send one call with retries and return its (small) answer.

        Statuses below 300 and those in `expect` come back to the caller; any other is
        turned into the matching BackendError. Every attempt is signed afresh. Bodies are
        always in-memory buffers here, so every attempt can replay them.
        """
        answer = await self._send(op, method, key, query, headers, body, expect, subject, keep_open=False)
        assert isinstance(answer, Reply)
        return answer

    async def open(
        self, op: str, method: str, key: str, *, headers: Mapping[str, str], expect: Iterable[int], subject: str
    ) -> Reply | aiohttp.ClientResponse:
        """Like `call`, but a success comes back as the open response, its body not yet read."""
        return await self._send(op, method, key, None, headers, None, expect, subject, keep_open=True)

    async def _send(
        self,
        op: str,
        method: str,
        key: str | None,
        query: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        body: bytes | bytearray | None,
        expect: Iterable[int],
        subject: str | None,
        *,
        keep_open: bool,
    ) -> Reply | aiohttp.ClientResponse:
        query = dict(query or {})
        url = self.url(key, query)
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
            except FAILURES as exc:
                failure.what = describe_exception(exc)
                log.warning("%s %s: %s (attempt %d)", op, self.endpoint, failure.what, attempt + 1)
                continue
            if response.status < 300 and keep_open:
                return response
            try:
                reply = await _read_reply(response)
            except FAILURES as exc:
                failure.what = describe_exception(exc)
                log.warning("%s %s: %s reading the answer (attempt %d)", op, self.endpoint, failure.what, attempt + 1)
                continue
            if is_retryable(reply):
                failure.what = f"HTTP {reply.status} {reply.code}".rstrip()
                log.warning("%s %s: %s (attempt %d)", op, self.endpoint, failure.what, attempt + 1)
                continue
            if is_no_such_bucket(reply):
                raise self.where.no_bucket()
            if reply.status < 300 or reply.status in expected:
                return reply
            raise self.where.error(op, subject if subject is not None else key, reply)
        raise BackendUnavailable(f"{op} failed at {self.endpoint} after {failure.attempts} attempt(s): {failure.what}")

    async def ensure_bucket(self) -> None:
        """Tell 'no such blob' from 'no such bucket' after a body-less 404 (HEAD)."""
        if self.bucket_seen:
            return
        reply = await self.call("HeadBucket", "HEAD", None, expect=(301, 307, 400, 403, 404))
        if reply.status == 404:
            raise self.where.no_bucket()
        self.bucket_seen = True

    async def head(self, full: str, key: str) -> Reply | None:
        """HeadObject of the bucket key `full` (the caller's `key` in messages); None when absent."""
        reply = await self.call("HeadObject", "HEAD", full, expect=(404,), subject=key)
        if reply.status == 404:
            await self.ensure_bucket()
            return None
        self.bucket_seen = True
        return reply

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


async def _read_reply(response: aiohttp.ClientResponse) -> Reply:
    """Read a small answer (at most the head of an error's body) and release the connection."""
    try:
        body = await (response.content.read(ERROR_BODY_LIMIT) if response.status >= 300 else response.read())
    finally:
        response.release()
    reply = Reply(response.status, response.headers, body)
    if response.status >= 300 and body:
        reply.code = error_code(body)
    return reply


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
