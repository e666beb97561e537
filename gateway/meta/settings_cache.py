"""Bucket settings every write reads, cached per process: a PUT read its bucket's Object Lock
configuration, default encryption and storage-class mappings (and the gateway-wide ones) in
four statements, each a hop to the reader thread, on every request.

Correct across worker processes and `junction admin` (SQLite: they share the database file):
every store method that changes one of these settings, or deletes a bucket (the rows go with
it and the id may be reused), commits and then replaces `<database>.settings-gen` (a new
inode each time) before it returns; a cached read first compares that file's `stat` with the
one its entries were read under (one system call, no SQL). A process that read a value just
before another committed a change stores it under the old generation and drops it at its next
look. With PostgreSQL (several instances, no shared file) nothing is cached.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Awaitable, Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

from gateway.domain.file_version import file_version, forget

T = TypeVar("T")
MAX_ENTRIES = 10_000  # buckets' settings held at most; the whole cache is dropped past it


class SettingsCache:
    def __init__(self, generation_file: Path | None) -> None:
        """`generation_file`: None when the database is shared beyond this machine (no caching)."""
        self._path = generation_file
        self._name = None if generation_file is None else str(generation_file)
        self._seen: tuple[int, int, int] | None = None
        self._values: dict[Hashable, Any] = {}

    def _current(self) -> tuple[int, int, int] | None:
        assert self._name is not None
        return file_version(self._name)  # one `stat` per request (gateway/domain/file_version.py)

    async def read(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        """`load()`'s value, from the cache while no process changed any setting since."""
        if self._path is None:
            return await load()
        seen = self._current()
        if seen != self._seen:
            self._seen, self._values = seen, {}
        if key in self._values:
            value: T = self._values[key]
            return value
        value = await load()
        if self._seen == seen and self._current() == seen:  # no change while it was read
            if len(self._values) >= MAX_ENTRIES:
                self._values = {}
            self._values[key] = value
        return value

    def changed(self) -> None:
        """Call after committing a change (before answering it): every process drops its entries."""
        self._values = {}
        if self._path is None:
            return
        temporary = self._path.with_name(f".{self._path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(8))  # no fsync: after a power cut every cache starts empty
        os.replace(temporary, self._path)
        forget(str(self._path))
