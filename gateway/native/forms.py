"""Streaming multipart/form-data for uploads: an `info` JSON part, then file parts.

File parts are handed out as async byte streams read straight off the socket (never
buffered whole). Every raw byte of the request body is hashed on the way, because a
deferred SigV4 check needs the SHA-256 of the exact body the client signed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, MultipartReader, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.streams import StreamReader

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.text import decode_uri_component

CHUNK = 256 * 1024
MAX_INFO = 64 * 1024
_MALFORMED = (ValueError, AssertionError, HttpProcessingError, UnicodeError)


def malformed(detail: str) -> JunctionError:
    return JunctionError(ErrorCode.MalformedPOSTRequest, f"Malformed multipart/form-data body: {detail}")


class HashingContent:
    """The request's StreamReader as the multipart parser uses it, hashing each raw byte once.

    The parser pushes look-ahead back with `unread_data`; those bytes come out of `read`
    again, so they are counted and not hashed twice.
    """

    def __init__(self, inner: StreamReader) -> None:
        self._inner = inner
        self._sha256 = hashlib.sha256()
        self._replay = 0

    def _seen(self, data: bytes) -> bytes:
        fresh = data
        if self._replay:
            skip = min(self._replay, len(data))
            self._replay -= skip
            fresh = data[skip:]
        self._sha256.update(fresh)
        return data

    async def read(self, n: int = -1) -> bytes:
        return self._seen(await self._inner.read(n))

    async def readline(self, **kwargs: Any) -> bytes:
        return self._seen(await self._inner.readline(**kwargs))

    def unread_data(self, data: bytes) -> None:
        self._inner.unread_data(data)
        self._replay += len(data)

    def at_eof(self) -> bool:
        return self._inner.at_eof()

    async def drain(self) -> str:
        """Hash whatever the parser left (epilogue); return the body's hex SHA-256."""
        while True:
            piece = await self.read(CHUNK)
            if not piece:
                return self._sha256.hexdigest()


@dataclass(slots=True)
class FilePart:
    path: str  # the URL-decoded filename
    content_type: str
    body: AsyncIterator[bytes]


class FormReader:
    def __init__(self, request: web.Request) -> None:
        if request.content_type != "multipart/form-data":
            raise JunctionError(ErrorCode.InvalidArgument, "Content-Type must be multipart/form-data")
        self._content = HashingContent(request.content)
        try:
            # arg-type: aiohttp types the body as its StreamReader class; HashingContent offers the
            # same read/readline/unread_data calls the parser makes, and hashes what passes through
            self._reader = MultipartReader(request.headers, self._content)  # type: ignore[arg-type]
        except _MALFORMED as exc:
            raise malformed(str(exc)) from None

    async def _next(self) -> BodyPartReader | None:
        try:
            part = await self._reader.next()
        except _MALFORMED as exc:
            raise malformed(str(exc)) from None
        if part is not None and not isinstance(part, BodyPartReader):
            raise malformed("nested multipart parts are not accepted")
        encoding = (part.headers.get("Content-Transfer-Encoding", "binary") if part else "binary").lower()
        if encoding not in ("binary", "8bit", "7bit"):
            raise malformed(f"Content-Transfer-Encoding {encoding!r} is not supported")
        return part

    async def info(self) -> dict[str, Any]:
        """The leading `info` part, parsed as a JSON object (bounded)."""
        part = await self._next()
        if part is None or part.name != "info":
            raise JunctionError(ErrorCode.InvalidArgument, "The first form part must be named 'info'")
        data = bytearray()
        async for piece in _chunks(part):
            data += piece
            if len(data) > MAX_INFO:
                raise JunctionError(ErrorCode.InvalidArgument, "The info part is too large")
        try:
            info = json.loads(bytes(data))
        except (ValueError, UnicodeError, RecursionError):  # RecursionError: nested too deep
            raise JunctionError(ErrorCode.MalformedJSON, "The info part is not valid JSON") from None
        if not isinstance(info, dict):
            raise JunctionError(ErrorCode.MalformedJSON, "The info part must be a JSON object")
        return info

    async def next_file(self, names: tuple[str, ...], *, need_filename: bool = True) -> FilePart | None:
        """The next file part (named one of `names`), or None at the end."""
        part = await self._next()
        if part is None:
            return None
        if part.name not in names:
            raise JunctionError(ErrorCode.InvalidArgument, f"Unexpected form part {part.name!r}; expected {names[0]!r}")
        if part.filename is None and need_filename:
            raise JunctionError(ErrorCode.InvalidArgument, "A file part must have a filename (the URL-encoded path)")
        try:
            path = decode_uri_component(part.filename or "")  # strict: no two paths may alias
        except JunctionError:
            raise JunctionError(
                ErrorCode.InvalidArgument, "The file part's filename is not UTF-8 once URL-decoded"
            ) from None
        return FilePart(path, part.headers.get("Content-Type", ""), _chunks(part))

    async def finish(self) -> str:
        """Read to the end of the body; return the hex SHA-256 of every raw byte."""
        try:
            while await self._next() is not None:
                raise JunctionError(ErrorCode.InvalidArgument, "Unexpected extra form part")
            return await self._content.drain()
        except _MALFORMED as exc:
            raise malformed(str(exc)) from None


async def _chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while True:
        try:
            piece = await part.read_chunk(CHUNK)
        except _MALFORMED as exc:
            raise malformed(str(exc)) from None
        if not piece:
            return
        yield piece
