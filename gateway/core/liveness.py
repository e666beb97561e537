"""Which gateway processes are alive: each holds an exclusive lock on `<data dir>/owners/<id>`.

Records a process leaves behind (running jobs, pending blobs) carry its id; once its lock can
be taken, the process is gone (stopped, killed, crashed) and they can be cleaned up at once,
without waiting out any grace period.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

OWNERS_DIR = "owners"


def alive(lock_path: Path) -> bool:
    """True while the process that owns `lock_path` holds its lock."""
    try:
        fd = os.open(lock_path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
