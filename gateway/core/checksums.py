"""S3 flexible checksums (CRC32, CRC32C, CRC64NVME, SHA1, SHA256), computed on the stream.

The CRCs come from zlib and awscrt (C code: a pure-Python CRC32C or CRC64NVME would cap
uploads at a few MB/s); the SHAs from hashlib. Multipart uploads need two derived forms:
`combine_crc` folds per-part CRCs into the CRC of the whole object (FULL_OBJECT) without
re-reading the data, and `composite_checksum` is S3's checksum-of-checksums (COMPOSITE).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError

ALGORITHMS: tuple[str, ...] = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")
HEADER_PREFIX = "x-amz-checksum-"


@dataclass(frozen=True)
class _CrcSpec:
    """A reflected CRC with init = xorout = all ones, which is what makes `combine_crc` valid."""

    update: Callable[[bytes | bytearray, int], int]  # (data, running crc) -> crc
    width: int  # bits
    poly: int  # reflected generator polynomial


@functools.cache
def _crt() -> Any:
    """awscrt's checksums, imported on first use: loading awscrt costs a tenth of a second at
    every start-up, and most requests carry no CRC32C or CRC64NVME."""
    from awscrt import checksums

    return checksums


def _crc32c(data: bytes | bytearray, crc: int) -> int:
    return int(_crt().crc32c(data, crc))


def _crc64nvme(data: bytes | bytearray, crc: int) -> int:
    return int(_crt().crc64nvme(data, crc))


_CRCS: dict[str, _CrcSpec] = {
    "CRC32": _CrcSpec(zlib.crc32, 32, 0xEDB88320),
    "CRC32C": _CrcSpec(_crc32c, 32, 0x82F63B78),
    "CRC64NVME": _CrcSpec(_crc64nvme, 64, 0x9A6C9329AC4BC9B5),
}


_HASHES: dict[str, Callable[[], hashlib._Hash]] = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256}


class ChecksumMismatch(JunctionError):
    """The checksum the client sent does not match the bytes it sent."""

    def __init__(self, algorithm: str) -> None:
        super().__init__(ErrorCode.BadDigest, f"The {algorithm} you specified did not match the calculated checksum.")
        self.algorithm = algorithm


def header_for(alg: str) -> str:
    """The header (or trailer) that carries `alg`, e.g. "x-amz-checksum-crc32"."""
    _check_algorithm(alg)
    return HEADER_PREFIX + alg.lower()


def algorithm_from_header(name: str) -> str | None:
    """The algorithm a checksum header carries, or None (also for x-amz-checksum-type/-mode)."""
    lower = name.lower()
    if not lower.startswith(HEADER_PREFIX):
        return None
    alg = lower[len(HEADER_PREFIX) :].upper()
    return alg if alg in ALGORITHMS else None


class Checksum(ABC):
    """A running checksum; `b64()` is the form S3 puts in headers and XML."""

    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm

    @abstractmethod
    def update(self, data: bytes | bytearray) -> None: ...

    @abstractmethod
    def digest(self) -> bytes: ...

    def b64(self) -> str:
        return base64.b64encode(self.digest()).decode("ascii")


class _CrcChecksum(Checksum):
    def __init__(self, algorithm: str) -> None:
        super().__init__(algorithm)
        self._spec = _CRCS[algorithm]
        self._crc = 0

    def update(self, data: bytes | bytearray) -> None:
        self._crc = self._spec.update(data, self._crc)

    def digest(self) -> bytes:
        return self._crc.to_bytes(self._spec.width // 8, "big")


class _HashChecksum(Checksum):
    def __init__(self, algorithm: str) -> None:
        super().__init__(algorithm)
        self._hash = _HASHES[algorithm]()

    def update(self, data: bytes | bytearray) -> None:
        self._hash.update(data)

    def digest(self) -> bytes:
        return self._hash.digest()


def new_checksum(alg: str) -> Checksum:
    """A fresh running checksum for `alg` (one of ALGORITHMS)."""
    _check_algorithm(alg)
    return _CrcChecksum(alg) if alg in _CRCS else _HashChecksum(alg)


def combine_crc(alg: str, parts: list[tuple[bytes, int]]) -> bytes:
    """The CRC of the concatenated parts, from each part's (big-endian CRC, byte length).

    zlib's crc32_combine, generalised to any width: CRC(A || B) = CRC(A) * x^(8 * len(B)) mod P
    xor CRC(B). The init/xorout terms cancel because both are all ones.
    """
    spec = _CRCS.get(alg)
    if spec is None:
        raise ValueError(f"{alg} is not a CRC algorithm")
    combined = 0
    for digest, length in parts:
        shifted = _multiply_mod(_x_pow_8n(spec, length), combined, spec)
        combined = shifted ^ int.from_bytes(digest, "big")
    return combined.to_bytes(spec.width // 8, "big")


def composite_checksum(alg: str, part_digests: list[bytes]) -> str:
    """S3's COMPOSITE multipart checksum: base64(checksum of the part digests) + "-<parts>"."""
    checksum = new_checksum(alg)
    for digest in part_digests:
        checksum.update(digest)
    return f"{checksum.b64()}-{len(part_digests)}"


def _check_algorithm(alg: str) -> None:
    if alg not in ALGORITHMS:
        raise ValueError(f"Unsupported checksum algorithm: {alg!r}")


def _multiply_mod(a: int, b: int, spec: _CrcSpec) -> int:
    """a * b modulo the CRC polynomial, in the reflected bit order (x^0 is the top bit)."""
    product = 0
    mask = 1 << (spec.width - 1)
    while a:
        if a & mask:
            product ^= b
            a ^= mask
        mask >>= 1
        b = (b >> 1) ^ spec.poly if b & 1 else b >> 1
    return product


@functools.cache
def _x_pow_2k(spec: _CrcSpec) -> tuple[int, ...]:
    """x^(2^k) mod P for k = 0..66: enough squarings for any 64-bit byte length times 8."""
    powers = [1 << (spec.width - 2)]  # x^1
    for _ in range(66):
        powers.append(_multiply_mod(powers[-1], powers[-1], spec))
    return tuple(powers)


def _x_pow_8n(spec: _CrcSpec, n: int) -> int:
    """x^(8n) mod P by square-and-multiply over the bits of n (the 8 is the k offset 3)."""
    powers = _x_pow_2k(spec)
    result = 1 << (spec.width - 1)  # x^0
    k = 3
    while n:
        if n & 1:
            result = _multiply_mod(powers[k], result, spec)
        n >>= 1
        k += 1
    return result
