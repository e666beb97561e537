"""Rate limits hold once per namespace, not once per process: what one worker process or gateway
instance counted reaches the others through the metadata store (gateway/core/ratelimit_share.py).

Two stores over one database stand for two processes (two workers on one SQLite file, or two
instances on PostgreSQL), each with its own in-memory limits, as in production.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
from conftest import ENGINES, pg_server, start_gateway, stop_gateway

from gateway.core.ratelimit_share import RateLimitSharing
from gateway.http.ratelimit import FIGURES, RateLimits
from gateway.meta.engine import open_database
from gateway.meta.store import MetaStore


def _url(engine: str, tmp_path: Path) -> str:
    return f"sqlite://{tmp_path / 'shared.sqlite3'}" if engine == "sqlite" else pg_server().create_database("limits")


@pytest.mark.parametrize("engine", ENGINES)
async def test_hits_counted_by_one_process_refuse_the_client_on_the_other(engine: str, tmp_path: Path) -> None:
    url = _url(engine, tmp_path)
    stores = [MetaStore(open_database(url, tmp_path)) for _ in range(2)]
    for meta in stores:
        await meta.open()
    try:
        processes = [RateLimits(FIGURES) for _ in stores]
        sharing = [
            RateLimitSharing(meta.cluster, f"process-{n}", limits.drain, limits.merge)
            for n, (meta, limits) in enumerate(zip(stores, processes, strict=True))
        ]
        first, second = (limits.limits["login"] for limits in processes)
        for _ in range(3):
            first.record("10.0.0.7")
        for _ in range(2):
            second.record("10.0.0.7")
        assert first.blocked_until("10.0.0.7") is None and second.blocked_until("10.0.0.7") is None  # 3 and 2 of 5
        for share in sharing:
            await share.exchange()
        await sharing[0].exchange()  # the first published before the second: it merges the second's now
        assert first.blocked_until("10.0.0.7") is not None
        assert second.blocked_until("10.0.0.7") is not None
        assert second.blocked_until("10.0.0.8") is None  # another address is untouched
        # merged once only: more rounds do not count the same hits again
        for share in sharing * 2:
            await share.exchange()
        assert len(second._recent("10.0.0.7", time.time())) == 5
        # hits older than the window are not merged
        processes[0].limits["sse-ticket"].record("10.0.0.9", now=time.time() - 120)
        await sharing[0].exchange()
        await sharing[1].exchange()
        assert len(processes[1].limits["sse-ticket"]._recent("10.0.0.9", time.time())) == 0
        assert await stores[0].cluster.prune_hits(time.time() - 60) == 1
    finally:
        for meta in stores:
            await meta.close()


def test_two_workers_refuse_a_client_together(tmp_path: Path) -> None:
    """Five failed sign-ins spread over two worker processes: then every worker refuses the sixth."""
    gw = start_gateway(tmp_path, "--workers", "2")
    try:
        for _ in range(5):
            with requests.Session() as fresh:  # a new connection each: the kernel picks the worker
                wrong = fresh.post(f"{gw.url}/api/auth/login", json={"username": "x", "password": "wrong-password"})
                assert wrong.status_code == 401
        time.sleep(2.5)  # two sharing rounds
        for _ in range(8):
            with requests.Session() as fresh:
                right = fresh.post(
                    f"{gw.url}/api/auth/login", json={"username": gw.access_key, "password": gw.secret_key}
                )
                assert right.status_code == 429, right.text
    finally:
        stop_gateway(gw)
