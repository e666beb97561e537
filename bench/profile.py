"""Profile Junction (1 worker) under a wrk load of small presigned GETs or PUTs with py-spy.

    python -m bench.profile GET --connections 32 --seconds 10 --out /tmp/get
    python -m bench.profile GET --as-user --out /tmp/get-user   # as the costs step's policy user

`--as-user`: the GETs are signed by a user of the root account with the read-only managed
policy while the bucket has a bucket policy (bench/costs.py's authorization load), so the
policy engine's whole GET path is in the profile; without it, by the root key (no policy).

Samples only while a thread holds the GIL (`py-spy --gil`): where the CPU of the Python
process goes, not threads waiting on the disk. Writes <out>.raw (collapsed stacks, for
flame graph tools) and <out>.txt (top frames by own and by inclusive samples), and prints
the latter with the load's requests/s, latency and the server's CPU time per request (user +
system, from /proc: on a shared machine a steadier measure than requests/s).

    python -m bench.profile GET --floor     # the same for the aiohttp floor (bench/floor.py)
    python -m bench.profile GET --no-spy    # figures only, without the profiler's own cost
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import costs, latency
from .servers import BIN, ROOT, Server, floor, junction, tree_pids


def top_frames(raw: Path, count: int = 30) -> list[str]:
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        frames = stack.split(";")
        total += int(samples)
        own[frames[-1]] += int(samples)
        for frame in set(frames):
            inclusive[frame] += int(samples)
    lines = [f"{total} samples", "top own:"]
    lines += [f"  {100 * n / total:5.1f}%  {f}" for f, n in own.most_common(count)]
    lines += ["top inclusive:"] + [f"  {100 * n / total:5.1f}%  {f}" for f, n in inclusive.most_common(count)]
    return lines


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process tree so far (threads included)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in tree_pids(pid):
        try:
            with open(f"/proc/{p}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("method", choices=["GET", "PUT"])
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--objects", type=int, default=500)
    parser.add_argument("--out", type=Path, default=Path("profile"))
    parser.add_argument("--floor", action="store_true", help="profile the aiohttp floor instead of Junction")
    parser.add_argument("--no-spy", action="store_true", help="no profiler: requests/s and CPU per request only")
    parser.add_argument("--as-user", action="store_true", help="GETs by a policy user (the costs step's)")
    args = parser.parse_args(argv)
    spy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    if spy is None or not latency.wrk_available():
        sys.exit("needs py-spy (pip install py-spy) and wrk (apt-get install wrk)")
    (ROOT / ".bench-tmp").mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=ROOT / ".bench-tmp", prefix="profile-"))
    server = floor(tmp, 1) if args.floor else junction(tmp, 1)
    server.start()
    try:
        root = costs.client(server, server.key, server.secret)
        root.create_bucket(Bucket="bench")
        names = [f"{i:06d}" for i in range(args.objects)]
        costs.store(root, "bench", [f"small/{n}" for n in names], {})
        signer = server
        if args.as_user:
            root.put_bucket_policy(Bucket="bench", Policy=costs.bucket_policy("bench", costs.reader_user(server)))
            reader = (costs.READER_KEY, costs.READER_SECRET)
            signer = Server(server.name, server.argv, server.data_dir, server.env, server.port, *reader)
        keys = [f"small/{n}" if args.method == "GET" else f"profile/{n}" for n in names]
        paths = tmp / "paths.txt"
        paths.write_text("\n".join(latency.presigned_paths(signer, args.method, keys)) + "\n")
        script = tmp / "load.lua"
        script.write_text(latency.LUA)
        raw = args.out.with_suffix(".raw")
        assert server.proc is not None
        record = [spy, "record", "--gil", "--format", "raw", "-r", "200", "-d", str(args.seconds + 2)]
        profiler = None
        if not args.no_spy:
            profiler = subprocess.Popen(
                [*record, "-o", str(raw), "--pid", str(server.proc.pid)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1)
        cpu_before = cpu_seconds(server.proc.pid)
        result = latency.run_wrk(server, args.method, paths, script, args.connections, args.seconds)
        cpu = cpu_seconds(server.proc.pid) - cpu_before
        if profiler is not None:
            profiler.wait()
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    who = " as the policy user" if args.as_user else ""
    head = (
        f"{'floor' if args.floor else 'Junction'} {args.method}{who} x {args.connections} connections: "
        f"{result['rps']:,.0f} requests/s, p50 {result['p50_us'] / 1000:.1f} ms, "
        f"p99 {result['p99_us'] / 1000:.1f} ms, server CPU {1e6 * cpu / max(1, result['requests']):,.0f} µs/request"
    )
    text = "\n".join([head, *([] if args.no_spy else top_frames(raw))])
    args.out.with_suffix(".txt").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
