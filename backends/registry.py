"""Build a backend adapter from a user space's storage/credential description, by type."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .base import Backend, BackendError, check_key
from .local import LocalBackend

Factory = Callable[[dict[str, Any], dict[str, Any], str], Backend]


def _local(storage: dict[str, Any], credential: dict[str, Any], working_dir: str) -> Backend:
    """`root` is the space's directory; `workingDir` a relative directory inside it."""
    root = storage.get("root")
    if not root or not Path(root).is_absolute():
        raise BackendError("a Local storage needs an absolute 'root' directory")
    if working_dir:
        return LocalBackend(Path(root) / check_key(working_dir.strip("/")))
    return LocalBackend(Path(root))


def _s3(storage: dict[str, Any], credential: dict[str, Any], working_dir: str) -> Backend:
    """Imported on first use: botocore's signer costs a third of a second at every start-up."""
    from .s3 import build_s3

    return build_s3(storage, credential, working_dir)


def _obs(storage: dict[str, Any], credential: dict[str, Any], working_dir: str) -> Backend:
    from .obs import build_obs

    return build_obs(storage, credential, working_dir)


FACTORIES: dict[str, Factory] = {"Local": _local, "S3": _s3, "OBS": _obs}


def register(kind: str, factory: Factory) -> None:
    FACTORIES[kind] = factory


def build_backend(storage: dict[str, Any], credential: dict[str, Any], working_dir: str = "") -> Backend:
    kind = storage.get("type", "")
    factory = FACTORIES.get(kind)
    if factory is None:
        raise BackendError(f"unknown storage type {kind!r}; known: {', '.join(sorted(FACTORIES))}")
    return factory(storage, credential, working_dir)
