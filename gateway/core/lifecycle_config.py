"""Validating a lifecycle configuration as S3 does: AWS's rule language, codes and messages.

Shape errors (an unknown element, a value that is not a number or a date, an action with none
of its required parts) are `400 MalformedXML`, as S3's schema check answers; rule errors that
S3 words itself are `400 InvalidArgument` or `400 InvalidRequest` with S3's message (the
PutBucketLifecycleConfiguration reference, "Lifecycle configuration elements" in the user
guide, and what S3 answers, as recorded by S3-compatible test suites).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.lifecycle import (
    DEFAULT_MIN_SIZE,
    MIN_SIZE_SETTINGS,
    TRANSITION_CLASSES,
    Filter,
    LifecycleConfig,
    NoncurrentTransition,
    Rule,
    Transition,
    rank,
)
from s3xml.lifecycle import RawFilter, RawRule

MAX_RULES = 1000
MAX_ID_CHARS = 255
MAX_NEWER_VERSIONS = 100  # NewerNoncurrentVersions: S3 retains at most 100
INFREQUENT_ACCESS = ("STANDARD_IA", "ONEZONE_IA")  # S3: at least 30 days in STANDARD first
INFREQUENT_MIN_DAYS = 30
MAX_OBJECT_SIZE = 50 * 1024**4  # 50 TB, S3's largest object
INTEGER = re.compile(r"-?[0-9]{1,20}")


def _malformed(message: str = "") -> JunctionError:
    return JunctionError(ErrorCode.MalformedXML, message)


def _invalid(message: str, argument: str) -> JunctionError:
    return JunctionError(ErrorCode.InvalidArgument, message, argument=argument)


def _request(message: str) -> JunctionError:
    return JunctionError(ErrorCode.InvalidRequest, message)


def _integer(text: str | None, name: str) -> int | None:
    if text is None:
        return None
    if not INTEGER.fullmatch(text):  # int() would also take "1_0", "+5" and other scripts' digits
        raise _malformed(f"{name} must be an integer")
    return int(text)


def _positive(text: str | None, name: str, action: str) -> int | None:
    value = _integer(text, name)
    if value is not None and value <= 0:
        raise _invalid(f"'{name}' for {action} action must be a positive integer", name)
    return value


def _date(text: str | None) -> float | None:
    """An ISO 8601 timestamp that must be a midnight UTC."""
    if text is None:
        return None
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _malformed("Date must be provided in ISO 8601 format") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if parsed.utcoffset() or (parsed.hour, parsed.minute, parsed.second, parsed.microsecond) != (0, 0, 0, 0):
        raise _invalid("'Date' must be at midnight GMT", "Date")
    return parsed.timestamp()


def _size(text: str | None, name: str) -> int | None:
    value = _integer(text, name)
    if value is not None and not 0 <= value <= MAX_OBJECT_SIZE:
        raise _request(f"'{name}' should be between 0 and {MAX_OBJECT_SIZE}.")
    return value


def _tags(raw: RawFilter) -> tuple[tuple[str, str], ...]:
    tags: list[tuple[str, str]] = []
    for key, value in raw.tags:
        if key is None or value is None:
            raise _malformed("a Tag needs a Key and a Value")
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise JunctionError(ErrorCode.InvalidTag, "The TagKey you have provided is invalid")
        if any(key == k for k, _ in tags):
            raise _request("Duplicate Tag Keys are not allowed.")
        tags.append((key, value))
    return tuple(tags)


def _filter(rule: RawRule) -> Filter:
    if rule.prefix is not None and rule.filter is not None:
        raise _malformed("a Rule has either a Prefix or a Filter, not both")
    if rule.filter is None:
        if rule.prefix is None:
            raise _malformed("a Rule needs a Filter (or the older Prefix)")
        return Filter(shape="legacy", prefix=rule.prefix)
    raw = rule.filter
    if len(raw.named) > 1:
        raise _malformed(
            "Filter must have exactly one of Prefix, Tag, ObjectSizeGreaterThan, ObjectSizeLessThan or And"
        )
    size_gt, size_lt = _size(raw.size_gt, "ObjectSizeGreaterThan"), _size(raw.size_lt, "ObjectSizeLessThan")
    if size_gt is not None and size_lt is not None and size_lt <= size_gt:
        raise _request("'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'.")
    shapes = {"Prefix": "prefix", "Tag": "tag", "And": "and", "ObjectSizeGreaterThan": "gt", "ObjectSizeLessThan": "lt"}
    shape = shapes[raw.named[0]] if raw.named else "empty"
    return Filter(shape=shape, prefix=raw.prefix or "", tags=_tags(raw), size_gt=size_gt, size_lt=size_lt)


def _expiration(rule: RawRule) -> tuple[int | None, float | None, bool | None]:
    raw = rule.expiration
    if raw is None:
        return None, None, None
    marker_text = raw.get("ExpiredObjectDeleteMarker")
    if sum(name in raw for name in ("Days", "Date", "ExpiredObjectDeleteMarker")) != 1:
        raise _malformed("Expiration takes exactly one of Days, Date or ExpiredObjectDeleteMarker")
    marker = None
    if marker_text is not None:
        if marker_text not in ("true", "false"):
            raise _malformed("ExpiredObjectDeleteMarker must be true or false")
        marker = marker_text == "true"
    return _positive(raw.get("Days"), "Days", "Expiration"), _date(raw.get("Date")), marker


def _transition(raw: dict[str, str]) -> Transition:
    storage_class = raw.get("StorageClass")
    if storage_class is None or ("Days" in raw) == ("Date" in raw):
        raise _malformed("Transition takes a StorageClass and exactly one of Days or Date")
    _transition_class(storage_class)
    days = _integer(raw.get("Days"), "Days")
    if days is not None and days < 0:
        raise _invalid("'Days' in Transition action must be nonnegative", "Days")
    if days is not None and storage_class in INFREQUENT_ACCESS and days < INFREQUENT_MIN_DAYS:
        raise _invalid(
            f"'Days' in Transition action must be greater than or equal to {INFREQUENT_MIN_DAYS} "
            f"for storageClass '{storage_class}'",
            "Days",
        )
    return Transition(storage_class=storage_class, days=days, date=_date(raw.get("Date")))


def _transition_class(storage_class: str) -> None:
    if storage_class not in TRANSITION_CLASSES:  # STANDARD included: lifecycle only moves down
        raise _malformed(f"'StorageClass' must be one of {', '.join(TRANSITION_CLASSES)}, not {storage_class!r}")


def _noncurrent_transition(raw: dict[str, str]) -> NoncurrentTransition:
    storage_class = raw.get("StorageClass")
    if storage_class is None or "NoncurrentDays" not in raw:
        raise _malformed("NoncurrentVersionTransition takes NoncurrentDays and a StorageClass")
    _transition_class(storage_class)
    days = _integer(raw["NoncurrentDays"], "NoncurrentDays")
    assert days is not None
    if days < 0:
        raise _invalid("'NoncurrentDays' in NoncurrentVersionTransition action must be nonnegative", "NoncurrentDays")
    if storage_class in INFREQUENT_ACCESS and days < INFREQUENT_MIN_DAYS:
        raise _invalid(
            f"'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to "
            f"{INFREQUENT_MIN_DAYS} for storageClass '{storage_class}'",
            "NoncurrentDays",
        )
    newer = _newer(raw.get("NewerNoncurrentVersions"), "NoncurrentVersionTransition")
    return NoncurrentTransition(storage_class=storage_class, days=days, newer=newer)


def _newer(text: str | None, action: str) -> int | None:
    newer = _positive(text, "NewerNoncurrentVersions", action)
    if newer is not None and newer > MAX_NEWER_VERSIONS:
        raise _invalid(
            f"'NewerNoncurrentVersions' for {action} action must be at most {MAX_NEWER_VERSIONS}",
            "NewerNoncurrentVersions",
        )
    return newer


def _when(step: Transition | NoncurrentTransition) -> float:
    """A transition's time for ordering: its date, or its day count."""
    if isinstance(step, Transition) and step.date is not None:
        return step.date
    return float(step.days or 0)


