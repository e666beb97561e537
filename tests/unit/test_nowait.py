"""backends/nowait.py: opens and reads that answer from the kernel's caches or say they would
wait; every other outcome is the plain call's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from backends import nowait


def test_open_cached_opens_what_os_open_opens(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_bytes(b"0123456789")
    fd = nowait.open_cached(str(path))
    assert fd is not None
    try:
        assert os.pread(fd, 4, 3) == b"3456"
        assert os.get_inheritable(fd) is False
    finally:
        os.close(fd)


def test_open_cached_raises_what_os_open_raises(tmp_path: Path) -> None:
    missing = tmp_path / "none"
    assert not missing.exists()  # now the dentry cache knows it is missing: no disk to wait for
    with pytest.raises(FileNotFoundError):
        nowait.open_cached(str(missing))


def test_open_cached_never_opens_what_os_open_refuses(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"x")
    for path in (tmp_path / "file" / "below", tmp_path / "unseen"):
        try:
            fd = nowait.open_cached(str(path))
        except (NotADirectoryError, FileNotFoundError):
            continue
        assert fd is None  # not known from the caches alone: the thread's plain open raises


def test_without_openat2_it_is_a_plain_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nowait.SUPPORT, "openat2", False)
    path = tmp_path / "file"
    path.write_bytes(b"abc")
    fd = nowait.open_cached(str(path))
    assert fd is not None
    os.close(fd)


def test_read_cached_reads_the_cached_bytes_at_an_offset(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_bytes(bytes(range(256)) * 40)
    fd = os.open(path, os.O_RDONLY)
    try:
        got = nowait.read_cached(fd, 100, 50)
        if got is None:
            pytest.skip("no RWF_NOWAIT reads here")
        assert got == (bytes(range(256)) * 40)[100:150]
        assert nowait.read_cached(fd, 10_230, 50) == (bytes(range(256)) * 40)[10_230:]  # short: the end
        assert nowait.read_cached(fd, 20_000, 50) is None  # past the end: a thread's read says b""
        assert nowait.read_cached(fd, 0, 0) == b""
    finally:
        os.close(fd)
