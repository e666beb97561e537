"""The stored format of an encrypted blob: fixed-size packages, each sealed with AES-256-GCM.

A blob's plaintext is cut into PACKAGE-byte packages (the last may be shorter; an empty blob
is one empty package). Package i is sealed under the blob's own key with nonce i and
associated data naming i and whether it is the last package, so packages cannot be reordered,
dropped, duplicated or the blob truncated without the tag check failing. A ranged read fetches
and opens only the packages it overlaps; memory is one package whatever the blob's size.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PACKAGE = 64 * 1024
TAG = 16
SEALED_PACKAGE = PACKAGE + TAG
_AAD = b"junction-sse-1"


class CorruptData(Exception):
    """Stored ciphertext failed its integrity check (tampered, truncated or the wrong key)."""


def package_count(plain_size: int) -> int:
    return max(1, -(-plain_size // PACKAGE))


def sealed_size(plain_size: int) -> int:
    """Bytes stored for `plain_size` bytes of plaintext."""
    return plain_size + package_count(plain_size) * TAG


def blob_key(object_key: bytes, salt: bytes) -> bytes:
    """Each blob (a whole object or one part) gets its own key from the object's data key and a
    random salt, so nonces never repeat under one key even when a part is uploaded twice."""
    return hmac.new(object_key, b"junction-blob-key" + salt, hashlib.sha256).digest()


def _nonce(index: int) -> bytes:
    return index.to_bytes(12, "big")


def _aad(index: int, last: bool) -> bytes:
    return _AAD + index.to_bytes(8, "big") + (b"\x01" if last else b"\x00")


@dataclass(frozen=True, slots=True)
class SealedRange:
    """Which stored bytes a plaintext range needs, and how to cut the opened packages."""

    first: int  # first package index
    last: int  # last package index (inclusive)
    offset: int  # stored byte offset of package `first`
    length: int  # stored bytes to fetch
    skip: int  # plaintext bytes to drop from the first package
    take: int  # plaintext bytes to deliver


def sealed_range(plain_size: int, start: int, length: int) -> SealedRange:
    if length <= 0 or start + length > plain_size:
        if plain_size == 0 and start == 0 and length == 0:
            return SealedRange(0, 0, 0, TAG, 0, 0)
        raise ValueError("range outside the plaintext")
    first, last = start // PACKAGE, (start + length - 1) // PACKAGE
    offset = first * SEALED_PACKAGE
    end = min((last + 1) * SEALED_PACKAGE, sealed_size(plain_size))
    return SealedRange(first, last, offset, end - offset, start - first * PACKAGE, length)


async def _repackage(stream: AsyncIterable[bytes], size: int) -> AsyncIterator[bytes]:
    """Re-cut a byte stream into pieces of exactly `size` (the last may be shorter)."""
    buffer = bytearray()
    async for piece in stream:
        buffer += piece
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


async def encrypt(key: bytes, stream: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    """Seal a plaintext stream package by package (one package of look-ahead to know the last)."""
    aead = AESGCM(key)
    index = 0
    pending: bytes | None = None
    async for package in _repackage(stream, PACKAGE):
        if pending is not None:
            yield aead.encrypt(_nonce(index), pending, _aad(index, False))
            index += 1
        pending = package
    yield aead.encrypt(_nonce(index), pending or b"", _aad(index, True))


async def decrypt(
    key: bytes, stream: AsyncIterable[bytes], *, plain_size: int, wanted: SealedRange | None = None
) -> AsyncIterator[bytes]:
    """Open the stored bytes of `wanted` (default: the whole blob) and yield its plaintext.

    Raises CorruptData when a package fails its check or the stream ends early."""
    aead = AESGCM(key)
    span = wanted if wanted is not None else sealed_range(plain_size, 0, plain_size)
    last_index = package_count(plain_size) - 1
    index, skip, remaining = span.first, span.skip, span.take
    async for sealed in _repackage(stream, SEALED_PACKAGE):
        if index > span.last:
            raise CorruptData("more stored data than the object's size")
        try:
            plain = aead.decrypt(_nonce(index), sealed, _aad(index, index == last_index))
        except InvalidTag:
            raise CorruptData(f"package {index} failed its integrity check") from None
        expected = PACKAGE if index < last_index else plain_size - last_index * PACKAGE
        if len(plain) != expected:
            raise CorruptData(f"package {index} has the wrong length")
        piece = plain[skip : skip + remaining]
        skip = 0
        remaining -= len(piece)
        index += 1
        if piece:
            yield piece
    if index <= span.last:
        raise CorruptData("the stored data ends early")
