"""The chaos suite, short: 2 rounds of `kill -9` under 50 writers (`make chaos` runs 20)."""

from __future__ import annotations

from chaos.run import held, run_chaos


def test_kill_9_under_50_writers_loses_nothing_acknowledged(tmp_path):
    totals, lines = run_chaos(rounds=2, writers=50, min_seconds=1.0, max_seconds=2.0, work_dir=tmp_path)
    report = "\n".join(lines)
    assert totals.acknowledged > 0, report
    assert totals.lost == 0 and totals.corrupted == 0, report
    assert held(totals), report  # no HEAD/list/ledger mismatch, no phantom object, no 5xx
    assert lines[-1 - len(totals.problems)].startswith(f"2 rounds, {totals.acknowledged} acknowledged"), report
    assert "0 lost, 0 corrupted" in report
