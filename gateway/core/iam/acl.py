"""Access control lists: canned ACLs, grants, and whether a grant covers an action.

An ACL is a list of grants (grantee, permission); grantees are a canonical user (an account),
or the AllUsers / AuthenticatedUsers / LogDelivery groups. Object ownership controls decide
whether ACLs count at all (BucketOwnerEnforced: they do not).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .actions import BUCKET_ACL_GRANTS, OBJECT_ACL_GRANTS
from .policy import Caller, Match

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
GROUPS = (ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY)
PERMISSIONS = ("FULL_CONTROL", "READ", "WRITE", "READ_ACP", "WRITE_ACP")
CANNED = (
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
)
OWNERSHIP = ("BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter")


@dataclass(frozen=True, slots=True)
class Grant:
    grantee: str  # a canonical id, or a group URI
    permission: str

    @property
    def is_group(self) -> bool:
        return self.grantee.startswith("http://")


def canned_grants(acl: str, *, owner: str, bucket_owner: str | None = None, on_object: bool = False) -> list[Grant]:
    """The grants a canned ACL stands for (S3's "Canned ACL" table); `owner` gets FULL_CONTROL."""
    grants = [Grant(owner, "FULL_CONTROL")]
    if acl == "public-read":
        grants.append(Grant(ALL_USERS, "READ"))
    elif acl == "public-read-write":
        grants += [Grant(ALL_USERS, "READ"), Grant(ALL_USERS, "WRITE")]
    elif acl == "authenticated-read":
        grants.append(Grant(AUTHENTICATED_USERS, "READ"))
    elif acl == "log-delivery-write" and not on_object:
        grants += [Grant(LOG_DELIVERY, "WRITE"), Grant(LOG_DELIVERY, "READ_ACP")]
    elif acl in ("bucket-owner-read", "bucket-owner-full-control") and on_object and bucket_owner:
        if bucket_owner != owner:
            grants.append(Grant(bucket_owner, "READ" if acl == "bucket-owner-read" else "FULL_CONTROL"))
    # private, aws-exec-read (EC2 is not here), and bucket-owner-* on buckets: the owner alone
    return grants


def permits(grants: Iterable[Grant], caller: Caller, action: str, *, on_object: bool) -> Match:
    """How a grant covering `action` reaches `caller`: a group grant reaches it directly; a grant
    to its account reaches an account root directly and a user of it by delegation (the
    account's own policies must still allow the user)."""
    table = OBJECT_ACL_GRANTS if on_object else BUCKET_ACL_GRANTS
    best = Match.NONE
    for grant in grants:
        if action not in table.get(grant.permission, frozenset()):
            continue
        if grant.grantee == ALL_USERS or (grant.grantee == AUTHENTICATED_USERS and not caller.anonymous):
            return Match.DIRECT
        if caller.canonical_id is not None and grant.grantee == caller.canonical_id:
            if caller.user is None:
                return Match.DIRECT
            best = Match.ACCOUNT
    return best


def is_public(grants: Iterable[Grant]) -> bool:
    return any(g.grantee in (ALL_USERS, AUTHENTICATED_USERS) for g in grants)
