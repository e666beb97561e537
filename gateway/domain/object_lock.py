"""S3 Object Lock as plain values: a version's lock, a bucket's default retention, the predicate.

A version is *locked* while it has an unexpired retention (GOVERNANCE or COMPLIANCE) or a
legal hold; a locked version cannot be deleted permanently (a delete without a version id only
adds a delete marker over it). Every layer uses these types: the store keeps them as JSON with
the version (they follow it into history like its tags), and the core's predicate
`gateway.core.object_lock.is_locked(version, now)` says which versions a delete (or a future
lifecycle expiration) must spare.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

GOVERNANCE, COMPLIANCE = "GOVERNANCE", "COMPLIANCE"
MODES = (GOVERNANCE, COMPLIANCE)
DAY = 24 * 3600
YEAR_DAYS = 365  # a default retention of N years is N * 365 days
MAX_DAYS = 36500
MAX_YEARS = 100


@dataclass(frozen=True, slots=True)
class LockState:
    """A version's retention (mode "" = none) and legal hold (None: never set; S3 tells OFF apart)."""

    mode: str = ""
    retain_until: float = 0.0  # epoch seconds
    legal_hold: bool | None = None

    def retained(self, now: float) -> bool:
        return bool(self.mode) and self.retain_until > now

    def locked(self, now: float) -> bool:
        return self.legal_hold is True or self.retained(now)

    @property
    def empty(self) -> bool:
        return not self.mode and self.legal_hold is None

    def to_json(self) -> str:
        return json.dumps({"mode": self.mode, "until": self.retain_until, "hold": self.legal_hold})

    @staticmethod
    def from_json(text: str | None) -> LockState | None:
        if not text:
            return None
        data = json.loads(text)
        hold = data["hold"]
        return LockState(
            mode=data["mode"], retain_until=float(data["until"]), legal_hold=None if hold is None else bool(hold)
        )


def lock_active(lock: LockState | None, now: float) -> bool:
    """Whether a version with this lock may not be deleted or expired at `now`."""
    return lock is not None and lock.locked(now)


@dataclass(frozen=True, slots=True)
class DefaultRetention:
    """A bucket's default retention rule: a mode and exactly one of days or years."""

    mode: str
    days: int | None = None
    years: int | None = None

    def until(self, now: float) -> float:
        days = self.days if self.days is not None else (self.years or 0) * YEAR_DAYS
        return now + days * DAY


@dataclass(frozen=True, slots=True)
class LockConfig:
    """A bucket's Object Lock configuration (only buckets with lock enabled have one)."""

    default: DefaultRetention | None = None

    def to_json(self) -> str:
        rule = self.default
        return json.dumps({} if rule is None else {"mode": rule.mode, "days": rule.days, "years": rule.years})

    @staticmethod
    def from_json(text: str) -> LockConfig:
        data = json.loads(text)
        if not data:
            return LockConfig()
        return LockConfig(DefaultRetention(data["mode"], data.get("days"), data.get("years")))


def parse_iso8601(text: str) -> float | None:
    """An ISO 8601 timestamp (Z, an offset, or none: UTC); None when it is not one."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
