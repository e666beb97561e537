"""aioftp's file-system interface over one login's Namespace: listings from the metadata,
downloads streamed from the object (from a `REST` offset), uploads streamed into an object
write through an UploadPipe (a `REST` or `APPE` upload resumes after the stored bytes)."""

from __future__ import annotations

import stat as stat_module
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from aioftp import errors as ftp_errors
from aioftp.pathio import AbstractPathIO

from gateway.domain.errors import JunctionError

from .namespace import Entry, Namespace
from .upload import UploadPipe


@dataclass(frozen=True, slots=True)
class Stat:
    """What aioftp reads of an os.stat_result."""

    st_mode: int
    st_size: int
    st_mtime: float
    st_ctime: float
    st_nlink: int = 1


def stat_of(entry: Entry) -> Stat:
    mode = (stat_module.S_IFDIR | 0o755) if entry.is_dir else (stat_module.S_IFREG | 0o644)
    return Stat(mode, entry.size, entry.mtime, entry.mtime)


def io_error(exc: JunctionError) -> ftp_errors.PathIOError:
    """What a data-connection worker may raise: aioftp answers it `451` and keeps the session."""
    return ftp_errors.PathIOError(exc.message or str(exc.code))


class ReadHandle:
    def __init__(self, path: str) -> None:
        self.path = path
        self.offset = 0
        self.stream: AsyncIterator[bytes] | None = None
        self.pending = b""


class WriteHandle:
    def __init__(self, path: str, append: bool) -> None:
        self.path = path
        self.append = append
        self.offset = 0
        self.pipe: UploadPipe | None = None


class JunctionPathIO(AbstractPathIO[Path]):
    """One per FTP connection; the login's Namespace is set on the user at sign-in."""

    def __init__(self, timeout: float | int | None = None, connection: Any = None, state: Any = None) -> None:
        super().__init__(timeout=timeout, connection=connection, state=state)
        self._listed: dict[str, Entry] = {}  # the last listing's entries: LIST stats each one

    @property
    def ns(self) -> Namespace:
        assert self.connection is not None
        namespace: Namespace = self.connection.user.namespace
        return namespace

    async def _entry(self, path: Path) -> Entry | None:
        key = str(path)
        hit = self._listed.get(key)
        if hit is not None:
            return hit
        try:
            return await self.ns.stat(key)
        except JunctionError as exc:
            if exc.code.value in ("NoSuchKey", "NoSuchBucket"):
                return None
            raise

    async def exists(self, path: Path) -> bool:
        return await self._entry(path) is not None

    async def is_dir(self, path: Path) -> bool:
        entry = await self._entry(path)
        return entry is not None and entry.is_dir

    async def is_file(self, path: Path) -> bool:
        entry = await self._entry(path)
        return entry is not None and not entry.is_dir

    async def mkdir(self, path: Path, *, parents: bool = False, exist_ok: bool = False) -> None:
        self._listed.clear()
        await self.ns.mkdir(str(path))

    async def rmdir(self, path: Path) -> None:
        self._listed.clear()
        await self.ns.rmdir(str(path))

    async def unlink(self, path: Path) -> None:
        self._listed.clear()
        await self.ns.delete(str(path))

    def list(self, path: Path) -> AsyncIterator[Path]:
        return self._list(path)

    async def _list(self, path: Path) -> AsyncIterator[Path]:
        self._listed.clear()
        try:
            async for entry in self.ns.listdir(str(path)):
                child = PurePosixPath(str(path)) / entry.name
                self._listed[str(child)] = entry
                yield Path(str(child))
        except JunctionError as exc:
            raise io_error(exc) from None

    async def stat(self, path: Path) -> Any:
        entry = await self._entry(path)
        if entry is None:
            raise ftp_errors.PathIOError("No such file or directory")
        return stat_of(entry)

    async def _open(self, path: Path, mode: str) -> Any:
        self._listed.clear()
        if "r" in mode and "+" not in mode:
            return ReadHandle(str(path))
        return WriteHandle(str(path), append="a" in mode)

    async def seek(self, file: Any, offset: int, whence: int = 0) -> int:
        file.offset = offset
        return offset

    async def write(self, file: Any, data: bytes) -> int:
        if file.pipe is None:
            file.pipe = await self._start_upload(file)
        await file.pipe.write(data)
        return len(data)

    async def _start_upload(self, file: WriteHandle) -> UploadPipe:
        offset = file.offset
        if file.append:
            entry = await self._entry(Path(file.path))
            offset = entry.size if entry is not None and not entry.is_dir else 0
        path, ns = file.path, self.ns
        return UploadPipe(lambda body: ns.write(path, body, offset))

    async def read(self, file: Any, block_size: int) -> bytes:
        if file.stream is None:
            _obj, file.stream = await self.ns.open_read(file.path, file.offset)
        if not file.pending:
            file.pending = await anext(file.stream, b"")
        data: bytes = file.pending[:block_size]
        file.pending = file.pending[block_size:]
        return data

    async def finish(self, file: WriteHandle) -> None:
        """The client closed the data connection: commit the object (JunctionError if refused)."""
        if file.pipe is None:
            file.pipe = await self._start_upload(file)
        await file.pipe.close()

    async def abort(self, file: WriteHandle) -> None:
        """The transfer broke: store nothing."""
        if file.pipe is not None:
            await file.pipe.abort()

    async def close(self, file: Any) -> None:
        if isinstance(file, WriteHandle):
            try:
                await self.finish(file)
            except JunctionError as exc:
                raise io_error(exc) from None
        elif file.stream is not None:
            await file.stream.aclose()

    async def rename(self, source: Path, destination: Path) -> Path:
        self._listed.clear()
        await self.ns.rename(str(source), str(destination))
        return destination
