"""The one storage-adapter protocol every backend implements.

A backend stores opaque *blobs* under relative keys inside its root (a directory for
`Local`, a bucket + working dir for `S3`/`OBS`). The gateway's core decides the keys;
backends never see S3 keys or package paths. Everything streams: `put` consumes an
async byte iterator and `get` yields one, so memory per request stays bounded.
"""

from __future__ import annotations

import posixpath
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

# What a read yields (callers may anext() it) and what a write consumes (only iterated).
ByteStream = AsyncIterator[bytes]
ByteSource = AsyncIterable[bytes]


class BackendError(Exception):
    """A backend operation failed for a reason the caller cannot fix by retrying the same call."""


class BlobNotFound(BackendError):
    """The blob (or range source) does not exist in the backend."""


class BackendUnavailable(BackendError):
    """The backend could not be reached (network, timeout, 5xx after retries)."""


class BackendAccessDenied(BackendError):
    """The backend refused our credentials (403 or equivalent)."""


class BackendFull(BackendError):
    """The backend has no room left for the write (a full disk, a file system quota)."""


class InvalidBlobKey(BackendError, ValueError):
    """A key would escape the backend root or is otherwise unusable."""


class BlobKeyConflict(InvalidBlobKey):
    """The key's path collides with what the store holds: a directory stands where the blob
    would go, or a file where one of its path's directories must be."""


class BlobKeyTooLong(InvalidBlobKey):
    """A name in the key, or the whole key, is longer than the store accepts."""


@dataclass(frozen=True, slots=True)
class BlobInfo:
    key: str
    size: int
    mtime: float  # seconds since the epoch


def check_key(key: str) -> str:
    """Return `key` normalised, or raise InvalidBlobKey if it could escape the root.

    Keys are relative POSIX paths: no NUL, no absolute path, no `..` or `.` segment,
    no empty segment. This is the single gate every adapter applies before I/O.
    """
    if not key or "\x00" in key or "\\" in key:
        raise InvalidBlobKey(f"invalid blob key {key!r}")
    if key.startswith("/"):
        raise InvalidBlobKey(f"absolute blob key {key!r}")
    parts = key.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise InvalidBlobKey(f"blob key {key!r} has an empty, '.' or '..' segment")
    return posixpath.normpath(key)


def check_prefix(prefix: str) -> str:
    """Like check_key but for list prefixes, which may be empty or end with '/'."""
    if prefix == "":
        return ""
    trimmed = prefix[:-1] if prefix.endswith("/") else prefix
    check_key(trimmed)
    return prefix


@runtime_checkable
class Backend(Protocol):
    """Async, streaming blob store. All keys pass `check_key` first."""

    kind: str  # "Local", "S3", "OBS"

    async def put(self, key: str, stream: ByteSource, size_hint: int | None = None) -> int:
        """Store the stream under `key`; return the byte count.

        Durable when it returns (fsync / backend acknowledgement) and atomic: a reader
        never sees a partially written blob under `key`. Overwrites replace whole.
        """
        ...

    def get(self, key: str, offset: int = 0, length: int | None = None) -> ByteStream:
        """Yield the bytes [offset, offset+length) of the blob (to the end if length is None).

        Raises BlobNotFound (on first iteration at the latest) when absent.
        """
        ...

    async def stat(self, key: str) -> BlobInfo | None:
        """Return the blob's info, or None when it does not exist."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the blob; absent is not an error (idempotent)."""
        ...

    def list(self, prefix: str = "") -> AsyncIterator[BlobInfo]:
        """Yield every blob whose key starts with `prefix`, in key order."""
        ...

    async def copy(self, src: str, dst: str) -> bool:
        """Copy server-side when the backend can; return False when it cannot (caller streams)."""
        ...

    async def close(self) -> None:
        """Release connections and sessions."""
        ...
