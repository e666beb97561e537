"""Bucket notification documents (`<NotificationConfiguration>` with Topic, Queue and
CloudFunction configurations, each with events and an S3Key filter of prefix/suffix rules).

The parser only checks shape and returns plain values; gateway.domain.notifications applies
S3's rules (known events, one prefix and one suffix rule, known destinations, no overlap).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypedDict

from .xml import Field, MalformedXML, child_text, children, document, local, parse, serialize

KINDS = ("Topic", "Queue", "CloudFunction")


class ParsedConfiguration(TypedDict):
    kind: str  # Topic | Queue | CloudFunction
    id: str | None
    arn: str
    events: list[str]
    rules: list[tuple[str, str]]  # filter rules (name, value) in document order


class ConfigurationRecord(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def arn(self) -> str: ...
    @property
    def events(self) -> list[str]: ...
    @property
    def prefix(self) -> str: ...
    @property
    def suffix(self) -> str: ...


def parse_notification(body: bytes) -> list[ParsedConfiguration]:
    root = parse(body)
    if local(root.tag) != "NotificationConfiguration":
        raise MalformedXML("expected NotificationConfiguration")
    parsed: list[ParsedConfiguration] = []
    for element in root:
        name = local(element.tag)
        if not isinstance(name, str) or not name:
            continue  # a comment or processing instruction
        kind = name.removesuffix("Configuration")
        if name == "EventBridgeConfiguration":
            raise MalformedXML("EventBridgeConfiguration is not supported by this gateway")
        if kind not in KINDS or not name.endswith("Configuration"):
            raise MalformedXML(f"unexpected element {name}")
        for single in ("Id", kind, "Filter"):
            if len(children(element, single)) > 1:
                raise MalformedXML(f"{name} has more than one {single}")
        rules: list[tuple[str, str]] = []
        for filter_element in children(element, "Filter"):
            for s3key in children(filter_element, "S3Key"):
                for rule in children(s3key, "FilterRule"):
                    rules.append((child_text(rule, "Name") or "", child_text(rule, "Value") or ""))
        parsed.append(
            {
                "kind": kind,
                "id": child_text(element, "Id"),
                "arn": (child_text(element, kind) or "").strip(),
                "events": [(e.text or "").strip() for e in children(element, "Event")],
                "rules": rules,
            }
        )
    return parsed


def notification_configuration(configurations: Iterable[ConfigurationRecord]) -> bytes:
    """Render configurations in S3's element order: Topic, then Queue, then CloudFunction."""
    items = list(configurations)
    entries: list[Field] = []
    for kind in KINDS:
        for c in (c for c in items if c.kind == kind):
            fields: list[Field] = [("Id", c.id), (kind, c.arn)]
            fields += [("Event", e) for e in c.events]
            rules: list[Field] = []
            if c.prefix:
                rules.append(("FilterRule", [("Name", "Prefix"), ("Value", c.prefix)]))
            if c.suffix:
                rules.append(("FilterRule", [("Name", "Suffix"), ("Value", c.suffix)]))
            if rules:
                fields.append(("Filter", [("S3Key", rules)]))
            entries.append((f"{kind}Configuration", fields))
    return serialize(document("NotificationConfiguration", entries))
