"""The listing loop (gateway.core.listing.scan_page) against a reference, and the rows it reads.

A page is built from range reads of a sorted key index; these tests hand it an in-memory
index that counts what it returns, so they check both the S3 semantics (prefix, delimiter
roll-up, markers, max-keys, truncation) and that a roll-up does not read a whole batch of
rows it then throws away (what made a folder of many sub-folders take seconds a page).
"""

from __future__ import annotations

import bisect

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.core.listing import scan_page
from gateway.domain.models import ListPage, ObjectInfo


class CountingIndex:
    def __init__(self, keys: list[str], prefix: str) -> None:
        self.keys = sorted(k for k in set(keys) if k.startswith(prefix))
        self.rows_read = 0
        self.reads = 0

    def fetch(self, start: str, inclusive: bool, limit: int) -> list[ObjectInfo]:
        at = bisect.bisect_left(self.keys, start) if inclusive else bisect.bisect_right(self.keys, start)
        found = self.keys[at : at + limit]
        self.rows_read += len(found)
        self.reads += 1
        return [obj(k) for k in found]


def obj(key: str) -> ObjectInfo:
    return ObjectInfo(
        id=0,
        bucket_id=1,
        package_id=1,
        package="",
        path=key,
        key=key,
        size=0,
        etag="",
        sha256="",
        content_type="",
        headers={},
        meta={},
        checksums={},
        checksum_type="",
        parts_count=0,
        redundancy="none",
        created=0.0,
        updated=0.0,
    )


def reference(keys: list[str], prefix: str, delimiter: str, marker: str, max_keys: int) -> ListPage:
    """S3 listing done the slow, obvious way: every key, in order, rolled up and cut."""
    entries: list[tuple[str, bool]] = []
    for key in sorted(set(keys)):
        if not key.startswith(prefix):
            continue
        cut = key.find(delimiter, len(prefix)) if delimiter else -1
        entry = (key[: cut + len(delimiter)], True) if cut >= 0 else (key, False)
        if entries and entries[-1] == entry:
            continue
        if entry[0] <= marker:
            continue
        entries.append(entry)
    page = entries[:max_keys]
    return ListPage(
        [obj(e) for e, is_prefix in page if not is_prefix],
        [e for e, is_prefix in page if is_prefix],
        len(entries) > max_keys,
        page[-1][0] if page else "",
    )


def listing(keys: list[str], prefix: str, delimiter: str, marker: str, max_keys: int) -> tuple[ListPage, CountingIndex]:
    index = CountingIndex(keys, prefix)
    page = scan_page(index.fetch, prefix=prefix, delimiter=delimiter, marker=marker, max_keys=max_keys)
    return page, index


def summary(page: ListPage) -> tuple[list[str], list[str], bool]:
    return [o.key for o in page.objects], page.prefixes, page.truncated


KEYS = st.lists(st.text(alphabet="ab/c", min_size=1, max_size=6), max_size=60)


@settings(max_examples=300)
@given(
    keys=KEYS,
    prefix=st.sampled_from(["", "a", "a/", "b/c"]),
    delimiter=st.sampled_from(["", "/", "c"]),
    marker=st.text(alphabet="ab/c", max_size=4),
    max_keys=st.integers(min_value=1, max_value=8),
)
def test_pages_match_the_reference(keys, prefix, delimiter, marker, max_keys):
    page, _ = listing(keys, prefix, delimiter, marker, max_keys)
    expected = reference(keys, prefix, delimiter, marker, max_keys)
    assert summary(page) == summary(expected)
    if page.truncated:
        assert page.next_marker == expected.next_marker


def test_walking_every_page_lists_each_entry_once():
    keys = [f"f/{i:05d}" if i % 3 else f"f/{i:05d}/x/{j}" for i in range(900) for j in range(2 if i % 3 == 0 else 1)]
    seen: list[str] = []
    marker = ""
    while True:
        page, _ = listing(keys, "f/", "/", marker, 100)
        seen += [o.key for o in page.objects] + page.prefixes
        if not page.truncated:
            break
        marker = page.next_marker
    expected = reference(keys, "f/", "/", "", 10_000)
    assert sorted(seen) == sorted([o.key for o in expected.objects] + expected.prefixes)
    assert len(seen) == len(set(seen)) == 900


def test_a_folder_of_sub_folders_reads_few_rows_per_entry():
    """Half the children are sub-folders with 20 keys each: a page of 1,000 entries must not
    read a batch of rows per roll-up (it used to read up to 1,000 rows for each one, ~500,000
    rows a page), nor every key of every sub-folder (10,500 rows)."""
    keys = []
    for i in range(4000):
        if i % 2:
            keys += [f"folder/{i:06d}/{j}" for j in range(20)]
        else:
            keys.append(f"folder/{i:06d}")
    page, index = listing(keys, "folder/", "/", "", 1000)
    assert len(page.objects) == 500 and len(page.prefixes) == 500 and page.truncated
    assert index.rows_read <= 6 * 1000 and index.reads <= 500, (index.rows_read, index.reads)


def test_a_folder_of_files_and_small_sub_folders_is_read_in_a_few_reads():
    """Sub-folders of one key each: skipping within the rows read beats a jump per sub-folder."""
    keys = [f"folder/{i:06d}" if i % 2 == 0 else f"folder/{i:06d}/x" for i in range(5000)]
    page, index = listing(keys, "folder/", "/", "", 1000)
    assert len(page.objects) == 500 and len(page.prefixes) == 500 and page.truncated
    assert index.reads <= 2 and index.rows_read <= 1001, (index.rows_read, index.reads)


def test_a_flat_page_is_one_read():
    keys = [f"k{i:06d}" for i in range(5000)]
    page, index = listing(keys, "", "/", "", 1000)
    assert len(page.objects) == 1000 and page.truncated
    assert index.reads == 1 and index.rows_read == 1001
