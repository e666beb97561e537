"""The Condition element: operators, set qualifiers, `...IfExists`, and the known context keys.

Context keys are case-insensitive (held lower-case); values are strings, possibly several per
key. AWS's rules, implemented as documented: operators AND together, keys within an operator
AND, values within a key OR (NOR for negated operators); a missing key makes a condition false
except for negated operators (true), `...IfExists` (true) and `Null`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from .wildcard import glob_match

Context = Mapping[str, Sequence[str]]


class PolicyError(ValueError):
    """The policy document is not valid; the message says what is wrong (MalformedPolicy)."""


GLOBAL_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:CurrentTime aws:EpochTime aws:SecureTransport aws:SourceIp aws:UserAgent aws:Referer aws:username "
        "aws:userid aws:PrincipalArn aws:PrincipalAccount aws:PrincipalType aws:RequestedRegion aws:TagKeys "
        "aws:SourceVpc aws:SourceVpce aws:SourceArn aws:SourceAccount aws:MultiFactorAuthPresent aws:ViaAWSService"
    ).split()
)
S3_KEYS = frozenset(
    k.lower()
    for k in (
        "s3:prefix s3:delimiter s3:max-keys s3:x-amz-acl s3:x-amz-content-sha256 s3:x-amz-copy-source "
        "s3:x-amz-grant-full-control s3:x-amz-grant-read s3:x-amz-grant-read-acp s3:x-amz-grant-write "
        "s3:x-amz-grant-write-acp s3:x-amz-metadata-directive s3:x-amz-server-side-encryption "
        "s3:x-amz-server-side-encryption-aws-kms-key-id s3:x-amz-storage-class s3:x-amz-website-redirect-location "
        "s3:VersionId s3:RequestObjectTagKeys s3:object-lock-mode s3:object-lock-retain-until-date "
        "s3:object-lock-remaining-retention-days s3:object-lock-legal-hold s3:signatureversion s3:authType "
        "s3:signatureAge s3:TlsVersion s3:LocationConstraint s3:ResourceAccount s3:if-match s3:if-none-match "
        "s3:x-amz-object-ownership s3:DataAccessPointAccount s3:DataAccessPointArn s3:AccessPointNetworkOrigin"
    ).split()
)
KEY_PREFIXES = ("s3:existingobjecttag/", "s3:requestobjecttag/", "aws:requesttag/", "aws:resourcetag/")


def key_known(key: str) -> bool:
    lower = key.lower()
    return (
        lower in GLOBAL_KEYS
        or lower in S3_KEYS
        or any(lower.startswith(p) and len(lower) > len(p) for p in KEY_PREFIXES)
    )


def _parse_date(value: str) -> datetime | None:
    text = value.strip()
    try:
        if text.lstrip("-").isdigit():
            return datetime.fromtimestamp(int(text), tz=UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _compare_numbers(test: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def match(actual: str, expected: str) -> bool:
        a, e = _number(actual), _number(expected)
        return a is not None and e is not None and test(a, e)

    return match


def _compare_dates(test: Callable[[datetime, datetime], bool]) -> Callable[[str, str], bool]:
    def match(actual: str, expected: str) -> bool:
        a, e = _parse_date(actual), _parse_date(expected)
        return a is not None and e is not None and test(a, e)

    return match


def _ip_match(actual: str, expected: str) -> bool:
    address, network = _address(actual), _network(expected)
    return address is not None and network is not None and address in network


# Parsed once: a policy's networks and the clients' addresses recur on every request, and parsing
# them was a fifth of the policy engine's time on a GET.
@functools.lru_cache(maxsize=4096)
def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


@functools.lru_cache(maxsize=1024)
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _binary_equals(actual: str, expected: str) -> bool:
    try:
        return base64.b64decode(actual, validate=True) == base64.b64decode(expected, validate=True)
    except (binascii.Error, ValueError):
        return False


def _arn_like(actual: str, expected: str) -> bool:
    # ARNs match per colon-separated part, each part a glob (so '*' does not span parts)
    a_parts, e_parts = actual.split(":", 5), expected.split(":", 5)
    return len(a_parts) == len(e_parts) and all(glob_match(e, a) for a, e in zip(a_parts, e_parts, strict=True))


# operator -> (positive matcher, negated?)
OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (lambda a, e: a == e, False),
    "StringNotEquals": (lambda a, e: a == e, True),
    "StringEqualsIgnoreCase": (lambda a, e: a.lower() == e.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda a, e: a.lower() == e.lower(), True),
    "StringLike": (lambda a, e: glob_match(e, a), False),
    "StringNotLike": (lambda a, e: glob_match(e, a), True),
    "NumericEquals": (_compare_numbers(lambda a, e: a == e), False),
    "NumericNotEquals": (_compare_numbers(lambda a, e: a == e), True),
    "NumericLessThan": (_compare_numbers(lambda a, e: a < e), False),
    "NumericLessThanEquals": (_compare_numbers(lambda a, e: a <= e), False),
    "NumericGreaterThan": (_compare_numbers(lambda a, e: a > e), False),
    "NumericGreaterThanEquals": (_compare_numbers(lambda a, e: a >= e), False),
    "DateEquals": (_compare_dates(lambda a, e: a == e), False),
    "DateNotEquals": (_compare_dates(lambda a, e: a == e), True),
    "DateLessThan": (_compare_dates(lambda a, e: a < e), False),
    "DateLessThanEquals": (_compare_dates(lambda a, e: a <= e), False),
    "DateGreaterThan": (_compare_dates(lambda a, e: a > e), False),
    "DateGreaterThanEquals": (_compare_dates(lambda a, e: a >= e), False),
    "Bool": (lambda a, e: a.lower() == e.lower(), False),
    "BinaryEquals": (_binary_equals, False),
    "IpAddress": (_ip_match, False),
    "NotIpAddress": (_ip_match, True),
    "ArnEquals": (lambda a, e: a == e, False),
    "ArnNotEquals": (lambda a, e: a == e, True),
    "ArnLike": (_arn_like, False),
    "ArnNotLike": (_arn_like, True),
}
QUALIFIERS = ("ForAnyValue", "ForAllValues")


@dataclass(frozen=True, slots=True)
class Condition:
    operator: str  # a key of OPERATORS, or "Null"
    key: str  # lower-case
    values: tuple[str, ...]
    qualifier: str = ""  # "", "ForAnyValue" or "ForAllValues"
    if_exists: bool = False

    def holds(self, context: Context, substitute: Callable[[str], str | None] = lambda v: v) -> bool:
        actual = context.get(self.key)
        present = actual is not None and len(actual) > 0
        if self.operator == "Null":
            return any((v.lower() == "true") != present for v in self.values)
        expected = [s for s in (substitute(v) for v in self.values) if s is not None]
        match, negated = OPERATORS[self.operator]
        if not present:
            if self.qualifier == "ForAllValues":
                return True
            if self.qualifier == "ForAnyValue":
                return False
            return self.if_exists or negated
        assert actual is not None

        def value_matches(value: str) -> bool:
            return any(match(value, e) for e in expected)

        if self.qualifier == "ForAllValues":
            return all(value_matches(v) != negated for v in actual)
        if self.qualifier == "ForAnyValue":
            return any(value_matches(v) != negated for v in actual)
        hit = any(value_matches(v) for v in actual)
        return not hit if negated else hit


def parse_conditions(block: object) -> tuple[Condition, ...]:
    """The Condition element -> conditions; PolicyError says what is wrong."""
    if not isinstance(block, dict):
        raise PolicyError("Condition must be an object of operators")
    conditions: list[Condition] = []
    for raw_operator, keys in block.items():
        qualifier, _, operator = raw_operator.rpartition(":")
        if qualifier and qualifier not in QUALIFIERS:
            raise PolicyError(f"Invalid Condition type : {raw_operator}")
        if_exists = operator.endswith("IfExists") and operator != "IfExists"
        base = operator[: -len("IfExists")] if if_exists else operator
        if base not in OPERATORS and base != "Null":
            raise PolicyError(f"Invalid Condition type : {raw_operator}")
        if base == "Null" and if_exists:
            raise PolicyError(f"Invalid Condition type : {raw_operator}")
        if not isinstance(keys, dict) or not keys:
            raise PolicyError(f"Condition {raw_operator} must map condition keys to values")
        for key, values in keys.items():
            if not isinstance(key, str) or not key_known(key):
                raise PolicyError(f"Policy has an invalid condition key: {key}")
            listed = values if isinstance(values, list) else [values]
            if not listed or not all(isinstance(v, str | int | float | bool) for v in listed):
                raise PolicyError(f"Condition {raw_operator} {key}: values must be strings, numbers or booleans")
            texts = tuple(_text(v) for v in listed)
            _check_values(base, key, texts)
            conditions.append(Condition(base, key.lower(), texts, qualifier, if_exists))
    return tuple(conditions)


def _text(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check_values(operator: str, key: str, values: tuple[str, ...]) -> None:
    """Values an operator can never compare are a malformed policy, not a silent non-match."""
    for value in values:
        if "${" in value:
            continue  # a policy variable, resolved per request
        if operator.startswith("Numeric") and _number(value) is None:
            raise PolicyError(f"Condition {operator} {key}: '{value}' is not a number")
        if operator.startswith("Date") and _parse_date(value) is None:
            raise PolicyError(f"Condition {operator} {key}: '{value}' is not a date")
        if operator in ("Bool", "Null") and value.lower() not in ("true", "false"):
            raise PolicyError(f"Condition {operator} {key}: '{value}' is not true or false")
        if operator in ("IpAddress", "NotIpAddress"):
            try:
                ipaddress.ip_network(value.strip(), strict=False)
            except ValueError:
                raise PolicyError(f"Condition {operator} {key}: '{value}' is not an IP address or CIDR") from None
