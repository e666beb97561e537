"""Bucket access-control documents: OwnershipControls, PublicAccessBlockConfiguration, PolicyStatus."""

from __future__ import annotations

from .xml import MalformedXML, child_text, children, document, local, parse, serialize

BLOCK_FIELDS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def ownership_controls(ownership: str) -> bytes:
    return serialize(document("OwnershipControls", [("Rule", [("ObjectOwnership", ownership)])]))


def parse_ownership_controls(body: bytes) -> str:
    """The one rule's ObjectOwnership (S3 takes exactly one rule)."""
    root = parse(body)
    rules = children(root, "Rule")
    if local(root.tag) != "OwnershipControls" or len(rules) != 1:
        raise MalformedXML("expected OwnershipControls with one Rule")
    value = child_text(rules[0], "ObjectOwnership")
    if not value:
        raise MalformedXML("the Rule needs an ObjectOwnership")
    return value.strip()


def public_access_block(flags: tuple[bool, bool, bool, bool]) -> bytes:
    return serialize(document("PublicAccessBlockConfiguration", list(zip(BLOCK_FIELDS, flags, strict=True))))


def parse_public_access_block(body: bytes) -> tuple[bool, bool, bool, bool]:
    """The four flags; an absent one is false, as S3 takes it."""
    root = parse(body)
    if local(root.tag) != "PublicAccessBlockConfiguration":
        raise MalformedXML("expected PublicAccessBlockConfiguration")
    values = []
    for name in BLOCK_FIELDS:
        text = (child_text(root, name) or "false").strip().lower()
        if text not in ("true", "false"):
            raise MalformedXML(f"{name} must be true or false")
        values.append(text == "true")
    return values[0], values[1], values[2], values[3]


def policy_status(public: bool) -> bytes:
    return serialize(document("PolicyStatus", [("IsPublic", public)]))
