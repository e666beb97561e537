"""Several Junction instances over one PostgreSQL database behind a round-robin TCP balancer,
run as one process tree, so `make bench` measures them like any other server (the rows
"Junction on PostgreSQL"): each new client connection goes to the next instance.

    python -m bench.cluster --instances 2 --meta postgresql://... --port P --data-dir D

The balancer is asyncio in this process (a byte pump, no HTTP parsing); it costs a little
per request, which the 1-instance row (no balancer) shows by comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from itertools import cycle
from pathlib import Path

import requests

from bench.servers import free_port


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def balance(port: int, backends: list[int]) -> None:
    rotation = cycle(backends)

    async def accept(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", next(rotation))
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(_pump(client_reader, up_writer), _pump(up_reader, client_writer))

    server = await asyncio.start_server(accept, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--meta", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args()
    ports = [free_port() for _ in range(args.instances)]
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "serve", "--port", str(p), "--data-dir", str(args.data_dir)]
            + ["--meta", args.meta, "--workers", "1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for p in ports
    ]

    def stop(*_: object) -> None:
        for child in children:
            child.terminate()
        for child in children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(10)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    deadline = time.monotonic() + 120
    for p in ports:  # every instance up before the balancer answers /health
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"http://127.0.0.1:{p}/health", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
    try:
        asyncio.run(balance(args.port, ports))
    finally:
        stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
