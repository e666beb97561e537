"""The host's CPU, memory and disk use in whole percent, for the console's resources page:
read from /proc and statvfs (no dependency; a host without /proc reports 0)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

CPU_SAMPLE = 0.2  # seconds between the two /proc/stat readings


def _cpu_times() -> tuple[int, int] | None:
    """(idle, total) jiffies since boot, or None without /proc."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    values = [int(v) for v in first[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return idle, sum(values[:8])


async def cpu_percent() -> int:
    before = _cpu_times()
    await asyncio.sleep(CPU_SAMPLE)
    after = _cpu_times()
    if before is None or after is None or after[1] <= before[1]:
        return 0
    busy = 1 - (after[0] - before[0]) / (after[1] - before[1])
    return round(max(0.0, min(1.0, busy)) * 100)


def memory_percent() -> int:
    fields: dict[str, int] = {}
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            name, _, rest = line.partition(":")
            fields[name] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    total, available = fields.get("MemTotal", 0), fields.get("MemAvailable", fields.get("MemFree", 0))
    return round((total - available) * 100 / total) if total else 0


def disk_percent(path: Path) -> int:
    """Used share of the file system holding `path`, as df counts it (blocks not available to users)."""
    stats = os.statvfs(path)
    used = (stats.f_blocks - stats.f_bfree) * stats.f_frsize
    usable = used + stats.f_bavail * stats.f_frsize
    return round(used * 100 / usable) if usable else 0


async def resources(data_dir: Path) -> dict[str, int]:
    return {"cpu": await cpu_percent(), "memory": memory_percent(), "disk": disk_percent(data_dir)}
