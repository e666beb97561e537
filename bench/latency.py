"""Latency under load: p50/p99 of small GETs and PUTs at 16, 64 and 256 open connections.

The load is wrk (C, Debian package `wrk`), so the client costs little CPU next to the
server and every request's latency is recorded. Each connection cycles through presigned
URLs (made once with botocore: SigV4 in the query, so wrk needs no signing code): GETs of
the objects the throughput phase stored, PUTs of 4 KiB to fresh keys. A Lua `done` hook
prints wrk's percentiles as one JSON line.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import boto3
from botocore.config import Config

from .servers import Server

LUA = r"""
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local method = os.getenv("BENCH_METHOD")
local headers = {}
for line in (os.getenv("BENCH_HEADERS") or ""):gmatch("[^\n]+") do
  local name, value = line:match("^([^:]+):%s*(.*)$")
  headers[name] = value
end
local body = nil
if method == "PUT" then body = string.rep("x", 4096) end
local i = 0
local counter = 0
setup = function(thread)
  thread:set("offset", counter * 997)
  counter = counter + 1
end
request = function()
  i = i + 1
  return wrk.format(method, paths[(i + (offset or 0)) % #paths + 1], headers, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"p50_us": %d, "p99_us": %d, "requests": %d, "duration_us": %d, "socket_errors": %d, "non2xx": %d}\n',
    latency:percentile(50), latency:percentile(99), summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def presigned_paths(
    server: Server, method: str, keys: list[str], *, bucket: str = "bench", params: dict | None = None
) -> list[str]:
    """Paths (with their SigV4 query) of `method` on `keys`; `params` are more of the operation's
    parameters (SSE-C's become headers the URL signs: wrk must send them, see `run_wrk`)."""
    s3 = boto3.client(
        "s3",
        endpoint_url=server.url,
        aws_access_key_id=server.key,
        aws_secret_access_key=server.secret,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )
    operation = "get_object" if method == "GET" else "put_object"
    urls = [
        s3.generate_presigned_url(operation, Params={"Bucket": bucket, "Key": key, **(params or {})}, ExpiresIn=3600)
        for key in keys
    ]
    return [url[len(server.url) :] for url in urls]


def run_wrk(
    server: Server,
    method: str,
    paths_file: Path,
    script: Path,
    connections: int,
    seconds: int,
    headers: dict[str, str] | None = None,
) -> dict:
    """wrk's figures of one load; `headers` go with every request."""
    threads = min(2, connections)
    env = {"BENCH_PATHS": str(paths_file), "BENCH_METHOD": method, "PATH": "/usr/bin:/bin"}
    if headers:
        env["BENCH_HEADERS"] = "\n".join(f"{name}: {value}" for name, value in headers.items())
    done = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            server.url,
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH "):
            result: dict = json.loads(line[len("BENCH ") :])
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            return result
    raise RuntimeError(f"wrk failed: {done.stderr.strip()[:300]} {done.stdout[-300:]}")


def measure(
    server: Server, scratch: Path, *, small_keys: list[str], connections: list[int], seconds: int
) -> dict[str, dict]:
    """{"GET 16": {...}, "PUT 16": {...}, ...} for a server whose bucket `bench` holds `small_keys`."""
    script = scratch / "latency.lua"
    script.write_text(LUA)
    files = {}
    for method in ("GET", "PUT"):
        keys = small_keys if method == "GET" else [f"latency/{i:06d}" for i in range(len(small_keys))]
        files[method] = scratch / f"paths-{server.port}-{method}.txt"
        files[method].write_text("\n".join(presigned_paths(server, method, keys)) + "\n")
    results = {}
    for connections_now in connections:
        for method in ("GET", "PUT"):
            results[f"{method} {connections_now}"] = run_wrk(
                server, method, files[method], script, connections_now, seconds
            )
    return results
