"""Bucket lifecycle configuration documents (`<LifecycleConfiguration><Rule>...</Rule>...`).

The parser checks shape only (known elements, each single element at most once) and returns
the text as written; `gateway.core.lifecycle_config` applies S3's rules and messages. The
renderer writes any records with the attributes of `gateway.domain.lifecycle.Rule`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from lxml import etree

from .xml import Field, MalformedXML, document, local, parse, serialize

_RULE_CHILDREN = {
    "ID",
    "Status",
    "Prefix",
    "Filter",
    "Expiration",
    "NoncurrentVersionExpiration",
    "AbortIncompleteMultipartUpload",
    "Transition",
    "NoncurrentVersionTransition",
}
_REPEATED = {"Transition", "NoncurrentVersionTransition"}


@dataclass(slots=True)
class RawFilter:
    """A Filter as written: which predicates it names at its top (`named`), and their text."""

    named: list[str] = field(default_factory=list)
    prefix: str | None = None
    tags: list[tuple[str | None, str | None]] = field(default_factory=list)
    size_gt: str | None = None
    size_lt: str | None = None
    in_and: bool = False


@dataclass(slots=True)
class RawRule:
    """One Rule's text; an action present is a dict of its children's text (absent children missing)."""

    id: str | None = None
    status: str | None = None
    prefix: str | None = None  # the legacy rule-level Prefix
    filter: RawFilter | None = None
    expiration: dict[str, str] | None = None
    noncurrent_expiration: dict[str, str] | None = None
    abort: dict[str, str] | None = None
    transitions: list[dict[str, str]] = field(default_factory=list)
    noncurrent_transitions: list[dict[str, str]] = field(default_factory=list)


def _text(element: etree._Element) -> str:
    return (element.text or "").strip()


def _action(element: etree._Element, allowed: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for child in element:
        name = local(child.tag)
        if not name:
            continue  # a comment or processing instruction
        if name not in allowed or name in found:
            raise MalformedXML(f"unexpected {name} in {local(element.tag)}")
        found[name] = _text(child)
    return found


def _tag(element: etree._Element) -> tuple[str | None, str | None]:
    pair = _action(element, {"Key", "Value"})
    return pair.get("Key"), pair.get("Value")


def _filter(element: etree._Element) -> RawFilter:
    raw = RawFilter()
    for child in element:
        name = local(child.tag)
        if not name:
            continue
        if name not in ("Prefix", "Tag", "And", "ObjectSizeGreaterThan", "ObjectSizeLessThan") or name in raw.named:
            raise MalformedXML(f"unexpected {name} in Filter")
        raw.named.append(name)
        if name == "And":
            raw.in_and = True
            _and(child, raw)
        elif name == "Tag":
            raw.tags.append(_tag(child))
        else:
            _set_simple(raw, name, child)
    return raw


def _and(element: etree._Element, raw: RawFilter) -> None:
    seen: set[str] = set()
    for child in element:
        name = local(child.tag)
        if not name:
            continue
        if name == "Tag":
            raw.tags.append(_tag(child))
            continue
        if name not in ("Prefix", "ObjectSizeGreaterThan", "ObjectSizeLessThan") or name in seen:
            raise MalformedXML(f"unexpected {name} in And")
        seen.add(name)
        _set_simple(raw, name, child)


def _set_simple(raw: RawFilter, name: str, element: etree._Element) -> None:
    if name == "Prefix":
        raw.prefix = _prefix_text(element)
    elif name == "ObjectSizeGreaterThan":
        raw.size_gt = _text(element)
    else:
        raw.size_lt = _text(element)


def _prefix_text(element: etree._Element) -> str:
    """A prefix keeps its spaces (keys may start or end with them)."""
    return element.text or ""


def parse_lifecycle(body: bytes) -> list[RawRule]:
    root = parse(body)
    if local(root.tag) not in ("LifecycleConfiguration", "BucketLifecycleConfiguration"):
        raise MalformedXML("expected LifecycleConfiguration")
    rules: list[RawRule] = []
    for element in root:
        name = local(element.tag)
        if not name:
            continue
        if name != "Rule":
            raise MalformedXML(f"unexpected {name} in LifecycleConfiguration")
        rules.append(_rule(element))
    return rules


def _rule(element: etree._Element) -> RawRule:
    rule = RawRule()
    seen: set[str] = set()
    for child in element:
        name = local(child.tag)
        if not name:
            continue
        if name not in _RULE_CHILDREN or (name in seen and name not in _REPEATED):
            raise MalformedXML(f"unexpected {name} in Rule")
        seen.add(name)
        if name == "ID":
            rule.id = child.text or ""
        elif name == "Status":
            rule.status = _text(child)
        elif name == "Prefix":
            rule.prefix = _prefix_text(child)
        elif name == "Filter":
            rule.filter = _filter(child)
        elif name == "Expiration":
            rule.expiration = _action(child, {"Days", "Date", "ExpiredObjectDeleteMarker"})
        elif name == "NoncurrentVersionExpiration":
            rule.noncurrent_expiration = _action(child, {"NoncurrentDays", "NewerNoncurrentVersions"})
        elif name == "AbortIncompleteMultipartUpload":
            rule.abort = _action(child, {"DaysAfterInitiation"})
        elif name == "Transition":
            rule.transitions.append(_action(child, {"Days", "Date", "StorageClass"}))
        else:
            rule.noncurrent_transitions.append(
                _action(child, {"NoncurrentDays", "NewerNoncurrentVersions", "StorageClass"})
            )
    return rule


# ---------------------------------------------------------------- rendering


class FilterRecord(Protocol):
    @property
    def shape(self) -> str: ...
    @property
    def prefix(self) -> str: ...
    @property
    def tags(self) -> Sequence[tuple[str, str]]: ...
    @property
    def size_gt(self) -> int | None: ...
    @property
    def size_lt(self) -> int | None: ...


class TransitionRecord(Protocol):
    @property
    def storage_class(self) -> str: ...
    @property
    def days(self) -> int | None: ...
    @property
    def date(self) -> float | None: ...


class NoncurrentTransitionRecord(Protocol):
    @property
    def storage_class(self) -> str: ...
    @property
    def days(self) -> int: ...
    @property
    def newer(self) -> int | None: ...


class RuleRecord(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def enabled(self) -> bool: ...
    @property
    def filter(self) -> FilterRecord: ...
    @property
    def expiration_days(self) -> int | None: ...
    @property
    def expiration_date(self) -> float | None: ...
    @property
    def expired_delete_marker(self) -> bool | None: ...
    @property
    def noncurrent_days(self) -> int | None: ...
    @property
    def newer_noncurrent(self) -> int | None: ...
    @property
    def abort_days(self) -> int | None: ...
    @property
    def transitions(self) -> Sequence[TransitionRecord]: ...
    @property
    def noncurrent_transitions(self) -> Sequence[NoncurrentTransitionRecord]: ...


def _date(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _tags(tags: Sequence[tuple[str, str]]) -> list[Field]:
    return [("Tag", [("Key", k), ("Value", v)]) for k, v in tags]


def _filter_fields(flt: FilterRecord) -> list[Field]:
    sizes: list[Field] = [("ObjectSizeGreaterThan", flt.size_gt), ("ObjectSizeLessThan", flt.size_lt)]
    if flt.shape == "and":
        return [("And", [("Prefix", flt.prefix or None), *_tags(flt.tags), *sizes])]
    if flt.shape == "prefix":
        return [("Prefix", flt.prefix)]
    if flt.shape == "tag":
        return _tags(flt.tags)
    return sizes  # "gt", "lt" or "empty"


def _rule_fields(rule: RuleRecord) -> list[Field]:
    fields: list[Field] = [("ID", rule.id)]
    if rule.filter.shape == "legacy":
        fields.append(("Prefix", rule.filter.prefix))
    else:
        fields.append(("Filter", _filter_fields(rule.filter)))
    fields.append(("Status", "Enabled" if rule.enabled else "Disabled"))
    for step in rule.transitions:
        fields.append(
            ("Transition", [("Date", _date(step.date)), ("Days", step.days), ("StorageClass", step.storage_class)])
        )
    expiration: list[Field] = [
        ("Date", _date(rule.expiration_date)),
        ("Days", rule.expiration_days),
        ("ExpiredObjectDeleteMarker", rule.expired_delete_marker),
    ]
    if any(value is not None for _, value in expiration):
        fields.append(("Expiration", expiration))
    for nc in rule.noncurrent_transitions:
        fields.append(
            (
                "NoncurrentVersionTransition",
                [
                    ("NoncurrentDays", nc.days),
                    ("StorageClass", nc.storage_class),
                    ("NewerNoncurrentVersions", nc.newer),
                ],
            )
        )
    if rule.noncurrent_days is not None:
        fields.append(
            (
                "NoncurrentVersionExpiration",
                [("NoncurrentDays", rule.noncurrent_days), ("NewerNoncurrentVersions", rule.newer_noncurrent)],
            )
        )
    if rule.abort_days is not None:
        fields.append(("AbortIncompleteMultipartUpload", [("DaysAfterInitiation", rule.abort_days)]))
    return fields


def lifecycle_configuration(rules: Sequence[RuleRecord]) -> bytes:
    return serialize(document("LifecycleConfiguration", [("Rule", _rule_fields(r)) for r in rules]))
