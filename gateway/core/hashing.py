"""Hash a byte stream while it flows to the backend: MD5 (ETag), SHA-256 (fileHash) and any
flexible checksums the client asked for, plus the byte count and the size limits.

A large body is hashed in worker threads, a MiB at a time, MD5 beside SHA-256 (hashlib lets
go of the GIL for big buffers): on the event loop, hashing a 512 MiB upload held the loop
for over a second of CPU, stalling every other request of the process, and capped uploads
at one core's MD5 plus SHA-256 speed. Small bodies are hashed inline: a hop costs more.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterable

from gateway.domain.errors import ErrorCode, JunctionError

from .checksums import Checksum, new_checksum

HASH_BATCH = 1024 * 1024  # bytes hashed per thread call


class HashingStream:
    """Wraps a byte stream; after it is exhausted, `md5_hex`, `sha256_hex` and `checksums` are final."""

    def __init__(
        self,
        source: AsyncIterator[bytes],
        *,
        algorithms: Iterable[str] = (),
        expected_size: int | None = None,
        max_size: int | None = None,
    ) -> None:
        self._source = source
        self._md5 = hashlib.md5()
        self._sha256 = hashlib.sha256()
        self._checksums: dict[str, Checksum] = {alg: new_checksum(alg) for alg in dict.fromkeys(algorithms)}
        self._expected = expected_size
        self._max = max_size
        self.size = 0
        self.done = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._run()

    async def _run(self) -> AsyncIterator[bytes]:
        pending = bytearray()
        async for piece in self._source:
            if not piece:
                continue
            self.size += len(piece)
            if self._expected is not None and self.size > self._expected:
                raise JunctionError(ErrorCode.IncompleteBody, "The request body is longer than its declared length")
            if self._max is not None and self.size > self._max:
                raise JunctionError(ErrorCode.EntityTooLarge, "Your proposed upload exceeds the maximum allowed size")
            pending += piece
            if len(pending) >= HASH_BATCH:
                await self._hash_off_loop(bytes(pending))
                pending.clear()
            yield piece
        if pending:
            self._hash(bytes(pending))  # less than a batch: inline
        if self._expected is not None and self.size != self._expected:
            raise JunctionError(
                ErrorCode.IncompleteBody,
            )
        self.done = True

    def _hash(self, data: bytes) -> None:
        self._md5.update(data)
        self._sha256.update(data)
        for checksum in self._checksums.values():
            checksum.update(data)

    def _md5_and_checksums(self, data: bytes) -> None:
        self._md5.update(data)
        for checksum in self._checksums.values():
            checksum.update(data)

    async def _hash_off_loop(self, data: bytes) -> None:
        await asyncio.gather(
            asyncio.to_thread(self._md5_and_checksums, data), asyncio.to_thread(self._sha256.update, data)
        )

    @property
    def md5_hex(self) -> str:
        return self._md5.hexdigest()

    @property
    def md5_digest(self) -> bytes:
        return self._md5.digest()

    @property
    def sha256_hex(self) -> str:
        return self._sha256.hexdigest()

    @property
    def checksums(self) -> dict[str, str]:
        return {alg: c.b64() for alg, c in self._checksums.items()}
