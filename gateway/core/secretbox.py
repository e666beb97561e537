"""Encryption at rest for user-space credentials.

Credentials (cloud access keys) are sealed with Fernet (AES-128-CBC + HMAC-SHA256, from the
`cryptography` package) before they reach the metadata store, so a copy of `meta.sqlite3`
alone does not leak them. The key comes from `JUNCTION_SECRETS_KEY` (any passphrase; it is
stretched with SHA-256) or, when unset, from a key file generated once in the data dir with
mode 0600, so the embedded default works out of the box.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

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
            data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(32))
        return cls(path.read_text().strip())

    def seal(self, credential: dict[str, Any]) -> str:
        token = self._fernet.encrypt(json.dumps(credential, sort_keys=True).encode("utf-8"))
        return SEALED_PREFIX + token.decode("ascii")

    def open(self, stored: str) -> dict[str, Any]:
        """The credential dict; plain JSON (rows written before encryption) is accepted too."""
        if not stored.startswith(SEALED_PREFIX):
            legacy: dict[str, Any] = json.loads(stored)
            return legacy
        try:
            plain = self._fernet.decrypt(stored[len(SEALED_PREFIX) :].encode("ascii"))
        except InvalidToken:
            raise JunctionError(
                ErrorCode.InternalError, "A user-space credential cannot be decrypted: JUNCTION_SECRETS_KEY changed?"
            ) from None
        credential: dict[str, Any] = json.loads(plain)
        return credential


def redact(credential: dict[str, Any]) -> dict[str, Any]:
    """The credential as shown to clients and logs: secrets masked, the rest (type, key id) kept."""
    shown: dict[str, Any] = {}
    for name, value in credential.items():
        if name in SECRET_FIELDS and isinstance(value, str) and value:
            shown[name] = "******"
        else:
            shown[name] = value
    return shown
