"""Fuzzing the Range header: None (ignored), a range inside the object, or InvalidRange."""

from __future__ import annotations

from fuzz_support import TYPED, check_renderable, hostile_text
from hypothesis import given
from hypothesis import strategies as st

from gateway.core.conditions import parse_range
from gateway.domain.errors import ErrorCode

spec_part = st.one_of(st.integers(-5, 10**25).map(str), st.just(""), hostile_text)
ranges = st.one_of(
    hostile_text,
    st.tuples(
        st.sampled_from(["bytes=", "BYTES =", "bytes= ", "items=", ""]),
        spec_part,
        st.sampled_from(["-", "", "--"]),
        spec_part,
    ).map("".join),
)


@given(header=ranges, size=st.integers(0, 10**6))
def test_range(header, size):
    try:
        found = parse_range(header, size)
    except TYPED as exc:
        check_renderable(exc)
        assert exc.code == ErrorCode.InvalidRange
        return
    if found is not None:
        assert 0 <= found.start <= found.end < size
        digits = header.partition("=")[2].replace("-", "").strip()
        assert digits.isascii(), "a range is only ever read from ASCII digits"
