"""key_range (gateway/meta/rows.py): the bounds of a listing's range read. One lower bound
only (SQLite seeks its index by one and merely filters by a second, so a prefix listing from
the start read every key before the prefix), and the same rows as the plain definition for
any start, prefix and key set, checked against SQLite's own binary ordering."""

from __future__ import annotations

import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from gateway.meta.rows import key_range

KEY = st.text(alphabet=st.sampled_from(["a", "b", "/", "é", "\U0001f600", "\x7f", "z"]), max_size=6)


def test_a_listing_before_its_prefix_seeks_the_prefix() -> None:
    assert key_range("key", "", False, "folder/") == (" AND key >= ? AND key < ?", ["folder/", "folder0"])
    assert key_range("o.key", "bulk/9", False, "folder/") == (" AND o.key >= ? AND o.key < ?", ["folder/", "folder0"])


def test_a_start_inside_or_at_the_prefix_is_kept() -> None:
    assert key_range("key", "folder/5", False, "folder/") == (" AND key > ? AND key < ?", ["folder/5", "folder0"])
    assert key_range("key", "folder/", False, "folder/") == (" AND key > ? AND key < ?", ["folder/", "folder0"])
    assert key_range("key", "folder/", True, "folder/") == (" AND key >= ? AND key < ?", ["folder/", "folder0"])
    assert key_range("key", "x", True, "") == (" AND key >= ?", ["x"])


@given(keys=st.sets(KEY, max_size=25), start=KEY, prefix=KEY, inclusive=st.booleans())
def test_the_range_holds_exactly_the_keys_from_start_under_prefix(keys, start, prefix, inclusive) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (key TEXT PRIMARY KEY)")
    conn.executemany("INSERT INTO t VALUES (?)", [(k,) for k in keys])
    bounds, params = key_range("key", start, inclusive, prefix)
    got = [r[0] for r in conn.execute(f"SELECT key FROM t WHERE 1 = 1{bounds} ORDER BY key", params)]
    utf8 = str.encode
    wanted = sorted(
        (k for k in keys if k.startswith(prefix) and (utf8(k) >= utf8(start) if inclusive else utf8(k) > utf8(start))),
        key=utf8,
    )
    assert got == wanted
