"""The `stat` signature of a generation file, looked at once per request.

The hot path's caches (identity, bucket settings, spaces, lifecycle, notifications) each
compare a generation file's `stat` with the one their entries were read under, and a request
looked at the same files again and again: fifteen `stat` calls for a small PUT, six for a GET.
While a request runs (`per_request()` as it begins, `RequestMemo.close()` as it ends: the
access-log middleware does both for every HTTP request) the first look at each file is reused
by the request's code; once it has ended, a task it started that lives on looks for itself.
A change another process commits while a request runs is seen from the next request on, as if
this one had begun a moment earlier; a change this process makes is seen at once (`forget`,
called by whoever replaces the file). Outside a request every look is a `stat`.
"""

from __future__ import annotations

import os
from contextvars import ContextVar

Version = tuple[int, int, int]


class RequestMemo:
    """The versions one request has seen; `close()` when the request ends."""

    __slots__ = ("open", "versions")

    def __init__(self) -> None:
        self.open = True
        self.versions: dict[str, Version | None] = {}

    def close(self) -> None:
        self.open = False
        self.versions.clear()


_memo: ContextVar[RequestMemo | None] = ContextVar("junction_file_versions", default=None)


def per_request() -> RequestMemo:
    """Start a fresh memo for the current request (its task and what it starts)."""
    memo = RequestMemo()
    _memo.set(memo)
    return memo


def _versions() -> dict[str, Version | None] | None:
    memo = _memo.get()
    return memo.versions if memo is not None and memo.open else None


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
