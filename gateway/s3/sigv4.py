"""AWS Signature Version 4 verification, server side, for the Authorization header and
presigned URLs.

Framework-neutral: the front end describes what it received as a `SignedRequest`. The
canonical request follows S3's rules (no path normalisation, single URI encoding), but each
path segment and query pair is re-encoded from its decoded form, so clients that escape
reserved characters differently from us ('+', '=', '@', ':' ...) still verify.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import hmac
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote_to_bytes

from gateway.domain.errors import ErrorCode

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_PRESIGN_EXPIRES = 7 * 24 * 3600
PRESIGN_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
)

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z")
_SPACES = re.compile(" +")


class PayloadMode(enum.Enum):
    """How the body is protected, from the x-amz-content-sha256 value."""

    UNSIGNED = "UNSIGNED-PAYLOAD"
    SIGNED = "<sha256 hex>"  # a hex SHA-256 of the whole body, checked by the consumer
    STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
    STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"


_NAMED_MODES = {mode.value: mode for mode in PayloadMode if mode is not PayloadMode.SIGNED}


class AuthError(Exception):
    """Authentication failed; `code` is the S3 error code. Messages never contain secrets."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SignedRequest:
    """What the server saw, before any interpretation."""

    method: str
    raw_path: str  # as on the wire (percent-encoded), without the query string
    query: list[tuple[str, str]]  # decoded pairs in order of appearance
    headers: Mapping[str, str]  # case-insensitive; a CIMultiDict's repeated headers are joined


@dataclass(frozen=True)
class AuthContext:
    """A verified request: who signed it and what the body decoder needs to go on verifying."""

    access_key: str
    region: str
    service: str
    date: str  # YYYYMMDD
    amz_date: str  # YYYYMMDDTHHMMSSZ
    signature: str  # the request's (seed) signature
    signing_key: bytes = field(repr=False)  # secret-derived: keep it out of logs
    presigned: bool
    payload_mode: PayloadMode
    payload_sha256: str | None  # the hex SHA-256 the client claims, in SIGNED mode

    @property
    def scope(self) -> str:
        return credential_scope(self.date, self.region, self.service)


@dataclass(frozen=True)
class _Claim:
    """The parsed (not yet verified) authentication parameters of a request."""

    access_key: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str
    signed_at: datetime
    presigned: bool
    expires: int | None = None  # seconds, presigned only


def is_anonymous(req: SignedRequest) -> bool:
    """True when the request carries no SigV4 credentials at all."""
    return "Authorization" not in req.headers and _query_value(req, "X-Amz-Algorithm") is None


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
        raise _malformed(claim, f"Credential should be scoped to correct service: '{service}'.")
    _check_time(claim, _aware(now or datetime.now(UTC)), max_skew)
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


def _check_signature(req: SignedRequest, claim: _Claim, key: bytes, payload_hash: str) -> None:
    creq = canonical_request(req, claim.signed_headers, payload_hash, presigned=claim.presigned)
    scope = credential_scope(claim.date, claim.region, claim.service)
    expected = hmac_hex(key, string_to_sign(claim.amz_date, scope, creq))
    if not hmac.compare_digest(expected.encode(), claim.signature.encode()):
        raise AuthError(
            ErrorCode.SignatureDoesNotMatch,
            "The request signature we calculated does not match the "
            "signature you provided. Check your key and signing method.",
        )


# ------------------------------------------------------------------ canonical request


def canonical_request(
    req: SignedRequest, signed_headers: tuple[str, ...], payload_hash: str, *, presigned: bool
) -> str:
    """The canonical request string, exactly as the client must have built it."""
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
    """Each segment decoded once and re-encoded with AWS's rules; '/' and empty segments kept."""
    segments = raw_path.split("/")
    return "/".join(uri_encode(unquote_to_bytes(segment)) for segment in segments) or "/"


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
    """AWS URI encoding: unreserved A-Za-z0-9-._~ kept, every other byte %XX (uppercase)."""
    return quote(value, safe="-_.~")


def credential_scope(date: str, region: str, service: str) -> str:
    return f"{date}/{region}/{service}/{TERMINATOR}"


def string_to_sign(amz_date: str, scope: str, creq: str) -> str:
    return "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])


