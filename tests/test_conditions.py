"""Range and conditional-request rules (RFC 7232/7233 as S3 applies them)."""

import time
from email.utils import formatdate

import pytest

from gateway.core.conditions import ByteRange, check_read_conditions, parse_range
from gateway.domain.errors import JunctionError


@pytest.mark.parametrize(
    "header,size,expected",
    [
        ("bytes=0-9", 100, ByteRange(0, 9)),
        ("bytes=90-200", 100, ByteRange(90, 99)),
        ("bytes=10-", 100, ByteRange(10, 99)),
        ("bytes=-10", 100, ByteRange(90, 99)),
        ("bytes=-500", 100, ByteRange(0, 99)),
        (None, 100, None),
        ("bytes=5-2", 100, None),  # invalid syntax: served whole, as S3 does
        ("items=0-1", 100, None),
        ("bytes=0-1,3-4", 100, None),
    ],
)
def test_parse_range(header, size, expected):
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(
    "header,size", [("bytes=100-", 100), ("bytes=200-300", 100), ("bytes=-0", 100), ("bytes=0-", 0)]
)
def test_unsatisfiable_ranges(header, size):
    with pytest.raises(JunctionError) as err:
        parse_range(header, size)
    assert err.value.code == "InvalidRange"


NOW = time.time()


def check(**kw):
    base = dict(
        etag="abc",
        last_modified=NOW - 100,
        if_match=None,
        if_none_match=None,
        if_modified_since=None,
        if_unmodified_since=None,
    )
    base.update(kw)
    check_read_conditions(**base)


def code_of(**kw):
    with pytest.raises(JunctionError) as err:
        check(**kw)
    return err.value.code


def test_if_match():
    check(if_match='"abc"')
    check(if_match="*")
    assert code_of(if_match='"zzz"') == "PreconditionFailed"


def test_if_none_match():
    check(if_none_match='"zzz"')
    assert code_of(if_none_match='"abc"') == "NotModified"
    assert code_of(if_none_match='"abc"', not_modified_code="PreconditionFailed") == "PreconditionFailed"


def test_dates():
    past, future = formatdate(NOW - 1000, usegmt=True), formatdate(NOW + 1000, usegmt=True)
    assert code_of(if_modified_since=future) == "NotModified"
    check(if_modified_since=past)
    assert code_of(if_unmodified_since=past) == "PreconditionFailed"
    check(if_unmodified_since=future)


def test_if_match_wins_over_if_unmodified_since():
    past = formatdate(NOW - 1000, usegmt=True)
    check(if_match='"abc"', if_unmodified_since=past)


def test_if_none_match_wins_over_if_modified_since():
    past = formatdate(NOW - 1000, usegmt=True)
    assert code_of(if_none_match='"abc"', if_modified_since=past) == "NotModified"
    check(if_none_match='"zzz"', if_modified_since=formatdate(NOW + 1000, usegmt=True))
