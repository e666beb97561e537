"""Local-disk adapter: blobs are files under one root directory that no key can escape.

`put` writes to a temporary file in the same directory, fsyncs it, renames it into place and
fsyncs the directory (as is the parent of every directory a write creates), so a reader sees
either the old blob or the whole new one, and a blob whose write returned survives power
loss, not only a killed process. `put_new` is the gateway's own blob write: its key was never
used, nothing reads it before the metadata naming it commits, so the file is written in place
(no temporary, no rename) and only the file is fsynced: one fsync per small PUT instead of
two (file, then directory) or more.

Durability model: a journaling file system (ext4, XFS, btrfs), where fsync of a new file also
makes its directory entry durable, and every metadata change journaled before it (the
directory's own creation by another writer included). A directory this process creates is
still made durable in its parent at once (fsync of the parent), as POSIX alone would ask. Blocking file I/O runs in the
default thread pool so the event loop never waits on the disk; a blob that fits in one
write buffer is written, synced and renamed in a single thread call, and larger ones in
buffer-sized writes, because each hop to a thread costs more than the I/O of a small blob.
A read's open and first piece are tried on the loop first, from the kernel's caches only
(backends/nowait.py: they say when they would wait, and then go to the thread).

Failures of the file system leave as the protocol's errors, never as a bare `OSError`
(`_failed`): a full disk as BackendFull, a refused permission or a read-only file system as
BackendAccessDenied, a key whose path collides with a directory (or runs through a file) as
BlobKeyConflict, a name too long as BlobKeyTooLong; any other as BackendError.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import errno
import hashlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from io import BufferedWriter, FileIO
from pathlib import Path
from typing import Any, TypeVar

from .base import (
    BackendAccessDenied,
    BackendError,
    BackendFull,
    BlobInfo,
    BlobKeyConflict,
    BlobKeyTooLong,
    BlobNotFound,
    ByteSource,
    InvalidBlobKey,
    check_key,
    check_prefix,
)
from .nowait import open_cached, read_cached
from .pieces import PieceBatch
from .writeback import start_writeback

T = TypeVar("T")
IO_THREADS = 16  # fsync blocks a thread, not the GIL: many can wait on the disk at once
READ_SIZE = 256 * 1024
WRITE_BUFFER = 1024 * 1024
TMP_SUFFIX = ".junction-tmp"


class LocalBackend:
    """Blob store on the local filesystem."""

    kind = "Local"

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            self.root.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(OSError):  # an unreadable parent: the root predates us anyway
                _fsync_dir(self.root.parent)
        self._root_prefix = os.path.join(self.root, "")
        _synced_dirs.add(self.root)  # _mkdirs stops here: never syncs (or needs) directories above
        self._pool = ThreadPoolExecutor(IO_THREADS, thread_name_prefix="local-io")

    async def _io(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def _disk(self, key: str, doing: str, fn: Callable[..., T], *args: Any) -> T:
        """`_io`, its file system failures as the protocol's errors."""
        with _failed(key, doing):
            return await self._io(fn, *args)

    def _path(self, key: str) -> Path:
        """Map a key to a path under the root.

        `check_key` refuses '..', '.', empty segments, absolute keys and NUL, so joining
        cannot escape lexically; symlinks planted inside a user space's directory are
        refused where files are opened (`_inside`).
        """
        return self.root / check_key(key)

    async def put(self, key: str, stream: ByteSource, size_hint: int | None = None) -> int:
        path = self._path(key)
        tmp = _temporary_beside(path)
        return await self._write(
            key,
            stream,
            whole=lambda data: _write_whole(self.root, path, tmp, data),
            open_file=lambda: _open_for_write(self.root, tmp),
            finish=lambda fh, rest: _finish(fh, rest, tmp, path),
            discard=tmp,
        )

    async def put_new(self, key: str, stream: ByteSource, size_hint: int | None = None) -> int:
        """Store a blob under a key never used before (the gateway's random blob keys): written
        in place and fsynced; a partial file left by a crash is the collector's (its blob row is
        pending). Refuses an existing key (BlobKeyConflict) rather than overwrite it."""
        path = self._path(key)
        return await self._write(
            key,
            stream,
            whole=lambda data: _write_new_whole(self.root, path, data),
            open_file=lambda: _create(self.root, path),
            finish=_finish_in_place,
            discard=path,
        )

    async def _write(
        self,
        key: str,
        stream: ByteSource,
        *,
        whole: Callable[[bytes], None],
        open_file: Callable[[], BufferedWriter],
        finish: Callable[[BufferedWriter, list[bytes | bytearray]], None],
        discard: Path,
    ) -> int:
        """The one write loop: a body under WRITE_BUFFER is written whole in one thread call (a
        small object costs one hop); a larger one streams in WRITE_BUFFER pieces. On any failure
        the file (`discard`) is closed and removed. Only the disk's failures are mapped to the
        protocol's errors: the stream's own (a client that hung up) leave as they came."""
        buffer = bytearray()
        pieces = aiter(stream)
        async for piece in pieces:
            buffer += piece
            if len(buffer) >= WRITE_BUFFER:
                break
        else:
            await self._disk(key, "write", whole, bytes(buffer))
            return len(buffer)
        fh = await self._disk(key, "write", open_file)
        size = 0
        batch = PieceBatch()  # written as the pieces came: no large piece is copied to gather them
        batch.add(buffer)
        try:
            async for piece in pieces:
                batch.add(piece if isinstance(piece, bytes) else bytes(piece))
                if batch.size >= WRITE_BUFFER:
                    batched = batch.size
                    await self._disk(key, "write", _write_batch, fh, batch.take(), size, batched)
                    size += batched
            batched = batch.size
            await self._disk(key, "write", finish, fh, batch.take())
            size += batched
        except BaseException:
            with contextlib.suppress(OSError):  # closing flushes: on a full disk that fails again
                fh.close()
            discard.unlink(missing_ok=True)
            raise
        return size

    async def get(self, key: str, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        path = f"{self._root_prefix}{check_key(key)}"  # `_path` as text: a pathlib join costs a small GET 3 %
        want = READ_SIZE if length is None else min(READ_SIZE, length)
        try:  # from the kernel's caches on the loop; else what they lack from a thread
            opened, cached = _open_and_read_cached(self.root, path, offset, want)
            if opened is None:
                fh, piece = await self._io(_open_and_read, self.root, path, offset, want)
            elif cached is None:
                fh = opened
                try:
                    piece = await self._io(_read_at, fh, offset, want)
                except BaseException:
                    fh.close()
                    raise
            else:
                fh, piece = opened, cached
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise BlobNotFound(key) from exc
        except OSError as exc:
            raise _mapped(exc, key, "read") from exc
        try:
            position = offset + len(piece)
            remaining = None if length is None else length - len(piece)
            while piece:
                yield piece
                if remaining is not None and remaining <= 0:
                    break  # all that was asked for: no read just to find the end
                want = READ_SIZE if remaining is None else min(READ_SIZE, remaining)
                piece = await self._disk(key, "read", _read_at, fh, position, want)
                position += len(piece)
                if remaining is not None:
                    remaining -= len(piece)
        finally:
            fh.close()

    async def stat(self, key: str) -> BlobInfo | None:
        path = self._path(key)
        try:
            st = await self._io(path.stat)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise _mapped(exc, key, "stat") from exc
        if not path.is_file():
            return None
        return BlobInfo(key=key, size=st.st_size, mtime=st.st_mtime)

    async def delete(self, key: str) -> None:
        """Delete the blob and any temporary file of an unfinished write of it (a killed
        process's), so collecting an orphaned blob also frees its partial bytes."""
        path = self._path(key)
        with _failed(key, "delete"):
            await self._io(_unlink_with_temporaries, path)

    async def list(self, prefix: str = "") -> AsyncIterator[BlobInfo]:
        check_prefix(prefix)
        with _failed(prefix, "list"):
            infos = await self._io(self._scan, prefix)
        for info in infos:
            yield info

    # `list` below names the method above, hence builtins.list in this class's annotations
    def _scan(self, prefix: str) -> builtins.list[BlobInfo]:
        """Walk only the directory the prefix names, then filter by the remainder."""
        base_dir = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = self.root / base_dir if base_dir else self.root
        found: builtins.list[BlobInfo] = []
        if not start.is_dir():
            return found
        for dirpath, _dirs, files in os.walk(start):
            for name in files:
                if name.endswith(TMP_SUFFIX):
                    continue
                full = Path(dirpath) / name
                if full.is_symlink():  # may point outside the root: never listed, never read
                    continue
                key = full.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    st = full.stat()
                    found.append(BlobInfo(key=key, size=st.st_size, mtime=st.st_mtime))
        found.sort(key=lambda info: info.key.encode())
        return found

    async def empty_dirs(self, prefix: str = "") -> builtins.list[str]:
        """Directories under `prefix` holding nothing at all (sync tasks recreate them)."""
        check_prefix(prefix)
        with _failed(prefix, "list"):
            return await self._io(self._empty_dirs, prefix)

    def _empty_dirs(self, prefix: str) -> builtins.list[str]:
        start = self.root / prefix.rstrip("/") if prefix else self.root
        if not start.is_dir():
            return []
        found: builtins.list[str] = []
        for dirpath, dirs, files in os.walk(start):
            if not dirs and not files and Path(dirpath) != start:
                found.append(Path(dirpath).relative_to(self.root).as_posix())
        return sorted(found)

    async def make_dir(self, key: str) -> None:
        path = self._path(key)
        with _failed(key, "make the directory"):
            await self._io(_mkdirs, path)
            await self._io(_inside, self.root, path)

    async def copy(self, src: str, dst: str) -> bool:
        src_path, dst_path = self._path(src), self._path(dst)
        if not src_path.is_file():
            raise BlobNotFound(src)

        if src_path == dst_path:
            return True
        tmp = _temporary_beside(dst_path)
        with _failed(dst, "copy"):
            await self._io(_mkdirs, dst_path.parent)
            try:
                await self._io(shutil.copyfile, src_path, tmp)
                await self._io(_fsync_path, tmp)
                await self._io(os.replace, tmp, dst_path)
                await self._io(_fsync_dir, dst_path.parent)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        return True

    async def sweep_temporaries(self, older_than: float, *, dry_run: bool = False) -> tuple[int, int]:
        """Delete (dry: only count) temp files of writes a crash interrupted, untouched since
        `older_than` (a write in progress keeps touching its file); return (count, bytes)."""
        return await self._io(self._sweep, older_than, dry_run)

    def _sweep(self, older_than: float, dry_run: bool) -> tuple[int, int]:
        removed = size = 0
        for tmp in self.root.rglob(f"*{TMP_SUFFIX}"):
            try:
                st = tmp.stat()
                if st.st_mtime < older_than:
                    if not dry_run:
                        tmp.unlink()
                    removed += 1
                    size += st.st_size
            except FileNotFoundError:
                continue
        return removed, size

    async def close(self) -> None:
        self._pool.shutdown(wait=False)


_synced_dirs: set[Path] = set()  # directories whose entry in their parent is known durable

FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
REFUSED = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
COLLIDING = frozenset({errno.EISDIR, errno.ENOTDIR, errno.EEXIST, errno.ENOTEMPTY})


def _mapped(exc: OSError, key: str, doing: str) -> BackendError:
    """The protocol's error for a file system failure on `key` (never echoing the root)."""
    why = os.strerror(exc.errno) if exc.errno else str(exc)
    if exc.errno in FULL:
        return BackendFull(f"no room to {doing} {key!r}: {why}")
    if exc.errno in REFUSED:
        return BackendAccessDenied(f"the file system refused to {doing} {key!r}: {why}")
    if exc.errno in COLLIDING:
        return BlobKeyConflict(f"{key!r} collides with a directory, or runs through a file, in the space")
    if exc.errno == errno.ENAMETOOLONG:
        return BlobKeyTooLong(f"{key!r} has a name longer than the file system accepts")
    return BackendError(f"could not {doing} {key!r}: {why}")


@contextlib.contextmanager
def _failed(key: str, doing: str) -> Iterator[None]:
    try:
        yield
    except (InvalidBlobKey, ConnectionError):
        raise  # ConnectionError: the client hung up mid-body (its stream raised), not the file system
    except OSError as exc:
        raise _mapped(exc, key, doing) from exc


def _mkdirs(path: Path) -> None:
    """`mkdir -p`, durably: a directory made here is made durable in its parent at once.

    One another writer made is durable through that writer's fsync of its parent, or, if we
    get there first, through the journal: an fsync of a file in it commits every metadata
    change journaled before (the model in the module docstring). So a directory that exists
    costs no fsync: with the blobs' 256-way fan-out, only the first blob of each does.
    """
    chain = []
    while path not in _synced_dirs and path != path.parent:  # every backend's root is in the set
        chain.append(path)
        path = path.parent
    for directory in reversed(chain):
        try:
            directory.mkdir()
        except FileExistsError:
            if not directory.is_dir():
                raise
        else:
            _fsync_dir(directory.parent)
        _synced_dirs.add(directory)


def _unlink_with_temporaries(path: Path) -> None:
    path.unlink(missing_ok=True)
    try:
        partials = list(path.parent.glob(f"{_temporary_stem(path)}.*{TMP_SUFFIX}"))
    except OSError:
        return
    for partial in partials:
        partial.unlink(missing_ok=True)


def _inside(root: Path, path: Path | str) -> Path:
    """`path` with symlinks resolved, refused when that leaves `root`."""
    real = Path(os.path.realpath(path))
    if real != root and root not in real.parents:
        raise InvalidBlobKey(f"{Path(path).relative_to(root).as_posix()!r} leads outside the space's root")
    return real


def _open_inside(root: Path, path: Path | str) -> FileIO:
    """`path` opened for reading, refused (and closed) when the file opened lies outside `root`.

    The check reads where the descriptor really points (/proc/self/fd: one system call, and
    no window between the check and the open) instead of resolving the path a component at a
    time (a stat per directory, a tenth of a small GET's work); `realpath` where there is no
    /proc. Unbuffered: the reads are of whole pieces, and a buffered reader costs three more
    system calls per open (fstat, isatty, lseek)."""
    fh = open(path, "rb", buffering=0)
    try:
        _descriptor_inside(root, fh.fileno(), path)
        return fh
    except BaseException:
        fh.close()
        raise


def _open_and_read_cached(root: Path, path: str, offset: int, size: int) -> tuple[FileIO | None, bytes | None]:
    """`path` opened (inside `root`) on the calling thread, the event loop's, and its first
    `size` bytes from `offset`, as far as the kernel's caches answer without the disk
    (backends/nowait.py): (None, None) when the open would read a directory, (file, None) when
    the read would. A thread hop costs a small GET more than its open and read together."""
    fd = open_cached(path)
    if fd is None:
        return None, None
    try:
        fh = open(fd, "rb", buffering=0)  # IsADirectoryError for a directory, as open(path) raises
    except BaseException:
        os.close(fd)
        raise
    try:
        _descriptor_inside(root, fd, path)
        return fh, read_cached(fd, offset, size)
    except BaseException:
        fh.close()
        raise


def _open_and_read(root: Path, path: str, offset: int, size: int) -> tuple[FileIO, bytes]:
    """The open and the first read in one thread call."""
    fh = _open_inside(root, path)
    try:
        return fh, _read_at(fh, offset, size)
    except BaseException:
        fh.close()
        raise


def _read_at(fh: FileIO, position: int, size: int) -> bytes:
    """Up to `size` bytes at `position` (pread: no seek, the file's own offset is never used)."""
    return os.pread(fh.fileno(), size, position)


def _temporary_beside(path: Path) -> Path:
    """A fresh temporary name in `path`'s directory (the rename into place stays atomic).

    Named after a digest of the final name, not the name itself: a name the file system holds
    must not fail for its temporary's length, and a delete still finds the partial files of an
    unfinished write of the same name (`_unlink_with_temporaries`)."""
    return path.with_name(f"{_temporary_stem(path)}.{uuid.uuid4().hex}{TMP_SUFFIX}")


def _temporary_stem(path: Path) -> str:
    return "." + hashlib.blake2b(path.name.encode(errors="surrogateescape"), digest_size=8).hexdigest()


def _open_for_write(root: Path, tmp: Path) -> BufferedWriter:
    _mkdirs(tmp.parent)
    _inside(root, tmp.parent)
    return open(tmp, "wb")


def _finish(fh: BufferedWriter, tail: list[bytes | bytearray], tmp: Path, path: Path) -> None:
    """Write the tail, make the data durable, then atomically publish it under `path`."""
    try:
        fh.writelines(tail)
        fh.flush()
        os.fsync(fh.fileno())
    finally:
        fh.close()
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _write_whole(root: Path, path: Path, tmp: Path, data: bytes) -> None:
    """The whole small-blob write in one thread call: write, fsync, rename, fsync dir."""
    fh = _open_for_write(root, tmp)
    try:
        _finish(fh, [data], tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _create(root: Path, path: Path) -> BufferedWriter:
    """A new file at `path` (never an existing one), its directories made first."""
    return open(_create_fd(root, path), "wb")


def _create_fd(root: Path, path: Path) -> int:
    """A new file at `path` (never an existing one, nor a symlink), its directories made first
    and its directory checked inside `root` before the file is made in it (by descriptor: no
    window between the check and the creation)."""
    _mkdirs(path.parent)
    directory = _open_dir_inside(root, path.parent)
    try:
        return os.open(path.name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666, dir_fd=directory)
    finally:
        os.close(directory)


def _open_dir_inside(root: Path, directory: Path) -> int:
    """A descriptor of `directory`, refused (and closed) when it lies outside `root`: the check
    reads where the descriptor points (/proc/self/fd, one readlink) instead of an lstat per
    component (`realpath`, kept where there is no /proc)."""
    fd = os.open(directory, getattr(os, "O_PATH", os.O_RDONLY) | os.O_DIRECTORY)
    try:
        _descriptor_inside(root, fd, directory)
        return fd
    except BaseException:
        os.close(fd)
        raise


def _descriptor_inside(root: Path, fd: int, path: Path | str) -> None:
    """Refuse the open descriptor `fd` of `path` unless it lies inside `root`: by where it
    really points (/proc/self/fd, one readlink), else by resolving `path` (`realpath`)."""
    try:
        real = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        _inside(root, path)
    else:
        _require_inside(root, real, path)


def _require_inside(root: Path, real: str, path: Path | str) -> None:
    """`real` (where `path` really is) must be `root` or below it."""
    root_text = str(root)
    if real != root_text and not real.startswith(root_text.rstrip(os.sep) + os.sep):
        raise InvalidBlobKey(f"{Path(path).relative_to(root).as_posix()!r} leads outside the space's root")


def _write_batch(fh: BufferedWriter, batch: list[bytes | bytearray], offset: int, length: int) -> None:
    """Write a batch at `offset` and start its write-out, so the final fsync has little left."""
    fh.writelines(batch)
    fh.flush()
    start_writeback(fh.fileno(), offset, length)


def _finish_in_place(fh: BufferedWriter, tail: list[bytes | bytearray]) -> None:
    try:
        fh.writelines(tail)
        fh.flush()
        os.fsync(fh.fileno())
    finally:
        fh.close()


def _write_new_whole(root: Path, path: Path, data: bytes) -> None:
    """A whole small new blob in one thread call: create, write, fsync (unbuffered: a buffered
    file costs three more system calls to open and copies the bytes once more)."""
    fd = _create_fd(root, path)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)


def _fsync_path(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
