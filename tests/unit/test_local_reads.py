"""backends/local.py reads a blob's first piece on the event loop when the page cache holds it
(preadv with RWF_NOWAIT) and from a thread when it does not: both give exactly the bytes asked
for, at any offset and length, and the containment check holds for either."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from backends import local, nowait
from backends.base import BlobNotFound, InvalidBlobKey
from backends.local import LocalBackend

DATA = os.urandom(600 * 1024)  # more than one READ_SIZE piece


async def read(backend: LocalBackend, key: str, offset: int = 0, length: int | None = None) -> bytes:
    return b"".join([piece async for piece in backend.get(key, offset, length)])


async def stored(tmp_path: Path) -> LocalBackend:
    backend = LocalBackend(tmp_path / "root")

    async def body():  # type: ignore[no-untyped-def]
        yield DATA

    await backend.put_new("ab/blob", body())
    return backend


def evict(path: Path) -> bool:
    """Drop the file's pages from the page cache; False where they stay (tmpfs, no fadvise)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    return loop_read(path.parent.parent, path, 0, 4096) is None


def loop_read(root: Path, path: Path, offset: int, size: int) -> bytes | None:
    """What `get` reads on the loop (None: the read goes to a thread)."""
    fh, cached = local._open_and_read_cached(root, str(path), offset, size)
    if fh is None:
        pytest.skip("the blob's directory entry left the dentry cache: the open went to a thread")
    fh.close()
    return cached


SPANS = [(0, None), (0, 4096), (1, 10), (4096, 300 * 1024), (500 * 1024, None), (len(DATA) - 1, 1), (0, 0)]


@pytest.mark.parametrize(("offset", "length"), SPANS)
async def test_cached_reads_give_the_bytes_asked_for(tmp_path: Path, offset: int, length: int | None) -> None:
    backend = await stored(tmp_path)
    await read(backend, "ab/blob")  # in the page cache now
    end = None if length is None else offset + length
    assert await read(backend, "ab/blob", offset, length) == DATA[offset:end]


@pytest.mark.parametrize(("offset", "length"), SPANS)
async def test_reads_the_page_cache_lacks_go_to_a_thread(tmp_path: Path, offset: int, length: int | None) -> None:
    backend = await stored(tmp_path)
    if not evict(backend.root / "ab" / "blob"):
        pytest.skip("this file system keeps the pages (tmpfs?): nothing to fall back from")
    end = None if length is None else offset + length
    assert await read(backend, "ab/blob", offset, length) == DATA[offset:end]


async def test_without_nowait_reads_every_first_read_is_a_thread_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nowait.SUPPORT, "nowait_reads", False)
    backend = await stored(tmp_path)
    assert loop_read(backend.root, backend.root / "ab" / "blob", 0, 4096) is None
    assert await read(backend, "ab/blob", 5, 70_000) == DATA[5:70_005]


async def test_the_loop_read_is_of_the_cached_bytes(tmp_path: Path) -> None:
    backend = await stored(tmp_path)
    await read(backend, "ab/blob")
    assert loop_read(backend.root, backend.root / "ab" / "blob", 10, 4096) == DATA[10:4106]


async def test_missing_blobs_and_escaping_links_are_refused_on_the_loop_too(tmp_path: Path) -> None:
    backend = await stored(tmp_path)
    with pytest.raises(BlobNotFound):
        await read(backend, "ab/none")
    outside = tmp_path / "secret"
    outside.write_bytes(b"not yours")
    (backend.root / "ab" / "link").symlink_to(outside)
    with pytest.raises(InvalidBlobKey):
        await read(backend, "ab/link")


async def test_a_directory_is_no_blob_and_leaves_no_descriptor_open(tmp_path: Path) -> None:
    backend = await stored(tmp_path)
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(5):
        with pytest.raises(BlobNotFound):
            await read(backend, "ab")
    assert len(os.listdir("/proc/self/fd")) == before


async def test_paths_the_dentry_cache_lacks_are_opened_from_a_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = await stored(tmp_path)
    monkeypatch.setattr(local, "open_cached", lambda path: None)  # what openat2(RESOLVE_CACHED) answers: EAGAIN
    assert await read(backend, "ab/blob", 3, 5000) == DATA[3:5003]
    with pytest.raises(BlobNotFound):
        await read(backend, "ab/none")
