"""Local-disk adapter: blobs are files under one root directory that no key can escape.

Writes go to a temporary file in the same directory, are fsynced, then renamed into place,
so a reader sees either the old blob or the whole new one. Blocking file I/O runs in the
default thread pool so the event loop never waits on the disk.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path
from typing import AsyncIterator

from .base import BlobInfo, BlobNotFound, ByteStream, InvalidBlobKey, check_key, check_prefix

READ_SIZE = 256 * 1024
TMP_SUFFIX = ".junction-tmp"


class LocalBackend:
    """Blob store on the local filesystem."""

    kind = "Local"

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        """Map a checked key to a path, refusing anything that resolves outside the root."""
        path = (self.root / check_key(key)).resolve()
        if path != self.root and self.root not in path.parents:
            raise InvalidBlobKey(f"blob key {key!r} escapes the root")
        return path

    async def put(self, key: str, stream: ByteStream, size_hint: int | None = None) -> int:
        path = self._path(key)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}{TMP_SUFFIX}")
        fh = await asyncio.to_thread(open, tmp, "wb")
        size = 0
        try:
            async for piece in stream:
                if piece:
                    await asyncio.to_thread(fh.write, piece)
                    size += len(piece)
            await asyncio.to_thread(_flush_and_sync, fh)
            await asyncio.to_thread(fh.close)
            await asyncio.to_thread(os.replace, tmp, path)
            await asyncio.to_thread(_fsync_dir, path.parent)
        except BaseException:
            fh.close()
            tmp.unlink(missing_ok=True)
            raise
        return size

    async def get(self, key: str, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            fh = await asyncio.to_thread(open, path, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise BlobNotFound(key) from exc
        try:
            if offset:
                await asyncio.to_thread(fh.seek, offset)
            remaining = length
            while remaining is None or remaining > 0:
                want = READ_SIZE if remaining is None else min(READ_SIZE, remaining)
                piece = await asyncio.to_thread(fh.read, want)
                if not piece:
                    break
                if remaining is not None:
                    remaining -= len(piece)
                yield piece
        finally:
            fh.close()

    async def stat(self, key: str) -> BlobInfo | None:
        path = self._path(key)
        try:
            st = await asyncio.to_thread(path.stat)
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not path.is_file():
            return None
        return BlobInfo(key=key, size=st.st_size, mtime=st.st_mtime)

    async def delete(self, key: str) -> None:
        path = self._path(key)
        await asyncio.to_thread(path.unlink, missing_ok=True)

    async def list(self, prefix: str = "") -> AsyncIterator[BlobInfo]:
        check_prefix(prefix)
        infos = await asyncio.to_thread(self._scan, prefix)
        for info in infos:
            yield info

    def _scan(self, prefix: str) -> list[BlobInfo]:
        """Walk only the directory the prefix names, then filter by the remainder."""
        base_dir = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = self.root / base_dir if base_dir else self.root
        found: list[BlobInfo] = []
        if not start.is_dir():
            return found
        for dirpath, _dirs, files in os.walk(start):
            for name in files:
                if name.endswith(TMP_SUFFIX):
                    continue
                full = Path(dirpath) / name
                key = full.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    st = full.stat()
                    found.append(BlobInfo(key=key, size=st.st_size, mtime=st.st_mtime))
        found.sort(key=lambda info: info.key.encode())
        return found

    async def copy(self, src: str, dst: str) -> bool:
        src_path, dst_path = self._path(src), self._path(dst)
        if not src_path.is_file():
            raise BlobNotFound(src)

        if src_path == dst_path:
            return True
        await asyncio.to_thread(dst_path.parent.mkdir, parents=True, exist_ok=True)
        tmp = dst_path.with_name(f".{dst_path.name}.{uuid.uuid4().hex}{TMP_SUFFIX}")
        try:
            await asyncio.to_thread(shutil.copyfile, src_path, tmp)
            await asyncio.to_thread(_fsync_path, tmp)
            await asyncio.to_thread(os.replace, tmp, dst_path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return True

    async def close(self) -> None:
        return None


def _flush_and_sync(fh) -> None:
    fh.flush()
    os.fsync(fh.fileno())


def _fsync_path(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
