"""A pushed upload (FTP and SFTP hand the server one block at a time) turned into the pulled
stream gateway/core writes from: a small bounded queue, so a fast client waits for the
backend instead of filling memory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

DEPTH = 8  # pieces in flight between the client and the object write
PIECE = 256 * 1024  # a client's block is queued in pieces of at most this (an SFTP write may be 4 MiB)

_END = object()


class AbortedUpload(Exception):
    """The client went away mid-upload: nothing is committed."""


class UploadPipe:
    def __init__(self, write: Callable[[AsyncIterator[bytes]], Awaitable[Any]]) -> None:
        self._queue: asyncio.Queue[object] = asyncio.Queue(DEPTH)
        self._task = asyncio.ensure_future(write(self._stream()))
        self.size = 0

    async def _stream(self) -> AsyncIterator[bytes]:
        while True:
            item = await self._queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, bytes)
            yield item

    async def _put(self, item: object) -> None:
        put = asyncio.ensure_future(self._queue.put(item))
        done, _ = await asyncio.wait({put, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if put not in done:  # the write ended early (refused, failed): its error is the answer
            put.cancel()
            self._task.result()
            raise AbortedUpload("the write ended before the upload did")

    async def write(self, data: bytes) -> None:
        """Queue `data` (waits while the queue is full: the client is slowed to the backend's pace)."""
        self.size += len(data)
        if len(data) <= PIECE:
            if data:
                await self._put(bytes(data))
            return
        view = memoryview(data)
        for start in range(0, len(view), PIECE):
            await self._put(bytes(view[start : start + PIECE]))

    async def close(self) -> Any:
        """Finish: the object is committed (or the write's error raised)."""
        if not self._task.done():
            await self._put(_END)
        return await self._task

    async def abort(self) -> None:
        """Give up: the object write fails and discards what it stored."""
        if not self._task.done():
            try:
                await self._put(AbortedUpload("the client aborted the upload"))
            except BaseException:
                pass
        try:
            await self._task
        except BaseException:
            pass
