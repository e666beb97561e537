"""Request ids (gateway/logs.py): 16 upper-case hex digits, never repeated in a process, and a
pre-forked worker's differ from its parent's (each process draws its own prefix)."""

from __future__ import annotations

import os
import re

from gateway.logs import new_request_id


def test_ids_are_16_hex_digits_and_unique() -> None:
    ids = [new_request_id() for _ in range(10_000)]
    assert all(re.fullmatch(r"[0-9A-F]{16}", i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_a_forked_worker_draws_its_own_prefix() -> None:
    parent = new_request_id()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report one id and leave at once
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert re.fullmatch(r"[0-9A-F]{16}", child)
    assert child[:8] != parent[:8]
