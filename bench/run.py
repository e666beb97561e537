"""`make bench`: Junction against its peers in one run, on loopback, every server with its own data dir.

    python -m bench.run                    # the full run (2,000 small objects, 512 MiB, 100,000-object listing)
    python -m bench.run --quick            # a short run of the same steps
    python -m bench.run --objects 1000000  # the big listing run

Prints the tables and writes them to bench/last-run.md. Peers: rclone serve s3, moto_server,
s3rver (see bench/servers.py); Junction with 1 worker and with its default worker count
(one per core). The aiohttp floor (bench/floor.py: bare aiohttp, no S3) with the same worker
counts is a reference row: what any aiohttp server can do here, never counted as a peer.
Not part of `make test`: figures depend on the machine and what else runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from . import costs, latency, listing_scale, report, throughput
from .servers import ROOT, Server, compile_bytecode, floor, junction, junction_on_postgres, peers, postgres


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run: fewer objects, shorter loads")
    parser.add_argument("--small-count", type=int, help="4 KiB objects PUT and GET (default 2000)")
    parser.add_argument("--numworkers", type=int, default=32, help="s5cmd workers (concurrent requests)")
    parser.add_argument("--large-mib", type=int, help="size of the large object (default 512)")
    parser.add_argument("--connections", help="latency loads, comma-separated (default 16,64,256)")
    parser.add_argument("--seconds", type=int, help="seconds per latency load (default 10)")
    parser.add_argument("--objects", type=int, help="objects in the listing scale test (default 100000)")
    parser.add_argument(
        "--only", help="comma-separated server name prefixes to run (e.g. junction,rclone,aiohttp for the floor)"
    )
    parser.add_argument(
        "--skip",
        default="",
        help="comma-separated steps to skip: throughput,latency,costs,scale; sse (the costs step's encryption "
        "rows), postgres (its rows), floor (the aiohttp reference rows)",
    )
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds of the costs step (best of them)")
    parser.add_argument("--dir", type=Path, default=ROOT / ".bench-tmp", help="where data dirs go (a real disk)")
    parser.add_argument("--junction-src", type=Path, help="run Junction from this checkout")
    parser.add_argument("--baseline", type=Path, help="also run Junction from this checkout (rows 'Junction baseline')")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "last-run.md")
    args = parser.parse_args(argv)
    quick = args.quick
    args.small_count = args.small_count or (300 if quick else 2000)
    args.large_mib = args.large_mib or (64 if quick else 512)
    args.connections = [int(c) for c in (args.connections or ("16,64" if quick else "16,64,256")).split(",")]
    args.seconds = args.seconds or (3 if quick else 10)
    args.objects = args.objects or (10_000 if quick else 100_000)
    return args


def wanted(server: Server, only: str | None) -> bool:
    if not only:
        return True
    return any(server.name.lower().startswith(prefix.strip().lower()) for prefix in only.split(","))


def servers_for(tmp: Path, args: argparse.Namespace) -> tuple[list[Server], list[str]]:
    found = [junction(tmp, 1, args.junction_src), junction(tmp, None, args.junction_src)]
    if args.baseline:  # the same rows from another checkout, in the same run (before/after)
        found += [junction(tmp, w, args.baseline, "Junction baseline") for w in (1, None)]
    skipped = set(args.skip.split(","))
    if "floor" not in skipped:  # the reference: what bare aiohttp does with those workers
        found += [floor(tmp, w) for w in (1, None)]
    others, notes = peers(tmp)
    if "postgres" not in skipped and wanted(
        junction_on_postgres(tmp, "", 1), args.only
    ):  # metadata on PostgreSQL: 1 and 2 instances
        databases = postgres(notes)
        found += [junction_on_postgres(tmp, url, n) for n, url in zip((1, 2), databases, strict=False)]
    return [s for s in found + others if wanted(s, args.only)], notes


def run_server(
    server: Server, load: throughput.Payloads, args: argparse.Namespace, steps: set[str], notes: list[str]
) -> tuple:
    server.start()
    try:
        throughput.create_bucket(server, "bench")
        row = throughput.measure(server, load, workers=args.numworkers, notes=notes) if "throughput" in steps else {}
        lat = {}
        if "latency" in steps and latency.wrk_available():
            keys = [f"small/{n}" for n in sorted(os.listdir(load.small_dir))]
            if "throughput" not in steps:
                throughput.s5cmd(
                    server,
                    "run",
                    stdin="".join(
                        f"cp {load.small_dir / n} s3://bench/{k}\n"
                        for n, k in zip(sorted(os.listdir(load.small_dir)), keys, strict=True)
                    ),
                )
            lat = latency.measure(
                server, load.scratch, small_keys=keys, connections=args.connections, seconds=args.seconds
            )
        return row, lat
    finally:
        server.stop()


def run_scale(tmp: Path, args: argparse.Namespace) -> tuple[dict[str, listing_scale.PageTimes], dict[str, float]]:
    server = junction(tmp / "scale", None, args.junction_src)
    keys = listing_scale.scale_keys(args.objects)
    server.start()
    empty_start = server.started_in
    throughput.create_bucket(server, "scale")
    server.stop()
    load_s = listing_scale.bulk_load(server, keys)
    server.start()
    try:
        startup = {"empty": empty_start, "loaded": server.started_in, "load_s": load_s}
        return listing_scale.measure(server, keys), startup
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    steps = {"throughput", "latency", "costs", "sse", "scale"} - set(filter(None, args.skip.split(",")))
    args.dir.mkdir(parents=True, exist_ok=True)
    began = time.strftime("%Y-%m-%d %H:%M %Z")
    load_before = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(dir=args.dir, prefix="run-"))
    for source in {ROOT, args.junction_src or ROOT}:
        compile_bytecode(source)
    load = throughput.Payloads.make(tmp, count=args.small_count, size=4096, large_mib=args.large_mib)
    table: dict[str, dict[str, float]] = {}
    lat: dict[str, dict] = {}
    scale: dict[str, listing_scale.PageTimes] = {}
    startup: dict[str, float] = {}
    feature_costs: costs.Costs | None = None
    try:
        servers, notes = servers_for(tmp, args)
        if "latency" in steps and not latency.wrk_available():
            notes.append("wrk not installed (apt-get install wrk): latency table skipped")
        for server in servers if steps & {"throughput", "latency"} else []:
            print(f"== {server.name}", file=sys.stderr, flush=True)
            try:
                table[server.name], lat[server.name] = run_server(server, load, args, steps, notes)
            except Exception as exc:  # a peer that cannot do a step is noted, not fatal
                notes.append(f"{server.name}: failed: {exc}")
                print(f"   failed: {exc}", file=sys.stderr)
        if "costs" in steps and latency.wrk_available() and wanted(junction(tmp, 1, None), args.only):
            print("== costs of authorization and encryption", file=sys.stderr, flush=True)
            try:
                feature_costs = costs.measure(
                    tmp,
                    count=args.small_count,
                    seconds=args.seconds,
                    large_mib=args.large_mib,
                    rounds=args.rounds,
                    encryption="sse" in steps,
                    source=args.junction_src,
                )
            except Exception as exc:
                notes.append(f"costs step failed: {exc}")
                print(f"   failed: {exc}", file=sys.stderr)
        if "scale" in steps and wanted(junction(tmp, 1, None), args.only):
            print(f"== listing scale ({args.objects:,} objects)", file=sys.stderr, flush=True)
            scale, startup = run_scale(tmp, args)
    finally:
        load.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    text = render(args, began, load_before, table, lat, scale, startup, notes, feature_costs)
    print(text)
    args.out.write_text(text)
    return 0


def render(args, began, load_before, table, lat, scale, startup, notes, feature_costs=None) -> str:  # type: ignore[no-untyped-def]
    cores = os.cpu_count()
    parts = [
        "# Last bench run",
        "",
        f"Run {began} on {platform.node() and 'a'} {cores}-core {platform.machine()} machine "
        f"(load average before: {load_before[0]:.1f}); `python -m bench.run " + " ".join(sys.argv[1:]) + "`.",
        "Ratios `(×r)`: Junction against the best peer of the same run (above 1: Junction is ahead); "
        "the aiohttp floor rows are a reference (bare aiohttp, no S3), never a peer.",
        "",
    ]
    if table and any(table.values()):
        parts += [
            f"## Throughput (s5cmd, {args.numworkers} workers, {args.small_count:,} × 4 KiB, "
            f"one {args.large_mib} MiB object)",
            "",
            report.markdown_table({k: v for k, v in table.items() if v}, report.THROUGHPUT_COLUMNS),
            "",
            f"List: `s5cmd ls` of the {args.small_count:,} keys. Peak RSS: the largest sum of VmRSS over "
            "the server's process tree (server and all its children), sampled every 50 ms during the whole "
            "throughput step; pages pre-forked workers share count once per process. Peak PSS: the same with "
            "shared pages split between the processes (the memory the tree really holds).",
            "",
        ]
    if lat and any(lat.values()):
        parts += [
            f"## Latency under load (wrk, presigned 4 KiB GET and PUT, {args.seconds} s per load)",
            "",
            report.latency_table({k: v for k, v in lat.items() if v}, args.connections),
            "",
            report.latency_detail({k: v for k, v in lat.items() if v}),
            "",
        ]
    against_floor = report.floor_table(table, lat)
    if against_floor:
        parts += [
            "## Junction against the aiohttp floor (same workers, same run)",
            "",
            against_floor,
            "",
            "The floor (bench/floor.py) is bare aiohttp on the same event loop and worker model: a GET "
            "answered from memory, a PUT written to a new file with one fsync; no authentication, no "
            "metadata, no S3. A reference, not a peer: `×r` here is Junction's figure over the floor's, "
            "what Junction's own code leaves of what aiohttp allows; the floor's own `(×r)` in the tables "
            "above is its ratio to the best peer, what the framework allows at all.",
            "",
        ]
    if feature_costs is not None:
        parts += costs.render(feature_costs)
    if scale:
        rows = {
            where: {"median": t.median_ms, "max": t.max_ms, "keys": t.keys, "cpu": t.cpu_ms}
            for where, t in scale.items()
        }
        parts += [
            f"## Listing at scale (Junction, {args.objects:,} objects; ListObjectsV2, 1,000 entries a page)",
            "",
            "| page | median ms | max ms | server CPU ms | entries |",
            "|---|---|---|---|---|",
            *(
                f"| {w} | {r['median']:.1f} | {r['max']:.1f} | {r['cpu']:.1f} | {r['keys']:,} |"
                for w, r in rows.items()
            ),
            "",
            "Server CPU: user + system time of the gateway's processes per page (31 pages each; 10 ms clock ticks).",
            "",
            f"Bulk load: {startup['load_s']:.1f} s. Start-up (spawn to first answer, default workers): "
            f"{startup['empty']:.2f} s empty, {startup['loaded']:.2f} s with {args.objects:,} objects.",
            "",
        ]
    if notes:
        parts += ["## Notes", "", *(f"- {n}" for n in notes), ""]
    return "\n".join(parts)


if __name__ == "__main__":
    sys.exit(main())
