"""A second gateway started on a port another process holds (the usual slip: `make run` twice)
tells the operator in one line and exits with status 2; no traceback, nothing left running."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT, start_gateway, stop_gateway


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_port_in_use_is_one_clear_line(tmp_path, workers):
    first = start_gateway(tmp_path / "first")
    try:
        second = subprocess.run(
            [
                sys.executable,
                "-m",
                "gateway.cli",
                "serve",
                "--port",
                str(first.port),
                "--workers",
                workers,
                "--data-dir",
                str(tmp_path / "second"),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2, second.stderr
        assert f"cannot listen on 127.0.0.1:{first.port}" in second.stderr
        assert "address already in use" in second.stderr.lower()
        assert "Traceback" not in second.stderr
        assert first.process.poll() is None  # the first gateway keeps serving
    finally:
        stop_gateway(first)
