"""What the signing modules take and give: the request as received, the verified context,
the payload modes, the error type, and the SigV4 constants they share."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.domain.errors import ErrorCode

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


class PayloadMode(enum.Enum):
    """How the body is protected, from the x-amz-content-sha256 value."""

    UNSIGNED = "UNSIGNED-PAYLOAD"
    SIGNED = "<sha256 hex>"  # a hex SHA-256 of the whole body, checked by the consumer
    STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
    STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"


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


def credential_scope(date: str, region: str, service: str) -> str:
    return f"{date}/{region}/{service}/{TERMINATOR}"
