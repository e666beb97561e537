"""Huawei OBS's own header signature (`Authorization: OBS <AK>:<Signature>`), both sides.

Follows Huawei's published algorithm ("Authentication of Signature in a Header", OBS API
reference), whose example tables are the unit tests:

    StringToSign = Verb \\n Content-MD5 \\n Content-Type \\n Date \\n
                   CanonicalizedHeaders + CanonicalizedResource
    Signature    = Base64(HMAC-SHA1(SK, UTF-8(StringToSign)))

- CanonicalizedHeaders: every `x-obs-*` header, key lower-cased, value trimmed, repeated
  headers joined with ',', sorted by key, each line `key:value\\n`.
- Date is empty when `x-obs-date` is sent (that header is then what the server checks).
- CanonicalizedResource: `/bucket/key` (`/bucket/` without a key, `/` without a bucket),
  then the sub-resources from Huawei's list only, sorted, `?a&b=c` (values raw, not encoded;
  an empty value is written without '=').

The object key is signed URL-encoded the way it goes on the wire (the SDKs'
`quote(key, safe='/~')`). Clients differ on two details the verifier therefore accepts
both ways: Huawei's Java demo form-encodes the key (space as '+'), and the Python SDK in
path style signs a bare bucket as `/bucket` rather than the documented `/bucket/`.

This module is pure (no I/O, no aiohttp) so the adapter and the test server share it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, quote_plus

HEADER_PREFIX = "x-obs-"
DATE_HEADER = "x-obs-date"
AUTH_PREFIX = "OBS "

# The sub-resources Huawei lists for the CanonicalizedResource (case as published).
SUBRESOURCES = frozenset(
    {
        "CDNNotifyConfiguration",
        "acl",
        "append",
        "attname",
        "backtosource",
        "cors",
        "customdomain",
        "delete",
        "deletebucket",
        "directcoldaccess",
        "encryption",
        "inventory",
        "length",
        "lifecycle",
        "location",
        "logging",
        "metadata",
        "mirrorBackToSource",
        "modify",
        "name",
        "notification",
        "obscompresspolicy",
        "orchestration",
        "partNumber",
        "policy",
        "position",
        "quota",
        "rename",
        "replication",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "response-content-language",
        "response-content-type",
        "response-expires",
        "restore",
        "storageClass",
        "storagePolicy",
        "storageinfo",
        "tagging",
        "torrent",
        "truncate",
        "uploadId",
        "uploads",
        "versionId",
        "versioning",
        "versions",
        "website",
        "x-image-process",
        "x-image-save-bucket",
        "x-image-save-object",
        "x-obs-security-token",
        "object-lock",
        "retention",
    }
)


class ObsAuthError(Exception):
    """Verification failed; `code` is OBS's error code. Messages never contain secrets."""

    def __init__(self, code: str, message: str, string_to_sign: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.string_to_sign = string_to_sign  # what we expected to be signed (no secret in it)


# ------------------------------------------------------------------ the string to sign


def encode_key(key: str) -> str:
    """The object key as it goes in the request path and the signature ('/' and '~' kept)."""
    return quote(key, safe="/~")


def canonical_resource(
    bucket: str, key: str, query: Mapping[str, str | None], *, form_encoded: bool = False, bare_bucket: bool = False
) -> str:
    """`/bucket/key?sub&res=ources` from the decoded bucket, key and query."""
    if not bucket:
        resource = "/"
    elif not key and bare_bucket:
        resource = f"/{bucket}"
    else:
        encoded = quote_plus(key, safe="/~") if form_encoded else encode_key(key)
        resource = f"/{bucket}/{encoded}"
    subs = sorted((name, value) for name, value in query.items() if name in SUBRESOURCES)
    if subs:
        resource += "?" + "&".join(name if not value else f"{name}={value}" for name, value in subs)
    return resource


def canonical_headers(headers: Mapping[str, Any]) -> str:
    """The `x-obs-*` lines, each ending in a newline (empty when there are none)."""
    merged: dict[str, list[str]] = {}
    for name, value in _items(headers):
        lower = name.strip().lower()
        if lower.startswith(HEADER_PREFIX):
            merged.setdefault(lower, []).append(str(value).strip())
    return "".join(f"{name}:{','.join(merged[name])}\n" for name in sorted(merged))


def string_to_sign(
    method: str, bucket: str, key: str, query: Mapping[str, str | None], headers: Mapping[str, Any]
) -> str:
    """Huawei's StringToSign for a request (bucket and key decoded, query decoded)."""
    return _string_to_sign(method, headers, canonical_resource(bucket, key, query))


def _string_to_sign(method: str, headers: Mapping[str, Any], resource: str) -> str:
    md5 = _header(headers, "content-md5")
    content_type = _header(headers, "content-type")
    date = "" if _header(headers, DATE_HEADER) else _header(headers, "date")
    return f"{method.upper()}\n{md5}\n{content_type}\n{date}\n" + canonical_headers(headers) + resource


def signature(secret_key: str, text: str) -> str:
    """Base64(HMAC-SHA1(SK, UTF-8(text)))."""
    digest = hmac.new(secret_key.encode("utf-8"), text.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def sign_obs(
    method: str,
    bucket: str,
    key: str,
    query: Mapping[str, str | None],
    headers: Mapping[str, Any],
    access_key: str,
    secret_key: str,
) -> str:
    """The whole `Authorization` header value for a request carrying exactly `headers`."""
    return f"{AUTH_PREFIX}{access_key}:{signature(secret_key, string_to_sign(method, bucket, key, query, headers))}"


# ------------------------------------------------------------------ server side


def parse_authorization(value: str) -> tuple[str, str] | None:
    """(AK, signature) from `OBS AK:signature`, or None when it is not an OBS header."""
    if not value.startswith(AUTH_PREFIX):
        return None
    access_key, sep, sig = value[len(AUTH_PREFIX) :].strip().rpartition(":")
    if not sep or not access_key or not sig:
        return None
    return access_key, sig


def verify_obs(
    method: str,
    bucket: str,
    key: str,
    query: Mapping[str, str | None],
    headers: Mapping[str, Any],
    secrets: Mapping[str, str],
    *,
    now: datetime | None = None,
    max_skew: timedelta = timedelta(minutes=15),
) -> str:
    """Check an OBS-signed request; return its AK or raise ObsAuthError with OBS's code.

    Compares in constant time; the request time (x-obs-date, else Date) must be within
    `max_skew` of `now`, as OBS requires (15 minutes).
    """
    parsed = parse_authorization(_header(headers, "authorization"))
    if parsed is None:
        raise ObsAuthError("AccessDenied", "Request is not signed with the OBS header signature.")
    access_key, provided = parsed
    _check_time(headers, now or datetime.now(UTC), max_skew)
    secret = secrets.get(access_key)
    if secret is None:
        raise ObsAuthError("InvalidAccessKeyId", "The access key Id you provided does not exist in our records.")
    expected = string_to_sign(method, bucket, key, query, headers)
    variants = ({"form_encoded": True}, {"bare_bucket": True})
    candidates = [
        expected,
        *(_string_to_sign(method, headers, canonical_resource(bucket, key, query, **v)) for v in variants),
    ]
    ok = False
    for text in candidates:  # every candidate is checked, so timing does not tell which matched
        ok |= hmac.compare_digest(signature(secret, text).encode(), provided.encode())
    if not ok:
        raise ObsAuthError(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the "
            "signature you provided. Check your key and signing method.",
            expected,
        )
    return access_key


def _check_time(headers: Mapping[str, Any], now: datetime, max_skew: timedelta) -> None:
    raw = _header(headers, DATE_HEADER) or _header(headers, "date")
    if not raw:
        raise ObsAuthError("AccessDenied", "Request has neither a Date nor an x-obs-date header.")
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        raise ObsAuthError("AccessDenied", "The request date is not a valid RFC 1123 date.") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if abs(now - when) > max_skew:
        raise ObsAuthError(
            "RequestTimeTooSkewed", "The difference between the request time and the server's time is too large."
        )


def _items(headers: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    """(name, value) pairs; a multidict yields each repeated header separately."""
    return headers.items()


def _header(headers: Mapping[str, Any], name: str) -> str:
    """First value of a header, looked up case-insensitively; '' when absent."""
    for key, value in _items(headers):
        if key.lower() == name:
            return str(value).strip()
    return ""
