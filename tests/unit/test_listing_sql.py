"""ListObjects pages read from a real SQLite index (objects_store.listed_rows under
core/listing.scan_page) against the obvious model: every key, in UTF-8 byte order, rolled up
and cut. Keys hold characters above U+FFFF up to U+10FFFF (where a prefix's successor must
drop a character), keys equal to the prefix, "folder" keys ending in the delimiter (empty
folders), multi-character delimiters, and rows of pending multipart uploads, which a listing
never shows."""

from __future__ import annotations

import itertools
import sqlite3

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.core.listing import scan_page
from gateway.meta.db import migrate
from gateway.meta.objects_store import listed_rows

CHARS = ["a", "b", "/", "é", "\x7f", "\uffff", "\U0001f600", "\U0010ffff"]
KEY = st.text(alphabet=st.sampled_from(CHARS), min_size=1, max_size=5)

_conn = sqlite3.connect(":memory:", isolation_level=None)
migrate(_conn)
_buckets = itertools.count(1000)


def bucket_of(keys: set[str], pending: set[str]) -> int:
    """A new bucket holding `keys` (and `pending`: rows of multipart uploads in progress)."""
    bucket_id = next(_buckets)
    _conn.execute("INSERT INTO packages (id, bucket_id, name, created) VALUES (?, ?, '', 0)", (bucket_id, bucket_id))
    _conn.executemany(
        "INSERT INTO objects (bucket_id, package_id, path, key, size, etag, sha256, content_type, redundancy, "
        "created, updated) VALUES (?, ?, ?, ?, 0, 'e', '', 'x', ?, 0, 0)",
        [(bucket_id, bucket_id, key, key, "none") for key in keys]
        + [(bucket_id, bucket_id, key, key, "multipartUpload") for key in pending - keys],
    )
    return bucket_id


def model(keys: set[str], prefix: str, delimiter: str, marker: str, max_keys: int) -> tuple[list[str], list[str], bool]:
    entries: list[tuple[str, bool]] = []
    for key in sorted(keys, key=str.encode):
        if not key.startswith(prefix):
            continue
        cut = key.find(delimiter, len(prefix)) if delimiter else -1
        entry = (key[: cut + len(delimiter)], True) if cut >= 0 else (key, False)
        if (entries and entries[-1] == entry) or entry[0].encode() <= marker.encode():
            continue
        entries.append(entry)
    page = entries[:max_keys]
    return [e for e, rolled in page if not rolled], [e for e, rolled in page if rolled], len(entries) > max_keys


@settings(max_examples=400, deadline=None)
@given(
    keys=st.sets(KEY, max_size=40),
    pending=st.sets(KEY, max_size=5),
    prefix=st.sampled_from(["", "a", "a/", "\U0010ffff", "a\U0010ffff", "😀/"]) | KEY,
    delimiter=st.sampled_from(["", "/", "\U0010ffff", "\uffff", "😀", "a/"]),
    marker=st.sampled_from([""]) | KEY,
    max_keys=st.integers(min_value=1, max_value=8),
)
def test_pages_from_sqlite_match_the_model(keys, pending, prefix, delimiter, marker, max_keys) -> None:
    bucket_id = bucket_of(keys, pending)

    def fetch(start: str, inclusive: bool, limit: int):  # type: ignore[no-untyped-def]
        return listed_rows(_conn, bucket_id, prefix, start, inclusive, limit)

    page = scan_page(fetch, prefix=prefix, delimiter=delimiter, marker=marker, max_keys=max_keys)
    objects, prefixes, truncated = model(keys, prefix, delimiter, marker, max_keys)
    assert ([o.key for o in page.objects], page.prefixes, page.truncated) == (objects, prefixes, truncated)


@settings(max_examples=100, deadline=None)
@given(
    keys=st.sets(KEY, max_size=40),
    prefix=st.sampled_from(["", "a", "\U0010ffff"]),
    delimiter=st.sampled_from(["", "/", "\U0010ffff"]),
)
def test_walking_the_pages_lists_each_entry_once(keys, prefix, delimiter) -> None:
    bucket_id = bucket_of(keys, set())

    def fetch(start: str, inclusive: bool, limit: int):  # type: ignore[no-untyped-def]
        return listed_rows(_conn, bucket_id, prefix, start, inclusive, limit)

    seen: list[str] = []
    marker = ""
    while True:
        page = scan_page(fetch, prefix=prefix, delimiter=delimiter, marker=marker, max_keys=3)
        seen += [o.key for o in page.objects] + page.prefixes
        if not page.truncated:
            break
        marker = page.next_marker
    objects, prefixes, _ = model(keys, prefix, delimiter, "", 10_000)
    assert sorted(seen, key=str.encode) == sorted(objects + prefixes, key=str.encode)  # a page: objects, then prefixes
    assert len(seen) == len(set(seen))
