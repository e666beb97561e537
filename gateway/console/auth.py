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
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import quote, urlencode

from gateway.auth.wire import wire_bytes
from gateway.domain.errors import ErrorCode, JunctionError

MAX_AGE = 300  # seconds either side of the server clock
REPLAY_CACHE_SIZE = 100_000
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


class ReplayCache:
    """Signatures seen while still fresh; a second use of one is a replay.

    With `shared` (the store's `sessions.spend`), a signature is also recorded in the database,
    so a token used on one worker or gateway instance is refused on every other one; the
    in-process map only spares the database a local replay."""

    def __init__(
        self, capacity: int = REPLAY_CACHE_SIZE, shared: Callable[[str, float], Awaitable[bool]] | None = None
    ) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._capacity = capacity
        self._shared = shared

    async def claim(self, signature: str, now: float) -> bool:
        while self._seen and next(iter(self._seen.values())) < now:
            self._seen.popitem(last=False)
        if signature in self._seen:
            return False
        if len(self._seen) >= self._capacity:
            self._seen.popitem(last=False)
        self._seen[signature] = now + 2 * MAX_AGE
        if self._shared is not None:
            return await self._shared(f"token-signature:{signature}", now + 2 * MAX_AGE)
        return True


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
    replays: ReplayCache,
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
    if method not in SAFE_METHODS and not await replays.claim(signature, now):
        raise _unauthorized("token already used")
    return access_key
