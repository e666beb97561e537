"""Streaming decoder for aws-chunked request bodies (the STREAMING-* payload modes).

Wire format: `hex-size[;chunk-signature=sig]\\r\\n <data> \\r\\n`, repeated, ended by a
zero-size chunk, optional `name:value\\r\\n` trailer lines and a blank line. Signed modes
chain every chunk's signature from the seed signature, so a chunk cannot be altered,
dropped or reordered (gateway/auth/chunk_signing.py checks the chain; this module is the
S3 wire framing). Data is yielded in bounded pieces as it arrives; a chunk's signature is
checked once its last piece has gone out, and the consumer aborts on the exception.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Mapping
from typing import Protocol

from gateway.auth.chunk_signing import SignatureChain
from gateway.auth.types import AuthContext, PayloadMode
from gateway.auth.wire import shown
from gateway.domain.errors import ErrorCode

MAX_CHUNK_SIZE = 16 * 1024 * 1024
MAX_LINE = 4096  # a chunk header or trailer line
MAX_TRAILER_LINES = 32
TRAILER_SIGNATURE = "x-amz-trailer-signature"
SIGNED_MODES = (PayloadMode.STREAMING_SIGNED, PayloadMode.STREAMING_SIGNED_TRAILER)


class Reader(Protocol):
    """The part of aiohttp's StreamReader the decoder uses."""

    async def readline(self) -> bytes: ...

    async def readexactly(self, n: int) -> bytes: ...


class ChunkedFormatError(ValueError):
    """The body is not valid aws-chunked framing; `code` is the S3 error code."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ChunkedBodyDecoder:
    """Async iterator over the decoded payload; `trailers` is filled once it is exhausted."""

    def __init__(
        self,
        reader: Reader,
        ctx: AuthContext | None,
        *,
        mode: PayloadMode,
        trailer_names: list[str],
        decoded_length: int | None,
        piece_size: int = 256 * 1024,
    ) -> None:
        if mode in SIGNED_MODES and ctx is None:
            raise ValueError(f"{mode.name} needs the request's AuthContext")
        self._reader = reader
        # None: nothing to verify
        self._chain = SignatureChain(ctx) if ctx is not None and mode in SIGNED_MODES else None
        self._expected_trailers = set(trailer_names)
        self._decoded_length = decoded_length
        self._piece_size = piece_size
        self._pieces = self._decode()
        self.trailers: dict[str, str] = {}

    def __aiter__(self) -> ChunkedBodyDecoder:
        return self

    async def __anext__(self) -> bytes:
        return await self._pieces.__anext__()

    async def _decode(self) -> AsyncIterator[bytes]:
        total = 0
        while True:
            size, signature = _parse_chunk_header(await self._read_line())
            total += size
            if self._decoded_length is not None and total > self._decoded_length:
                raise _length_mismatch()
            digest = hashlib.sha256()
            async for piece in self._read_data(size):
                if self._chain:
                    digest.update(piece)
                yield piece
            if size:
                await self._read_crlf()
            if self._chain:
                self._chain.verify_chunk(signature, digest.hexdigest())
            if not size:
                break
        if self._decoded_length is not None and total != self._decoded_length:
            raise _length_mismatch()
        await self._read_trailers()

    async def _read_data(self, size: int) -> AsyncIterator[bytes]:
        remaining = size
        while remaining:
            piece = await self._read_exactly(min(remaining, self._piece_size))
            remaining -= len(piece)
            yield piece

    async def _read_trailers(self) -> None:
        """Trailer lines up to a blank line; EOF instead of the blank line is tolerated."""
        lines: list[tuple[str, str]] = []
        while True:
            line = await self._read_line(eof_ok=True)
            if not line:
                break
            if len(lines) == MAX_TRAILER_LINES:
                raise ChunkedFormatError(ErrorCode.InvalidRequest, "Too many trailing headers")
            lines.append(_parse_trailer(line))
        trailers = dict(lines)
        signature = trailers.pop(TRAILER_SIGNATURE, None)
        if self._chain and trailers:
            self._chain.verify_trailer(signature, trailers)
        self._check_trailer_names(trailers)
        self.trailers = trailers

    def _check_trailer_names(self, trailers: Mapping[str, str]) -> None:
        unexpected = sorted(set(trailers) - self._expected_trailers)
        missing = sorted(self._expected_trailers - set(trailers))
        if unexpected or missing:
            names = ", ".join(shown(name) for name in unexpected or missing)  # client text: escape it
            problem = "was not declared in x-amz-trailer" if unexpected else "was declared but not sent"
            raise ChunkedFormatError(ErrorCode.InvalidRequest, f"The trailing header {names} {problem}")

    async def _read_line(self, *, eof_ok: bool = False) -> bytes:
        """One CRLF-terminated line without its terminator; b"" at EOF when `eof_ok`."""
        try:
            line = await self._reader.readline()
        except Exception as exc:
            if not _is_line_too_long(exc):
                raise
            raise ChunkedFormatError(ErrorCode.InvalidRequest, "A chunk header or trailer line is too long") from None
        if not line and eof_ok:
            return b""
        if not line.endswith(b"\n"):
            raise _truncated()
        if len(line) > MAX_LINE:
            raise ChunkedFormatError(ErrorCode.InvalidRequest, "A chunk header or trailer line is too long")
        return line[:-2] if line.endswith(b"\r\n") else line[:-1]

    async def _read_exactly(self, n: int) -> bytes:
        try:
            return await self._reader.readexactly(n)
        except asyncio.IncompleteReadError:
            raise _truncated() from None

    async def _read_crlf(self) -> None:
        if await self._read_exactly(2) != b"\r\n":
            raise ChunkedFormatError(ErrorCode.InvalidRequest, "A chunk is not followed by CRLF")


def _parse_chunk_header(line: bytes) -> tuple[int, str | None]:
    """(size, chunk-signature or None) from `hex-size[;ext=value...]`."""
    size_field, *extensions = line.split(b";")
    size_text = size_field.strip()
    if not size_text or len(size_text) > 16 or not all(c in b"0123456789abcdefABCDEF" for c in size_text):
        raise ChunkedFormatError(ErrorCode.InvalidRequest, "Invalid chunk size in the aws-chunked body")
    size = int(size_text, 16)
    if size > MAX_CHUNK_SIZE:
        raise ChunkedFormatError(ErrorCode.InvalidRequest, f"A chunk is larger than {MAX_CHUNK_SIZE} bytes")
    signature = None
    for extension in extensions:
        name, _, value = extension.strip().partition(b"=")
        if name == b"chunk-signature":
            signature = value.decode("ascii", "replace")
    return size, signature


def _parse_trailer(line: bytes) -> tuple[str, str]:
    name, sep, value = line.decode("utf-8", "replace").partition(":")
    if not sep or not name.strip():
        raise ChunkedFormatError(ErrorCode.InvalidRequest, "Malformed trailing header line")
    return name.strip().lower(), value.strip()


def _is_line_too_long(exc: Exception) -> bool:
    """How StreamReader.readline reports a line beyond its limit: ValueError before aiohttp 3.10,
    then LineTooLong, an HTTP 400 error (matched by its code, to keep aiohttp out of here)."""
    return isinstance(exc, ValueError) or getattr(exc, "code", None) == 400


def _truncated() -> ChunkedFormatError:
    return ChunkedFormatError(ErrorCode.IncompleteBody, "The request body terminated unexpectedly")


def _length_mismatch() -> ChunkedFormatError:
    return ChunkedFormatError(
        ErrorCode.IncompleteBody, "The decoded body length does not match x-amz-decoded-content-length"
    )
