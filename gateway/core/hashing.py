"""Hash a byte stream while it flows to the backend: MD5 (ETag), SHA-256 (fileHash) and any
flexible checksums the client asked for, plus the byte count and the size limits.

A large body is hashed in worker threads, a MiB at a time, MD5 beside SHA-256 (hashlib lets
go of the GIL for big buffers): on the event loop, hashing a 512 MiB upload held the loop
for over a second of CPU, stalling every other request of the process, and capped uploads
at one core's MD5 plus SHA-256 speed. Small bodies are hashed inline: a hop costs more.

A batch is the pieces as they came (backends/pieces.py: no large piece is copied), and it is hashed
while the next one is read (at most one batch in the threads, so memory stays two batches a
stream): the stream waits on its hashes only when they are slower than its socket.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import Any

from backends.pieces import PieceBatch
from gateway.domain.errors import ErrorCode, JunctionError

from .checksums import Checksum, new_checksum

HASH_BATCH = 1024 * 1024  # bytes hashed per thread call
READ_BACK_BATCH = 4 * 1024 * 1024  # bytes `digest_all` hashes per thread call


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
        batch = PieceBatch()
        hashing: asyncio.Future[None] | None = None  # the previous batch, hashed in the threads
        try:
            async for piece in self._source:
                if not piece:
                    continue
                if not isinstance(piece, bytes):  # held past the next read: never a buffer its source reuses
                    piece = bytes(piece)
                self.size += len(piece)
                if self._expected is not None and self.size > self._expected:
                    raise JunctionError(ErrorCode.IncompleteBody, "The request body is longer than its declared length")
                if self._max is not None and self.size > self._max:
                    raise JunctionError(
                        ErrorCode.EntityTooLarge, "Your proposed upload exceeds the maximum allowed size"
                    )
                batch.add(piece)
                if batch.size >= HASH_BATCH:
                    if hashing is not None:
                        await hashing
                    hashing = asyncio.ensure_future(self._hash_off_loop(batch.take()))
                yield piece
            if hashing is not None:
                await hashing
                hashing = None
        finally:
            if hashing is not None:  # the stream failed: its last batch's hash finishes alone, unread
                hashing.add_done_callback(forget_result)
        self._hash(batch.take())  # less than a batch: inline
        if self._expected is not None and self.size != self._expected:
            raise JunctionError(
                ErrorCode.IncompleteBody,
            )
        self.done = True

    def _hash(self, batch: list[bytes | bytearray]) -> None:
        for data in batch:
            self._md5.update(data)
            self._sha256.update(data)
            for checksum in self._checksums.values():
                checksum.update(data)

    def _md5_and_checksums(self, batch: list[bytes | bytearray]) -> None:
        for data in batch:
            self._md5.update(data)
            for checksum in self._checksums.values():
                checksum.update(data)

    def _sha256_of_batch(self, batch: list[bytes | bytearray]) -> None:
        for data in batch:
            self._sha256.update(data)

    async def _hash_off_loop(self, batch: list[bytes | bytearray]) -> None:
        await asyncio.gather(
            asyncio.to_thread(self._md5_and_checksums, batch), asyncio.to_thread(self._sha256_of_batch, batch)
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


def forget_result(future: asyncio.Future[Any]) -> None:
    """Mark a hash that outlived its failed stream as seen (no 'exception never retrieved')."""
    if not future.cancelled():
        future.exception()


async def digest_all(source: AsyncIterable[bytes], *digests: Any) -> None:
    """Feed every byte of `source` to each of `digests` (hashlib objects): a stored object
    read back (a completion's MD5 and SHA-256). A batch is hashed in the threads, one per
    digest, while the next is read, so the pass costs about the slowest hash alone and the
    event loop none of it."""
    batch = PieceBatch()
    hashing: asyncio.Future[Any] | None = None
    try:
        async for piece in source:
            batch.add(piece)
            if batch.size >= READ_BACK_BATCH:
                if hashing is not None:
                    await hashing
                pieces = batch.take()
                hashing = asyncio.gather(*(asyncio.to_thread(_update_all, d, pieces) for d in digests))
        if hashing is not None:
            await hashing
            hashing = None
    finally:
        if hashing is not None:  # a failed read: the batch in the threads finishes alone
            hashing.add_done_callback(forget_result)
    pieces = batch.take()
    await asyncio.gather(*(asyncio.to_thread(_update_all, d, pieces) for d in digests))


def _update_all(digest: Any, pieces: list[bytes | bytearray]) -> None:
    for piece in pieces:
        digest.update(piece)
