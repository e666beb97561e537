"""Start writing a file's dirty pages to the disk while the rest of it is still arriving.

A large blob is written a MiB at a time and fsynced once at the end (durability: nothing is
acknowledged before that fsync). The page cache holds far less than the kernel's background
threshold (10 % of memory) for a single upload, so without a hint no byte reaches the disk
before the final fsync, which then writes the whole blob while its request waits: ~0.1 s per
50 MiB part, five parts at once at the end of each wave of a multipart upload. Linux's
sync_file_range(SYNC_FILE_RANGE_WRITE) starts the write-out of a range without waiting for
it, so the disk works while the network does and the final fsync finds little left to do.

It changes nothing about durability (the fsync stays), only when the disk does the work.
Where the call does not exist (not Linux, no libc), `start_writeback` does nothing.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable

SYNC_FILE_RANGE_WRITE = 2  # <fcntl.h>: start write-out of dirty pages in the range, do not wait


def _sync_file_range() -> Callable[[int, int, int], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        call = ctypes.CDLL(None, use_errno=True).sync_file_range  # the process's own libc: no library search
    except (OSError, AttributeError):
        return None
    call.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    call.restype = ctypes.c_int

    def start(fd: int, offset: int, length: int) -> None:
        call(fd, offset, length, SYNC_FILE_RANGE_WRITE)  # a hint: a failure here shows in the fsync

    return start


_start = _sync_file_range()


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing bytes [offset, offset+length) of `fd` (no wait)."""
    if _start is not None and length > 0:
        _start(fd, offset, length)
