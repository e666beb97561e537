"""Requests' ACLs (canned, x-amz-grant-*, AccessControlPolicy grants) into grants (gateway.core.acl)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gateway.core.acl import Acl, from_document, from_headers
from gateway.core.iam.acl import ALL_USERS, AUTHENTICATED_USERS, Grant
from gateway.domain.errors import ErrorCode, JunctionError

OWNER, OTHER, BUCKET_OWNER = "a" * 64, "b" * 64, "c" * 64
KNOWN = {OWNER, OTHER, BUCKET_OWNER}.__contains__


def headers_acl(headers: dict[str, str], **kwargs) -> Acl | None:
    return from_headers(
        headers, owner=OWNER, bucket_owner=BUCKET_OWNER, on_object=True, canonical_exists=KNOWN, **kwargs
    )


def test_canned_acls():
    assert headers_acl({}) is None
    assert headers_acl({"x-amz-acl": "private"}) == Acl.private(OWNER)
    assert set(headers_acl({"x-amz-acl": "public-read-write"}).grants) == {
        Grant(OWNER, "FULL_CONTROL"),
        Grant(ALL_USERS, "READ"),
        Grant(ALL_USERS, "WRITE"),
    }
    assert Grant(BUCKET_OWNER, "FULL_CONTROL") in headers_acl({"x-amz-acl": "bucket-owner-full-control"}).grants
    assert headers_acl({}, canned_field="authenticated-read").grants[1] == Grant(AUTHENTICATED_USERS, "READ")


def test_grant_headers():
    acl = headers_acl(
        {"x-amz-grant-read": f'id="{OTHER}", uri="{ALL_USERS}"', "x-amz-grant-full-control": f"id={OWNER}"}
    )
    assert acl is not None
    assert set(acl.grants) == {Grant(OTHER, "READ"), Grant(ALL_USERS, "READ"), Grant(OWNER, "FULL_CONTROL")}


@pytest.mark.parametrize(
    "headers, code",
    [
        ({"x-amz-acl": "everyone"}, ErrorCode.InvalidArgument),
        ({"x-amz-acl": "private", "x-amz-grant-read": f"id={OTHER}"}, ErrorCode.InvalidRequest),
        ({"x-amz-grant-read": "id=" + "0" * 64}, ErrorCode.InvalidArgument),
        ({"x-amz-grant-read": 'uri="http://acs.amazonaws.com/groups/global/Nobody"'}, ErrorCode.InvalidArgument),
        ({"x-amz-grant-read": "emailAddress=someone@example.com"}, ErrorCode.UnresolvableGrantByEmailAddress),
        ({"x-amz-grant-read": "name=someone"}, ErrorCode.InvalidArgument),
    ],
)
def test_bad_headers(headers, code):
    with pytest.raises(JunctionError) as err:
        headers_acl(headers)
    assert err.value.code == code


@dataclass
class DocGrant:
    grantee_type: str
    permission: str
    id: str | None = None
    uri: str | None = None
    email: str | None = None


def test_documents():
    grants = [DocGrant("CanonicalUser", "FULL_CONTROL", id=OWNER), DocGrant("Group", "READ", uri=ALL_USERS)]
    acl = from_document(OWNER, grants, owner=OWNER, canonical_exists=KNOWN)
    assert acl.grants == (Grant(OWNER, "FULL_CONTROL"), Grant(ALL_USERS, "READ"))
    with pytest.raises(JunctionError) as err:
        from_document(OTHER, grants, owner=OWNER, canonical_exists=KNOWN)
    assert err.value.code == ErrorCode.AccessDenied
    with pytest.raises(JunctionError) as err:
        from_document(OWNER, [DocGrant("CanonicalUser", "EVERYTHING", id=OWNER)], owner=OWNER, canonical_exists=KNOWN)
    assert err.value.code == ErrorCode.MalformedACLError
    by_email = [DocGrant("AmazonCustomerByEmail", "READ", email="a@example.com")]
    with pytest.raises(JunctionError) as err:
        from_document(OWNER, by_email, owner=OWNER, canonical_exists=KNOWN)
    assert err.value.code == ErrorCode.UnresolvableGrantByEmailAddress


def test_acl_json_round_trip():
    acl = Acl(OTHER, (Grant(OTHER, "FULL_CONTROL"), Grant(ALL_USERS, "READ")))
    assert Acl.from_json(acl.to_json()) == acl
