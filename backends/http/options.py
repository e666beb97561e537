"""What a user-space storage description says to an HTTP store: location, key pair, tunables,
and the service limits the tunables are checked against."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..base import BackendError

MiB = 1024 * 1024
MIN_PART_SIZE = 5 * MiB  # S3's floor for every part but the last
MAX_PART_SIZE = 5 * 1024 * MiB
MAX_PARTS = 10_000
MAX_SINGLE_COPY = 5 * 1024 * MiB  # CopyObject's limit; larger sources use UploadPartCopy


def access_key_pair(credential: Mapping[str, Any], kind: str, types: tuple[str, ...]) -> tuple[str, str]:
    """(accessKeyId, secretAccessKey) of a user-space credential meant for a `kind` storage."""
    if credential.get("type", kind) not in types:
        raise BackendError(f"an {kind} storage needs a credential of type {' or '.join(types)}")
    access_key = credential.get("accessKeyId") or ""
    secret_key = credential.get("secretAccessKey") or ""
    if not access_key or not secret_key:
        raise BackendError(f"an {kind} credential needs accessKeyId and secretAccessKey")
    return access_key, secret_key


def location_fields(storage: Mapping[str, Any]) -> dict[str, Any]:
    """endpoint, region, bucket and path_style of a user-space storage, as the adapters take them."""
    path_style = storage.get("pathStyle")
    return {
        "endpoint": (storage.get("endpoint") or "").strip(),
        "region": (storage.get("region") or "").strip(),
        "bucket": (storage.get("bucket") or "").strip(),
        "path_style": None if path_style is None else bool(path_style),
    }


@dataclass(frozen=True)
class StoreOptions:
    """Tunables; the defaults suit a real cloud endpoint, tests lower them."""

    part_size: int = 8 * MiB
    max_inflight_parts: int = 2
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_attempts: int = 5
    backoff_base: float = 0.2
    backoff_cap: float = 5.0
    max_single_copy: int = MAX_SINGLE_COPY
    copy_part_size: int = 512 * MiB
    verify_tls: bool = True
    max_connections: int = 64

    @classmethod
    def from_storage(cls, storage: Mapping[str, Any], min_part_size: int = MIN_PART_SIZE) -> StoreOptions:
        """Read the optional tuning fields of a storage description (camelCase, like the rest).

        `min_part_size` is the service's floor for non-final parts (5 MiB on S3, 100 KiB on OBS).
        """
        names = {
            "partSize": ("part_size", int),
            "maxInflightParts": ("max_inflight_parts", int),
            "connectTimeout": ("connect_timeout", float),
            "readTimeout": ("read_timeout", float),
            "maxAttempts": ("max_attempts", int),
            "backoffBase": ("backoff_base", float),
            "backoffCap": ("backoff_cap", float),
            "maxSingleCopy": ("max_single_copy", int),
            "copyPartSize": ("copy_part_size", int),
            "verifyTLS": ("verify_tls", bool),
        }
        values: dict[str, Any] = {}
        for name, (attr, kind) in names.items():
            if storage.get(name) is not None:
                try:
                    values[attr] = kind(storage[name])
                except (TypeError, ValueError):
                    raise BackendError(f"storage field {name} must be a {kind.__name__}") from None
        options = cls(**values)
        if options.part_size < min_part_size or options.copy_part_size < min_part_size:
            raise BackendError(f"partSize and copyPartSize must be at least {min_part_size} bytes")
        if options.max_attempts < 1 or options.max_inflight_parts < 1:
            raise BackendError("maxAttempts and maxInflightParts must be at least 1")
        return options
