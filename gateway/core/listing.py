"""S3 listing semantics (prefix, delimiter roll-up, markers, max-keys) over the key index.

Keys come from the store in UTF-8 binary order. When a key rolls up into a common prefix
the scan jumps past every key under that prefix instead of reading them one by one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from gateway.domain.models import ListPage, ObjectInfo
from gateway.meta.rows import prefix_successor

BATCH = 1000
ROLLUP_BATCH = 4  # rows read right after a roll-up (see scan_page)


def _common_prefix(key: str, prefix: str, delimiter: str) -> str | None:
    if not delimiter:
        return None
    cut = key.find(delimiter, len(prefix))
    return key[: cut + len(delimiter)] if cut >= 0 else None


# (start, inclusive, limit) -> the next objects in key order, under the listing's prefix
Fetch = Callable[[str, bool, int], list[ObjectInfo]]


class ObjectIndex(Protocol):
    """What a listing reads: a bucket's objects by key (store.objects), or one package's by path."""

    async def scan(self, bucket_id: int, prefix: str, fn: Callable[[Fetch], ListPage]) -> ListPage: ...


async def list_page(
    index: ObjectIndex, bucket_id: int, *, prefix: str = "", delimiter: str = "", marker: str = "", max_keys: int = 1000
) -> ListPage:
    """One page of a listing that resumes strictly after `marker` (a key or a common prefix),
    read in one snapshot of the store."""
    if max_keys <= 0:
        return ListPage([], [], False, "")
    return await index.scan(
        bucket_id,
        prefix,
        lambda fetch: scan_page(fetch, prefix=prefix, delimiter=delimiter, marker=marker, max_keys=max_keys),
    )


def scan_page(fetch: Fetch, *, prefix: str, delimiter: str, marker: str, max_keys: int) -> ListPage:
    """The page, from range reads of the index (synchronous: it runs on the store's thread).

    Each range read asks for about as many rows as the page can still take. After a key
    rolls up into a common prefix the next read starts past that prefix and asks for few
    rows (ROLLUP_BATCH), growing again while rows are used: a folder whose children are
    mostly sub-folders would otherwise read (and decode) a whole batch per common prefix.
    """
    objects: list[ObjectInfo] = []
    prefixes: list[str] = []
    start: str | None = marker
    inclusive = False
    marker_prefix = _common_prefix(marker, prefix, delimiter) if marker.startswith(prefix) else None
    if marker_prefix is not None:
        start, inclusive = _skip_past(marker_prefix)
    last = ""
    wanted = min(BATCH, max_keys) + 1  # a full page and one more row: is it truncated?
    while True:
        if start is None:
            return ListPage(objects, prefixes, False, last)
        limit = min(wanted, max_keys - len(objects) - len(prefixes) + 1)
        rows = fetch(start, inclusive, limit)
        for obj in rows:
            common = _common_prefix(obj.key, prefix, delimiter)
            if len(objects) + len(prefixes) >= max_keys:
                return ListPage(objects, prefixes, True, last)
            if common is not None:
                prefixes.append(common)
                last = common
                start, inclusive = _skip_past(common)
                wanted = ROLLUP_BATCH
                break
            objects.append(obj)
            last = obj.key
            start, inclusive = obj.key, False
        else:
            if len(rows) < limit:
                return ListPage(objects, prefixes, False, last)
            wanted = min(BATCH, wanted * 4)


def _skip_past(common: str) -> tuple[str | None, bool]:
    """Where to resume so that no key under `common` is read again."""
    upper = prefix_successor(common)
    return upper, True
