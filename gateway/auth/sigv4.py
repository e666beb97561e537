"""AWS Signature Version 4 verification, server side, for the Authorization header and
presigned URLs.

Framework-neutral: the front end describes what it received as a `SignedRequest`. The
canonical request follows S3's rules (no path normalisation, single URI encoding), but each
path segment and query pair is re-encoded from its decoded form, so clients that escape
reserved characters differently from us ('+', '=', '@', ':' ...) still verify.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote_to_bytes

from gateway.domain.errors import ErrorCode

from .claims import Claim, aware, malformed, parse_header, query_value
from .presign import is_presigned, parse_presigned
from .types import (
    ALGORITHM,
    TERMINATOR,
    UNSIGNED_PAYLOAD,
    AuthContext,
    AuthError,
    PayloadMode,
    SignedRequest,
    credential_scope,
)
from .wire import wire_bytes

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_SPACES = re.compile(" +")
_UNRESERVED = re.compile(r"[A-Za-z0-9\-._~]*")  # `re.ASCII` is moot: the class is ASCII only
_UNRESERVED_BYTES = re.compile(rb"[A-Za-z0-9\-._~]*")
_UNRESERVED_PATH = re.compile(r"[A-Za-z0-9\-._~/]*")
_NAMED_MODES = {mode.value: mode for mode in PayloadMode if mode is not PayloadMode.SIGNED}


def is_anonymous(req: SignedRequest) -> bool:
    """True when the request carries no SigV4 credentials at all."""
    return "Authorization" not in req.headers and not is_presigned(req)


async def verify(
    req: SignedRequest,
    lookup_secret: Callable[[str], Awaitable[str | None]],
    *,
    service: str | None = "s3",
    now: datetime | None = None,
    max_skew: timedelta = timedelta(minutes=15),
    body_sha256: str | None = None,
) -> AuthContext:
    """Verify the request's signature; raise AuthError with the S3 error code otherwise.

    `service=None` accepts any service in the credential scope. `body_sha256` is the hex
    SHA-256 of the body, used only by non-S3 services when x-amz-content-sha256 is absent.
    """
    claim = _parse_claim(req)
    if service is not None and claim.service != service:
        raise malformed(claim, f"Credential should be scoped to correct service: '{service}'.")
    _check_time(claim, aware(now or datetime.now(UTC)), max_skew)
    payload_hash = _payload_hash(req, claim, body_sha256)
    mode = payload_mode(payload_hash)
    secret = await lookup_secret(claim.access_key)
    if secret is None:
        raise AuthError(
            ErrorCode.InvalidAccessKeyId, "The AWS Access Key Id you provided does not exist in our records."
        )
    key = signing_key(secret, claim.date, claim.region, claim.service)
    _check_signature(req, claim, key, payload_hash)
    return AuthContext(
        access_key=claim.access_key,
        region=claim.region,
        service=claim.service,
        date=claim.date,
        amz_date=claim.amz_date,
        signature=claim.signature,
        signing_key=key,
        presigned=claim.presigned,
        payload_mode=mode,
        payload_sha256=payload_hash.lower() if mode is PayloadMode.SIGNED else None,
    )


def _check_signature(req: SignedRequest, claim: Claim, key: bytes, payload_hash: str) -> None:
    creq = canonical_request(req, claim.signed_headers, payload_hash, presigned=claim.presigned)
    scope = credential_scope(claim.date, claim.region, claim.service)
    expected = hmac_hex(key, string_to_sign(claim.amz_date, scope, creq))
    if not hmac.compare_digest(expected.encode(), wire_bytes(claim.signature)):
        raise AuthError(
            ErrorCode.SignatureDoesNotMatch,
            "The request signature we calculated does not match the "
            "signature you provided. Check your key and signing method.",
        )


# ------------------------------------------------------------------ canonical request


def canonical_request(
    req: SignedRequest, signed_headers: tuple[str, ...], payload_hash: str, *, presigned: bool
) -> str:
    """The canonical request string, exactly as the client must have built it.

    Header values keep the lone surrogates of bytes that were not UTF-8: `string_to_sign`
    hashes the string as the bytes that were sent (`wire_bytes`).
    """
    return "\n".join(
        [
            req.method,
            canonical_uri(req.raw_path),
            canonical_query(req.query, presigned=presigned),
            canonical_headers(req.headers, signed_headers),
            ";".join(signed_headers),
            payload_hash,
        ]
    )


def canonical_uri(raw_path: str) -> str:
    """Each segment decoded once and re-encoded with AWS's rules; '/' and empty segments kept.
    A path of unreserved characters only (most keys) is its own canonical form."""
    if _UNRESERVED_PATH.fullmatch(raw_path):
        return raw_path or "/"
    segments = raw_path.split("/")
    return "/".join(uri_encode(unquote_to_bytes(wire_bytes(segment))) for segment in segments) or "/"


def canonical_query(query: list[tuple[str, str]], *, presigned: bool) -> str:
    """Encoded pairs sorted by name then value; a presigned URL's own signature is left out."""
    pairs = sorted(
        (uri_encode(name), uri_encode(value)) for name, value in query if not (presigned and name == "X-Amz-Signature")
    )
    return "&".join(f"{name}={value}" for name, value in pairs)


