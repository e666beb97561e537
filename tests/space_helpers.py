"""Fixtures and helpers shared by the user-space, sync and round-trip tests: a gateway of the
module's own (spaces and sync tasks are global state), a native client, moto, and files."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from backend_fixtures import start_moto
from conftest import start_gateway, stop_gateway

from gateway.client import NativeClient


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    gateway = start_gateway(tmp_path_factory.mktemp("spaces"))
    yield gateway
    stop_gateway(gateway)


@pytest.fixture(scope="module")
def client(gw) -> NativeClient:
    return NativeClient(gw.url, gw.access_key, gw.secret_key)


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    server = start_moto(tmp_path_factory.mktemp("moto"))
    yield server
    server.stop()


def local_space(client: NativeClient, data_dir: Path, **options: Any) -> dict[str, Any]:
    """A new Local user space in its own directory under the gateway's data dir."""
    name = f"l-{uuid.uuid4().hex[:8]}"
    root = data_dir / "spaces" / name
    root.mkdir(parents=True)
    return client.create_user_space(name, {"type": "Local", "root": str(root)}, {"type": "Local"}, **options)


def root_of(space: dict[str, Any]) -> Path:
    return Path(space["storage"]["root"])


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
