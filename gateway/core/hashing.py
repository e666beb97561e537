"""Hash a byte stream while it flows to the backend: MD5 (ETag), SHA-256 (fileHash) and any
flexible checksums the client asked for, plus the byte count and the size limits."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterable

from gateway.domain.errors import ErrorCode, JunctionError

from .checksums import Checksum, new_checksum


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
        async for piece in self._source:
            if not piece:
                continue
            self.size += len(piece)
            if self._expected is not None and self.size > self._expected:
                raise JunctionError(ErrorCode.IncompleteBody, "The request body is longer than its declared length")
            if self._max is not None and self.size > self._max:
                raise JunctionError(ErrorCode.EntityTooLarge, "Your proposed upload exceeds the maximum allowed size")
            self._md5.update(piece)
            self._sha256.update(piece)
            for checksum in self._checksums.values():
                checksum.update(piece)
            yield piece
        if self._expected is not None and self.size != self._expected:
            raise JunctionError(
                ErrorCode.IncompleteBody,
            )
        self.done = True

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
