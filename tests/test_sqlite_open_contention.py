"""Worker processes open one new SQLite database together: one meeting another's lock while the
file turns to WAL must retry, not die ("database is locked" killed a worker about one start in
fifteen with 4 workers; six starts catch that about one run in three, the fix's own loop of 30
starts saw none)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import start_gateway, stop_gateway


def test_four_workers_start_together_on_a_new_data_dir(tmp_path: Path) -> None:
    for attempt in range(6):
        gw = start_gateway(tmp_path / f"fresh{attempt}", "--workers", "4")
        try:
            done = subprocess.run(
                [sys.executable, "-c", f"import urllib.request; urllib.request.urlopen('{gw.url}/health')"],
                capture_output=True,
                timeout=30,
            )
            assert done.returncode == 0
            assert "Traceback" not in gw.logs() and "database is locked" not in gw.logs()
        finally:
            stop_gateway(gw)
