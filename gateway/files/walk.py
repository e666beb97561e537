"""Every key under a prefix, a page of metadata at a time (never the whole folder in memory)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from gateway.core.service import Core
from gateway.domain.models import ObjectInfo

PAGE = 1000


async def under(core: Core, bucket: str, prefix: str, *, markers: bool = True) -> AsyncIterator[ObjectInfo]:
    """Keys in order; `markers` False leaves out folder markers (keys ending in "/")."""
    marker = ""
    while True:
        page = await core.list_objects(bucket, prefix=prefix, marker=marker, max_keys=PAGE)
        for obj in page.objects:
            if markers or not obj.key.endswith("/"):
                yield obj
        if not page.truncated:
            return
        marker = page.next_marker
