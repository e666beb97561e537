"""CORS configuration documents (`<CORSConfiguration><CORSRule>...</CORSRule></CORSConfiguration>`).

The parser only checks shape and returns plain values; `gateway.core.cors.build_rules`
applies S3's rules (methods, wildcards, limits).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict

from lxml import etree

from .records import CORSRuleRecord
from .xml import Field, MalformedXML, child_text, children, document, local, parse, serialize

_SINGLE = ("ID", "MaxAgeSeconds")


class ParsedCORSRule(TypedDict):
    """One CORSRule as written, before gateway.core.cors.build_rules checks it."""

    id: str | None
    methods: list[str]
    origins: list[str]
    headers: list[str]
    expose: list[str]
    max_age: str | None


def _texts(rule: etree._Element, name: str) -> list[str]:
    return [(c.text or "").strip() for c in children(rule, name)]


def parse_cors(body: bytes) -> list[ParsedCORSRule]:
    """Return one dict per CORSRule: id, methods, origins, headers, expose, max_age."""
    root = parse(body)
    if local(root.tag) != "CORSConfiguration":
        raise MalformedXML("expected CORSConfiguration")
    rules: list[ParsedCORSRule] = []
    for rule in children(root, "CORSRule"):
        for name in _SINGLE:
            if len(children(rule, name)) > 1:
                raise MalformedXML(f"CORSRule has more than one {name}")
        rules.append(
            {
                "id": child_text(rule, "ID"),
                "methods": _texts(rule, "AllowedMethod"),
                "origins": _texts(rule, "AllowedOrigin"),
                "headers": _texts(rule, "AllowedHeader"),
                "expose": _texts(rule, "ExposeHeader"),
                "max_age": child_text(rule, "MaxAgeSeconds"),
            }
        )
    return rules


def cors_configuration(rules: Iterable[CORSRuleRecord]) -> bytes:
    """Render rules (objects with the fields of gateway.core.cors.CORSRule)."""
    entries: list[Field] = []
    for rule in rules:
        fields: list[Field] = [("ID", rule.id or None)]
        fields += [("AllowedHeader", h) for h in rule.allowed_headers]
        fields += [("AllowedMethod", m) for m in rule.allowed_methods]
        fields += [("AllowedOrigin", o) for o in rule.allowed_origins]
        fields += [("ExposeHeader", h) for h in rule.expose_headers]
        fields.append(("MaxAgeSeconds", rule.max_age))
        entries.append(("CORSRule", fields))
    return serialize(document("CORSConfiguration", entries))
