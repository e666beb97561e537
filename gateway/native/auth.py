"""SigV4 (service `jcs`, any region) for the native API, with the S3 access keys.

botocore's `SigV4Auth(creds, "jcs", region)` sends no x-amz-content-sha256 header: the
last line of its canonical request is the SHA-256 of the body. So:

- JSON requests: the (bounded) body is read first and its hash passed to `verify`.
- Streamed multipart/form-data uploads: with `x-amz-content-sha256: UNSIGNED-PAYLOAD` or a
  hex hash, the signature is verified before the body is read (a hex hash is compared
  with the body's when it ends). Without the header, verification is *deferred*: the
  request is pre-checked (well-formed, known key, fresh date, allowed action), the raw
  body is hashed while the files stream into uncommitted blobs, and only when the
  signature over that hash verifies are the objects committed; otherwise the blobs are
  discarded and nothing becomes visible.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from aiohttp import web
from multidict import MultiDict

from gateway.auth.sigv4 import is_anonymous, verify
from gateway.auth.types import AuthContext, AuthError, PayloadMode, SignedRequest
from gateway.core.service import Core
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.text import decode_uri_component

SERVICE = "jcs"
MAX_JSON_BODY = 1024 * 1024
_PROBE = "0" * 64  # a payload hash no real body has: used to pre-check a deferred request


def parse_query(request: web.Request) -> MultiDict[str]:
    """Decode the query once, '+' kept as '+' (as the SigV4 canonical form expects);
    a value that is not UTF-8 once decoded is refused (InvalidURI), never patched up."""
    pairs = []
    for item in request.raw_path.partition("?")[2].split("&"):
        if item:
            name, _, value = item.partition("=")
            pairs.append((decode_uri_component(name), decode_uri_component(value)))
    return MultiDict(pairs)


def signed_request(request: web.Request, query: MultiDict[str]) -> SignedRequest:
    return SignedRequest(
        method=request.method,
        raw_path=request.raw_path.split("?", 1)[0],
        query=list(query.items()),
        headers=request.headers,
    )


def _require_signed(signed: SignedRequest) -> None:
    if is_anonymous(signed):
        raise AuthError(
            ErrorCode.AccessDenied, "Unsigned request: sign native API requests with AWS SigV4 (service 'jcs')"
        )


async def read_body(request: web.Request, limit: int = MAX_JSON_BODY) -> bytes:
    """Read a small request body whole, refusing more than `limit` bytes."""
    chunks, size = [], 0
    async for piece in request.content.iter_chunked(64 * 1024):
        size += len(piece)
        if size > limit:
            raise JunctionError(ErrorCode.EntityTooLarge, f"The request body exceeds {limit} bytes")
        chunks.append(piece)
    return b"".join(chunks)


async def authenticate(request: web.Request, core: Core, query: MultiDict[str], body: bytes) -> AuthContext:
    """Verify a request whose whole (small) body has been read."""
    signed = signed_request(request, query)
    _require_signed(signed)
    digest = hashlib.sha256(body).hexdigest()
    auth = await verify(signed, core.secret_for, service=SERVICE, body_sha256=digest)
    if auth.payload_mode is PayloadMode.SIGNED and auth.payload_sha256 != digest:
        raise JunctionError(
            ErrorCode.XAmzContentSHA256Mismatch,
        )
    if auth.payload_mode not in (PayloadMode.SIGNED, PayloadMode.UNSIGNED):
        raise JunctionError(
            ErrorCode.InvalidRequest, "Streaming (aws-chunked) payloads are not accepted by the native API"
        )
    return auth


def claimed_access_key(signed: SignedRequest) -> str:
    """The access key a request names (not yet proven)."""
    header = signed.headers.get("Authorization") or ""
    for item in header.partition(" ")[2].split(","):
        name, _, value = item.strip().partition("=")
        if name == "Credential":
            return value.split("/", 1)[0]
    for name, value in signed.query:
        if name == "X-Amz-Credential":
            return value.split("/", 1)[0]
    raise AuthError(
        ErrorCode.AuthorizationHeaderMalformed, "The authorization header is malformed; missing Credential."
    )


class StreamedAuth:
    """Authentication of a request whose body is streamed (multipart/form-data uploads)."""

    def __init__(self, request: web.Request, core: Core, query: MultiDict[str]) -> None:
        self._core = core
        self._signed = signed_request(request, query)
        self._started = datetime.now(UTC)
        declared = "x-amz-content-sha256" in request.headers or "X-Amz-Content-Sha256" in query
        self.deferred = not declared  # the signature covers the body's hash: known only at its end
        self._auth: AuthContext | None = None

    async def precheck(self) -> str:
        """Fail fast on anything but the body hash; return the (claimed) access key."""
        _require_signed(self._signed)
        if not self.deferred:
            self._auth = await verify(self._signed, self._core.secret_for, service=SERVICE, now=self._started)
            if self._auth.payload_mode not in (PayloadMode.SIGNED, PayloadMode.UNSIGNED):
                raise JunctionError(
                    ErrorCode.InvalidRequest,
                    "Streaming (aws-chunked) payloads are not accepted here; "
                    "send x-amz-content-sha256: UNSIGNED-PAYLOAD or the body's hex SHA-256",
                )
            return self._auth.access_key
        try:
            await verify(self._signed, self._core.secret_for, service=SERVICE, now=self._started, body_sha256=_PROBE)
        except AuthError as exc:
            if exc.code != ErrorCode.SignatureDoesNotMatch:  # only the body hash is still unknown
                raise
        return claimed_access_key(self._signed)

    async def finish(self, body_sha256: str) -> None:
        """Called with the raw body's hash before anything is committed."""
        if self.deferred:
            await verify(
                self._signed, self._core.secret_for, service=SERVICE, now=self._started, body_sha256=body_sha256
            )
            return
        assert self._auth is not None
        if self._auth.payload_mode is PayloadMode.SIGNED and self._auth.payload_sha256 != body_sha256:
            raise JunctionError(
                ErrorCode.XAmzContentSHA256Mismatch,
            )
