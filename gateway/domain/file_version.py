"""The `stat` signature of a generation file, looked at once per request.

The hot path's caches (identity, bucket settings, spaces, lifecycle, notifications) each
compare a generation file's `stat` with the one their entries were read under, and a request
looked at the same files again and again: fifteen `stat` calls for a small PUT, six for a GET.
Inside a request (`per_request()`, called by the access-log middleware as every HTTP request
begins) the first look at each file is reused for the rest of that request, in that request's
own task only (a task it starts, which may outlive it, looks for itself). A change another
process commits while a request runs is seen from the next request on, as if this one had
begun a moment earlier; a change this process makes is seen at once (`forget`, called by
whoever replaces the file).
"""

from __future__ import annotations

import asyncio
import os
from contextvars import ContextVar

Version = tuple[int, int, int]

_memo: ContextVar[tuple[asyncio.Task[object] | None, dict[str, Version | None]] | None] = ContextVar(
    "junction_file_versions", default=None
)


def per_request() -> None:
    """Start a fresh memo for the current task (the request's)."""
    _memo.set((asyncio.current_task(), {}))


def _versions() -> dict[str, Version | None] | None:
    memo = _memo.get()
    if memo is None:
        return None
    try:
        task = asyncio.current_task()
    except RuntimeError:  # a thread given the request's context (asyncio.to_thread): no loop there
        return None
    return memo[1] if memo[0] is task else None


def file_version(path: str) -> Version | None:
    """(inode, mtime in ns, size) of `path`, None when it does not exist."""
    versions = _versions()
    if versions is not None and path in versions:
        return versions[path]
    try:
        st = os.stat(path)
    except FileNotFoundError:
        version = None
    else:
        version = (st.st_ino, st.st_mtime_ns, st.st_size)
    if versions is not None:
        versions[path] = version
    return version


def forget(path: str) -> None:
    """`path` was just replaced by this process: the next look reads it again."""
    versions = _versions()
    if versions is not None:
        versions.pop(path, None)
