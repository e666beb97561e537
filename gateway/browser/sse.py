"""Server-sent event streams of the console (upload and transfer progress), with keep-alives.

A stream can go quiet for a long time (a transfer pending behind others, a big file being
read from a slow space, an upload not started yet); a reverse proxy's read timeout would cut it
there. While no event comes for `keep-alive` seconds, an SSE comment line (`: keep-alive`,
which EventSource ignores) is written, which also notices a client that went away.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
KEEPALIVE_KEY = web.AppKey("sse_keepalive", float)
DEFAULT_KEEPALIVE = 15.0
KEEPALIVE = b": keep-alive\n\n"


def keepalive_of(request: web.Request) -> float:
    """Seconds of silence before a keep-alive comment (the `sse_keepalive_seconds` setting)."""
    return request.app.get(KEEPALIVE_KEY, DEFAULT_KEEPALIVE)


def frame(event: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(event)}\n\n".encode()


async def stream_events(
    request: web.Request, events: AsyncIterator[dict[str, Any]], first: dict[str, Any] | None = None
) -> web.StreamResponse:
    """Answer `request` with an event stream of `first` (if any), then each of `events`."""
    response = web.StreamResponse(headers=HEADERS)
    await response.prepare(request)
    if first is not None:
        await response.write(frame(first))
    every = keepalive_of(request)
    pending: asyncio.Future[dict[str, Any]] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(events))
            done, _ = await asyncio.wait({pending}, timeout=every)
            if not done:
                await response.write(KEEPALIVE)
                continue
            try:
                event = pending.result()
            except StopAsyncIteration:
                break
            pending = None
            await response.write(frame(event))
    finally:
        if pending is not None and not pending.done():
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending
    await response.write_eof()
    return response
