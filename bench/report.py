"""Tables of a bench run: Markdown for bench/last-run.md and the terminal, ratios to the best peer.

A ratio is how many times better Junction's figure is than the best peer's in the same run
(higher ops/s and MB/s, lower milliseconds and MiB): above 1 Junction is ahead. The aiohttp
floor's rows (bench/floor.py) are a reference, never a peer: they carry their own ratio to the
best peer (what aiohttp allows), and `floor_table` gives each Junction row's ratio to the floor
with the same worker count (what Junction's own code costs).
"""

from __future__ import annotations

from collections.abc import Callable

from .servers import is_reference

# metric key -> (column title, format, higher is better)
THROUGHPUT_COLUMNS: dict[str, tuple[str, str, bool]] = {
    "put_small": ("PUT 4 KiB/s", "{:,.0f}", True),
    "get_small": ("GET 4 KiB/s", "{:,.0f}", True),
    "list_ms": ("list keys (ms)", "{:,.0f}", False),
    "put_large": ("PUT large MB/s", "{:,.0f}", True),
    "get_large": ("GET large MB/s", "{:,.0f}", True),
    "rss_mib": ("peak RSS MiB", "{:,.0f}", False),
    "pss_mib": ("peak PSS MiB", "{:,.0f}", False),
}


def is_junction(name: str) -> bool:
    return name.startswith("Junction")


def ratio(value: float, best: float, higher_better: bool) -> float:
    if higher_better:
        return value / best if best else float("inf")
    return best / value if value else float("inf")


def best_peer(table: dict[str, dict[str, float]], metric: str, higher_better: bool) -> float | None:
    values = [
        row[metric] for name, row in table.items() if not is_junction(name) and not is_reference(name) and metric in row
    ]
    if not values:
        return None
    return max(values) if higher_better else min(values)


def markdown_table(
    table: dict[str, dict[str, float]],
    columns: dict[str, tuple[str, str, bool]],
    *,
    first: str = "server",
    best: Callable[[str, bool], float | None] | None = None,
) -> str:
    """Rows per server; Junction's and the floor's cells carry `(×r)`, the ratio to the best peer."""
    best = best or (lambda metric, higher: best_peer(table, metric, higher))
    lines = [
        "| " + " | ".join([first, *(title for title, _, _ in columns.values())]) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for name, row in table.items():
        cells = [name]
        for metric, (_, fmt, higher) in columns.items():
            if metric not in row:
                cells.append("n/a")
                continue
            cell = fmt.format(row[metric])
            top = best(metric, higher)
            if (is_junction(name) or is_reference(name)) and top is not None:
                cell += f" (×{ratio(row[metric], top, higher):.2f})"
            cells.append(cell)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def latency_table(results: dict[str, dict[str, dict]], connections: list[int]) -> str:
    """p50/p99 in ms per server and load; `rps` and failed requests beside them."""
    columns: dict[str, tuple[str, str, bool]] = {}
    flat: dict[str, dict[str, float]] = {}
    for n in connections:
        for method in ("GET", "PUT"):
            columns[f"{method} {n} p50"] = (f"{method} {n}c p50 ms", "{:,.1f}", False)
            columns[f"{method} {n} p99"] = (f"{method} {n}c p99 ms", "{:,.1f}", False)
    for name, runs in results.items():
        row: dict[str, float] = {}
        for label, run in runs.items():
            if run.get("non2xx") or run.get("socket_errors"):
                if run["non2xx"] >= run["requests"] / 2:
                    continue  # the server refused most of these requests: no latency to report
            row[f"{label} p50"] = run["p50_us"] / 1000
            row[f"{label} p99"] = run["p99_us"] / 1000
        flat[name] = row
    return markdown_table(flat, columns)


def latency_detail(results: dict[str, dict[str, dict]]) -> str:
    lines = ["| server | load | requests/s | p50 ms | p99 ms | failed |", "|---|---|---|---|---|---|"]
    for name, runs in results.items():
        for label, run in runs.items():
            failed = run["non2xx"] + run["socket_errors"]
            lines.append(
                f"| {name} | {label} | {run['rps']:,.0f} | {run['p50_us'] / 1000:,.1f} | "
                f"{run['p99_us'] / 1000:,.1f} | {failed} |"
            )
    return "\n".join(lines)


def workers_label(name: str) -> str:
    """ "1 worker" of "Junction, 1 worker": what a Junction row and its floor row share."""
    return name.rsplit(", ", 1)[-1]


def floor_table(table: dict[str, dict[str, float]], lat: dict[str, dict[str, dict]]) -> str | None:
    """Each Junction row against the floor row with the same workers: small PUT/GET per second
    (s5cmd) and requests per second of every wrk load, Junction's figure over the floor's."""
    floors = {workers_label(name): name for name in {**table, **lat} if is_reference(name)}
    loads = sorted({label for runs in lat.values() for label in runs}, key=lambda x: (int(x.split()[1]), x))
    metrics = [("put_small", "PUT 4 KiB/s"), ("get_small", "GET 4 KiB/s")]
    lines = [
        "| server | " + " | ".join([t for _, t in metrics] + [f"{load}c req/s" for load in loads]) + " |",
        "|---" * (1 + len(metrics) + len(loads)) + "|",
    ]
    rows = 0
    for name in {**table, **lat}:
        floor_name = floors.get(workers_label(name))
        if not is_junction(name) or floor_name is None:
            continue
        cells = [name]
        for metric, _ in metrics:
            mine, base = table.get(name, {}).get(metric), table.get(floor_name, {}).get(metric)
            cells.append(f"×{mine / base:.2f}" if mine and base else "n/a")
        for load in loads:
            mine_run, base_run = lat.get(name, {}).get(load), lat.get(floor_name, {}).get(load)
            cells.append(f"×{mine_run['rps'] / base_run['rps']:.2f}" if mine_run and base_run else "n/a")
        lines.append("| " + " | ".join(cells) + " |")
        rows += 1
    return "\n".join(lines) if rows else None
