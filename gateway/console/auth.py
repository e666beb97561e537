"""The console's HMAC token: base64 JSON {access_key, timestamp, signature, version: 1}.

signature = hex HMAC-SHA256(secret, "\\n".join([timestamp, method, path, "host:" + Host,
sorted query, hex SHA-256 of the body or ""])) — exactly what the console API document's
example client computes. Tokens are valid for five minutes. A token that changes state
(POST/PUT/PATCH/DELETE) is accepted only once; read tokens may repeat, because the token
carries no nonce and a client legitimately sends identical GETs within one second.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol
from urllib.parse import quote, urlencode

from gateway.auth.wire import wire_bytes
from gateway.domain.errors import ErrorCode, JunctionError

MAX_AGE = 300  # seconds either side of the server clock
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def string_to_sign(
    timestamp: int, method: str, path: str, host: str, query: Iterable[tuple[str, str]], body: bytes
) -> str:
    grouped: dict[str, list[str]] = {}
    for name, value in query:
        grouped.setdefault(name, []).append(value)
    pairs = [(k, sorted(v)) for k, v in sorted(grouped.items())]
    sorted_qs = urlencode(pairs, doseq=True, quote_via=quote, encoding="utf-8", errors="surrogateescape")
    payload_hash = hashlib.sha256(body).hexdigest() if body else ""
    return "\n".join([str(timestamp), method, path, f"host:{host}", sorted_qs, payload_hash])


def sign(secret: str, message: str) -> str:
    """Over the bytes the client sent: a Host that is not UTF-8 reaches us as lone surrogates."""
    return hmac.new(wire_bytes(secret), wire_bytes(message), hashlib.sha256).hexdigest()


class ReplayGuard(Protocol):
    """Where used signatures are recorded: `claim` is False for one seen before (a replay).
    Shared by all worker processes (the metadata store), so a replay is refused whichever
    worker it reaches."""

    async def claim_token(self, signature: str, now: float, expires: float) -> bool: ...


def _unauthorized(message: str) -> JunctionError:
    return JunctionError(ErrorCode.Unauthorized, message)


def parse_token(header: str | None) -> tuple[str, int, str]:
    """Return (access key, timestamp, signature) from the Authorization header."""
    if not header:
        raise _unauthorized("missing Authorization token")
    try:
        token = json.loads(base64.b64decode(header.strip(), validate=True))
        access_key, timestamp, signature = token["access_key"], token["timestamp"], token["signature"]
        version = token.get("version", 1)
    except (binascii.Error, ValueError, TypeError, KeyError, RecursionError):
        raise _unauthorized("malformed Authorization token") from None
    if version != 1 or not isinstance(access_key, str) or not isinstance(signature, str):
        raise _unauthorized("unsupported token version or malformed fields")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise _unauthorized("timestamp must be an integer")
    return access_key, timestamp, signature


async def verify(
    header: str | None,
    *,
    method: str,
    path: str,
    host: str,
    query: Iterable[tuple[str, str]],
    body: bytes,
    lookup_secret: Callable[[str], Awaitable[str | None]],
    replays: ReplayGuard,
    now: float | None = None,
) -> str:
    """Check the token; return the caller's access key or raise Unauthorized."""
    access_key, timestamp, signature = parse_token(header)
    now = time.time() if now is None else now
    if abs(now - timestamp) > MAX_AGE:
        raise _unauthorized("token timestamp is more than 5 minutes from the server clock")
    secret = await lookup_secret(access_key)
    if secret is None:
        raise _unauthorized("unknown access key")
    expected = sign(secret, string_to_sign(timestamp, method, path, host, query, body))
    if not hmac.compare_digest(expected.encode(), wire_bytes(signature)):
        raise _unauthorized("signature does not match")
    if method not in SAFE_METHODS and not await replays.claim_token(signature, now, now + 2 * MAX_AGE):
        raise _unauthorized("token already used")
    return access_key
