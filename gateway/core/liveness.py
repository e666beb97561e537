"""Which gateway processes are alive: each holds an exclusive lock on `<data dir>/owners/<id>`,
and renews an "owner:<id>" lease in the database (jobs.JobService keeps both).

Records a process leaves behind (running jobs, pending blobs) carry its id; once its lock can
be taken, the process is gone (stopped, killed, crashed) and they can be cleaned up at once,
without waiting out any grace period. A process whose lock file is not in this data dir (a
gateway instance on another machine, sharing only the database) is alive while its lease is.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from gateway.meta.cluster_store import ClusterStore

OWNERS_DIR = "owners"
OWNER_LEASE = 30.0  # seconds an instance on another machine is deemed alive after its last renewal


def owner_lease(owner: str) -> str:
    return f"owner:{owner}"


async def process_alive(owners_dir: Path, owner: str, cluster: ClusterStore) -> bool:
    """True while the process `owner` runs: by its lock file when it is in `owners_dir`, else
    (another machine) by its lease in the shared database."""
    path = owners_dir / owner
    if path.exists():
        return alive(path)
    lease = await cluster.lease(owner_lease(owner))
    return lease is not None and lease[0] == owner and lease[1] > time.time()


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
