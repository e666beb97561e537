"""Run the aiohttp application with Junction's guarded connections (gateway/connection.py).

`web.run_app` always builds aiohttp's plain RequestHandler; this is the same loop (a runner,
one site, stop on SIGINT/SIGTERM, clean shutdown) with our protocol factory in its place.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import ssl
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .config import Config
from .connection import ConnectionLimits, GuardedRequestHandler

LISTEN_BACKLOG = 1024  # connections queued before accept (aiohttp's 128 overflows when hundreds connect at once)
KEEPALIVE_TIMEOUT = 75.0  # seconds an idle keep-alive connection is kept (web.run_app's default)


def limits_of(config: Config) -> ConnectionLimits:
    return ConnectionLimits(
        header_timeout=config.header_timeout,
        body_timeout=config.body_timeout,
        body_min_rate=config.body_min_rate,
        max_header_size=config.max_header_size,
        max_header_count=config.max_header_count,
    )


class GuardedServer(web.Server):
    """aiohttp's connection factory, making GuardedRequestHandler connections."""

    def __init__(self, handler: Any, *, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.limits = limits

    def __call__(self) -> GuardedRequestHandler:
        return GuardedRequestHandler(self, loop=self._loop, limits=self.limits, **self._kwargs)


class GuardedRunner(web.AppRunner):
    def __init__(self, app: web.Application, *, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._limits = limits

    async def _make_server(self) -> web.Server:
        plain = await super()._make_server()  # runs the app's startup hooks
        return GuardedServer(
            plain.request_handler,
            request_factory=plain.request_factory,
            handler_cancellation=plain.handler_cancellation,
            limits=self._limits,
            **plain._kwargs,
        )


class CannotListen(Exception):
    """The gateway's address cannot be bound (in use by another process, not this host's, a
    privileged port): reported to the operator in one line, not as a traceback."""

    def __init__(self, host: str, port: int, cause: OSError) -> None:
        super().__init__(f"cannot listen on {host}:{port}: {os.strerror(cause.errno) if cause.errno else cause}")


def run(
    app: web.Application,
    config: Config,
    *,
    sock: socket.socket | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    """Serve `app` on config.host:config.port (or an inherited listening socket) until signalled.

    The loop is uvloop's (libuv, in C; a dependency) when it can be imported, else asyncio's
    own: under a small-GET load the loop's own work (callbacks, futures, socket writes) was a
    third of the gateway's CPU, and uvloop served about 1.8 times the GETs per second.
    """
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        runner.run(_serve(app, config, sock, ssl_context))


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed (it is a dependency): the event loop every worker runs, and the
    aiohttp floor of `make bench` too, so the two are measured on the same loop."""
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


async def _serve(
    app: web.Application, config: Config, sock: socket.socket | None, ssl_context: ssl.SSLContext | None
) -> None:
    limits = limits_of(config)
    runner = GuardedRunner(
        app,
        limits=limits,
        access_log=None,  # junction.access logs every request (gateway/logs.py)
        handle_signals=False,
        keepalive_timeout=KEEPALIVE_TIMEOUT,
        **limits.parser_args(),
    )
    await runner.setup()
    try:
        site: web.BaseSite
        if sock is not None:
            site = web.SockSite(runner, sock, ssl_context=ssl_context)
        else:
            site = web.TCPSite(runner, config.host, config.port, ssl_context=ssl_context, backlog=LISTEN_BACKLOG)
        try:
            await site.start()
        except OSError as exc:  # the port is taken or not ours: the operator's to fix, not a crash
            raise CannotListen(config.host, config.port, exc) from exc
        await until_signalled()
    finally:
        await runner.cleanup()


async def until_signalled() -> None:
    """Return at the first SIGINT or SIGTERM: a worker then closes its runner (and the bench's
    aiohttp floor, which serves the same way, does the same)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
