"""Encryption at rest for user-space credentials and access-key secrets.

Credentials (cloud access keys) and the secrets of the gateway's own access keys are sealed
with Fernet (AES-128-CBC + HMAC-SHA256, from the `cryptography` package) before they reach
the metadata store, so a copy of `meta.sqlite3` alone does not leak them. The key comes
from `JUNCTION_SECRETS_KEY` (any passphrase; it is stretched with SHA-256) or, when unset,
from a key file generated once in the data dir with mode 0600, so the embedded default
works out of the box.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from gateway.datadir import make_private_dir, write_private_file
from gateway.domain.errors import ErrorCode, JunctionError

SEALED_PREFIX = "fernet:"
KEY_FILE = "secrets.key"
SECRET_FIELDS = ("secretAccessKey", "secretKey", "password", "sk", "token", "sessionToken", "securityToken")


class SecretBox:
    def __init__(self, passphrase: str) -> None:
        key = base64.urlsafe_b64encode(hashlib.sha256(passphrase.encode("utf-8")).digest())
        self._fernet = Fernet(key)

    @classmethod
    def for_data_dir(cls, data_dir: Path, passphrase: str = "") -> SecretBox:
        """The configured passphrase, else the data dir's own key file (created on first use)."""
        if passphrase:
            return cls(passphrase)
        path = data_dir / KEY_FILE
        if not path.exists():
            make_private_dir(data_dir)
            with contextlib.suppress(FileExistsError):  # another worker made it first: use theirs
                write_private_file(path, secrets.token_urlsafe(32), exclusive=True)
        return cls(path.read_text().strip())

    def seal_text(self, secret: str) -> str:
        """An access key's secret as stored: SigV4 needs it back, so sealed, not hashed."""
        return SEALED_PREFIX + self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def open_text(self, stored: str) -> str:
        """The secret of `seal_text`; a plain value (a row written before sealing) is returned as is."""
        if not is_sealed(stored):
            return stored
        return self._decrypt(stored).decode("utf-8")

    def can_open(self, stored: str) -> bool:
        try:
            self._decrypt(stored)
        except JunctionError:
            return False
        return True

    @staticmethod
    def is_sealed(stored: str) -> bool:
        return is_sealed(stored)

    def seal(self, credential: dict[str, Any]) -> str:
        token = self._fernet.encrypt(json.dumps(credential, sort_keys=True).encode("utf-8"))
        return SEALED_PREFIX + token.decode("ascii")

    def open(self, stored: str) -> dict[str, Any]:
        """The credential dict; plain JSON (rows written before encryption) is accepted too."""
        if not is_sealed(stored):
            legacy: dict[str, Any] = json.loads(stored)
            return legacy
        credential: dict[str, Any] = json.loads(self._decrypt(stored))
        return credential

    def _decrypt(self, stored: str) -> bytes:
        try:
            return self._fernet.decrypt(stored[len(SEALED_PREFIX) :].encode("ascii"))
        except InvalidToken:
            raise JunctionError(
                ErrorCode.InternalError,
                "A stored secret cannot be decrypted: JUNCTION_SECRETS_KEY or secrets.key changed?",
            ) from None


def is_sealed(stored: str) -> bool:
    return stored.startswith(SEALED_PREFIX)


def redact(credential: dict[str, Any]) -> dict[str, Any]:
    """The credential as shown to clients and logs: secrets masked, the rest (type, key id) kept."""
    shown: dict[str, Any] = {}
    for name, value in credential.items():
        if name in SECRET_FIELDS and isinstance(value, str) and value:
            shown[name] = "******"
        else:
            shown[name] = value
    return shown
