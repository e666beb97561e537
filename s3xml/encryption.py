"""Bucket default encryption documents (`<ServerSideEncryptionConfiguration>`), as in
PutBucketEncryption / GetBucketEncryption. The parser checks shape; the front end checks values."""

from __future__ import annotations

from typing import Any

from .xml import MalformedXML, child_text, children, document, local, parse, serialize


def parse_encryption(body: bytes) -> list[dict[str, Any]]:
    """One dict per Rule: algorithm (SSEAlgorithm), kms_key_id, bucket_key_enabled."""
    root = parse(body)
    if local(root.tag) != "ServerSideEncryptionConfiguration":
        raise MalformedXML("expected ServerSideEncryptionConfiguration")
    rules: list[dict[str, Any]] = []
    for rule in children(root, "Rule"):
        applied = children(rule, "ApplyServerSideEncryptionByDefault")
        if len(applied) != 1:
            raise MalformedXML("a Rule needs one ApplyServerSideEncryptionByDefault")
        algorithm = child_text(applied[0], "SSEAlgorithm")
        if algorithm is None:
            raise MalformedXML("ApplyServerSideEncryptionByDefault needs an SSEAlgorithm")
        enabled = (child_text(rule, "BucketKeyEnabled") or "false").strip().lower()
        if enabled not in ("true", "false"):
            raise MalformedXML("BucketKeyEnabled must be true or false")
        rules.append(
            {
                "algorithm": algorithm.strip(),
                "kms_key_id": (child_text(applied[0], "KMSMasterKeyID") or "").strip() or None,
                "bucket_key_enabled": enabled == "true",
            }
        )
    if not rules:
        raise MalformedXML("ServerSideEncryptionConfiguration needs a Rule")
    return rules


def encryption_configuration(algorithm: str, kms_key_id: str | None, bucket_key_enabled: bool) -> bytes:
    applied = [("SSEAlgorithm", algorithm), ("KMSMasterKeyID", kms_key_id)]
    rule = [("ApplyServerSideEncryptionByDefault", applied), ("BucketKeyEnabled", bucket_key_enabled)]
    return serialize(document("ServerSideEncryptionConfiguration", [("Rule", rule)]))