def _check_transitions(steps: Sequence[Transition | NoncurrentTransition], action: str, flt: Filter) -> None:
    """Classes differ, and a later transition goes further down the waterfall than an earlier one."""
    classes = [s.storage_class for s in steps]
    if len(set(classes)) != len(classes):
        raise _request(f"'StorageClass' must be different for '{action}' actions in same 'Rule' with {flt.describe()}")
    timed = sorted(steps, key=_when)
    unit = "Date" if any(isinstance(s, Transition) and s.date is not None for s in steps) else "Days"
    for earlier, later in zip(timed, timed[1:], strict=False):
        if _when(later) == _when(earlier) or rank(later.storage_class) <= rank(earlier.storage_class):
            raise _invalid(
                f"'{unit}' in the '{action}' action for StorageClass '{later.storage_class}' for {flt.describe()} "
                f"must be greater than '{unit}' in the '{action}' action for StorageClass "
                f"'{earlier.storage_class}' for {flt.describe()}",
                unit,
            )


def _rule(raw: RawRule) -> Rule:
    rule_id = raw.id if raw.id else uuid.uuid4().hex  # S3 makes an ID up when the rule has none
    if len(rule_id) > MAX_ID_CHARS:
        raise _invalid(f"ID length should not exceed allowed limit of {MAX_ID_CHARS}", "ID")
    if raw.status not in ("Enabled", "Disabled"):
        raise _malformed("Status must be Enabled or Disabled")
    flt = _filter(raw)
    days, date, marker = _expiration(raw)
    noncurrent_days = newer = None
    if raw.noncurrent_expiration is not None:
        if "NoncurrentDays" not in raw.noncurrent_expiration:
            raise _malformed("NoncurrentVersionExpiration needs NoncurrentDays")
        noncurrent_days = _positive(
            raw.noncurrent_expiration["NoncurrentDays"], "NoncurrentDays", "NoncurrentVersionExpiration"
        )
        newer = _newer(raw.noncurrent_expiration.get("NewerNoncurrentVersions"), "NoncurrentVersionExpiration")
    abort_days = None
    if raw.abort is not None:
        if "DaysAfterInitiation" not in raw.abort:
            raise _malformed("AbortIncompleteMultipartUpload needs DaysAfterInitiation")
        abort_days = _positive(
            raw.abort["DaysAfterInitiation"], "DaysAfterInitiation", "AbortIncompleteMultipartUpload"
        )
    transitions = [_transition(t) for t in raw.transitions]
    noncurrent_transitions = [_noncurrent_transition(t) for t in raw.noncurrent_transitions]
    rule = Rule(
        id=rule_id,
        enabled=raw.status == "Enabled",
        filter=flt,
        expiration_days=days,
        expiration_date=date,
        expired_delete_marker=marker,
        noncurrent_days=noncurrent_days,
        newer_noncurrent=newer,
        abort_days=abort_days,
        transitions=tuple(transitions),
        noncurrent_transitions=tuple(noncurrent_transitions),
    )
    _check_rule(rule)
    return rule


