"""The floor: a bare aiohttp server doing the least a durable small-object server can do.

    python -m bench.floor --port 9000 --data-dir /tmp/floor --workers 2

A reference row of the bench, not a peer: it answers any GET or HEAD of a key with the same
4 KiB held in memory (206 with Content-Range when the request has a Range, as s5cmd's
downloader asks) and writes a PUT's body to a new file with one fsync, in one call to a
16-thread pool, as Junction's local backend does for a small blob. No authentication, no
metadata, no access log, no XML: any PUT or GET Junction serves costs at least this much.

It runs what Junction runs: the same aiohttp, the event loop of gateway/serving.py
(`loop_factory`: uvloop), the same listen backlog and keep-alive timeout, and with more than
one worker the same pre-fork model (the parent binds once, each child serves the socket).
Junction's ratio to the floor is what Junction's own code costs; the floor's ratio to the
best peer is what aiohttp allows on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import signal
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aiohttp import web

from gateway.serving import loop_factory, until_signalled

BODY = os.urandom(4096)
ETAG = '"0123456789abcdef0123456789abcdef"'
LAST_MODIFIED = "Mon, 30 Nov 2026 00:00:00 GMT"
IO_THREADS = 16  # as backends/local.py
LISTEN_BACKLOG = 1024  # as gateway/serving.py
KEEPALIVE_TIMEOUT = 75.0


def write_synced(path: str, data: bytes) -> None:
    """A new file, written and fsynced (the one durable write a PUT must make)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def make_app(data_dir: Path) -> web.Application:
    pool = ThreadPoolExecutor(IO_THREADS, thread_name_prefix="floor-io")
    names = itertools.count()
    prefix = f"{data_dir}/{os.getpid()}-"
    get_headers = {"ETag": ETAG, "Last-Modified": LAST_MODIFIED, "Content-Type": "application/octet-stream"}
    ranged_headers = {**get_headers, "Content-Range": f"bytes 0-{len(BODY) - 1}/{len(BODY)}"}

    async def handle(request: web.Request) -> web.StreamResponse:
        has_key = "/" in request.path[1:]
        if request.method == "PUT":
            data = await request.read()
            if has_key:
                path = f"{prefix}{next(names)}"
                await asyncio.get_running_loop().run_in_executor(pool, write_synced, path, data)
            return web.Response(headers={"ETag": ETAG})
        if request.method in ("GET", "HEAD") and has_key:
            if "Range" in request.headers:
                return web.Response(status=206, body=BODY, headers=ranged_headers)
            return web.Response(body=BODY, headers=get_headers)
        return web.Response()

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


async def _serve(app: web.Application, sock: socket.socket) -> None:
    runner = web.AppRunner(app, access_log=None, handle_signals=False, keepalive_timeout=KEEPALIVE_TIMEOUT)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        await until_signalled()
    finally:
        await runner.cleanup()


def serve(sock: socket.socket, data_dir: Path) -> None:
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        runner.run(_serve(make_app(data_dir), sock))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(LISTEN_BACKLOG)
    if args.workers <= 1:
        serve(sock, args.data_dir)
        return 0
    children = []
    for _ in range(args.workers):
        pid = os.fork()
        if pid == 0:
            serve(sock, args.data_dir)
            os._exit(0)
        children.append(pid)

    def stop_children(signum: int, _frame: object) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop_children)
    signal.signal(signal.SIGINT, stop_children)
    for pid in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
