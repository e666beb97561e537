"""Object Lock documents: ObjectLockConfiguration, Retention and LegalHold (parsed and rendered).

Parsing only checks the shape; the values (modes, periods, dates) are the core's to judge
(gateway.core.object_lock), so every front end refuses the same things the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from gateway.domain.object_lock import LockConfig

from .xml import MalformedXML, child_text, children, document, iso8601, local, parse, serialize


@dataclass(frozen=True, slots=True)
class LockConfigurationDocument:
    enabled: str | None
    mode: str | None
    days: int | None
    years: int | None
    has_rule: bool


def _integer(text: str | None, name: str) -> int | None:
    """A decimal integer as XML Schema writes one (int() would also take '1_0' and '²')."""
    if text is None:
        return None
    value = text.strip()
    digits = value[1:] if value.startswith("-") else value
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 12):
        raise MalformedXML(f"{name} must be an integer")
    return int(value)


def _root(body: bytes, name: str) -> etree._Element:
    root = parse(body)
    if local(root.tag) != name:
        raise MalformedXML(f"expected {name}")
    return root


def parse_lock_configuration(body: bytes) -> LockConfigurationDocument:
    root = _root(body, "ObjectLockConfiguration")
    rules = children(root, "Rule")
    if len(rules) > 1:
        raise MalformedXML("at most one Rule")
    mode = days = years = None
    if rules:
        retentions = children(rules[0], "DefaultRetention")
        if len(retentions) != 1:
            raise MalformedXML("a Rule holds one DefaultRetention")
        mode = child_text(retentions[0], "Mode")
        days = _integer(child_text(retentions[0], "Days"), "Days")
        years = _integer(child_text(retentions[0], "Years"), "Years")
    return LockConfigurationDocument(child_text(root, "ObjectLockEnabled"), mode, days, years, bool(rules))


def lock_configuration(config: LockConfig) -> bytes:
    fields: list[tuple[str, object]] = [("ObjectLockEnabled", "Enabled")]
    rule = config.default
    if rule is not None:
        period = ("Days", rule.days) if rule.days is not None else ("Years", rule.years)
        fields.append(("Rule", [("DefaultRetention", [("Mode", rule.mode), period])]))
    return serialize(document("ObjectLockConfiguration", fields))


def parse_retention(body: bytes) -> tuple[str | None, str | None]:
    """(Mode, RetainUntilDate) as written; both None asks to remove the retention."""
    root = _root(body, "Retention")
    return child_text(root, "Mode"), child_text(root, "RetainUntilDate")


def retention(mode: str, retain_until: float) -> bytes:
    return serialize(document("Retention", [("Mode", mode), ("RetainUntilDate", iso8601(retain_until))]))


def parse_legal_hold(body: bytes) -> str | None:
    return child_text(_root(body, "LegalHold"), "Status")


def legal_hold(on: bool) -> bytes:
    return serialize(document("LegalHold", [("Status", "ON" if on else "OFF")]))
