"""The SigV4 claim of a request: who it says signed it, when, for what scope, over which
headers — parsed from the Authorization header (or, via `presign`, the query), not yet
verified."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from gateway.domain.errors import ErrorCode

from .types import ALGORITHM, AMZ_DATE_FORMAT, TERMINATOR, AuthError, SignedRequest
from .wire import is_token, shown

_AMZ_DATE = re.compile(r"[0-9]{8}T[0-9]{6}Z")


@dataclass(frozen=True)
class Claim:
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


def parse_header(req: SignedRequest, header: str) -> Claim:
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
    amz_date, signed_at = header_time(req)
    return make_claim(
        fields["Credential"],
        fields["SignedHeaders"],
        fields["Signature"],
        amz_date,
        signed_at,
        presigned=False,
        error_code=ErrorCode.AuthorizationHeaderMalformed,
    )


def make_claim(
    credential: str,
    signed_headers: str,
    signature: str,
    amz_date: str,
    signed_at: datetime,
    *,
    presigned: bool,
    error_code: ErrorCode,
    expires: int | None = None,
) -> Claim:
    parts = credential.rsplit("/", 4)
    if len(parts) != 5 or not all(parts) or parts[4] != TERMINATOR:
        raise AuthError(
            error_code,
            'The credential is malformed; expected "<access key>/<YYYYMMDD>/<region>/<service>/aws4_request".',
        )
    access_key, date, region, service, _ = parts
    if not all(is_token(part) for part in (date, region, service)):
        raise AuthError(
            error_code, "The credential is malformed; its date, region and service must be printable ASCII."
        )
    if date != amz_date[:8]:
        raise AuthError(
            error_code,
            f'Invalid credential date "{shown(date)}". '
            f'This date is not the same as X-Amz-Date: "{shown(amz_date[:8])}".',
        )
    names = tuple(name.strip().lower() for name in signed_headers.split(";"))
    if "host" not in names:
        raise AuthError(error_code, "The host header must be signed.")
    return Claim(
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


def malformed(claim: Claim, message: str) -> AuthError:
    code = ErrorCode.AuthorizationQueryParametersError if claim.presigned else ErrorCode.AuthorizationHeaderMalformed
    return AuthError(code, message)


def query_value(req: SignedRequest, name: str) -> str | None:
    """The first value of query parameter `name` (case-sensitive), None when absent."""
    for key, value in req.query:  # a plain loop: called several times per request
        if key == name:
            return value
    return None


def header_time(req: SignedRequest) -> tuple[str, datetime]:
    """The request time from x-amz-date, or else the Date header, in both forms."""
    amz_date = req.headers.get("x-amz-date")
    if amz_date is not None:
        return amz_date, parse_amz_date(amz_date, ErrorCode.AccessDenied)
    signed_at = http_date(req.headers.get("Date") or "")
    if signed_at is None:
        raise AuthError(ErrorCode.AccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
    return signed_at.strftime(AMZ_DATE_FORMAT), signed_at


def http_date(value: str) -> datetime | None:
    """An RFC 1123 date as an aware UTC datetime, or None for anything else.

    The email parser raises more than ValueError on odd input, and a valid-looking date can
    fall outside datetime's range once converted to UTC: both are just "not a date".
    """
    if not value:
        return None
    try:
        return aware(parsedate_to_datetime(value)).astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def parse_amz_date(value: str, error_code: ErrorCode) -> datetime:
    if _AMZ_DATE.fullmatch(value):
        try:  # the fields by position (the pattern fixed them): strptime cost a tenth of a signed GET's check
            return datetime(
                int(value[0:4]),
                int(value[4:6]),
                int(value[6:8]),
                int(value[9:11]),
                int(value[11:13]),
                int(value[13:15]),
                tzinfo=UTC,
            )
        except ValueError:  # well-formed but impossible, e.g. month 13
            pass
    raise AuthError(error_code, f'Invalid date "{shown(value)}"; expected YYYYMMDDTHHMMSSZ.')


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
