"""gateway.core.checksums: the S3 flexible checksums, their combination for multipart uploads."""

from __future__ import annotations

import base64
import hashlib
import os
import random
import zlib

import pytest
from awscrt import checksums as crt
from botocore import httpchecksum

from gateway.core.checksums import (
    ALGORITHMS,
    ChecksumMismatch,
    algorithm_from_header,
    combine_crc,
    composite_checksum,
    header_for,
    new_checksum,
)
from gateway.domain.errors import JunctionError

CRCS = ("CRC32", "CRC32C", "CRC64NVME")

# botocore's own implementations: what the SDKs send is what we must compute.
BOTOCORE = {
    "CRC32": httpchecksum.CrtCrc32Checksum,
    "CRC32C": httpchecksum.CrtCrc32cChecksum,
    "CRC64NVME": httpchecksum.CrtCrc64NvmeChecksum,
    "SHA1": httpchecksum.Sha1Checksum,
    "SHA256": httpchecksum.Sha256Checksum,
}

# The "check" values of the CRC catalogue (CRC over b"123456789") and the FIPS 180 "abc" digests.
KNOWN = {
    "CRC32": (b"123456789", "cbf43926"),
    "CRC32C": (b"123456789", "e3069283"),
    "CRC64NVME": (b"123456789", "ae8b14860a799888"),
    "SHA1": (b"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
    "SHA256": (b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
}


def checksum_of(alg: str, data: bytes) -> bytes:
    checksum = new_checksum(alg)
    checksum.update(data)
    return checksum.digest()


def split_randomly(data: bytes, rng: random.Random) -> list[bytes]:
    pieces, at = [], 0
    while at < len(data):
        size = rng.choice([0, 1, 7, 4096, 65536, 100_003])
        pieces.append(data[at : at + size])
        at += size
    return pieces


def test_algorithm_list() -> None:
    assert set(ALGORITHMS) == {"CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"}


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_header_names_round_trip(alg: str) -> None:
    header = header_for(alg)
    assert header == "x-amz-checksum-" + alg.lower()
    assert algorithm_from_header(header) == alg
    assert algorithm_from_header(header.upper()) == alg
    assert algorithm_from_header("X-Amz-Checksum-" + alg.capitalize()) == alg


@pytest.mark.parametrize(
    "name",
    [
        "x-amz-checksum-type",
        "x-amz-checksum-algorithm",
        "x-amz-checksum-mode",
        "x-amz-checksum-md5",
        "x-amz-checksum-",
        "content-md5",
        "x-amz-sdk-checksum-algorithm",
        "x-amz-trailer",
    ],
)
def test_other_headers_are_not_checksums(name: str) -> None:
    assert algorithm_from_header(name) is None


@pytest.mark.parametrize("alg", ["MD5", "crc32", "", "SHA512", "XXHASH64"])
def test_unknown_algorithms_are_refused(alg: str) -> None:
    with pytest.raises(ValueError):
        new_checksum(alg)
    with pytest.raises(ValueError):
        header_for(alg)


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_known_values(alg: str) -> None:
    data, expected_hex = KNOWN[alg]
    checksum = new_checksum(alg)
    checksum.update(data)
    assert checksum.algorithm == alg
    assert checksum.digest().hex() == expected_hex
    assert checksum.b64() == base64.b64encode(bytes.fromhex(expected_hex)).decode()


@pytest.mark.parametrize(("alg", "size"), [("CRC32", 4), ("CRC32C", 4), ("CRC64NVME", 8), ("SHA1", 20), ("SHA256", 32)])
def test_digest_sizes_and_empty_input(alg: str, size: int) -> None:
    empty = new_checksum(alg).digest()
    assert len(empty) == size
    if alg in CRCS:
        assert empty == bytes(size)  # the CRC of nothing is 0 for these CRCs
    else:
        assert empty == hashlib.new(alg.lower()).digest()


@pytest.mark.parametrize("alg", ALGORITHMS)
@pytest.mark.parametrize("seed", range(4))
def test_matches_botocore_on_random_streams(alg: str, seed: int) -> None:
    rng = random.Random(seed)
    data = rng.randbytes(rng.choice([0, 1, 17, 65536, 300_001]))
    ours, theirs = new_checksum(alg), BOTOCORE[alg]()
    for piece in split_randomly(data, rng):
        ours.update(piece)
        theirs.update(piece)
    assert ours.b64() == theirs.b64digest()


def test_crc32_matches_zlib() -> None:
    data = os.urandom(10_000)
    assert checksum_of("CRC32", data) == (zlib.crc32(data) & 0xFFFFFFFF).to_bytes(4, "big")


@pytest.mark.parametrize("alg", CRCS)
@pytest.mark.parametrize(
    "sizes",
    [
        [5],
        [0],
        [1, 1],
        [0, 3, 0],
        [1000, 1],
        [8 * 1024 * 1024, 5, 3 * 1024 * 1024],
        [65536] * 7,
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        [123_457, 0, 99_991, 1],
    ],
)
def test_combine_crc_equals_crc_of_concatenation(alg: str, sizes: list[int]) -> None:
    parts = [os.urandom(size) for size in sizes]
    digests = [(checksum_of(alg, part), len(part)) for part in parts]
    assert combine_crc(alg, digests) == checksum_of(alg, b"".join(parts))


@pytest.mark.parametrize("alg", CRCS)
def test_combine_crc_of_no_parts_is_the_crc_of_nothing(alg: str) -> None:
    assert combine_crc(alg, []) == new_checksum(alg).digest()


@pytest.mark.parametrize(
    ("alg", "crt_combine", "size"),
    [
        ("CRC32", crt.combine_crc32, 4),
        ("CRC32C", crt.combine_crc32c, 4),
        ("CRC64NVME", crt.combine_crc64nvme, 8),
    ],
)
@pytest.mark.parametrize("length", [1, 5 * 1024**3, 5 * 1024**4, 2**48 + 12345])
def test_combine_crc_matches_awscrt_for_huge_parts(alg: str, crt_combine, size: int, length: int) -> None:
    """Object sizes up to 5 TiB cannot be tested by concatenation; awscrt's C combine can cross-check."""
    rng = random.Random(length)
    first, second = rng.getrandbits(size * 8), rng.getrandbits(size * 8)
    combined = combine_crc(alg, [(first.to_bytes(size, "big"), 10), (second.to_bytes(size, "big"), length)])
    assert combined == crt_combine(first, second, length).to_bytes(size, "big")


@pytest.mark.parametrize("alg", ["SHA1", "SHA256", "MD5"])
def test_combine_crc_refuses_non_crcs(alg: str) -> None:
    with pytest.raises(ValueError):
        combine_crc(alg, [(b"\0" * 4, 1)])


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_composite_checksum_is_checksum_of_part_checksums(alg: str) -> None:
    parts = [os.urandom(1000), os.urandom(2000), os.urandom(5)]
    digests = [checksum_of(alg, part) for part in parts]
    expected = base64.b64encode(checksum_of(alg, b"".join(digests))).decode()
    assert composite_checksum(alg, digests) == f"{expected}-3"


def test_composite_checksum_known_value() -> None:
    digests = [hashlib.sha256(b"part one").digest(), hashlib.sha256(b"part two").digest()]
    expected = base64.b64encode(hashlib.sha256(b"".join(digests)).digest()).decode()
    assert composite_checksum("SHA256", digests) == expected + "-2"


def test_checksum_mismatch_is_a_bad_digest() -> None:
    error = ChecksumMismatch("CRC32")
    assert isinstance(error, JunctionError)
    assert error.code == "BadDigest"
    assert error.message == "The CRC32 you specified did not match the calculated checksum."
    assert error.algorithm == "CRC32"