def _check_rule(rule: Rule) -> None:
    flt = rule.filter
    if not (
        rule.has_expiration
        or rule.noncurrent_days is not None
        or rule.abort_days is not None
        or rule.transitions
        or rule.noncurrent_transitions
    ):
        raise _request("At least one action needs to be specified in a Rule")
    limited = "Tags" if flt.tags else "Object Size" if flt.sized else None
    if limited and rule.expired_delete_marker is not None:
        raise _request(f"ExpiredObjectDeleteMarker cannot be specified with {limited}.")
    if limited and rule.abort_days is not None:
        raise _request(f"AbortIncompleteMultipartUpload cannot be specified with {limited}.")
    _check_transitions(list(rule.transitions), "Transition", flt)
    _check_transitions(list(rule.noncurrent_transitions), "NoncurrentVersionTransition", flt)
    dated = {"Date" for t in rule.transitions if t.date is not None} | (
        {"Date"} if rule.expiration_date is not None else set()
    )
    counted = {"Days" for t in rule.transitions if t.days is not None} | (
        {"Days"} if rule.expiration_days is not None else set()
    )
    if dated and counted:
        raise _request(
            f"Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle rule for "
            f"{flt.describe()}"
        )
    if rule.expiration_days is not None and any(
        t.days is not None and t.days >= rule.expiration_days for t in rule.transitions
    ):
        raise _invalid(
            f"'Days' in the Expiration action for {flt.describe()} must be greater than 'Days' in the "
            "Transition action",
            "Days",
        )
    if rule.expiration_date is not None and any(
        t.date is not None and t.date >= rule.expiration_date for t in rule.transitions
    ):
        raise _invalid(
            f"'Date' in the Expiration action for {flt.describe()} must be later than 'Date' in the Transition action",
            "Date",
        )
    if rule.noncurrent_days is not None and any(t.days >= rule.noncurrent_days for t in rule.noncurrent_transitions):
        raise _invalid(
            f"'NoncurrentDays' in the NoncurrentVersionExpiration action for {flt.describe()} must be greater than "
            "'NoncurrentDays' in the NoncurrentVersionTransition action",
            "NoncurrentDays",
        )


def build_config(raw_rules: list[RawRule], min_size: str | None = None) -> LifecycleConfig:
    """A validated configuration from a parsed document (s3xml.lifecycle.parse_lifecycle) and the
    `x-amz-transition-default-minimum-object-size` header."""
    if min_size is not None and min_size not in MIN_SIZE_SETTINGS:
        raise _invalid(
            "x-amz-transition-default-minimum-object-size must be one of " + ", ".join(MIN_SIZE_SETTINGS),
            "x-amz-transition-default-minimum-object-size",
        )
    if not raw_rules:
        raise _malformed("a lifecycle configuration needs at least one Rule")
    if len(raw_rules) > MAX_RULES:
        raise _invalid(f"Lifecycle configuration allows a maximum of {MAX_RULES} rules", "Rule")
    legacy = {raw.prefix is not None for raw in raw_rules}
    if len(legacy) > 1:
        raise _request("Base level prefix cannot be used in Lifecycle V2, prefixes are only supported in the Filter.")
    rules = [_rule(raw) for raw in raw_rules]
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        raise _invalid("Rule ID must be unique. Found same ID for more than one rule", "ID")
    return LifecycleConfig(tuple(rules), min_size or DEFAULT_MIN_SIZE)
