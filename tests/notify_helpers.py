"""A real webhook receiver for the notification tests: an aiohttp server on 127.0.0.1 in a
thread of its own, which records every JSON body POSTed to it and can be stopped, restarted
on the same port, or told to answer an error status."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from conftest import free_port

PATIENCE = 60.0  # seconds any one wait may take on a busy machine


class Receiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.status = 200
        self.bodies: list[dict[str, Any]] = []
        self.attempts = 0
        self.user_agents: list[str] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(30)

    def start(self) -> Receiver:
        self._run(self._start())
        return self

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True).start()

    def stop(self) -> None:
        if self._runner is not None:
            self._run(self._runner.cleanup())
            self._runner = None

    def close(self) -> None:
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _hook(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        with self._lock:
            self.attempts += 1
            self.user_agents.append(request.headers.get("User-Agent", ""))
            if self.status < 300:
                self.bodies.append(body)
        return web.Response(status=self.status)

    def records(self, bucket: str | None = None) -> list[dict[str, Any]]:
        """Every record received (of `bucket`), in arrival order."""
        with self._lock:
            found = [r for b in self.bodies for r in b.get("Records", [])]
        return [r for r in found if bucket is None or r["s3"]["bucket"]["name"] == bucket]

    def wait_for(self, check: Callable[[], Any], what: str, timeout: float = PATIENCE) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; received {self.records()}")
            time.sleep(0.1)

    def wait_records(self, bucket: str, count: int) -> list[dict[str, Any]]:
        def enough() -> list[dict[str, Any]] | None:
            found = self.records(bucket)
            return found if len(found) >= count else None

        return self.wait_for(enough, f"{count} records of {bucket}")


def queue_config(arn: str, events: list[str], *, prefix: str = "", suffix: str = "", id: str = "") -> dict[str, Any]:
    """One boto3 QueueConfiguration."""
    config: dict[str, Any] = {"QueueArn": arn, "Events": events}
    if id:
        config["Id"] = id
    rules = [{"Name": n, "Value": v} for n, v in (("prefix", prefix), ("suffix", suffix)) if v]
    if rules:
        config["Filter"] = {"Key": {"FilterRules": rules}}
    return config
