"""The Authorizer applies ownership controls and the public access block around the decision."""

from __future__ import annotations

import json

import pytest

from gateway.core.authz import (
    ANONYMOUS_IDENTITY,
    BUCKET_OWNER_ENFORCED,
    BucketAccess,
    Identity,
    ObjectAccess,
    PublicAccessBlock,
    principal_context,
)
from gateway.core.authz import Authorizer as _Authorizer
from gateway.core.iam.acl import ALL_USERS, Grant
from gateway.core.iam.policy import Caller, parse_policy
from gateway.domain.errors import JunctionError
from gateway.domain.models import Bucket

A, B = "111111111111", "222222222222"
BUCKET = Bucket(id=1, name="photos", owner="owner", created=0.0)
PUBLIC_READ = parse_policy(
    json.dumps(
        {
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/*"}
            ]
        }
    ),
    bucket="photos",
)


class Source:
    def __init__(self, access: BucketAccess) -> None:
        self.access = access

    async def bucket_access(self, bucket: Bucket) -> BucketAccess:
        return self.access


def authorizer(**fields: object) -> _Authorizer:
    return _Authorizer(Source(BucketAccess(owner_account=A, owner_canonical="a" * 64, **fields)))  # type: ignore[arg-type]


async def test_public_policy_reaches_anonymous_unless_restricted() -> None:
    open_bucket = authorizer(policy=PUBLIC_READ)
    assert await open_bucket.allowed(ANONYMOUS_IDENTITY, "s3:GetObject", bucket=BUCKET, key="k")
    restricted = authorizer(policy=PUBLIC_READ, public_access_block=PublicAccessBlock(restrict_public_buckets=True))
    assert not await restricted.allowed(ANONYMOUS_IDENTITY, "s3:GetObject", bucket=BUCKET, key="k")
    with pytest.raises(JunctionError) as err:
        await restricted.authorize(ANONYMOUS_IDENTITY, "s3:GetObject", bucket=BUCKET, key="k")
    assert err.value.code == "AccessDenied"


async def test_public_acl_ignored_when_asked_or_when_acls_are_disabled() -> None:
    public = ObjectAccess("a" * 64, (Grant(ALL_USERS, "READ"),))
    assert await authorizer().allowed(ANONYMOUS_IDENTITY, "s3:GetObject", bucket=BUCKET, key="k", obj=public)
    ignoring = authorizer(public_access_block=PublicAccessBlock(ignore_public_acls=True))
    assert not await ignoring.allowed(ANONYMOUS_IDENTITY, "s3:GetObject", bucket=BUCKET, key="k", obj=public)
    enforced = authorizer(ownership=BUCKET_OWNER_ENFORCED)
    assert not await enforced.allowed(ANONYMOUS_IDENTITY, "s3:GetObject", bucket=BUCKET, key="k", obj=public)


async def test_admin_and_account_level_actions() -> None:
    source = authorizer()
    assert await source.allowed(Identity(Caller(B), admin=True), "s3:DeleteBucket", bucket=BUCKET)
    assert not await source.allowed(Identity(Caller(B)), "s3:DeleteBucket", bucket=BUCKET)
    assert await source.allowed(Identity(Caller(B)), "s3:ListAllMyBuckets")  # an account root, in its own name
    assert not await source.allowed(Identity(Caller(B, "carol")), "s3:ListAllMyBuckets")


def test_principal_context_names_the_caller() -> None:
    ctx = principal_context(Identity(Caller(A, "alice")), now=0)
    assert ctx["aws:username"] == ("alice",)
    assert ctx["aws:principalarn"] == (f"arn:aws:iam::{A}:user/alice",)
    assert ctx["aws:currenttime"] == ("1970-01-01T00:00:00Z",)
    assert "aws:username" not in principal_context(ANONYMOUS_IDENTITY)
