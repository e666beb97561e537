"""Metadata engines side by side: SQLite (one instance) vs PostgreSQL with one and two instances.

For each setup: small-object PUT and GET ops/s (4 KiB, fixed concurrency, requests spread
round-robin over the instances), then ListObjectsV2 latency in a bucket of `--objects` keys
(first page, a page in the middle, a prefixed page; median of repeated requests). The bucket
is filled through the store (empty objects, one transaction per batch) so that 100k keys take
seconds, not an hour of PUTs; the listing path read is the same. PostgreSQL is a throwaway
cluster (tests/pg_server.py) with fsync on, as a deployment would run it.

    python bench/meta_engines.py [--objects 100000] [--seconds 10] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures as cf
import os
import statistics
import sys
import tempfile
import time
from itertools import cycle
from pathlib import Path

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.meta.engine import open_database  # noqa: E402
from tests.conftest import Gateway, start_gateway, stop_gateway  # noqa: E402
from tests.pg_server import PgServer  # noqa: E402

BODY = os.urandom(4096)


def client(gw: Gateway):
    return boto3.client(
        "s3",
        endpoint_url=gw.url,
        aws_access_key_id=gw.access_key,
        aws_secret_access_key=gw.secret_key,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, max_pool_connections=64, retries={"max_attempts": 0}),
    )


def rate(clients, seconds: float, concurrency: int, op) -> float:
    """Operations per second of `op(client, n)` over `seconds`, clients taken round-robin."""
    rotation = cycle(clients)
    deadline = time.monotonic() + seconds
    done = 0

    def worker(w: int) -> int:
        count, s3 = 0, next(rotation)
        while time.monotonic() < deadline:
            op(s3, w * 1_000_000 + count)
            count += 1
            s3 = next(rotation)
        return count

    started = time.monotonic()
    with cf.ThreadPoolExecutor(concurrency) as pool:
        done = sum(pool.map(worker, range(concurrency)))
    return done / (time.monotonic() - started)


async def fill(url: str, data_dir: Path, bucket: str, count: int) -> None:
    """`count` empty objects under a few prefixes, straight into the store in batches."""
    db = open_database(url, data_dir)
    await db.open()
    try:
        row = await db.fetchone(
            "SELECT b.id, p.id FROM buckets b JOIN packages p ON p.bucket_id = b.id AND p.name = '' WHERE b.name = ?",
            (bucket,),
        )
        assert row is not None
        bucket_id, package_id = row[0], row[1]
        now = time.time()
        batch = 5000
        for start in range(0, count, batch):
            rows = [
                (bucket_id, package_id, f"p{n % 10}/obj-{n:08d}", f"p{n % 10}/obj-{n:08d}", now, now)
                for n in range(start, min(start + batch, count))
            ]

            def insert(conn, rows=rows):
                conn.executemany(
                    "INSERT INTO objects (bucket_id, package_id, path, key, size, etag, sha256, content_type, "
                    "created, updated) VALUES (?, ?, ?, ?, 0, 'd41d8cd98f00b204e9800998ecf8427e', '', "
                    "'application/octet-stream', ?, ?)",
                    rows,
                )

            await db.transaction(insert)
    finally:
        await db.close()


def list_latency(clients, bucket: str, repeat: int = 15) -> dict[str, float]:
    rotation = cycle(clients)
    cases = {
        "first page": {},
        "middle page": {"StartAfter": "p5/obj-00050000"},
        "prefix page": {"Prefix": "p7/"},
    }
    out = {}
    for name, extra in cases.items():
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            page = next(rotation).list_objects_v2(Bucket=bucket, MaxKeys=1000, **extra)
            times.append((time.perf_counter() - started) * 1000)
            assert page["KeyCount"] > 0
        out[name] = statistics.median(times)
    return out


def run_setup(name: str, meta: str | None, instances: int, args, tmp: Path) -> dict[str, object]:
    data = tmp / f"{name}-data"
    gws = [start_gateway(tmp / f"{name}-{n}", meta=meta, data_dir=data) for n in range(instances)]
    try:
        clients = [client(gw) for gw in gws]
        clients[0].create_bucket(Bucket="bench")
        put = rate(
            clients,
            args.seconds,
            args.concurrency,
            lambda s3, n: s3.put_object(Bucket="bench", Key=f"small/{n}", Body=BODY),
        )
        keys = [f"small/{n}" for n in range(0, 200)]
        for key in keys:
            clients[0].put_object(Bucket="bench", Key=key, Body=BODY)
        get = rate(
            clients,
            args.seconds,
            args.concurrency,
            lambda s3, n: s3.get_object(Bucket="bench", Key=keys[n % 200])["Body"].read(),
        )
        url = meta or f"sqlite://{data / 'meta.sqlite3'}"
        asyncio.run(fill(url, data, "bench", args.objects))
        listing = list_latency(clients, "bench")
    finally:
        for gw in gws:
            stop_gateway(gw)
    return {"setup": name, "put": put, "get": get, **listing}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    server = PgServer(durable=True).start()
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="junction-bench-meta-") as tmp:
            rows.append(run_setup("sqlite, 1 instance", None, 1, args, Path(tmp)))
            rows.append(run_setup("postgresql, 1 instance", server.create_database("bench1"), 1, args, Path(tmp)))
            rows.append(run_setup("postgresql, 2 instances", server.create_database("bench2"), 2, args, Path(tmp)))
    finally:
        server.remove()
    print(
        f"\n{args.objects} objects listed; {args.concurrency} concurrent clients; 4 KiB objects; {os.cpu_count()} CPUs"
    )
    print("| setup | PUT ops/s | GET ops/s | list first page ms | list middle page ms | list prefix page ms |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['setup']} | {row['put']:.0f} | {row['get']:.0f} | {row['first page']:.1f} | "
            f"{row['middle page']:.1f} | {row['prefix page']:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