def canonical_headers(headers: Mapping[str, str], signed_headers: tuple[str, ...]) -> str:
    """One "name:value\\n" line per signed header (the block ends with a newline)."""
    return "".join(f"{name}:{_header_value(headers, name)}\n" for name in signed_headers)


def uri_encode(value: str | bytes) -> str:
    """AWS URI encoding: unreserved A-Za-z0-9-._~ kept, every other byte %XX (uppercase).
    Text of unreserved characters only (most names and values) is returned as it is."""
    if isinstance(value, str):
        if _UNRESERVED.fullmatch(value):
            return value
        value = wire_bytes(value)
    elif _UNRESERVED_BYTES.fullmatch(value):
        return value.decode("ascii")
    return _quoted(value)


@functools.lru_cache(maxsize=4096)
def _quoted(value: bytes) -> str:
    """`quote` remembered: a presigned URL's X-Amz-Credential (its '/') and signed headers (';')
    are the same text request after request, and quoting them was a tenth of the signature check."""
    return quote(value, safe="-_.~")


def string_to_sign(amz_date: str, scope: str, creq: str) -> str:
    return "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(wire_bytes(creq)).hexdigest()])


@functools.lru_cache(maxsize=256)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The derived key; cached because deriving it takes four HMACs per request."""
    key = hmac_sha256(wire_bytes("AWS4" + secret), date)
    for part in (region, service, TERMINATOR):
        key = hmac_sha256(key, part)
    return key


def hmac_sha256(key: bytes, message: str) -> bytes:
    return hmac.new(key, wire_bytes(message), hashlib.sha256).digest()


def hmac_hex(key: bytes, message: str) -> str:
    return hmac.new(key, wire_bytes(message), hashlib.sha256).hexdigest()


def payload_mode(payload_hash: str) -> PayloadMode:
    """Classify an x-amz-content-sha256 value; refuse anything S3 would refuse."""
    if _HEX64.fullmatch(payload_hash):
        return PayloadMode.SIGNED
    mode = _NAMED_MODES.get(payload_hash)
    if mode is None:
        raise AuthError(
            ErrorCode.InvalidArgument,
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* value, or a valid sha256 value.",
        )
    return mode


def _header_value(headers: Mapping[str, str], name: str) -> str:
    """All values of a header, each trimmed with inner runs of spaces collapsed, joined by ','."""
    getall = getattr(headers, "getall", None)
    values = getall(name, []) if getall else [v for v in [headers.get(name)] if v is not None]
    if len(values) == 1:  # the usual case (host): no join, and no pattern when no run of spaces
        value = values[0].strip()
        return value if "  " not in value else _SPACES.sub(" ", value)
    return ",".join(_SPACES.sub(" ", value.strip()) for value in values)


# ------------------------------------------------------------------ the claim, time and payload


def _parse_claim(req: SignedRequest) -> Claim:
    header = req.headers.get("Authorization")
    presigned = is_presigned(req)
    if header is not None and presigned:
        raise AuthError(
            ErrorCode.InvalidArgument,
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
            "parameter or the Authorization header should be specified",
        )
    if presigned:
        return parse_presigned(req)
    if header is None:
        raise AuthError(ErrorCode.AccessDenied, "The request is not signed.")
    return parse_header(req, header)


def _check_time(claim: Claim, now: datetime, max_skew: timedelta) -> None:
    if claim.presigned:
        if claim.signed_at - now > max_skew:
            raise AuthError(ErrorCode.AccessDenied, "Request is not valid yet")
        if now > claim.signed_at + timedelta(seconds=claim.expires or 0):
            raise AuthError(ErrorCode.AccessDenied, "Request has expired")
    elif abs(now - claim.signed_at) > max_skew:
        raise AuthError(
            ErrorCode.RequestTimeTooSkewed, "The difference between the request time and the current time is too large."
        )


def _payload_hash(req: SignedRequest, claim: Claim, body_sha256: str | None) -> str:
    """The last line of the canonical request, as the client must have computed it."""
    if claim.presigned:
        declared = query_value(req, "X-Amz-Content-Sha256")
        if declared is None and claim.service != "s3" and body_sha256 is not None:
            return body_sha256  # generic SigV4 presigning (botocore's SigV4QueryAuth) hashes the body
        return declared or UNSIGNED_PAYLOAD
    declared = req.headers.get("x-amz-content-sha256")
    if declared is not None:
        return declared.strip()
    if claim.service != "s3" and body_sha256 is not None:
        return body_sha256
    raise AuthError(ErrorCode.InvalidRequest, "Missing required header for this request: x-amz-content-sha256")