@functools.lru_cache(maxsize=256)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The derived key; cached because deriving it takes four HMACs per request."""
    key = hmac_sha256(("AWS4" + secret).encode(), date)
    for part in (region, service, TERMINATOR):
        key = hmac_sha256(key, part)
    return key


def hmac_sha256(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def hmac_hex(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


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
    return ",".join(_SPACES.sub(" ", value.strip()) for value in values)


# ------------------------------------------------------------------ parsing the claim


def _parse_claim(req: SignedRequest) -> _Claim:
    header = req.headers.get("Authorization")
    presigned = _query_value(req, "X-Amz-Algorithm") is not None
    if header is not None and presigned:
        raise AuthError(
            ErrorCode.InvalidArgument,
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
            "parameter or the Authorization header should be specified",
        )
    if presigned:
        return _parse_presigned(req)
    if header is None:
        raise AuthError(ErrorCode.AccessDenied, "The request is not signed.")
    return _parse_header(req, header)


def _parse_header(req: SignedRequest, header: str) -> _Claim:
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise AuthError(
            ErrorCode.InvalidRequest,
            "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
        )
    fields = {}
    for item in rest.split(","):
        name, sep, value = item.strip().partition("=")
        if sep:
            fields[name] = value.strip()
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if not fields.get(name)]
    if missing:
        raise AuthError(
            ErrorCode.AuthorizationHeaderMalformed,
            f"The authorization header is malformed; missing {', '.join(missing)}.",
        )
    amz_date, signed_at = _header_time(req)
    return _make_claim(
        fields["Credential"],
        fields["SignedHeaders"],
        fields["Signature"],
        amz_date,
        signed_at,
        presigned=False,
        error_code=ErrorCode.AuthorizationHeaderMalformed,
    )


def _parse_presigned(req: SignedRequest) -> _Claim:
    params = {name: _query_value(req, name) for name in PRESIGN_PARAMS}
    error = ErrorCode.AuthorizationQueryParametersError
    if any(not value for value in params.values()):
        raise AuthError(
            error,
            "Query-string authentication version 4 requires the X-Amz-Algorithm, "
            "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
            "X-Amz-Expires parameters.",
        )
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise AuthError(error, 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')
    expires = params["X-Amz-Expires"] or ""
    if not expires.isdigit() or not 1 <= int(expires) <= MAX_PRESIGN_EXPIRES:
        raise AuthError(error, f"X-Amz-Expires must be between 1 and {MAX_PRESIGN_EXPIRES} seconds.")
    amz_date = params["X-Amz-Date"] or ""
    return _make_claim(
        params["X-Amz-Credential"] or "",
        params["X-Amz-SignedHeaders"] or "",
        params["X-Amz-Signature"] or "",
        amz_date,
        _parse_amz_date(amz_date, error),
        presigned=True,
        error_code=error,
        expires=int(expires),
    )


def _make_claim(
    credential: str,
    signed_headers: str,
    signature: str,
    amz_date: str,
    signed_at: datetime,
    *,
    presigned: bool,
    error_code: ErrorCode,
    expires: int | None = None,
) -> _Claim:
    parts = credential.rsplit("/", 4)
    if len(parts) != 5 or not all(parts) or parts[4] != TERMINATOR:
        raise AuthError(
            error_code,
            'The credential is malformed; expected "<access key>/<YYYYMMDD>/<region>/<service>/aws4_request".',
        )
    access_key, date, region, service, _ = parts
    if date != amz_date[:8]:
        raise AuthError(
            error_code, f'Invalid credential date "{date}". This date is not the same as X-Amz-Date: "{amz_date[:8]}".'
        )
    names = tuple(name.strip().lower() for name in signed_headers.split(";"))
    if "host" not in names:
        raise AuthError(error_code, "The host header must be signed.")
    return _Claim(
        access_key=access_key,
        date=date,
        region=region,
        service=service,
        signed_headers=names,
        signature=signature,
        amz_date=amz_date,
        signed_at=signed_at,
        presigned=presigned,
        expires=expires,
    )


def _malformed(claim: _Claim, message: str) -> AuthError:
    code = ErrorCode.AuthorizationQueryParametersError if claim.presigned else ErrorCode.AuthorizationHeaderMalformed
    return AuthError(code, message)


def _query_value(req: SignedRequest, name: str) -> str | None:
    return next((value for key, value in req.query if key == name), None)


# ------------------------------------------------------------------ time and payload


def _header_time(req: SignedRequest) -> tuple[str, datetime]:
    """The request time from x-amz-date, or else the Date header, in both forms."""
    amz_date = req.headers.get("x-amz-date")
    if amz_date is not None:
        return amz_date, _parse_amz_date(amz_date, ErrorCode.AccessDenied)
    date = req.headers.get("Date")
    try:
        parsed = parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError):
        parsed = None
    if parsed is None:
        raise AuthError(ErrorCode.AccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
    signed_at = _aware(parsed).astimezone(UTC)
    return signed_at.strftime(AMZ_DATE_FORMAT), signed_at


def _parse_amz_date(value: str, error_code: ErrorCode) -> datetime:
    if _AMZ_DATE.fullmatch(value):
        try:
            return datetime.strptime(value, AMZ_DATE_FORMAT).replace(tzinfo=UTC)
        except ValueError:  # well-formed but impossible, e.g. month 13
            pass
    raise AuthError(error_code, f'Invalid date "{value}"; expected YYYYMMDDTHHMMSSZ.')


def _check_time(claim: _Claim, now: datetime, max_skew: timedelta) -> None:
    if claim.presigned:
        if claim.signed_at - now > max_skew:
            raise AuthError(ErrorCode.AccessDenied, "Request is not valid yet")
        if now > claim.signed_at + timedelta(seconds=claim.expires or 0):
            raise AuthError(ErrorCode.AccessDenied, "Request has expired")
    elif abs(now - claim.signed_at) > max_skew:
        raise AuthError(
            ErrorCode.RequestTimeTooSkewed, "The difference between the request time and the current time is too large."
        )


def _payload_hash(req: SignedRequest, claim: _Claim, body_sha256: str | None) -> str:
    """The last line of the canonical request, as the client must have computed it."""
    if claim.presigned:
        declared = _query_value(req, "X-Amz-Content-Sha256")
        if declared is None and claim.service != "s3" and body_sha256 is not None:
            return body_sha256  # generic SigV4 presigning (botocore's SigV4QueryAuth) hashes the body
        return declared or UNSIGNED_PAYLOAD
    declared = req.headers.get("x-amz-content-sha256")
    if declared is not None:
        return declared.strip()
    if claim.service != "s3" and body_sha256 is not None:
        return body_sha256
    raise AuthError(ErrorCode.InvalidRequest, "Missing required header for this request: x-amz-content-sha256")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
