"""Tagging documents: `<Tagging><TagSet><Tag><Key/><Value/></Tag>...</TagSet></Tagging>`."""

from __future__ import annotations

from .xml import MalformedXML, child_text, children, document, local, parse, serialize


def parse_tagging(body: bytes) -> list[tuple[str, str]]:
    """Return the (key, value) pairs in document order; duplicates are left to the validator."""
    root = parse(body)
    tag_sets = children(root, "TagSet")
    if local(root.tag) != "Tagging" or len(tag_sets) != 1:
        raise MalformedXML("expected Tagging with one TagSet")
    pairs = []
    for tag in children(tag_sets[0], "Tag"):
        key, value = child_text(tag, "Key"), child_text(tag, "Value")
        if key is None or value is None:
            raise MalformedXML("each Tag needs a Key and a Value")
        pairs.append((key, value))
    return pairs


def tagging(tags: dict[str, str]) -> bytes:
    entries = [("Tag", [("Key", key), ("Value", value)]) for key, value in tags.items()]
    return serialize(document("Tagging", [("TagSet", entries or "")]))
