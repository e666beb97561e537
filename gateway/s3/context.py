"""One S3 call: addressing (path- or virtual-hosted-style), auth, and the request body.

Handlers receive an `S3Call` and never look at SigV4, aws-chunked framing or checksum
headers themselves: `body()` and `expectations()` hide those details.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import overload

from aiohttp import web
from multidict import CIMultiDictProxy, MultiDict

from gateway.auth.types import AuthContext, PayloadMode
from gateway.core.access import ADMIN, DELETE, LIST, READ, WRITE, Principal, authorize
from gateway.core.checksums import algorithm_from_header, header_for
from gateway.core.identity import request_context
from gateway.core.objects import Expectations, ObjectAttrs, checksum_algorithm
from gateway.core.service import Core
from gateway.core.storage_classes import parse_storage_class, with_storage_class
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.text import decode_uri_component

from .chunked import ChunkedBodyDecoder

READ_PIECE = 256 * 1024
STREAMING_MODES = (
    PayloadMode.STREAMING_SIGNED,
    PayloadMode.STREAMING_SIGNED_TRAILER,
    PayloadMode.STREAMING_UNSIGNED_TRAILER,
)
ACCOUNT_KINDS = ("account", "user")  # keys of the identity model (the others predate it)
COARSE_ACTIONS = {READ: "s3:GetObject", WRITE: "s3:PutObject", DELETE: "s3:DeleteObject", LIST: "s3:ListBucket"}
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
    principal: Principal
    auth: AuthContext | None
    region: str
    _decoder: ChunkedBodyDecoder | None = field(default=None, repr=False)

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

    async def authorize(self, action: str, bucket_id: int | None = None) -> None:
        """Check the caller may do `action` on this call's bucket (looked up when not given)."""
        if self.principal.is_admin:
            return
        if bucket_id is None and self.bucket is not None:
            bucket_id = (await self.core.buckets.get(self.bucket)).id
        if self.principal.kind in ACCOUNT_KINDS:
            await self._authorize_identity(action, bucket_id)
            return
        authorize(self.principal, action, bucket_id=bucket_id, client_ip=self.client_ip)

    async def _authorize_identity(self, action: str, bucket_id: int | None) -> None:
        """Account and user keys go through the one engine. Until each S3 handler names its
        own AWS action, the coarse action stands for the nearest S3 one on this call's target."""
        identity = await self.core.resolve(self.principal.access_key)
        bucket = await self.core.identity.bucket(bucket_id) if bucket_id is not None else None
        s3_action = COARSE_ACTIONS[action]
        key = self.key if bucket is not None and s3_action != "s3:ListBucket" else None
        context = request_context(self.client_ip, self.request.secure, self.header("User-Agent"))
        if s3_action == "s3:ListBucket":
            context["s3:prefix"] = (self.query.get("prefix", ""),)
        if bucket is None:
            s3_action = "s3:ListAllMyBuckets"
        await self.core.authorize(identity, s3_action, bucket=bucket, key=key or None, context=context)

    def require_admin(self) -> None:
        authorize(self.principal, ADMIN, client_ip=self.client_ip)

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

    def body(self) -> AsyncIterator[bytes]:
        """The payload as an async byte stream, aws-chunked framing removed and verified."""
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
        return self.request.content.iter_chunked(READ_PIECE)

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
