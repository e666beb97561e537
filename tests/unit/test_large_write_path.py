"""The large-body write path keeps every byte as it came, whatever the pieces look like.

HashingStream hashes a batch of pieces in threads while the next batch is read, and
LocalBackend writes a batch of pieces without joining them: both hold pieces past the next
read of their source, so a source that hands out one buffer and overwrites it afterwards
(a memoryview of a reused bytearray) must not change what is hashed or stored.
"""

from __future__ import annotations

import base64
import hashlib
import os
import sys
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backends import writeback
from backends.local import WRITE_BUFFER, LocalBackend
from backends.pieces import SMALL_PIECE, PieceBatch
from gateway.core.hashing import HASH_BATCH, READ_BACK_BATCH, HashingStream, digest_all
from gateway.domain.errors import ErrorCode, JunctionError

SIZES = [1, 7, 64 * 1024, 300_000, 1024 * 1024, 3, 256 * 1024]


async def reused_buffer(data: bytes, sizes: list[int] = SIZES) -> AsyncIterator[memoryview]:
    """`data` in pieces of `sizes` (cycled), each a view of one buffer overwritten once it was taken."""
    buffer = bytearray(max(sizes))
    offset = index = 0
    while offset < len(data):
        size = min(sizes[index % len(sizes)], len(data) - offset)
        buffer[:size] = data[offset : offset + size]
        yield memoryview(buffer)[:size]
        buffer[:size] = b"\xee" * size  # the source reuses its buffer for the next piece
        offset += size
        index += 1


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


async def test_hashes_and_pieces_survive_a_source_that_reuses_its_buffer() -> None:
    data = os.urandom(3 * HASH_BATCH + 12345)
    stream = HashingStream(reused_buffer(data), algorithms=["CRC32"], expected_size=len(data))
    received = [bytes(piece) async for piece in stream]
    assert b"".join(received) == data
    assert stream.done and stream.size == len(data)
    assert stream.md5_hex == hashlib.md5(data).hexdigest()
    assert stream.sha256_hex == hashlib.sha256(data).hexdigest()
    assert stream.checksums == {"CRC32": crc32_b64(data)}


async def test_a_body_longer_than_declared_fails_with_batches_in_flight() -> None:
    data = os.urandom(2 * HASH_BATCH + 10)
    stream = HashingStream(reused_buffer(data), expected_size=2 * HASH_BATCH)
    with pytest.raises(JunctionError) as failed:
        async for _ in stream:
            pass
    assert failed.value.code == ErrorCode.IncompleteBody
    assert not stream.done


async def test_a_failing_source_fails_the_stream_as_it_came() -> None:
    async def broken() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield os.urandom(HASH_BATCH)
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        async for _ in HashingStream(broken()):
            pass


@pytest.mark.parametrize("method", ["put", "put_new"])
async def test_local_writes_the_pieces_as_they_came(tmp_path: Path, method: str) -> None:
    backend = LocalBackend(tmp_path)
    data = os.urandom(2 * WRITE_BUFFER + 777)
    size = await getattr(backend, method)("blocks/ab/blob", reused_buffer(data), None)
    assert size == len(data)
    assert (tmp_path / "blocks" / "ab" / "blob").read_bytes() == data
    assert b"".join([piece async for piece in backend.get("blocks/ab/blob")]) == data


def test_writeback_hint_is_there_on_linux_and_harmless(tmp_path: Path) -> None:
    if sys.platform.startswith("linux"):
        assert writeback._start is not None  # else large writes silently lose the early write-out
    path = tmp_path / "f"
    path.write_bytes(b"x" * 100_000)
    with open(path, "rb+") as fh:
        writeback.start_writeback(fh.fileno(), 0, 100_000)
    writeback.start_writeback(-1, 0, 10)  # a hint: a bad descriptor is not an error here
    assert path.read_bytes() == b"x" * 100_000


def test_a_batch_keeps_large_pieces_as_they_came_and_joins_small_ones() -> None:
    batch = PieceBatch()
    large = os.urandom(SMALL_PIECE)
    tiny = [bytes([i % 256]) for i in range(3 * SMALL_PIECE // 2)]
    for piece in tiny[: SMALL_PIECE // 2]:
        batch.add(piece)
    batch.add(large)
    for piece in tiny[SMALL_PIECE // 2 :]:
        batch.add(piece)
    assert batch.size == len(large) + len(tiny)
    pieces = batch.take()
    assert b"".join(pieces) == b"".join(tiny[: SMALL_PIECE // 2]) + large + b"".join(tiny[SMALL_PIECE // 2 :])
    assert any(piece is large for piece in pieces)  # not copied
    assert len(pieces) == 3  # a trickle of tiny pieces is one buffer, not an object each
    assert batch.size == 0 and batch.take() == []


async def test_digest_all_reads_back_through_every_batch() -> None:
    data = os.urandom(2 * READ_BACK_BATCH + 4321)
    md5, sha256 = hashlib.md5(), hashlib.sha256()
    await digest_all(reused_buffer_bytes(data), md5, sha256)
    assert (md5.hexdigest(), sha256.hexdigest()) == (hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest())


async def test_digest_all_fails_as_its_source_does() -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield os.urandom(READ_BACK_BATCH + 1)
        raise OSError("disk went away")

    with pytest.raises(OSError, match="disk went away"):
        await digest_all(broken(), hashlib.sha256())


async def reused_buffer_bytes(data: bytes) -> AsyncIterator[bytes]:
    async for piece in reused_buffer(data):
        yield bytes(piece)
