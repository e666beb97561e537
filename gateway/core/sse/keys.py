"""Keys: per-object data keys sealed by a master key (SSE-S3) or by the client's key (SSE-C).

The master key comes from JUNCTION_MASTER_KEY or the data dir's `master.key` file; several may
be configured (rotation): new objects use the first, any listed key opens what it sealed.
An SSE-C key is never stored: the object's data key is sealed under a key derived from it, and
a salted HMAC recognises the client's key (a wrong key is told apart from corrupt data).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gateway.datadir import make_private_dir, write_private_file

KEY_BYTES = 32
MASTER_KEY_FILE = "master.key"


class KeyMismatch(Exception):
    """A key could not open what it was asked to (wrong SSE-C key, unknown master key)."""


def new_data_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def _seal(kek: bytes, data_key: bytes, context: bytes) -> bytes:
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(kek).encrypt(nonce, data_key, context)


def _open(kek: bytes, sealed: bytes, context: bytes) -> bytes:
    try:
        return AESGCM(kek).decrypt(sealed[:12], sealed[12:], context)
    except (InvalidTag, ValueError):
        raise KeyMismatch("the key does not open this object's data key") from None


def key_id(master: bytes) -> str:
    """A short public name of a master key, stored with what it sealed."""
    return hashlib.sha256(b"junction-master-key-id" + master).hexdigest()[:16]


@dataclass(frozen=True)
class MasterKeys:
    keys: tuple[bytes, ...]  # the first seals new data keys

    @classmethod
    def load(cls, data_dir: Path, configured: str = "") -> MasterKeys:
        """`configured`: comma-separated base64 keys (JUNCTION_MASTER_KEY), newest first;
        otherwise the data dir's key file, made (0600) on first use."""
        if configured.strip():
            return cls(tuple(_decode_master(part) for part in configured.split(",") if part.strip()))
        path = data_dir / MASTER_KEY_FILE
        if not path.exists():
            make_private_dir(data_dir)
            with contextlib.suppress(FileExistsError):  # another worker made it first: use theirs
                write_private_file(path, base64.b64encode(new_data_key()).decode() + "\n", exclusive=True)
        return cls(tuple(_decode_master(line) for line in path.read_text().split() if line.strip()))

    @property
    def current_id(self) -> str:
        return key_id(self.keys[0])

    def seal(self, data_key: bytes) -> tuple[str, bytes]:
        return self.current_id, _seal(self.keys[0], data_key, b"sse-s3")

    def open(self, kid: str, sealed: bytes) -> bytes:
        for master in self.keys:
            if key_id(master) == kid:
                return _open(master, sealed, b"sse-s3")
        raise KeyMismatch(f"master key {kid} is not configured")


def parse_kms_keys(value: str) -> dict[str, MasterKeys]:
    """Config `kms_keys`: "KEY-ID=base64 master key,..." (the ids SSE-KMS requests may name)."""
    found: dict[str, MasterKeys] = {}
    for item in filter(None, (i.strip() for i in value.split(","))):
        name, sep, key = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"kms_keys entry {name.strip()!r}... is not KEY-ID=base64-key")
        found[name.strip()] = MasterKeys((_decode_master(key),))
    return found


def check_key_config(master_key: str, kms_keys: str) -> None:
    """Raise ValueError (never naming a key) when the configured keys do not parse."""
    for part in filter(None, (p.strip() for p in master_key.split(","))):
        _decode_master(part)
    parse_kms_keys(kms_keys)


def _decode_master(text: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a master key must be 32 bytes, base64-encoded") from None
    if len(key) != KEY_BYTES:
        raise ValueError("a master key must be 32 bytes, base64-encoded")
    return key


@dataclass(frozen=True)
class CustomerKey:
    """An SSE-C key as the client sent it (already checked against its MD5 header)."""

    key: bytes

    @property
    def md5(self) -> str:
        return base64.b64encode(hashlib.md5(self.key).digest()).decode()

    def fingerprint(self, salt: bytes) -> str:
        """What is stored to recognise this key later: a salted HMAC, never the key."""
        return hmac.new(salt, self.key, hashlib.sha256).hexdigest()

    def matches(self, salt: bytes, fingerprint: str) -> bool:
        return hmac.compare_digest(self.fingerprint(salt), fingerprint)

    def _kek(self) -> bytes:
        return hmac.new(self.key, b"junction-sse-c-kek", hashlib.sha256).digest()

    def seal(self, data_key: bytes) -> bytes:
        return _seal(self._kek(), data_key, b"sse-c")

    def open(self, sealed: bytes) -> bytes:
        return _open(self._kek(), sealed, b"sse-c")


def parse_customer_key(algorithm: str | None, key_b64: str | None, key_md5: str | None) -> CustomerKey:
    """Validate the three SSE-C headers; ValueError says which is wrong (AWS answers 400)."""
    if algorithm != "AES256":
        raise ValueError("The SSE-C algorithm must be AES256")
    if not key_b64 or not key_md5:
        raise ValueError("SSE-C requires the key and its MD5")
    try:
        key = base64.b64decode(key_b64, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("The SSE-C key is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise ValueError("The SSE-C key must be 256 bits")
    if not hmac.compare_digest(base64.b64encode(hashlib.md5(key).digest()).decode(), key_md5.strip()):
        raise ValueError("The calculated MD5 hash of the key did not match the hash that was provided.")
    return CustomerKey(key)
