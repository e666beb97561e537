"""The data dir's protection and durability helpers: private modes, synced writes, exposure check.

The data dir holds every secret the gateway has (the key file sealing stored secrets, the
root credentials, the metadata db with sealed access-key secrets) and every object's bytes,
so it is created 0700 and its secret files 0600 whatever the umask; everything else the
gateway writes follows the configured umask (default 077). Files whose loss would lose an
acknowledged fact are written to a temporary name, fsynced, renamed, and the directory
fsynced, so they survive power loss as well as a killed process.
"""

from __future__ import annotations

import logging
import os
import stat
import uuid
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SHARED_BITS = 0o077  # any permission for group or others
CHECKED_ENTRIES = ("meta.sqlite3", "meta.sqlite3-wal", "meta.sqlite3-shm", "secrets.key", "root-credentials.json")


def make_private_dir(path: Path) -> None:
    """Create `path` (and missing parents) with the leaf 0700; an existing dir keeps its mode
    (the start-up check warns about it instead of silently changing an operator's choice)."""
    if path.is_dir():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=PRIVATE_DIR)
    except FileExistsError:
        return
    os.chmod(path, PRIVATE_DIR)  # mkdir's mode is masked by the umask; never wider than 0700 anyway
    fsync_dir(path.parent)


def touch_private(path: Path) -> None:
    """Create an empty file 0600 unless it exists (SQLite gives its -wal/-shm the same mode)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    os.close(fd)
    fsync_dir(path.parent)


def write_private_file(path: Path, text: str, *, exclusive: bool = False) -> None:
    """Write `text` to `path` durably and atomically, mode 0600.

    With `exclusive`, a file already there wins (FileExistsError): two processes starting at
    once agree on the first one's content.
    """
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if exclusive:
            os.link(tmp, path)  # fails if `path` exists: no overwrite race
            tmp.unlink()
        else:
            os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Make the directory's entries (files created, renamed, removed in it) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def exposed_paths(data_dir: Path) -> list[tuple[Path, int]]:
    """The data dir and its sensitive entries that group or others may access, with their modes."""
    found = []
    for path in (data_dir, *(data_dir / name for name in CHECKED_ENTRIES), data_dir / "blobs"):
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & SHARED_BITS:
            found.append((path, mode))
    return found


def warn_if_exposed(data_dir: Path, log: logging.Logger) -> bool:
    """One warning line when other local users may read the data dir; True when it did warn."""
    exposed = exposed_paths(data_dir)
    if not exposed:
        return False
    listed = ", ".join(f"{path.name or path} {mode:04o}" for path, mode in exposed)
    log.warning(
        "data dir %s is readable by other local users (%s): it holds the secrets key, the metadata db and "
        "every object's bytes; chmod 700 the data dir (and 600 its files)",
        data_dir,
        listed,
    )
    return True


def parse_umask(value: str) -> int:
    """An octal umask such as "077" or "0o022"."""
    text = value.strip().lower().removeprefix("0o")
    mask = int(text, 8)
    if not 0 <= mask <= 0o777:
        raise ValueError(f"umask {value!r} is not between 000 and 777")
    return mask
