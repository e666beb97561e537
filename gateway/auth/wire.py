"""Header text as the HTTP server decoded it, back to the bytes the client sent.

aiohttp decodes header bytes as UTF-8 with `surrogateescape`: a byte that is not UTF-8
(`\\xff`) becomes a lone surrogate (U+DCFF) that strict `str.encode()` refuses. Signatures
are computed over the bytes on the wire, so every string that goes into a signed message is
turned back into those bytes here, never with a strict encode. A header value that is not
ASCII is therefore signed as sent: a client that signed other bytes (say UTF-8 while it sent
latin-1) gets SignatureDoesNotMatch, as AWS answers such requests — never a 500.
"""

from __future__ import annotations

MAX_SHOWN = 64


def wire_bytes(text: str) -> bytes:
    """The bytes `text` was decoded from (UTF-8 + surrogateescape); never raises.

    A surrogate no decoder produces (only possible for text built in-process) is kept as
    its UTF-8-like encoding, so the result is still deterministic.
    """
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def is_token(text: str) -> bool:
    """Printable ASCII without spaces: what an access key, date, region or service can be."""
    return bool(text) and text.isascii() and text.isprintable() and " " not in text


def shown(text: str) -> str:
    """A client-supplied value made safe to echo in an error message (any front end's format):
    printable ASCII, anything else backslash-escaped, and cut short."""
    escaped = text.encode("ascii", "backslashreplace").decode("ascii")
    escaped = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in escaped)
    return escaped if len(escaped) <= MAX_SHOWN else escaped[:MAX_SHOWN] + "..."
