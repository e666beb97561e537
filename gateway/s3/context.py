"""One S3 call: addressing (path- or virtual-hosted-style), auth, and the request body.

Handlers receive an `S3Call` and never look at SigV4, aws-chunked framing or checksum
headers themselves: `body()` and `expectations()` hide those details.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TypeVar, overload

from aiohttp import web
from multidict import CIMultiDictProxy, MultiDict

from gateway.auth.types import AuthContext, PayloadMode
from gateway.core.authz import Identity
from gateway.core.checksums import algorithm_from_header, header_for
from gateway.core.objects import Expectations, ObjectAttrs, checksum_algorithm
from gateway.core.service import Core
from gateway.core.storage_classes import parse_storage_class, with_storage_class
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Bucket
from gateway.domain.text import decode_uri_component

from . import access
from .chunked import ChunkedBodyDecoder

R = TypeVar("R", bound=web.StreamResponse)
READ_PIECE = 256 * 1024
STREAMING_MODES = (
    PayloadMode.STREAMING_SIGNED,
    PayloadMode.STREAMING_SIGNED_TRAILER,
    PayloadMode.STREAMING_UNSIGNED_TRAILER,
)
STORED_HEADERS = ("content-encoding", "content-disposition", "content-language", "cache-control", "expires")


def split_target(request: web.Request, domain: str) -> tuple[str | None, str | None]:
    """Return (bucket, key) from the Host header and the raw path.

    The raw path is decoded once here, so keys keep '+', '%' and '//' exactly as sent;
    a path that is not UTF-8 once decoded is refused (InvalidURI), never patched up.
    """
    raw_path = request.raw_path.split("?", 1)[0]
    path = decode_uri_component(raw_path)
    host = (request.headers.get("Host") or "").rsplit(":", 1)[0].lower()
    if domain and host.endswith("." + domain):
        bucket = host[: -len(domain) - 1]
        key = path[1:] if path.startswith("/") else path
        return bucket, key or None
    trimmed = path[1:] if path.startswith("/") else path
    if not trimmed:
        return None, None
    bucket, sep, key = trimmed.partition("/")
    return bucket, (key if sep and key else None)


CONTINUED = web.RequestKey("continued", bool)


async def defer_continue(request: web.Request) -> None:
    """The S3 route's expect handler: no automatic `100 Continue` (see `S3Call.continue_upload`);
    an expectation other than 100-continue is refused, as aiohttp's default does."""
    expect = request.headers.get("Expect", "")
    if request.version >= (1, 1) and expect.lower() != "100-continue":
        raise web.HTTPExpectationFailed(text=f"Unknown Expect: {expect}")


