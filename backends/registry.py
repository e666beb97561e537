"""Build a backend adapter from a user space's storage/credential description, by type."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from .base import Backend, BackendError
from .local import LocalBackend

Factory = Callable[[dict[str, Any], dict[str, Any], str], Backend]


def _local(storage: dict[str, Any], credential: dict[str, Any], working_dir: str) -> Backend:
    root = storage.get("root") or working_dir
    if not root:
        raise BackendError("a Local storage needs a root directory")
    return LocalBackend(Path(root))


FACTORIES: dict[str, Factory] = {"Local": _local}


def register(kind: str, factory: Factory) -> None:
    FACTORIES[kind] = factory


def build_backend(storage: dict[str, Any], credential: dict[str, Any], working_dir: str = "") -> Backend:
    kind = storage.get("type", "")
    factory = FACTORIES.get(kind)
    if factory is None:
        raise BackendError(f"unknown storage type {kind!r}; known: {', '.join(sorted(FACTORIES))}")
    return factory(storage, credential, working_dir)
