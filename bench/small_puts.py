"""4 KiB PUT ops/s against a fresh Junction on local disk: the price of durable writes.

Every acknowledged PUT fsyncs the blob file, its directory and the SQLite WAL (see the
README's durability paragraph). This measures what that costs on the machine it runs on:
`python bench/small_puts.py --count 2000 --threads 16` prints ops/s and the latency spread.
Bounded: fixed count, loopback only, data dir under the given directory (not tmpfs, or
fsync costs nothing and the figure means nothing).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import requests
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
KEY, SECRET = "BENCHACCESSKEY", "bench-secret-key-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="PUTs in the measured run")
    parser.add_argument("--threads", type=int, default=16, help="concurrent clients")
    parser.add_argument("--size", type=int, default=4096, help="object size in bytes")
    parser.add_argument("--dir", type=Path, default=ROOT / ".bench-tmp", help="where the data dir goes (a real disk)")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=args.dir))
    port = free_port()
    env = {
        **os.environ,
        "JUNCTION_ROOT_ACCESS_KEY": KEY,
        "JUNCTION_ROOT_SECRET_KEY": SECRET,
        "JUNCTION_LOG_LEVEL": "WARNING",
    }
    argv = [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port), "--data-dir", str(tmp / "data")]
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"{url}/health", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        config = Config(s3={"addressing_style": "path"}, max_pool_connections=args.threads, retries={"max_attempts": 1})
        s3 = boto3.client(
            "s3",
            endpoint_url=url,
            aws_access_key_id=KEY,
            aws_secret_access_key=SECRET,
            region_name="us-east-1",
            config=config,
        )
        s3.create_bucket(Bucket="bench")
        body = os.urandom(args.size)
        for i in range(50):  # warm up connections and caches
            s3.put_object(Bucket="bench", Key=f"warm/{i}", Body=body)
        latencies: list[float] = []

        def put(i: int) -> None:
            started = time.perf_counter()
            s3.put_object(Bucket="bench", Key=f"k/{i % 500}/{i}", Body=body)
            latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        with cf.ThreadPoolExecutor(args.threads) as pool:
            list(pool.map(put, range(args.count)))
        elapsed = time.perf_counter() - started
        latencies.sort()
        p50 = statistics.median(latencies) * 1000
        p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
        print(
            f"{args.count} PUTs of {args.size} B, {args.threads} threads: {args.count / elapsed:.0f} ops/s, "
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms"
        )
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
