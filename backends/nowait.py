"""File opens and reads that never wait on the disk: they answer from the kernel's caches or
say they would wait (None), so an event loop can try them before it hops to a thread.

- `open_cached(path)`: openat2(2) with RESOLVE_CACHED (Linux 5.12+) resolves the path from the
  dentry cache only and fails with EAGAIN where a directory would have to be read. Where the
  call is missing (another platform, an older kernel), a plain open: it waits only for a
  directory or inode not in the caches, which the blob's own write or last read left there.
- `read_cached(fd, offset, size)`: preadv2(2) with RWF_NOWAIT (Linux 4.14+) copies what the
  page cache holds and fails with EAGAIN instead of reading the disk; a short read is what was
  cached. Where it is missing or the file system refuses it, None: read from a thread.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import sys
from typing import Any

SYS_OPENAT2 = {"x86_64": 437, "aarch64": 437, "arm64": 437}.get(platform.machine())  # the generic syscall table's
AT_FDCWD = -100
RESOLVE_CACHED = 0x20
UNSUPPORTED = (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EPERM)  # EPERM: a seccomp filter's refusal


class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]


class _Support:
    """What this kernel has been seen to support (cleared at the first refusal, never retried)."""

    def __init__(self) -> None:
        self.openat2 = sys.platform.startswith("linux") and SYS_OPENAT2 is not None
        self.nowait_reads = hasattr(os, "preadv") and hasattr(os, "RWF_NOWAIT")
        self._syscall: Any = None
        self._how = _OpenHow(os.O_RDONLY | os.O_CLOEXEC, 0, RESOLVE_CACHED)
        self._how_at = ctypes.addressof(self._how)
        if self.openat2:
            try:
                syscall = ctypes.CDLL(None, use_errno=True).syscall  # this library handle's own function object
            except (OSError, AttributeError):
                self.openat2 = False
            else:  # declared types: the call costs what os.open does, not twice that
                syscall.restype = ctypes.c_long
                syscall.argtypes = [ctypes.c_long, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t]
                self._syscall = syscall

    def openat2_cached(self, path: bytes) -> int:
        """The descriptor, or -errno."""
        fd: int = self._syscall(SYS_OPENAT2, AT_FDCWD, path, self._how_at, ctypes.sizeof(_OpenHow))
        return fd if fd >= 0 else -ctypes.get_errno()


SUPPORT = _Support()


def open_cached(path: str) -> int | None:
    """A read-only descriptor of `path`, or None when resolving it would read a directory from
    the disk. Raises the open's OSError (FileNotFoundError, ...) as `os.open` would."""
    if SUPPORT.openat2:
        fd = SUPPORT.openat2_cached(os.fsencode(path))
        if fd >= 0:
            return fd
        code = -fd
        if code == errno.EAGAIN:
            return None
        if code not in UNSUPPORTED:
            raise OSError(code, os.strerror(code), path)
        SUPPORT.openat2 = False  # unsupported here: plain opens from now on
    return os.open(path, os.O_RDONLY | os.O_CLOEXEC)


def read_cached(fd: int, offset: int, size: int) -> bytes | None:
    """Up to `size` bytes at `offset` as far as the page cache holds them; None when it holds
    none of them (or the kernel cannot tell): the caller reads from a thread."""
    if not SUPPORT.nowait_reads:
        return None
    buffer = bytearray(size)
    try:
        count = os.preadv(fd, [buffer], offset, os.RWF_NOWAIT)
    except BlockingIOError:
        return None
    except OSError as exc:
        if exc.errno not in UNSUPPORTED:
            raise
        SUPPORT.nowait_reads = False
        return None
    if count == 0 and size:
        return None  # nothing cached, or the end of the file: a thread's read tells which
    return bytes(buffer) if count == size else bytes(memoryview(buffer)[:count])
