"""Rules for client text that becomes a key, an XML value or a response header.

- URIs are percent-decoded to UTF-8 strictly: a byte sequence that is not UTF-8 (stray
  bytes, overlong forms, surrogates, truncated sequences) is refused, never replaced by
  U+FFFD (replacing would make distinct keys alias one another).
- XML 1.0 cannot carry C0 controls other than TAB/LF/CR, U+FFFE/U+FFFF or surrogates;
  new keys holding one are refused (see the README, "Keys and characters").
- A response header value must not hold CR, LF or another control character, nor bytes
  that were not UTF-8 (aiohttp hands those over as lone surrogates, which can be neither
  stored as text nor written back).
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from .errors import ErrorCode, JunctionError

XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# HTAB is the one control RFC 9110 allows; a surrogate is a request byte that was not UTF-8
HEADER_FORBIDDEN = re.compile("[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]")
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # an RFC 9110 token


def invalid_uri() -> JunctionError:
    return JunctionError(ErrorCode.InvalidURI)


def decode_uri_component(text: str) -> str:
    """Percent-decode one path or query component as strict UTF-8 ('+' stays '+').

    aiohttp hands raw non-UTF-8 request-line bytes over as surrogate escapes; they are
    turned back into bytes first, so they fail the strict decode like their %XX forms.
    """
    if "%" not in text and text.isascii():
        return text  # nothing to decode, and ASCII is UTF-8 (a surrogate is not ASCII)
    try:
        raw = text.encode("utf-8", "surrogateescape")
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeError:
        raise invalid_uri() from None


def xml_forbidden(text: str) -> str | None:
    """The first character of `text` that XML 1.0 cannot carry, or None."""
    found = XML_FORBIDDEN.search(text)
    return found.group() if found else None


def codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


def header_safe(value: str) -> bool:
    """True when `value` can be sent as an HTTP header value as it is."""
    return HEADER_FORBIDDEN.search(value) is None


def require_header_safe(value: str, name: str, *, code: ErrorCode = ErrorCode.InvalidArgument) -> str:
    """Refuse a value bound for a response header that would split or corrupt it."""
    if not header_safe(value):
        raise JunctionError(
            code, f"{name} must not contain control characters (CR, LF, ...) or bytes that are not UTF-8", argument=name
        )
    return value
