"""S3 listing semantics (prefix, delimiter roll-up, markers, max-keys) over the key index.

Keys come from the store in UTF-8 binary order. When a key rolls up into a common prefix
the scan jumps past every key under that prefix instead of reading them one by one.
"""

from __future__ import annotations

from typing import Protocol

from gateway.domain.models import ListPage, ObjectInfo
from gateway.meta.rows import prefix_successor

BATCH = 1000


def _common_prefix(key: str, prefix: str, delimiter: str) -> str | None:
    if not delimiter:
        return None
    cut = key.find(delimiter, len(prefix))
    return key[: cut + len(delimiter)] if cut >= 0 else None


class ObjectIndex(Protocol):
    """What a listing reads: a bucket's objects by key (store.objects), or one package's by path."""

    async def list_objects(
        self, bucket_id: int, *, prefix: str, start: str, inclusive: bool = False, limit: int
    ) -> list[ObjectInfo]: ...


async def list_page(
    index: ObjectIndex, bucket_id: int, *, prefix: str = "", delimiter: str = "", marker: str = "", max_keys: int = 1000
) -> ListPage:
    """One page of a listing that resumes strictly after `marker` (a key or a common prefix)."""
    objects: list[ObjectInfo] = []
    prefixes: list[str] = []
    if max_keys <= 0:
        return ListPage(objects, prefixes, False, "")
    start: str | None = marker
    inclusive = False
    marker_prefix = _common_prefix(marker, prefix, delimiter) if marker.startswith(prefix) else None
    if marker_prefix is not None:
        start, inclusive = _skip_past(marker_prefix)
    last = ""
    while True:
        if start is None:
            return ListPage(objects, prefixes, False, last)
        rows = await index.list_objects(bucket_id, prefix=prefix, start=start, inclusive=inclusive, limit=BATCH)
        for obj in rows:
            common = _common_prefix(obj.key, prefix, delimiter)
            if len(objects) + len(prefixes) >= max_keys:
                return ListPage(objects, prefixes, True, last)
            if common is not None:
                prefixes.append(common)
                last = common
                start, inclusive = _skip_past(common)
                break
            objects.append(obj)
            last = obj.key
            start, inclusive = obj.key, False
        else:
            if len(rows) < BATCH:
                return ListPage(objects, prefixes, False, last)


def _skip_past(common: str) -> tuple[str | None, bool]:
    """Where to resume so that no key under `common` is read again."""
    upper = prefix_successor(common)
    return upper, True
