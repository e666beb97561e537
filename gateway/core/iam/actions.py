"""The actions policies may name, the resources they act on, and what ACL permission grants each.

Names are AWS's (`s3:GetObject`), matched case-insensitively as IAM does. Junction's own
administrative actions use the `junction:` prefix.
"""

from __future__ import annotations

from .wildcard import glob_match

S3_ACTIONS: frozenset[str] = frozenset(
    "s3:" + name
    for name in (
        "AbortMultipartUpload BypassGovernanceRetention CreateBucket DeleteBucket DeleteBucketOwnershipControls "
        "DeleteBucketPolicy DeleteBucketWebsite DeleteObject DeleteObjectTagging DeleteObjectVersion "
        "DeleteObjectVersionTagging GetAccelerateConfiguration GetAccountPublicAccessBlock GetAnalyticsConfiguration "
        "GetBucketAcl GetBucketCORS GetBucketLocation GetBucketLogging GetBucketNotification "
        "GetBucketObjectLockConfiguration GetBucketOwnershipControls GetBucketPolicy GetBucketPolicyStatus "
        "GetBucketPublicAccessBlock GetBucketRequestPayment GetBucketTagging GetBucketVersioning GetBucketWebsite "
        "GetEncryptionConfiguration GetIntelligentTieringConfiguration GetInventoryConfiguration "
        "GetLifecycleConfiguration GetMetricsConfiguration GetObject GetObjectAcl GetObjectAttributes "
        "GetObjectLegalHold GetObjectRetention GetObjectTagging GetObjectTorrent GetObjectVersion "
        "GetObjectVersionAcl GetObjectVersionAttributes GetObjectVersionTagging GetObjectVersionTorrent "
        "GetReplicationConfiguration ListAllMyBuckets ListBucket ListBucketMultipartUploads ListBucketVersions "
        "ListMultipartUploadParts ObjectOwnerOverrideToBucketOwner PutAccelerateConfiguration "
        "PutAccountPublicAccessBlock PutAnalyticsConfiguration PutBucketAcl PutBucketCORS PutBucketLogging "
        "PutBucketNotification PutBucketObjectLockConfiguration PutBucketOwnershipControls PutBucketPolicy "
        "PutBucketPublicAccessBlock PutBucketRequestPayment PutBucketTagging PutBucketVersioning PutBucketWebsite "
        "PutEncryptionConfiguration PutIntelligentTieringConfiguration PutInventoryConfiguration "
        "PutLifecycleConfiguration PutMetricsConfiguration PutObject PutObjectAcl PutObjectLegalHold "
        "PutObjectRetention PutObjectTagging PutObjectVersionAcl PutObjectVersionTagging PutReplicationConfiguration "
        "ReplicateDelete ReplicateObject ReplicateTags RestoreObject"
    ).split()
)

# Junction's administration: user spaces, sync tasks, jobs, accounts and users, console volumes.
JUNCTION_ACTIONS: frozenset[str] = frozenset(
    "junction:" + name
    for name in (
        "ManageUserSpaces ManageSyncTasks ManageJobs ManageAccounts ManageUsers ManagePolicies "
        "ManageVolumes ManageExports ManageQuotas ViewAuditLog ManageSettings"
    ).split()
)

KNOWN_ACTIONS: frozenset[str] = S3_ACTIONS | JUNCTION_ACTIONS
_KNOWN_LOWER = {a.lower(): a for a in KNOWN_ACTIONS}

# Actions that act on a bucket (resource arn:aws:s3:::bucket); the other s3 actions act on objects
# (arn:aws:s3:::bucket/key), except ListAllMyBuckets and the account-level ones (resource "*").
ACCOUNT_ACTIONS = frozenset({"s3:ListAllMyBuckets", "s3:GetAccountPublicAccessBlock", "s3:PutAccountPublicAccessBlock"})
OBJECT_ACTIONS = frozenset(
    a
    for a in S3_ACTIONS
    if "Object" in a and "ObjectLockConfiguration" not in a and a != "s3:ObjectOwnerOverrideToBucketOwner"
) | {"s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:BypassGovernanceRetention"}

# What each ACL permission grants (S3's "Mapping of ACL permissions and access policy permissions").
BUCKET_ACL_GRANTS: dict[str, frozenset[str]] = {
    "READ": frozenset({"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"}),
    "WRITE": frozenset({"s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:AbortMultipartUpload"}),
    "READ_ACP": frozenset({"s3:GetBucketAcl"}),
    "WRITE_ACP": frozenset({"s3:PutBucketAcl"}),
}
OBJECT_ACL_GRANTS: dict[str, frozenset[str]] = {
    "READ": frozenset({"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTorrent", "s3:GetObjectAttributes"}),
    "WRITE": frozenset(),
    "READ_ACP": frozenset({"s3:GetObjectAcl", "s3:GetObjectVersionAcl"}),
    "WRITE_ACP": frozenset({"s3:PutObjectAcl", "s3:PutObjectVersionAcl"}),
}
for _table in (BUCKET_ACL_GRANTS, OBJECT_ACL_GRANTS):
    _table["FULL_CONTROL"] = frozenset().union(*_table.values())


def canonical_action(name: str) -> str | None:
    """The catalogue spelling of an action name (case-insensitive), or None if unknown."""
    return _KNOWN_LOWER.get(name.lower())


def action_pattern_known(pattern: str) -> bool:
    """A policy's action: `*`, or `service:pattern` matching at least one known action."""
    if pattern == "*":
        return True
    return any(glob_match(pattern, action, ignore_case=True) for action in KNOWN_ACTIONS)


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"
