"""AWS Signature Version 2 (legacy HMAC-SHA1) verification, server side.

Still sent by boto3's default `generate_presigned_url` (`AWSAccessKeyId`/`Signature`/`Expires`
query) and by older clients (`Authorization: AWS <key>:<signature>`). The payload is not
signed in V2, so a verified request gets an `AuthContext` in UNSIGNED mode (Content-MD5 and
flexible checksums are still verified by the core when sent).

    StringToSign = Method \\n Content-MD5 \\n Content-Type \\n Date-or-Expires \\n
                   CanonicalizedAmzHeaders + CanonicalizedResource

Clients disagree on a few details, so the few plausible strings are all tried (each compared
in constant time): which sub-resources count (botocore's list vs MinIO's), whether a bare
bucket path is '/bucket' or '/bucket/' (botocore signs the latter), and what goes on the
Date line when x-amz-date is sent (the rule says empty; AWS's own example puts the
x-amz-date value there; MinIO keeps the Date header).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gateway.domain.errors import ErrorCode

from .claims import http_date
from .presign import is_seconds
from .types import AMZ_DATE_FORMAT, AuthContext, AuthError, PayloadMode, SignedRequest
from .wire import shown, wire_bytes

PRESIGN_PARAMS = ("AWSAccessKeyId", "Signature", "Expires")
# Sub-resources every V2 signer includes in the CanonicalizedResource.
SUBRESOURCES = frozenset(
    {
        "acl",
        "cors",
        "delete",
        "lifecycle",
        "location",
        "logging",
        "notification",
        "partNumber",
        "policy",
        "requestPayment",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "response-content-language",
        "response-content-type",
        "response-expires",
        "select",
        "select-type",
        "tagging",
        "torrent",
        "uploadId",
        "uploads",
        "versionId",
        "versioning",
        "versions",
        "website",
    }
)
# Sub-resources only some signers include: botocore's HmacV1Auth, and MinIO (minio-go).
BOTOCORE_ONLY = frozenset(
    {
        "accelerate",
        "analytics",
        "defaultObjectAcl",
        "inventory",
        "metrics",
        "object-lock",
        "replication",
        "restore",
        "storageClass",
    }
)
MINIO_ONLY = frozenset({"encryption", "legal-hold", "retention"})

_STREAMING_TRAILER = PayloadMode.STREAMING_UNSIGNED_TRAILER.value


@dataclass(frozen=True)
class V2Claim:
    """The (not yet verified) parameters of a V2-signed request."""

    access_key: str
    signature: str
    presigned: bool
    signed_at: datetime  # request time (header auth) or expiry (presigned)
    expires: str = ""  # the raw Expires value, presigned only


def is_v2(req: SignedRequest) -> bool:
    """True when the request is signed with Signature Version 2 (header or query)."""
    header = req.headers.get("Authorization") or ""
    if header.startswith("AWS "):
        return True
    for name, _ in req.query:  # a plain loop: every request asks
        if name == "AWSAccessKeyId" or name == "Signature":
            return True
    return False


def virtual_host_prefix(host: str, domain: str) -> str:
    """'/bucket' when the Host header addresses a bucket virtual-hosted style, else ''."""
    name = host.rsplit(":", 1)[0].lower()
    if domain and name.endswith("." + domain):
        return "/" + name[: -len(domain) - 1]
    return ""


async def verify(
    req: SignedRequest,
    lookup_secret: Callable[[str], Awaitable[str | None]],
    *,
    bucket_prefix: str = "",
    now: datetime | None = None,
    max_skew: timedelta = timedelta(minutes=15),
) -> AuthContext:
    """Verify a V2 signature; raise AuthError with the S3 error code otherwise.

    `bucket_prefix` is '/bucket' for virtual-hosted requests (the resource always names it).
    """
    claim = parse_claim(req)
    _check_time(claim, now or datetime.now(UTC), max_skew)
    secret = await lookup_secret(claim.access_key)
    if secret is None:
        raise AuthError(
            ErrorCode.InvalidAccessKeyId, "The AWS Access Key Id you provided does not exist in our records."
        )
    given = wire_bytes(claim.signature)
    matched = False
    for candidate in strings_to_sign(req, bucket_prefix + req.raw_path, expires=claim.expires or None):
        matched |= hmac.compare_digest(sign(secret, candidate).encode(), given)
    if not matched:
        raise AuthError(
            ErrorCode.SignatureDoesNotMatch,
            "The request signature we calculated does not match the "
            "signature you provided. Check your key and signing method.",
        )
    return auth_context(req, claim)


def auth_context(req: SignedRequest, claim: V2Claim) -> AuthContext:
    """An AuthContext for the rest of the front end: no signing key, the body unsigned.

    A signed (x-amz-* is covered by V2) hex x-amz-content-sha256 is still honoured, and an
    unsigned-trailer aws-chunked body is still decoded.
    """
    declared = (req.headers.get("x-amz-content-sha256") or "").strip()
    mode, sha = PayloadMode.UNSIGNED, None
    if len(declared) == 64 and all(c in "0123456789abcdefABCDEF" for c in declared):
        mode, sha = PayloadMode.SIGNED, declared.lower()
    elif declared == _STREAMING_TRAILER:
        mode = PayloadMode.STREAMING_UNSIGNED_TRAILER
    amz_date = claim.signed_at.strftime(AMZ_DATE_FORMAT)
    return AuthContext(
        access_key=claim.access_key,
        region="",
        service="s3",
        date=amz_date[:8],
        amz_date=amz_date,
        signature=claim.signature,
        signing_key=b"",
        presigned=claim.presigned,
        payload_mode=mode,
        payload_sha256=sha,
    )


def sign(secret: str, string_to_sign: str) -> str:
    """Base64 of HMAC-SHA1(secret, StringToSign)."""
    digest = hmac.new(wire_bytes(secret), wire_bytes(string_to_sign), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# ------------------------------------------------------------------ the claim


def parse_claim(req: SignedRequest) -> V2Claim:
    header = req.headers.get("Authorization")
    query = {name: value for name, value in req.query if name in PRESIGN_PARAMS}
    if header is not None and query:
        raise AuthError(
            ErrorCode.InvalidArgument,
            "Only one auth mechanism allowed; only the Signature query "
            "parameter or the Authorization header should be specified",
        )
    if header is None:
        if any(not query.get(name) for name in PRESIGN_PARAMS):
            raise AuthError(
                ErrorCode.AccessDenied,
                "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
            )
        expires = query["Expires"]
        return V2Claim(query["AWSAccessKeyId"], query["Signature"], True, _expiry(expires), expires)
    access_key, sep, signature = header[len("AWS ") :].strip().rpartition(":")
    if not sep or not access_key or not signature:
        raise AuthError(
            ErrorCode.InvalidArgument, "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature"
        )
    return V2Claim(access_key, signature, False, _request_time(req.headers))


def _expiry(expires: str) -> datetime:
    """The Expires parameter (seconds since the epoch) as a moment."""
    try:
        if is_seconds(expires):
            return datetime.fromtimestamp(int(expires), UTC)
    except (ValueError, OverflowError, OSError):  # beyond datetime's years
        pass
    raise AuthError(ErrorCode.AccessDenied, f"Invalid date (should be seconds since epoch): {shown(expires)}")


def _request_time(headers: Mapping[str, str]) -> datetime:
    """x-amz-date (which takes precedence) or Date, RFC 1123 (ISO 8601 basic also accepted)."""
    value = headers.get("x-amz-date") or headers.get("Date") or ""
    parsed = http_date(value)
    if parsed is None and value.isascii():
        try:
            parsed = datetime.strptime(value, AMZ_DATE_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            parsed = None
    if parsed is None:
        raise AuthError(ErrorCode.AccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
    return parsed


def _check_time(claim: V2Claim, now: datetime, max_skew: timedelta) -> None:
    if claim.presigned:
        if now > claim.signed_at:
            raise AuthError(ErrorCode.AccessDenied, "Request has expired")
    elif abs(now - claim.signed_at) > max_skew:
        raise AuthError(
            ErrorCode.RequestTimeTooSkewed, "The difference between the request time and the current time is too large."
        )


# ------------------------------------------------------------------ the string to sign


def strings_to_sign(req: SignedRequest, path: str, *, expires: str | None = None) -> list[str]:
    """Every StringToSign a legitimate V2 client may have signed (the first is the documented one).

    `path` is the raw (percent-encoded, as sent) path, prefixed with '/bucket' when virtual-hosted.
    """
    amz = amz_headers(req, presigned=expires is not None)
    paths = [path]
    if path.count("/") == 1 and len(path) > 1:  # a bucket: botocore signs '/bucket/' for the URL '/bucket'
        paths.append(path + "/")
    resources = dict.fromkeys(
        canonical_resource(p, req.query, extra) for p in paths for extra in (BOTOCORE_ONLY, MINIO_ONLY)
    )
    date = (req.headers.get("Date") or "").strip()
    date_lines: list[tuple[str, dict[str, str]]]
    if expires is not None:
        date_lines = [(expires, amz)]
    elif "x-amz-date" in amz:
        without = {k: v for k, v in amz.items() if k != "x-amz-date"}
        date_lines = [("", amz), (amz["x-amz-date"], without), (date, amz)]
    else:
        date_lines = [(date, amz)]
    md5, ctype = _standard(req, "Content-MD5", expires), _standard(req, "Content-Type", expires)
    found = []
    for date_line, headers in date_lines:
        for resource in resources:
            found.append(string_to_sign(req.method, md5, ctype, date_line, headers, resource))
    return list(dict.fromkeys(found))


def string_to_sign(
    method: str, content_md5: str, content_type: str, date: str, amz: Mapping[str, str], resource: str
) -> str:
    canonical_amz = "".join(f"{name}:{amz[name]}\n" for name in sorted(amz))
    return f"{method}\n{content_md5}\n{content_type}\n{date}\n{canonical_amz}{resource}"


def amz_headers(req: SignedRequest, *, presigned: bool) -> dict[str, str]:
    """x-amz-* headers, lowercased, values trimmed and joined with ','.

    A presigned URL may carry them as query parameters instead (botocore moves them there).
    """
    found: dict[str, list[str]] = {}
    getall = getattr(req.headers, "getall", None)
    for name in {key.lower() for key in req.headers}:
        if name.startswith("x-amz-"):
            values = getall(name, []) if getall else [req.headers[name]]
            found[name] = [value.strip() for value in values]
    if presigned:
        for name, value in req.query:
            lower = name.lower()
            if lower.startswith("x-amz-") and lower not in found:
                found[lower] = [value.strip()]
    return {name: ",".join(values) for name, values in found.items()}


def canonical_resource(path: str, query: list[tuple[str, str]], extra: frozenset[str] = frozenset()) -> str:
    """The path plus the signed sub-resources, sorted, values decoded: `?acl&versionId=v`."""
    names = SUBRESOURCES | extra
    pairs = sorted(((name, value) for name, value in query if name in names), key=lambda pair: pair[0])
    if not pairs:
        return path
    return path + "?" + "&".join(f"{name}={value}" if value else name for name, value in pairs)


def _standard(req: SignedRequest, name: str, expires: str | None) -> str:
    """Content-MD5 / Content-Type; a presigned URL may carry them in its query (botocore does)."""
    value = req.headers.get(name)
    if value is None and expires is not None:
        value = next((v for k, v in req.query if k.lower() == name.lower()), None)
    return (value or "").strip()
