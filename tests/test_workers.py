"""Pre-forked workers: one per core by default, and none outlives a parent that was killed."""

from __future__ import annotations

import os
import signal
import time

from conftest import boto_client, start_gateway, stop_gateway

from gateway.config import cores


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_workers_default_to_one_per_core(tmp_path):
    gw = start_gateway(tmp_path)  # no --workers
    try:
        boto_client(gw).create_bucket(Bucket="cores")
        expected = cores() if cores() > 1 else 0  # a single worker serves in the parent itself
        assert len(children_of(gw.process.pid)) == expected
    finally:
        stop_gateway(gw)


def test_workers_die_with_a_killed_parent(tmp_path):
    gw = start_gateway(tmp_path, "--workers", "2")
    workers = children_of(gw.process.pid)
    assert len(workers) == 2
    gw.process.send_signal(signal.SIGKILL)
    gw.process.wait(10)
    deadline = time.monotonic() + 10
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(w) for w in workers)
