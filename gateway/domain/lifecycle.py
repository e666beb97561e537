"""Bucket lifecycle rules as plain values: what a rule selects, when its actions fall due.

A configuration is a list of `Rule`s (AWS's rule language, validated by
`gateway.core.lifecycle_config`) stored as JSON with the bucket. Every time here is in epoch
seconds, and every "day" is `day` seconds long (86400 unless the operator shortens it with
`lifecycle_day_seconds`, which lets tests run rules in seconds). As in S3, an action counted in
days falls due at the day boundary ("midnight UTC") after the start time plus that many days:
an object created 2014-01-15 10:30 UTC with `Days` 3 expires 2014-01-19 00:00 UTC.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

DAY = 86400.0
DEFAULT_MIN_SIZE = "all_storage_classes_128K"  # S3's default since 2024: smaller objects stay put
VARIES_MIN_SIZE = "varies_by_storage_class"
MIN_SIZE_SETTINGS = (DEFAULT_MIN_SIZE, VARIES_MIN_SIZE)
SMALL_OBJECT = 128 * 1024
# Classes that keep the 128 KiB minimum even under varies_by_storage_class (S3 user guide,
# "Transitioning objects": Standard-IA, One Zone-IA and Intelligent-Tiering never take them).
SMALL_OBJECT_CLASSES = ("STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING")
# The transition waterfall: lifecycle only ever moves an object to a class further down.
WATERFALL = (
    "STANDARD",
    "STANDARD_IA",
    "INTELLIGENT_TIERING",
    "ONEZONE_IA",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
)
TRANSITION_CLASSES = WATERFALL[1:]  # what a Transition may name (S3's TransitionStorageClass enum)


def due(start: float, days: int, day: float = DAY) -> float:
    """When an action of `days` days counted from `start` falls due: the next day boundary after
    `start`, plus `days` days (S3 rounds the result up to the next midnight UTC)."""
    return (math.floor(start / day) + days + 1) * day


def rank(storage_class: str) -> int:
    """Position in the waterfall; REDUCED_REDUNDANCY counts as STANDARD, classes lifecycle
    never moves (OUTPOSTS, SNOW, EXPRESS_ONEZONE, FSX_OPENZFS) as -1."""
    if storage_class == "REDUCED_REDUNDANCY":
        return 0
    return WATERFALL.index(storage_class) if storage_class in WATERFALL else -1


@dataclass(frozen=True, slots=True)
class Filter:
    """Which objects a rule selects; `shape` remembers how the client wrote it, to give it back:
    "legacy" (the rule's own Prefix), "empty", "prefix", "tag", "gt", "lt" or "and"."""

    shape: str = "empty"
    prefix: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    size_gt: int | None = None
    size_lt: int | None = None

    def matches(self, key: str, size: int, tags: dict[str, str] | None) -> bool:
        if not key.startswith(self.prefix):
            return False
        if self.size_gt is not None and size <= self.size_gt:
            return False
        if self.size_lt is not None and size >= self.size_lt:
            return False
        return all((tags or {}).get(k) == v for k, v in self.tags)

    @property
    def sized(self) -> bool:
        return self.size_gt is not None or self.size_lt is not None

    def describe(self) -> str:
        """The filter as S3's messages write it: `filter '(prefix=logs/ and tag: key=k, value=v)'`."""
        parts = [f"prefix={self.prefix}"] if self.shape in ("legacy", "prefix", "and") and self.prefix else []
        if self.size_gt is not None:
            parts.append(f"objectsizegreaterthan={self.size_gt}")
        if self.size_lt is not None:
            parts.append(f"objectsizelessthan={self.size_lt}")
        parts += [f"tag: key={k}, value={v}" for k, v in self.tags]
        return f"filter '({' and '.join(parts)})'"


@dataclass(frozen=True, slots=True)
class Transition:
    storage_class: str
    days: int | None = None
    date: float | None = None  # epoch seconds, a midnight UTC


@dataclass(frozen=True, slots=True)
class NoncurrentTransition:
    storage_class: str
    days: int
    newer: int | None = None  # NewerNoncurrentVersions: how many newer noncurrent versions it spares


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    enabled: bool
    filter: Filter = field(default_factory=Filter)
    expiration_days: int | None = None
    expiration_date: float | None = None
    expired_delete_marker: bool | None = None  # None: not written
    noncurrent_days: int | None = None
    newer_noncurrent: int | None = None
    abort_days: int | None = None
    transitions: tuple[Transition, ...] = ()
    noncurrent_transitions: tuple[NoncurrentTransition, ...] = ()

    @property
    def has_expiration(self) -> bool:
        return (
            self.expiration_days is not None
            or self.expiration_date is not None
            or self.expired_delete_marker is not None
        )

    def expires_at(self, modified: float, day: float) -> float | None:
        """When the current version last modified at `modified` expires by this rule (None: never)."""
        if self.expiration_days is not None:
            return due(modified, self.expiration_days, day)
        return self.expiration_date

    def transition_due(self, modified: float, day: float, now: float) -> str | None:
        """The coldest class this rule moves a current version to by `now` (None: none yet)."""
        target: str | None = None
        for step in self.transitions:
            when = due(modified, step.days, day) if step.days is not None else step.date
            if when is not None and when <= now and (target is None or rank(step.storage_class) > rank(target)):
                target = step.storage_class
        return target


@dataclass(frozen=True, slots=True)
class LifecycleConfig:
    rules: tuple[Rule, ...]
    min_size: str = DEFAULT_MIN_SIZE  # x-amz-transition-default-minimum-object-size

    @property
    def enabled(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.enabled)

    def to_json(self) -> str:
        return json.dumps({"rules": [asdict(r) for r in self.rules], "minSize": self.min_size})

    @staticmethod
    def from_json(text: str) -> LifecycleConfig:
        data = json.loads(text)
        return LifecycleConfig(tuple(_rule(r) for r in data["rules"]), data.get("minSize", DEFAULT_MIN_SIZE))

    def expiration(self, key: str, size: int, tags: dict[str, str] | None, modified: float, day: float) -> Expiry:
        """The earliest expiry of a current version by any enabled rule (S3's x-amz-expiration)."""
        best = Expiry(None, "")
        for rule in self.enabled:
            when = rule.expires_at(modified, day)
            if when is None or not rule.filter.matches(key, size, tags):
                continue
            if best.when is None or when < best.when:
                best = Expiry(when, rule.id)
        return best

    def transition_allowed(self, rule: Rule, size: int, target: str) -> bool:
        """S3's minimum size for transitions: below 128 KiB an object stays where it is, unless
        the rule filters by size itself or the bucket opted for varies_by_storage_class."""
        if size >= SMALL_OBJECT or rule.filter.sized:
            return True
        return self.min_size == VARIES_MIN_SIZE and target not in SMALL_OBJECT_CLASSES

    def uses_tags(self) -> bool:
        return any(r.filter.tags for r in self.enabled)


@dataclass(frozen=True, slots=True)
class Expiry:
    when: float | None
    rule_id: str


def _rule(data: dict[str, Any]) -> Rule:
    flt = data["filter"]
    return Rule(
        id=data["id"],
        enabled=data["enabled"],
        filter=Filter(
            shape=flt["shape"],
            prefix=flt["prefix"],
            tags=tuple((k, v) for k, v in flt["tags"]),
            size_gt=flt["size_gt"],
            size_lt=flt["size_lt"],
        ),
        expiration_days=data["expiration_days"],
        expiration_date=data["expiration_date"],
        expired_delete_marker=data["expired_delete_marker"],
        noncurrent_days=data["noncurrent_days"],
        newer_noncurrent=data["newer_noncurrent"],
        abort_days=data["abort_days"],
        transitions=tuple(Transition(**t) for t in data["transitions"]),
        noncurrent_transitions=tuple(NoncurrentTransition(**t) for t in data["noncurrent_transitions"]),
    )
