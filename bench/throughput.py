"""The throughput table, with s5cmd (Go) as the load generator so the client is never the limit.

Per server: 4 KiB PUT/s and GET/s with `--numworkers` concurrent workers over N objects (one
`s5cmd run` of N commands, timed end to end), a listing of those N keys (`s5cmd ls`), one
large object PUT and GET (multipart with s5cmd's default 5 parts in flight, GET into
/dev/shm so the client's disk is not what is measured), and the peak RSS of the server's
whole process tree sampled while all of that runs. A server that answers small objects only
(the aiohttp floor, `Server.small_only`) gets the two small steps.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .servers import BIN, RssSampler, Server

MiB = 1024 * 1024


@dataclass
class Payloads:
    """The files the load reads from: N small ones and one large one (on /dev/shm when it exists)."""

    small_dir: Path
    count: int
    large: Path
    scratch: Path

    @classmethod
    def make(cls, tmp: Path, *, count: int, size: int, large_mib: int) -> Payloads:
        shm = Path("/dev/shm")
        parent = shm if shm.is_dir() and os.access(shm, os.W_OK) else tmp
        scratch = Path(tempfile.mkdtemp(dir=parent, prefix="junction-bench-"))
        small = scratch / "small"
        small.mkdir()
        for i in range(count):
            (small / f"{i:06d}").write_bytes(os.urandom(size))
        large = scratch / "large.bin"
        with open(large, "wb") as fh:
            block = os.urandom(MiB)
            for _ in range(large_mib):
                fh.write(block)
        return cls(small, count, large, scratch)

    def cleanup(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)


class LoadFailed(RuntimeError):
    """s5cmd reported failures; `failed` of the run's commands did not succeed."""

    def __init__(self, message: str, failed: int, seconds: float) -> None:
        super().__init__(message)
        self.failed = failed
        self.seconds = seconds


def s5cmd(server: Server, *args: str, stdin: str | None = None) -> float:
    """Run s5cmd against `server`; seconds it took. Raises LoadFailed when s5cmd reports a failure."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": server.key,
        "AWS_SECRET_ACCESS_KEY": server.secret,
        "AWS_REGION": "us-east-1",
    }
    exe = shutil.which("s5cmd", path=str(BIN)) or "s5cmd"
    began = time.perf_counter()
    done = subprocess.run(
        [exe, "--endpoint-url", server.url, "--log", "error", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
    )
    took = time.perf_counter() - began
    if done.returncode != 0:
        failed = sum(1 for line in done.stderr.splitlines() if "ERROR" in line) or 1
        raise LoadFailed(f"s5cmd {args[:2]}: {failed} failed, first: {done.stderr.strip()[:300]}", failed, took)
    return took


def many(server: Server, commands: list[str], workers: int, notes: list[str], what: str) -> float:
    """Commands per second of one `s5cmd run`; a run where some commands failed still counts
    (the ones that succeeded, over the time it took), and the failures become a note."""
    try:
        return len(commands) / s5cmd(server, "--numworkers", str(workers), "run", stdin="".join(commands))
    except LoadFailed as exc:
        if exc.failed >= len(commands):
            raise
        notes.append(f"{server.name}: {what}: {exc.failed} of {len(commands)} requests failed ({exc})")
        return (len(commands) - exc.failed) / exc.seconds


def measure(server: Server, load: Payloads, *, workers: int, notes: list[str]) -> dict[str, float]:
    """One row of the throughput table for a running server with an empty bucket `bench`."""
    out = load.scratch / f"got-{server.port}"
    out.mkdir()
    result: dict[str, float] = {}
    names = sorted(os.listdir(load.small_dir))
    size_mb = load.large.stat().st_size / 1e6
    puts = [f"cp {load.small_dir / n} s3://bench/small/{n}\n" for n in names]
    gets = [f"cp s3://bench/small/{n} {out / n}\n" for n in names]
    steps: list[tuple[str, str, Callable[[], float]]] = [
        ("put_small", "4 KiB PUT", lambda: many(server, puts, workers, notes, "4 KiB PUT")),
        ("get_small", "4 KiB GET", lambda: many(server, gets, workers, notes, "4 KiB GET")),
        ("list_ms", "list", lambda: 1000 * s5cmd(server, "ls", "s3://bench/small/*")),
        ("put_large", "large PUT", lambda: size_mb / s5cmd(server, "cp", str(load.large), "s3://bench/large.bin")),
        ("get_large", "large GET", lambda: size_mb / s5cmd(server, "cp", "s3://bench/large.bin", str(out / "big"))),
    ]
    if server.small_only:  # the floor answers small PUTs and GETs only: no listing, no multipart
        steps = steps[:2]
    with RssSampler(server) as rss:
        for metric, what, step in steps:
            try:
                result[metric] = step()
            except LoadFailed as exc:  # that figure is missing from the table; the note says why
                notes.append(f"{server.name}: {what} failed: {exc}")
    result["rss_mib"] = rss.peak
    result["pss_mib"] = rss.peak_pss
    shutil.rmtree(out, ignore_errors=True)
    return result


def create_bucket(server: Server, name: str) -> None:
    s5cmd(server, "mb", f"s3://{name}")


if __name__ == "__main__":
    sys.exit("run `python -m bench.run`")
