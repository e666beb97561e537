"""ACL compatibility: every bucket and object is private to its bucket's owner.

The gateway has no per-grantee permissions (access is decided by keys, see access.py), so
it accepts exactly the ACLs that change nothing (canned `private` and the bucket-owner ones,
explicit grants to the owner alone) and refuses anything that would grant others access
with NotImplemented, rather than silently storing a grant it would not enforce.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from gateway.domain.errors import ErrorCode, JunctionError

OWNER_ONLY = frozenset({"private", "bucket-owner-full-control", "bucket-owner-read"})
GRANTING = frozenset({"public-read", "public-read-write", "authenticated-read", "aws-exec-read", "log-delivery-write"})
GRANT_HEADERS = (
    "x-amz-grant-read",
    "x-amz-grant-write",
    "x-amz-grant-read-acp",
    "x-amz-grant-write-acp",
    "x-amz-grant-full-control",
)
PERMISSIONS = frozenset({"FULL_CONTROL", "READ", "WRITE", "READ_ACP", "WRITE_ACP"})


class Grant(Protocol):
    """One grant of a policy document, as the S3 front end parsed it (s3xml.acl.Grant)."""

    @property
    def grantee_type(self) -> str: ...
    @property
    def id(self) -> str | None: ...
    @property
    def uri(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def permission(self) -> str: ...


def _not_implemented(what: str) -> JunctionError:
    return JunctionError(
        ErrorCode.NotImplemented,
        f"{what}: this gateway keeps every bucket and object private to the "
        "bucket owner and supports only owner-only ACLs (e.g. 'private')",
    )


def check_canned(acl: str | None) -> None:
    """Accept an absent or owner-only canned ACL (x-amz-acl)."""
    if acl is None or acl.strip() in OWNER_ONLY:
        return
    if acl.strip() in GRANTING:
        raise _not_implemented(f"The canned ACL '{acl.strip()}' grants access to others")
    raise JunctionError(ErrorCode.InvalidArgument, f"Unknown canned ACL '{acl}'", argument="x-amz-acl")


def check_grant_headers(headers: Mapping[str, str], owner: str) -> None:
    """Accept x-amz-grant-* headers only when every grantee is the owner (`id="<owner>"`)."""
    for name in GRANT_HEADERS:
        value = headers.get(name)
        if value is None:
            continue
        for grantee in (g.strip() for g in value.split(",") if g.strip()):
            kind, _, who = grantee.partition("=")
            if kind.strip().lower() != "id" or who.strip().strip('"') != owner:
                raise _not_implemented(f"The grant '{grantee}' in {name} names someone other than the owner")


def check_grants(grants: Iterable[Grant], owner: str) -> None:
    """Accept an AccessControlPolicy whose grants all go to the owner."""
    for grant in grants:
        if grant.permission not in PERMISSIONS:
            raise JunctionError(ErrorCode.MalformedACLError, f"Unknown permission '{grant.permission}'")
        if grant.grantee_type not in ("", "CanonicalUser") or grant.id != owner:
            who = grant.id or grant.uri or grant.email or grant.grantee_type
            raise _not_implemented(f"The grant of {grant.permission} to '{who}' names someone other than the owner")


def owner_grants(owner: str) -> list[tuple[str, str]]:
    """The one grant every bucket and object has: the owner's FULL_CONTROL."""
    return [(owner, "FULL_CONTROL")]
