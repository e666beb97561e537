"""Render a run's results: a terminal table, a Markdown file for the README, and JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from conformance.framework import GATEWAY_ERRORS, Outcome

MARK = {"pass": "ok", "fail": "FAIL", "n/a": "-", "skip": "skip"}


@dataclass
class ClientResult:
    name: str
    version: str = ""
    skipped: str = ""  # why the client could not run at all
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes.values() if o.status == status)


def totals(results: list[ClientResult]) -> tuple[int, int, int]:
    passed = sum(r.count("pass") for r in results)
    failed = sum(r.count("fail") for r in results)
    skipped = sum(r.count("skip") for r in results) + sum(1 for r in results if r.skipped)
    return passed, failed, skipped


def _scenario_rows(results: list[ClientResult]) -> list[str]:
    rows: list[str] = []
    for result in results:
        rows += [name for name in result.outcomes if name not in rows]
    return sorted(rows, key=lambda row: row == GATEWAY_ERRORS)  # stable: only moves that row last


def _cell(result: ClientResult, scenario: str) -> str:
    if result.skipped:
        return "skip"
    outcome = result.outcomes.get(scenario)
    return MARK[outcome.status] if outcome else ""


def text_table(results: list[ClientResult]) -> str:
    rows = _scenario_rows(results)
    first = max([len("scenario"), *map(len, rows)])
    widths = [max(len(r.name), 5) for r in results]
    columns = list(zip(results, widths, strict=True))
    lines = ["  ".join(["scenario".ljust(first), *(r.name.ljust(w) for r, w in columns)])]
    lines.append("  ".join(["-" * first, *("-" * w for w in widths)]))
    for row in rows:
        lines.append("  ".join([row.ljust(first), *(_cell(r, row).ljust(w) for r, w in columns)]))
    lines.append("")
    for result in results:
        lines.append(f"{result.name}: {result.version or result.skipped}")
    return "\n".join(lines)


def failure_details(results: list[ClientResult]) -> list[str]:
    out = []
    for result in results:
        if result.skipped:
            out.append(f"{result.name}: skipped: {result.skipped}")
        for name, outcome in result.outcomes.items():
            if outcome.status in ("fail", "skip"):
                out.append(f"{result.name} / {name}: {outcome.detail}")
    return out


def markdown(results: list[ClientResult], seconds: float, when: str) -> str:
    passed, failed, skipped = totals(results)
    lines = [
        f"Measured {when}: {passed} passed, {failed} failed, {skipped} skipped in {seconds:.0f} s.",
        "",
        "| client | version | passed | failed | notes |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        notes = r.skipped or "; ".join(f"{n}: {o.detail}" for n, o in r.outcomes.items() if o.status == "fail")[:300]
        na = r.count("n/a")
        if na and not r.skipped:
            notes = (
                (notes + "; " if notes else "")
                + f"{na} n/a ("
                + ", ".join(n for n, o in r.outcomes.items() if o.status == "n/a")
                + ")"
            )
        lines.append(
            f"| {r.name} | {r.version or '-'} | {r.count('pass')} | {r.count('fail')} | "
            f"{notes.replace('|', '/') or '-'} |"
        )
    rows = _scenario_rows(results)
    lines += ["", "| scenario | " + " | ".join(r.name for r in results) + " |", "|---|" + "---|" * len(results)]
    for row in rows:
        lines.append(f"| {row} | " + " | ".join(_cell(r, row) or " " for r in results) + " |")
    return "\n".join(lines) + "\n"


def write(results: list[ClientResult], seconds: float, when: str, md_path: Path, json_path: Path) -> None:
    md_path.write_text(markdown(results, seconds, when))
    payload = {"when": when, "seconds": round(seconds, 1), "clients": [asdict(r) for r in results]}
    json_path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
