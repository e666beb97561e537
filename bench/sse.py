"""Encryption at rest vs plain (standalone; `make bench` runs the same comparison, with 4 KiB
requests too, in bench/costs.py): PUT and GET throughput of one large object (plain, SSE-S3,
SSE-C), each a single streamed request to a fresh Junction on loopback, and the gateway's peak
RSS after an encrypted PUT+GET of a much larger object (memory must not grow with the size).

    python bench/sse.py [--mib 256] [--rounds 3] [--rss-mib 300]

Prints MB/s per mode (best of the rounds) and each encrypted mode as a share of plain.
"""

from __future__ import annotations

import argparse
import io
import os
import socket
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
MiB = 1024 * 1024
CUSTOMER_KEY = os.urandom(32)
MODES = {
    "plain": {},
    "SSE-S3": {"ServerSideEncryption": "AES256"},
    "SSE-C": {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": CUSTOMER_KEY},
}


class Pattern(io.RawIOBase):
    """`size` bytes of a repeating random block, produced as read (the client holds 1 MiB)."""

    def __init__(self, size: int) -> None:
        self.size, self.pos, self.block = size, 0, os.urandom(MiB)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = offset if whence == 0 else (self.pos + offset if whence == 1 else self.size + offset)
        return self.pos

    def tell(self) -> int:
        return self.pos

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        n = min(len(buffer), self.size - self.pos)
        start = self.pos % MiB
        chunk = (self.block[start:] + self.block)[:n] if n else b""
        buffer[:n] = chunk
        self.pos += n
        return n


def start(tmp: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "JUNCTION_ROOT_ACCESS_KEY": KEY, "JUNCTION_ROOT_SECRET_KEY": SECRET}
    env["JUNCTION_SSE_C_OVER_HTTP"] = "true"  # loopback bench
    argv = [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port), "--data-dir", str(tmp / "data")]
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return proc
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError("the gateway did not start")


def peak_rss_mib(proc: subprocess.Popen) -> float:
    for line in open(f"/proc/{proc.pid}/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return 0.0


def client(port: int):
    return boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path", "payload_signing_enabled": False}, retries={"max_attempts": 1}),
    )


def put_get(s3, key: str, size: int, mode: dict) -> tuple[float, float]:
    """(PUT MB/s, GET MB/s) of one object of `size` bytes in bucket `bench`, streamed both ways."""
    return put_get_in(s3, "bench", key, size, mode)


def put_get_in(s3, bucket: str, key: str, size: int, mode: dict) -> tuple[float, float]:
    """(PUT MB/s, GET MB/s) of one object of `size` bytes, streamed both ways (make bench: bench/costs.py)."""
    began = time.perf_counter()
    s3.put_object(Bucket=bucket, Key=key, Body=Pattern(size), ContentLength=size, **mode)
    put = size / MiB / (time.perf_counter() - began)
    read = {k: v for k, v in mode.items() if k.startswith("SSECustomer")}
    began = time.perf_counter()
    body = s3.get_object(Bucket=bucket, Key=key, **read)["Body"]
    got = sum(len(chunk) for chunk in iter(lambda: body.read(MiB), b""))
    get = size / MiB / (time.perf_counter() - began)
    assert got == size
    return put, get


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rss-mib", type=int, default=300)
    args = parser.parse_args()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        proc = start(Path(tmp), port)
        try:
            s3 = client(port)
            s3.create_bucket(Bucket="bench")
            best: dict[str, tuple[float, float]] = {}
            for _ in range(args.rounds):
                for name, mode in MODES.items():  # interleaved, so a noisy moment hits every mode
                    put, get = put_get(s3, f"o-{name}", args.mib * MiB, mode)
                    old = best.get(name, (0.0, 0.0))
                    best[name] = (max(old[0], put), max(old[1], get))
                    s3.delete_object(Bucket="bench", Key=f"o-{name}")
            print(f"{args.mib} MiB object, best of {args.rounds} (MB/s):")
            plain_put, plain_get = best["plain"]
            for name, (put, get) in best.items():
                print(f"  {name:7} PUT {put:7.1f} ({put / plain_put:4.0%})   GET {get:7.1f} ({get / plain_get:4.0%})")
        finally:
            proc.terminate()
            proc.wait(10)
        proc = start(Path(tmp) / "rss", port)
        try:
            s3 = client(port)
            s3.create_bucket(Bucket="bench")
            idle = peak_rss_mib(proc)
            put_get(s3, "big", args.rss_mib * MiB, MODES["SSE-C"])
            peak = peak_rss_mib(proc)
            print(f"peak RSS: {idle:.0f} MiB at start, {peak:.0f} MiB after an SSE-C PUT+GET of {args.rss_mib} MiB")
        finally:
            proc.terminate()
            proc.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
