"""The encrypted blob format: round trips, ranged reads, and every way stored bytes can be damaged."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.core.sse.keys import KeyMismatch, MasterKeys, new_data_key, parse_customer_key
from gateway.core.sse.packages import (
    PACKAGE,
    SEALED_PACKAGE,
    TAG,
    CorruptData,
    blob_key,
    decrypt,
    encrypt,
    sealed_range,
    sealed_size,
)

KEY = blob_key(new_data_key(), b"salt")


async def chunks(data: bytes, size: int = 7000) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def seal(data: bytes, key: bytes = KEY) -> bytes:
    return b"".join([piece async for piece in encrypt(key, chunks(data))])


async def open_range(stored: bytes, size: int, start: int, length: int, key: bytes = KEY) -> bytes:
    span = sealed_range(size, start, length)
    source = stored[span.offset : span.offset + span.length]
    return b"".join([p async for p in decrypt(key, chunks(source, 5000), plain_size=size, wanted=span)])


async def open_all(stored: bytes, size: int, key: bytes = KEY) -> bytes:
    return b"".join([p async for p in decrypt(key, chunks(stored, 9000), plain_size=size)])


@pytest.mark.parametrize("size", [0, 1, PACKAGE - 1, PACKAGE, PACKAGE + 1, 3 * PACKAGE + 17])
async def test_round_trip_and_stored_size(size: int) -> None:
    data = os.urandom(size)
    stored = await seal(data)
    assert len(stored) == sealed_size(size)
    assert size < 16 or data[:64] not in stored  # ciphertext, not plaintext
    assert await open_all(stored, size) == data


@settings(deadline=None, max_examples=60)
@given(st.data())
async def test_every_range_opens_only_what_it_needs(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 4 * PACKAGE + 100))
    plain = bytes(i % 251 for i in range(size))
    stored = await seal(plain)
    start = data.draw(st.integers(0, size - 1))
    length = data.draw(st.integers(1, size - start))
    span = sealed_range(size, start, length)
    assert span.length <= (span.last - span.first + 1) * SEALED_PACKAGE
    assert await open_range(stored, size, start, length) == plain[start : start + length]


async def test_a_flipped_bit_is_detected() -> None:
    data = os.urandom(2 * PACKAGE + 5)
    stored = bytearray(await seal(data))
    stored[PACKAGE + 100] ^= 1
    with pytest.raises(CorruptData, match="package 1"):
        await open_all(bytes(stored), len(data))


async def test_truncation_is_detected_at_a_package_boundary() -> None:
    data = os.urandom(3 * PACKAGE)
    stored = await seal(data)
    with pytest.raises(CorruptData):  # the new last package was not sealed as the last one
        await open_all(stored[: 2 * SEALED_PACKAGE], 2 * PACKAGE)
    with pytest.raises(CorruptData, match="ends early"):
        await open_all(stored[: 2 * SEALED_PACKAGE], 3 * PACKAGE)


async def test_reordered_or_duplicated_packages_are_detected() -> None:
    data = os.urandom(2 * PACKAGE)
    stored = await seal(data)
    first, second = stored[:SEALED_PACKAGE], stored[SEALED_PACKAGE:]
    with pytest.raises(CorruptData):
        await open_all(second + first, len(data))
    with pytest.raises(CorruptData):
        await open_all(first + first, len(data))


async def test_the_wrong_key_opens_nothing() -> None:
    stored = await seal(b"secret")
    with pytest.raises(CorruptData):
        await open_all(stored, 6, key=blob_key(new_data_key(), b"salt"))


async def test_each_blob_key_is_distinct() -> None:
    data_key = new_data_key()
    assert blob_key(data_key, b"a") != blob_key(data_key, b"b")
    one, two = await seal(b"x" * 100, blob_key(data_key, b"a")), await seal(b"x" * 100, blob_key(data_key, b"b"))
    assert one != two
    assert len(one) == 100 + TAG


def test_master_key_rotation(tmp_path) -> None:
    old, new = base64.b64encode(os.urandom(32)).decode(), base64.b64encode(os.urandom(32)).decode()
    data_key = new_data_key()
    kid, sealed = MasterKeys.load(tmp_path, old).seal(data_key)
    rotated = MasterKeys.load(tmp_path, f"{new},{old}")
    assert rotated.open(kid, sealed) == data_key  # old objects stay readable
    assert rotated.seal(data_key)[0] != kid  # new ones use the new key
    with pytest.raises(KeyMismatch):
        MasterKeys.load(tmp_path, new).open(kid, sealed)


def test_master_key_file_is_made_private(tmp_path) -> None:
    keys = MasterKeys.load(tmp_path)
    assert oct((tmp_path / "master.key").stat().st_mode & 0o777) == "0o600"
    assert MasterKeys.load(tmp_path).current_id == keys.current_id


def test_customer_keys() -> None:
    raw = os.urandom(32)
    b64, md5 = base64.b64encode(raw).decode(), base64.b64encode(hashlib.md5(raw).digest()).decode()
    key = parse_customer_key("AES256", b64, md5)
    data_key = new_data_key()
    assert key.open(key.seal(data_key)) == data_key
    assert key.matches(b"salt", key.fingerprint(b"salt")) and key.md5 == md5
    wrong_raw = os.urandom(32)
    wrong = parse_customer_key(
        "AES256", base64.b64encode(wrong_raw).decode(), base64.b64encode(hashlib.md5(wrong_raw).digest()).decode()
    )
    with pytest.raises(KeyMismatch):
        wrong.open(key.seal(data_key))
    assert not wrong.matches(b"salt", key.fingerprint(b"salt"))
    for bad in (("AES128", b64, md5), ("AES256", "not base64!", md5), ("AES256", b64, "bad"), ("AES256", None, md5)):
        with pytest.raises(ValueError):
            parse_customer_key(*bad)