async def close_unsent_body(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare hook: a refused `Expect: 100-continue` request (answered without
    100 Continue) may or may not be followed by its body, so the connection closes after the
    answer rather than reading the next request out of a body the client may still send."""
    if (
        request.headers.get("Expect", "").lower() == "100-continue"
        and not request.get(CONTINUED)
        and (request.content_length or request.headers.get("Transfer-Encoding"))
    ):
        response.force_close()
        response.headers["Connection"] = "close"


def parse_query(request: web.Request) -> MultiDict[str]:
    """Decode the query string ourselves: '+' stays '+', as S3 clients expect."""
    raw = request.raw_path.partition("?")[2]
    pairs = []
    for item in raw.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        pairs.append((decode_uri_component(name), decode_uri_component(value)))
    return MultiDict(pairs)


@dataclass
class S3Call:
    request: web.Request
    core: Core
    bucket: str | None
    key: str | None
    query: MultiDict[str]
    request_id: str
    identity: Identity
    auth: AuthContext | None
    region: str
    form_signed: bool = False  # a POST form upload whose policy signature was verified
    _decoder: ChunkedBodyDecoder | None = field(default=None, repr=False)
    _continued: bool = field(default=False, repr=False)

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        return self.request.headers

    @overload
    def header(self, name: str) -> str | None: ...
    @overload
    def header(self, name: str, default: str) -> str: ...
    def header(self, name: str, default: str | None = None) -> str | None:
        return self.request.headers.get(name, default)

    @property
    def resource(self) -> str:
        if self.bucket is None:
            return "/"
        return f"/{self.bucket}/{self.key}" if self.key else f"/{self.bucket}"

    @property
    def client_ip(self) -> str | None:
        return self.request.remote

    async def target(self) -> Bucket:
        """This call's bucket (NoSuchBucket when absent)."""
        assert self.bucket is not None
        return await self.core.buckets.get(self.bucket)

    async def authorize(
        self,
        action: str,
        bucket: Bucket | None,
        key: str | None = None,
        *,
        version_id: str | None = None,
        extra: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Raise AccessDenied unless the caller may do the AWS `action` on `bucket` (or its object `key`)."""
        await access.authorize(self, action, bucket, key, version_id=version_id, extra=extra)

    def absence_concealed(
        self, bucket: Bucket | None = None, key: str | None = None
    ) -> AbstractAsyncContextManager[None]:
        """Within: a missing object of `bucket` (None: this call's) is 404 only to a caller that may
        list it, else 403 (see `conceals_absence`)."""
        return access.absence_concealed(self, bucket, key)

    async def owner_id(self, bucket: Bucket) -> str:
        """The canonical id of the bucket's owner, as listings name it (Owner/ID)."""
        return (await self.core.access.bucket_access(bucket)).owner_canonical

    async def allowed_account(self, action: str) -> bool:
        """Whether an account-level action (s3:ListAllMyBuckets) is allowed."""
        return await access.allowed(self, action, None)

    async def allowed(self, action: str, bucket: Bucket, key: str | None = None) -> bool:
        return await access.allowed(self, action, bucket, key, version_id=self.query.get("versionId"))

    # ------------------------------------------------------------ body

    def content_length(self) -> int | None:
        """Length of the decoded payload, or None when the client streams without one."""
        if self.auth is not None and self.auth.payload_mode in STREAMING_MODES:
            decoded = self.header("x-amz-decoded-content-length")
            if decoded is None:
                raise JunctionError(ErrorCode.MissingContentLength, "You must provide x-amz-decoded-content-length")
            return _non_negative(decoded, "x-amz-decoded-content-length")
        if self.header("x-amz-decoded-content-length") and "aws-chunked" in (self.header("content-encoding") or ""):
            return _non_negative(self.header("x-amz-decoded-content-length") or "", "x-amz-decoded-content-length")
        return self.request.content_length

    async def continue_upload(self) -> None:
        """Answer `Expect: 100-continue` now that the call is authenticated and authorized: the
        S3 route's expect handler (`defer_continue`) held the interim response back, so a refused
        upload gets its 403 before the client sends a byte of the body."""
        if self._continued:
            return
        self._continued = True
        self.request[CONTINUED] = True
        if self.request.version >= (1, 1) and (self.header("Expect") or "").lower() == "100-continue":
            writer = self.request.writer
            await writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            writer.output_size = 0  # the interim response is not part of the answer's size

    def body(self) -> AsyncIterator[bytes]:
        """The payload as an async byte stream, aws-chunked framing removed and verified."""
        return self._continued_body()

    async def _continued_body(self) -> AsyncIterator[bytes]:
        await self.continue_upload()
        async for piece in self._body():
            yield piece

    def _body(self) -> AsyncIterator[bytes]:
        mode = self.auth.payload_mode if self.auth else PayloadMode.UNSIGNED
        if mode in STREAMING_MODES:
            trailers = [t.strip().lower() for t in (self.header("x-amz-trailer") or "").split(",") if t.strip()]
            self._decoder = ChunkedBodyDecoder(
                self.request.content,
                self.auth,
                mode=mode,
                trailer_names=trailers,
                decoded_length=self.content_length(),
            )
            return aiter(self._decoder)
        # each piece as the socket delivered it: reads of a fixed size (iter_chunked) join and
        # slice the socket's pieces, copying a large upload's every byte twice more on the loop
        return self.request.content.iter_any()

    async def read_small_body(self, limit: int = 1024 * 1024) -> bytes:
        """Read a small XML body fully (bounded), verifying its signed hash."""
        chunks = []
        size = 0
        async for piece in self.body():
            size += len(piece)
            if size > limit:
                raise JunctionError(ErrorCode.MalformedXML, "The XML document is too large")
            chunks.append(piece)
        data = b"".join(chunks)
        if self.auth and self.auth.payload_mode is PayloadMode.SIGNED and self.auth.payload_sha256:
            if hashlib.sha256(data).hexdigest() != self.auth.payload_sha256.lower():
                raise JunctionError(
                    ErrorCode.XAmzContentSHA256Mismatch,
                )
        return data

    def expectations(self) -> Expectations:
        """Every digest the client sent for the body, to be verified before commit."""
        expect = Expectations(content_md5=self.header("Content-MD5"))
        if self.auth and self.auth.payload_mode is PayloadMode.SIGNED:
            expect.sha256_hex = self.auth.payload_sha256
        for name, value in self.request.headers.items():
            alg = algorithm_from_header(name.lower())
            if alg:
                expect.checksums[alg] = value.strip()
        for header in ("x-amz-sdk-checksum-algorithm", "x-amz-checksum-algorithm"):
            alg = checksum_algorithm(self.header(header))
            if alg:
                expect.algorithms.append(alg)
        named = (algorithm_from_header(t.strip().lower()) for t in (self.header("x-amz-trailer") or "").split(","))
        trailer_algs = [a for a in named if a]
        if trailer_algs:
            expect.algorithms.extend(trailer_algs)
            expect.trailer = lambda: self._trailer_checksums(trailer_algs)
        return expect

    def _trailer_checksums(self, algorithms: list[str]) -> dict[str, str]:
        trailers = self._decoder.trailers if self._decoder else {}
        found = {}
        for alg in algorithms:
            value = trailers.get(header_for(alg))
            if value is None:
                raise JunctionError(ErrorCode.InvalidRequest, f"The trailing {header_for(alg)} header is missing")
            found[alg] = value.strip()
        return found

    def object_attrs(self) -> ObjectAttrs:
        """Content headers and x-amz-meta-* of the request, as stored with the object."""
        headers = {}
        for name in STORED_HEADERS:
            value = self.header(name)
            if value is None:
                continue
            if name == "content-encoding":
                value = without_aws_chunked(value)
                if not value:
                    continue
            headers[name] = value
        meta = {}
        for name, value in self.request.headers.items():
            lower = name.lower()
            if lower.startswith("x-amz-meta-"):
                meta[lower[len("x-amz-meta-") :]] = value
        headers = with_storage_class(headers, self.storage_class())
        return ObjectAttrs(content_type=self.header("Content-Type") or "", headers=headers, meta=meta)

    def storage_class(self) -> str | None:
        """The x-amz-storage-class the request names (InvalidStorageClass when S3 knows no such class)."""
        return parse_storage_class(self.header("x-amz-storage-class"))


def without_aws_chunked(value: str) -> str:
    """Content-Encoding as sent, less the `aws-chunked` coding (a transfer detail S3 does not
    store); the rest keeps its spelling: `deflate, gzip` stays `deflate, gzip`, as in S3."""
    codings = value.split(",")
    kept = [c for c in codings if c.strip().lower() != "aws-chunked"]
    return value if len(kept) == len(codings) else ",".join(kept).strip()


def _non_negative(value: str, name: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise JunctionError(ErrorCode.InvalidArgument, f"{name} must be an integer") from None
    if number < 0:
        raise JunctionError(ErrorCode.InvalidArgument, f"{name} must not be negative")
    return number


def int_param(query: MultiDict[str], name: str, default: int, *, low: int = 0, high: int | None = None) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise JunctionError(
            ErrorCode.InvalidArgument, f"Provided {name} not an integer or within integer range", argument=name
        ) from None
    if value < low:
        raise JunctionError(
            ErrorCode.InvalidArgument, f"Argument {name} must be an integer between {low} and 2147483647", argument=name
        )
    return value if high is None else min(value, high)


def conceals_absence(handler: Callable[[S3Call], Awaitable[R]]) -> Callable[[S3Call], Awaitable[R]]:
    """For handlers that act on an existing object (GET, HEAD, ?acl, ?tagging, ?attributes, ...):
    as AWS, a missing key or version is 404 only to a caller with s3:ListBucket on the bucket,
    403 to anyone else, so reading some keys does not let a caller probe which others exist."""

    @functools.wraps(handler)
    async def run(call: S3Call) -> R:
        async with call.absence_concealed():
            return await handler(call)

    return run
