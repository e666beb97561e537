"""Helpers shared by the real-client tests (rclone, s3cmd): local trees to upload and hashes
of files on disk (read in blocks, never whole)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

MiB = 1024 * 1024
# names clients must carry unchanged: unicode, spaces, and characters URLs and shells treat specially
SPECIAL_NAMES = ["ünï côde/naïve file.txt", "odd/a+b %25 c#d?e.txt", "with space.txt", "empty.bin"]


def require_program(name: str) -> str:
    """The program's path; a failure (not a skip) when missing, since `make test` installs it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: `make test` installs it (apt {name} via `make system-deps`)")
    return path


def make_tree(root: Path, names: list[str], *, repeat: int = 7) -> dict[str, bytes]:
    """Write a small file per name (distinct contents and sizes; `*empty.bin` empty); return them."""
    files = {}
    for i, name in enumerate(names):
        data = b"" if name.endswith("empty.bin") else f"{i}:{name}".encode() * (i % repeat + 1)
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
        files[name] = data
    return files


def file_md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(MiB), b""):
            digest.update(block)
    return digest.hexdigest()
