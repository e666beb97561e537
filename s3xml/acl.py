"""Access control policy documents (GetBucketAcl/GetObjectAcl answers, PutBucketAcl/PutObjectAcl bodies)."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from .xml import S3_NS, MalformedXML, add, child_text, children, document, local, parse, serialize

XSI = "http://www.w3.org/2001/XMLSchema-instance"


@dataclass(frozen=True, slots=True)
class Grant:
    grantee_type: str  # CanonicalUser | Group | AmazonCustomerByEmail
    id: str | None
    uri: str | None
    email: str | None
    permission: str


@dataclass(frozen=True, slots=True)
class RenderedGrant:
    grantee: str  # a canonical id, or a group URI (http://...)
    display_name: str  # for canonical users
    permission: str


def access_control_policy(owner: str, owner_name: str, grants: list[RenderedGrant]) -> bytes:
    """Render GetBucketAcl/GetObjectAcl's answer: canonical users with ID and DisplayName, groups by URI."""
    root = document("AccessControlPolicy", [("Owner", [("ID", owner), ("DisplayName", owner_name)])])
    acl = etree.SubElement(root, f"{{{S3_NS}}}AccessControlList")
    for item in grants:
        grant = etree.SubElement(acl, f"{{{S3_NS}}}Grant")
        grantee = etree.SubElement(grant, f"{{{S3_NS}}}Grantee", nsmap={"xsi": XSI})
        if item.grantee.startswith("http://"):
            grantee.set(f"{{{XSI}}}type", "Group")
            add(grantee, [("URI", item.grantee)])
        else:
            grantee.set(f"{{{XSI}}}type", "CanonicalUser")
            add(grantee, [("ID", item.grantee), ("DisplayName", item.display_name)])
        add(grant, [("Permission", item.permission)])
    return serialize(root)


def _grantee_type(grantee: etree._Element) -> str:
    for name, value in grantee.attrib.items():
        if local(name) == "type":
            return str(value)
    return ""


def parse_access_control_policy(body: bytes) -> tuple[str | None, list[Grant]]:
    """Return (owner id, grants) of an AccessControlPolicy document."""
    root = parse(body)
    if local(root.tag) != "AccessControlPolicy":
        raise MalformedXML("expected AccessControlPolicy")
    owners = children(root, "Owner")
    owner = child_text(owners[0], "ID") if owners else None
    grants = []
    for acl in children(root, "AccessControlList"):
        for grant in children(acl, "Grant"):
            grantees, permission = children(grant, "Grantee"), child_text(grant, "Permission")
            if len(grantees) != 1 or not permission:
                raise MalformedXML("each Grant needs one Grantee and a Permission")
            grantee = grantees[0]
            grants.append(
                Grant(
                    _grantee_type(grantee),
                    child_text(grantee, "ID"),
                    child_text(grantee, "URI"),
                    child_text(grantee, "EmailAddress"),
                    permission.strip(),
                )
            )
    return owner, grants
