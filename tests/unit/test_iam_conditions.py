"""Condition operators as AWS documents them: missing keys, negation, IfExists, set qualifiers."""

from __future__ import annotations

import pytest

from gateway.core.iam.conditions import PolicyError, parse_conditions


def holds(block: dict, context: dict) -> bool:
    ctx = {k.lower(): tuple(v) if isinstance(v, list) else (v,) for k, v in context.items()}
    return all(c.holds(ctx) for c in parse_conditions(block))


@pytest.mark.parametrize(
    ("block", "context", "expected"),
    [
        ({"StringEquals": {"s3:prefix": "home/"}}, {"s3:prefix": "home/"}, True),
        ({"StringEquals": {"s3:prefix": "home/"}}, {"s3:prefix": "Home/"}, False),
        ({"StringEquals": {"s3:prefix": ["a", "home/"]}}, {"s3:prefix": "home/"}, True),  # values OR
        ({"StringEquals": {"s3:prefix": "home/"}}, {}, False),  # missing key: false
        ({"StringNotEquals": {"s3:prefix": "home/"}}, {}, True),  # ... but true when negated
        ({"StringNotEquals": {"s3:prefix": ["a", "b"]}}, {"s3:prefix": "c"}, True),  # NOR
        ({"StringNotEquals": {"s3:prefix": ["a", "b"]}}, {"s3:prefix": "b"}, False),
        ({"StringEqualsIgnoreCase": {"s3:prefix": "HOME/"}}, {"s3:prefix": "home/"}, True),
        ({"StringLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "home/alice/x"}, True),
        ({"StringLike": {"s3:prefix": "home/?"}}, {"s3:prefix": "home/ab"}, False),
        ({"StringNotLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "etc/x"}, True),
        ({"StringEqualsIfExists": {"s3:x-amz-acl": "private"}}, {}, True),
        ({"StringEqualsIfExists": {"s3:x-amz-acl": "private"}}, {"s3:x-amz-acl": "public-read"}, False),
        ({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "10"}, True),
        ({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "10"}, False),
        ({"NumericGreaterThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "abc"}, False),
        ({"NumericNotEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "11"}, True),
        (
            {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
            {"aws:CurrentTime": "2026-11-30T10:00:00Z"},
            True,
        ),
        (
            {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
            {"aws:CurrentTime": "2026-11-30T10:00:00Z"},
            False,
        ),
        ({"DateLessThan": {"aws:EpochTime": "1700000000"}}, {"aws:EpochTime": "1600000000"}, True),
        ({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "true"}, True),
        ({"Bool": {"aws:SecureTransport": False}}, {"aws:SecureTransport": "true"}, False),
        ({"Bool": {"aws:SecureTransport": "false"}}, {}, False),
        ({"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}, {"aws:SourceIp": "127.0.0.1"}, True),
        ({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "::1/128"]}}, {"aws:SourceIp": "::1"}, True),
        ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "127.0.0.1"}, True),
        ({"NotIpAddress": {"aws:SourceIp": "127.0.0.0/8"}}, {"aws:SourceIp": "127.0.0.1"}, False),
        ({"Null": {"s3:x-amz-server-side-encryption": "true"}}, {}, True),
        ({"Null": {"s3:x-amz-server-side-encryption": "true"}}, {"s3:x-amz-server-side-encryption": "AES256"}, False),
        ({"Null": {"s3:x-amz-server-side-encryption": "false"}}, {"s3:x-amz-server-side-encryption": "AES256"}, True),
        (
            {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/a*"}},
            {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/alice"},
            True,
        ),
        (
            {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:root"}},
            {"aws:PrincipalArn": "arn:aws:iam::111122223333:root"},
            False,
        ),
        ({"BinaryEquals": {"aws:UserAgent": "aGk="}}, {"aws:UserAgent": "aGk="}, True),
        # set qualifiers over a multi-valued key
        (
            {"ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["a", "b"]}},
            {"s3:RequestObjectTagKeys": ["a"]},
            True,
        ),
        (
            {"ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["a", "b"]}},
            {"s3:RequestObjectTagKeys": ["a", "c"]},
            False,
        ),
        ({"ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["a"]}}, {}, True),  # vacuously true
        (
            {"ForAnyValue:StringEquals": {"s3:RequestObjectTagKeys": ["a"]}},
            {"s3:RequestObjectTagKeys": ["c", "a"]},
            True,
        ),
        ({"ForAnyValue:StringEquals": {"s3:RequestObjectTagKeys": ["a"]}}, {}, False),
        (
            {"ForAnyValue:StringNotEquals": {"s3:RequestObjectTagKeys": ["a"]}},
            {"s3:RequestObjectTagKeys": ["a", "b"]},
            True,
        ),
        (
            {"ForAllValues:StringNotEquals": {"s3:RequestObjectTagKeys": ["a"]}},
            {"s3:RequestObjectTagKeys": ["a", "b"]},
            False,
        ),
        # tag keys with a suffix
        ({"StringEquals": {"s3:ExistingObjectTag/class": "public"}}, {"s3:ExistingObjectTag/class": "public"}, True),
        # operators AND, keys AND
        ({"StringEquals": {"s3:prefix": "a", "s3:delimiter": "/"}}, {"s3:prefix": "a"}, False),
        (
            {"StringEquals": {"s3:prefix": "a"}, "Bool": {"aws:SecureTransport": "true"}},
            {"s3:prefix": "a", "aws:SecureTransport": "true"},
            True,
        ),
    ],
)
def test_condition(block: dict, context: dict, expected: bool) -> None:
    assert holds(block, context) is expected


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"StringEqualz": {"s3:prefix": "a"}}, "Invalid Condition type"),
        ({"ForSomeValues:StringEquals": {"s3:prefix": "a"}}, "Invalid Condition type"),
        ({"StringEquals": {"s3:nonsense": "a"}}, "invalid condition key"),
        ({"StringEquals": {"s3:ExistingObjectTag/": "a"}}, "invalid condition key"),
        ({"NumericEquals": {"s3:max-keys": "ten"}}, "not a number"),
        ({"DateEquals": {"aws:CurrentTime": "yesterday"}}, "not a date"),
        ({"IpAddress": {"aws:SourceIp": "300.1.1.1"}}, "not an IP"),
        ({"Bool": {"aws:SecureTransport": "yes"}}, "not true or false"),
        ({"NullIfExists": {"s3:prefix": "true"}}, "Invalid Condition type"),
        ({"StringEquals": {"s3:prefix": []}}, "values"),
        ({"StringEquals": {}}, "must map"),
        ("StringEquals", "must be an object"),
    ],
)
def test_malformed_conditions(block: object, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_conditions(block)


def test_ip_conditions_parse_each_network_and_address_once() -> None:
    """The engine runs on every request: a policy's networks and the callers' addresses are parsed
    once, and a malformed one still matches nothing."""
    from gateway.core.iam import conditions

    conditions._network.cache_clear()
    conditions._address.cache_clear()
    for _ in range(50):
        assert conditions._ip_match("127.0.0.1", "127.0.0.0/8")
        assert not conditions._ip_match("10.1.2.3", "127.0.0.0/8")
        assert conditions._ip_match("::1", "::1/128")
        assert not conditions._ip_match("not-an-ip", "127.0.0.0/8")
        assert not conditions._ip_match("127.0.0.1", "127.0.0.0/99")
    assert conditions._network.cache_info().misses == 3
    assert conditions._address.cache_info().misses == 4
