"""Identity policies Junction writes itself: the built-in roles, per-path rules and export policies.

All of them are ordinary policy documents in the IAM language, so they go through the same
parser and the same engine as the policies an operator writes.
"""

from __future__ import annotations

from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError

from .iam.actions import bucket_arn, object_arn

Document = dict[str, Any]
VERSION = "2012-10-17"

READ_ACTIONS = ["s3:Get*", "s3:List*"]
OBJECT_WRITE_ACTIONS = [
    "s3:PutObject",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersionTagging",
    "s3:AbortMultipartUpload",
]
# What an account administrator may do inside its account (gateway-wide administration,
# user spaces, sync tasks and jobs, stays with gateway administrators unless granted by name).
ACCOUNT_ADMIN_ACTIONS = [
    "s3:*",
    "junction:ManageUsers",
    "junction:ManagePolicies",
    "junction:ManageVolumes",
    "junction:ManageExports",
    "junction:ManageQuotas",
]


def _allow(actions: list[str], resources: list[str], sid: str = "", **extra: Any) -> Document:
    statement: Document = {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}
    if sid:
        statement["Sid"] = sid
    return statement


BUILTIN_POLICIES: dict[str, Document] = {
    "admin": {"Version": VERSION, "Statement": [_allow(ACCOUNT_ADMIN_ACTIONS, ["*"], "Admin")]},
    "read-write": {
        "Version": VERSION,
        "Statement": [_allow(READ_ACTIONS, ["*"], "Read"), _allow(OBJECT_WRITE_ACTIONS, ["*"], "Write")],
    },
    "read-only": {"Version": VERSION, "Statement": [_allow(READ_ACTIONS, ["*"], "Read")]},
}

RULE_ACCESS = ("read", "write")


def validated_rule(raw: object) -> tuple[str, str, str]:
    """A per-path rule `{"bucket", "prefix", "access"}` as a (bucket, prefix, access) triple."""
    if not isinstance(raw, dict) or set(raw) - {"bucket", "prefix", "access"}:
        raise JunctionError(
            ErrorCode.InvalidArgument, 'a rule is {"bucket": ..., "prefix": ..., "access": "read"|"write"}'
        )
    bucket, prefix, access = raw.get("bucket"), raw.get("prefix", ""), raw.get("access")
    if not isinstance(bucket, str) or not bucket or "/" in bucket or "*" in bucket or "?" in bucket:
        raise JunctionError(ErrorCode.InvalidArgument, "a rule's bucket must be a bucket name", field="rules")
    if not isinstance(prefix, str) or "*" in prefix or "?" in prefix or "$" in prefix:
        raise JunctionError(
            ErrorCode.InvalidArgument, "a rule's prefix must be a key prefix without * ? or $", field="rules"
        )
    if access not in RULE_ACCESS:
        raise JunctionError(ErrorCode.InvalidArgument, 'a rule\'s access must be "read" or "write"', field="rules")
    return bucket, prefix.lstrip("/"), str(access)


def rules_policy(rules: list[tuple[str, str, str]]) -> Document | None:
    """Per-path rules as one identity policy: `read` gives GetObject* on `bucket/prefix*` and
    ListBucket with `s3:prefix` like `prefix*`; `write` gives the object writes and deletes."""
    statements: list[Document] = []
    for index, (bucket, prefix, access) in enumerate(rules):
        objects = object_arn(bucket, prefix + "*")
        if access == "read":
            statements.append(_allow(["s3:GetObject*"], [objects], f"Read{index}"))
            listing: Document = {"StringLike": {"s3:prefix": [prefix + "*"]}} if prefix else {}
            list_statement = _allow(["s3:ListBucket", "s3:ListBucketVersions"], [bucket_arn(bucket)], f"List{index}")
            if listing:
                list_statement["Condition"] = listing
            statements.append(list_statement)
            statements.append(_allow(["s3:GetBucketLocation"], [bucket_arn(bucket)], f"Locate{index}"))
        else:
            statements.append(_allow(OBJECT_WRITE_ACTIONS, [objects], f"Write{index}"))
    return {"Version": VERSION, "Statement": statements} if statements else None


def export_policy(bucket: str, *, readonly: bool, appendonly: bool, iprange: str) -> Document:
    """The generated identity policy of a console export: confined to its volume (bucket)."""
    resources = [bucket_arn(bucket), object_arn(bucket, "*")]
    actions = (
        READ_ACTIONS if readonly else [*READ_ACTIONS, *OBJECT_WRITE_ACTIONS, "s3:PutBucketTagging", "s3:PutBucketCORS"]
    )
    statements: list[Document] = [
        _allow(["s3:ListAllMyBuckets"], ["*"], "SeeVolumes"),
        _allow(actions, resources, "Volume"),
    ]
    if appendonly:
        statements.append(
            {"Sid": "AppendOnly", "Effect": "Deny", "Action": ["s3:DeleteObject*"], "Resource": resources}
        )
    cidrs = [c for c in iprange.split(",") if c]
    if cidrs:
        statements.append(
            {
                "Sid": "Addresses",
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"NotIpAddress": {"aws:SourceIp": cidrs}},
            }
        )
    return {"Version": VERSION, "Statement": statements}
