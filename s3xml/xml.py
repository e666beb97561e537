"""Safe XML parsing and small rendering helpers shared by every S3 document."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from lxml import etree

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024

# One child element to render: (name, value); a value that is a list of Fields nests, None is skipped.
Field = tuple[str, Any]

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False, remove_comments=True
)


# What XML 1.0 cannot carry: C0 controls but TAB/LF/CR, U+FFFE/U+FFFF, surrogates.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


class MalformedXML(ValueError):
    """The request body is not the XML document the operation expects."""


def parse(body: bytes) -> etree._Element:
    """Parse a request body with entities, DTDs and network access off."""
    if len(body) > MAX_DOCUMENT_BYTES:
        raise MalformedXML("XML document too large")
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise MalformedXML("DTDs and entities are not allowed")
    try:
        return etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise MalformedXML(str(exc)) from None


def local(tag: Any) -> str:
    """Tag name without namespace (clients differ on whether they send the S3 namespace)."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def children(element: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in element if local(c.tag) == name]


def child_text(element: etree._Element, name: str, default: str | None = None) -> str | None:
    for c in element:
        if local(c.tag) == name:
            return c.text or ""
    return default


def iso8601(ts: float) -> str:
    """S3's timestamp format: 2009-10-12T17:50:30.000Z."""
    return _iso_seconds(math.floor(ts)) + f"{int(ts * 1000) % 1000:03d}Z"


@functools.lru_cache(maxsize=4096)
def _iso_seconds(seconds: int) -> str:
    """The part up to the milliseconds; cached, as objects written together share their second
    (a listing page formats a thousand of them)."""
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.")


def http_date(ts: float) -> str:
    return _http_date(int(ts))


@functools.lru_cache(maxsize=4096)
def _http_date(seconds: int) -> str:
    """Cached: every GET and HEAD answers a Last-Modified, and strftime was 2 % of a small GET."""
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


def document(root: str, fields: Iterable[tuple[str, Any]] = (), *, namespace: bool = True) -> etree._Element:
    """Start a response document; `fields` become simple child elements."""
    element = etree.Element(root, nsmap={None: S3_NS} if namespace else None)
    add(element, fields)
    return element


def add(parent: etree._Element, fields: Iterable[tuple[str, Any]]) -> etree._Element:
    """Append child elements; a value that is an Iterable of pairs becomes a nested element."""
    namespace = etree.QName(parent).namespace
    _add(parent, fields, f"{{{namespace}}}" if namespace else "")
    return parent


def _add(parent: etree._Element, fields: Iterable[tuple[str, Any]], prefix: str) -> None:
    """`add` with the parent's namespace worked out once per document, not once per element
    (a listing page has thousands)."""
    for name, value in fields:
        if value is None:
            continue
        child = etree.SubElement(parent, prefix + name)
        if isinstance(value, list):
            _add(child, value, prefix)
        elif isinstance(value, bool):
            child.text = "true" if value else "false"
        else:
            child.text = xml_text(str(value))


def xml_carries(text: str) -> bool:
    return XML_FORBIDDEN.search(text) is None


def _percent(char: str) -> str:
    try:
        raw = char.encode("utf-8", "surrogateescape")  # a raw request byte aiohttp kept as a surrogate
    except UnicodeEncodeError:
        raw = char.encode("utf-8", "surrogatepass")
    return "".join(f"%{b:02X}" for b in raw)


def xml_text(text: str) -> str:
    """`text` with each character XML 1.0 cannot carry written as its %XX escape.

    The last line of defence, so that no value (an error's Resource, an echoed query
    parameter) can make a document unwritable; listings encode such keys properly
    (encoding-type=url, see listing.listing_encoding)."""
    if xml_carries(text):
        return text
    return XML_FORBIDDEN.sub(lambda m: _percent(m.group()), text)


def serialize(element: etree._Element) -> bytes:
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8")
