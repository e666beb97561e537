"""ACLs as requests carry them: a canned ACL (`x-amz-acl`, a POST form's `acl`), `x-amz-grant-*`
headers, or an AccessControlPolicy document; turned into the grants the engine evaluates.

Grantees are resolved here: `id=` must be the canonical id of an account of this gateway,
`uri=` one of S3's groups; `emailAddress=` (and AmazonCustomerByEmail) is refused with S3's
UnresolvableGrantByEmailAddress, since accounts carry no e-mail address.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from gateway.domain.errors import ErrorCode, JunctionError

from .iam.acl import CANNED, GROUPS, PERMISSIONS, Grant, canned_grants

# x-amz-grant-* header -> permission
GRANT_HEADERS = {
    "x-amz-grant-read": "READ",
    "x-amz-grant-write": "WRITE",
    "x-amz-grant-read-acp": "READ_ACP",
    "x-amz-grant-write-acp": "WRITE_ACP",
    "x-amz-grant-full-control": "FULL_CONTROL",
}


class DocumentGrant(Protocol):
    """One grant of an AccessControlPolicy document, as the S3 front end parsed it (s3xml.acl.Grant)."""

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


@dataclass(frozen=True, slots=True)
class Acl:
    """An owner (canonical id) and its grants, the owner's own included."""

    owner: str
    grants: tuple[Grant, ...]

    def to_json(self) -> str:
        return json.dumps({"owner": self.owner, "grants": [[g.grantee, g.permission] for g in self.grants]})

    @staticmethod
    def from_json(text: str) -> Acl:
        data = json.loads(text)
        return Acl(str(data["owner"]), tuple(Grant(str(g), str(p)) for g, p in data["grants"]))

    @staticmethod
    def private(owner: str) -> Acl:
        return Acl(owner, (Grant(owner, "FULL_CONTROL"),))


def grants_to_json(grants: Iterable[Grant]) -> str:
    return json.dumps([[g.grantee, g.permission] for g in grants])


def grants_from_json(text: str) -> tuple[Grant, ...]:
    return tuple(Grant(str(g), str(p)) for g, p in json.loads(text))


def has_acl_headers(headers: Mapping[str, str]) -> bool:
    return "x-amz-acl" in headers or any(name in headers for name in GRANT_HEADERS)


def canned_name(value: str) -> str:
    name = value.strip()
    if name not in CANNED:
        raise JunctionError(ErrorCode.InvalidArgument, f"Unknown canned ACL '{value}'", argument="x-amz-acl")
    return name


def from_headers(
    headers: Mapping[str, str],
    *,
    owner: str,
    bucket_owner: str,
    on_object: bool,
    canonical_exists: Callable[[str], bool],
    canned_field: str | None = None,
) -> Acl | None:
    """The ACL a request's headers (or a POST form's `acl` field) set; None when they set none."""
    canned = canned_field if canned_field is not None else headers.get("x-amz-acl")
    granted = [(name, headers[name]) for name in GRANT_HEADERS if name in headers]
    if canned is not None and granted:
        raise JunctionError(ErrorCode.InvalidRequest, "Specifying both Canned ACLs and Header Grants is not allowed")
    if canned is not None:
        name = canned_name(canned)
        return Acl(owner, tuple(canned_grants(name, owner=owner, bucket_owner=bucket_owner, on_object=on_object)))
    if not granted:
        return None
    grants: list[Grant] = []
    for header, value in granted:
        for item in _split_grantees(value):
            kind, _, who = item.partition("=")
            grantee = _resolve(kind.strip().lower(), who.strip().strip('"'), canonical_exists)
            grants.append(Grant(grantee, GRANT_HEADERS[header]))
    return Acl(owner, tuple(dict.fromkeys(grants)))


def from_document(
    owner_id: str | None,
    document_grants: Iterable[DocumentGrant],
    *,
    owner: str,
    canonical_exists: Callable[[str], bool],
) -> Acl:
    """The ACL of an AccessControlPolicy body; its Owner must be the resource's owner."""
    if owner_id is not None and owner_id.strip() != owner:
        raise JunctionError(ErrorCode.AccessDenied, "Access Denied: the AccessControlPolicy names another owner")
    grants: list[Grant] = []
    for item in document_grants:
        if item.permission not in PERMISSIONS:
            raise JunctionError(ErrorCode.MalformedACLError, f"Unknown permission '{item.permission}'")
        kind = item.grantee_type
        if kind == "Group" or (not kind and item.uri):
            grantee = _resolve("uri", (item.uri or "").strip(), canonical_exists)
        elif kind == "AmazonCustomerByEmail" or (not kind and item.email):
            grantee = _resolve("emailaddress", (item.email or "").strip(), canonical_exists)
        elif kind in ("CanonicalUser", ""):
            grantee = _resolve("id", (item.id or "").strip(), canonical_exists)
        else:
            raise JunctionError(ErrorCode.MalformedACLError, f"Unknown grantee type '{kind}'")
        grants.append(Grant(grantee, item.permission))
    return Acl(owner, tuple(dict.fromkeys(grants)))


def _split_grantees(value: str) -> list[str]:
    """`id="a", uri="http://..."`: commas separate grantees (quoted values hold none that matter)."""
    items = [part.strip() for part in value.split(",") if part.strip()]
    if not items:
        raise JunctionError(ErrorCode.InvalidArgument, "Invalid grant header: no grantee")
    return items


def _resolve(kind: str, who: str, canonical_exists: Callable[[str], bool]) -> str:
    if kind == "id":
        if not canonical_exists(who):
            raise JunctionError(ErrorCode.InvalidArgument, "Invalid id", argument="CanonicalUser/ID")
        return who
    if kind == "uri":
        if who not in GROUPS:
            raise JunctionError(ErrorCode.InvalidArgument, "Invalid group uri", argument="Group/URI")
        return who
    if kind == "emailaddress":
        raise JunctionError(
            ErrorCode.UnresolvableGrantByEmailAddress,
            "The e-mail address you provided does not match any account on record (accounts of this gateway have "
            "no e-mail address: grant to their canonical id)",
        )
    raise JunctionError(ErrorCode.InvalidArgument, f"Invalid grantee type '{kind}': use id=, uri= or emailAddress=")
