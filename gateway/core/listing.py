"""S3 listing semantics (prefix, delimiter roll-up, markers, max-keys) over the key index.

Keys come from the store in UTF-8 binary order. When a key rolls up into a common prefix
the scan jumps past every key under that prefix instead of reading them one by one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from gateway.domain.models import Entry, ListedObject, ListedPage, ListPage, ObjectInfo, Page
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
ListedFetch = Callable[[str, bool, int], list[ListedObject]]


class ObjectIndex(Protocol):
    """What a listing reads: a bucket's objects by key (store.objects), or one package's by path."""

    async def scan(self, bucket_id: int, prefix: str, fn: Callable[[Fetch], ListPage]) -> ListPage: ...


class ListedIndex(Protocol):
    """What a ListObjects page reads: a bucket's keys with only what the page shows (store.objects)."""

    async def scan_listed(self, bucket_id: int, prefix: str, fn: Callable[[ListedFetch], ListedPage]) -> ListedPage: ...


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


async def list_listed(
    index: ListedIndex,
    bucket_id: int,
    *,
    prefix: str = "",
    delimiter: str = "",
    marker: str = "",
    max_keys: int = 1000,
) -> ListedPage:
    """`list_page` with each object as the S3 listing shows it (ListedObject), not as a whole ObjectInfo."""
    if max_keys <= 0:
        return ListedPage([], [], False, "")
    return await index.scan_listed(
        bucket_id,
        prefix,
        lambda fetch: scan_page(fetch, prefix=prefix, delimiter=delimiter, marker=marker, max_keys=max_keys),
    )


def scan_page(
    fetch: Callable[[str, bool, int], list[Entry]], *, prefix: str, delimiter: str, marker: str, max_keys: int
) -> Page[Entry]:
    """The page, from range reads of the index (synchronous: it runs on the store's thread).

    Each range read asks for about as many rows as the page can still take. Keys under a
    common prefix just rolled up are skipped within the rows already read; only when a read
    ends inside such a prefix does the next one jump past it. The read size adapts: it grows
    while most rows read become entries (a folder of files and small sub-folders: a page in
    one or two reads) and drops to ROLLUP_BATCH when most are skipped (sub-folders holding
    many keys: a few rows per jump instead of a batch read and thrown away).
    """
    objects: list[Entry] = []
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
            return Page(objects, prefixes, False, last)
        limit = min(wanted, max_keys - len(objects) - len(prefixes) + 1)
        rows = fetch(start, inclusive, limit)
        rolled: str | None = None  # the common prefix whose keys are being skipped
        used = 0
        for obj in rows:
            if rolled is not None and obj.key.startswith(rolled):
                continue
            if len(objects) + len(prefixes) >= max_keys:
                return Page(objects, prefixes, True, last)
            used += 1
            rolled = _common_prefix(obj.key, prefix, delimiter)
            if rolled is not None:
                prefixes.append(rolled)
                last = rolled
                start, inclusive = _skip_past(rolled)  # should the rows end inside it
                if start is None:
                    return Page(objects, prefixes, False, last)
            else:
                objects.append(obj)
                last = obj.key
                start, inclusive = obj.key, False
        if len(rows) < limit:
            return Page(objects, prefixes, False, last)
        wanted = min(BATCH, wanted * 4) if 2 * used >= len(rows) else ROLLUP_BATCH


def _skip_past(common: str) -> tuple[str | None, bool]:
    """Where to resume so that no key under `common` is read again."""
    upper = prefix_successor(common)
    return upper, True
