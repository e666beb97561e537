"""HTTP range and conditional-request rules of S3 GET/HEAD/PUT/Copy, as pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from gateway.domain.errors import ErrorCode, JunctionError


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """Parse a single `bytes=` range against an object of `size` bytes.

    Returns None when the header is absent or syntactically invalid (served as 200, as
    S3 does); raises InvalidRange (416) when it is valid but unsatisfiable.
    """
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    first, last = first.strip(), last.strip()
    if not _decimal(first, empty_ok=True) or not _decimal(last, empty_ok=bool(first)):
        return None  # int() would also take '+1', '1_0' and non-ASCII digits
    if first == "":
        suffix = int(last)
        if suffix <= 0 or size == 0:
            raise _unsatisfiable(size)
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    end = int(last) if last else size - 1
    if start < 0 or (last and end < start):
        return None
    if start >= size:
        raise _unsatisfiable(size)
    return ByteRange(start, min(end, size - 1))


def _decimal(text: str, *, empty_ok: bool) -> bool:
    """ASCII digits (not absurdly many: int() refuses over 4300); or empty, when allowed."""
    if not text:
        return empty_ok
    return len(text) <= 100 and text.isascii() and text.isdigit()


def _unsatisfiable(size: int) -> JunctionError:
    return JunctionError(ErrorCode.InvalidRange, size=size)


def parse_http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def etag_matches(header: str, etag: str) -> bool:
    """True when an If-Match / If-None-Match list names `etag` (or is `*`)."""
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate == "*" or candidate.strip('"') == etag:
            return True
    return False


def check_read_conditions(
    *,
    etag: str,
    last_modified: float,
    if_match: str | None,
    if_none_match: str | None,
    if_modified_since: str | None,
    if_unmodified_since: str | None,
    not_modified_code: ErrorCode = ErrorCode.NotModified,
) -> None:
    """Raise PreconditionFailed (412) or NotModified (304) per RFC 7232 as S3 applies it.

    If-Match wins over If-Unmodified-Since and If-None-Match over If-Modified-Since.
    For copy sources every failure is 412: pass not_modified_code=ErrorCode.PreconditionFailed.
    """
    modified = datetime.fromtimestamp(int(last_modified), tz=UTC)
    if if_match is not None:
        if not etag_matches(if_match, etag):
            raise _failed(ErrorCode.PreconditionFailed, "If-Match")
    else:
        since = parse_http_date(if_unmodified_since)
        if since is not None and modified > since:
            raise _failed(ErrorCode.PreconditionFailed, "If-Unmodified-Since")
    if if_none_match is not None:
        if etag_matches(if_none_match, etag):
            raise _failed(not_modified_code, "If-None-Match")
    else:
        since = parse_http_date(if_modified_since)
        if since is not None and modified <= since:
            raise _failed(not_modified_code, "If-Modified-Since")


def _failed(code: ErrorCode, condition: str) -> JunctionError:
    message = "" if code == ErrorCode.NotModified else "At least one of the pre-conditions you specified did not hold"
    return JunctionError(code, message, condition=condition)
