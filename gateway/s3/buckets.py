"""Bucket-level S3 operations: list, create, head, delete, location.

Buckets belong to accounts. CreateBucket of a name another account owns is 409
BucketAlreadyExists; of one the caller's account owns, 200 with the bucket untouched in
us-east-1 (S3's legacy behaviour) and 409 BucketAlreadyOwnedByYou in any other region.
ListBuckets lists the caller's account's buckets (a user: those its policies name);
gateway administrators see every bucket.
"""

from __future__ import annotations

import base64
import binascii

from aiohttp import web

from gateway.core.access_control import new_bucket_row
from gateway.core.acl import from_headers, has_acl_headers
from gateway.core.authz import BUCKET_OWNER_ENFORCED, Identity
from gateway.core.iam.acl import OWNERSHIP, is_public
from gateway.core.iam.actions import ACCOUNT_ACTIONS
from gateway.core.iam.wildcard import glob_match
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Bucket
from s3xml import documents
from s3xml.xml import MalformedXML

from .context import S3Call, int_param
from .responses import xml

MAX_BUCKETS = 10_000
ARN_PREFIX = "arn:aws:s3:::"
ACCOUNT_LEVEL = frozenset(a.lower() for a in ACCOUNT_ACTIONS)


def _token(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).decode()


def _after(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise JunctionError(
            ErrorCode.InvalidArgument, "The continuation token provided is incorrect", argument="continuation-token"
        ) from None


async def _visible(call: S3Call, buckets: list[Bucket]) -> list[Bucket]:
    identity = call.identity
    if identity.admin:
        return buckets
    if identity.anonymous:
        raise JunctionError(ErrorCode.AccessDenied)
    if not await call.allowed_account("s3:ListAllMyBuckets"):
        raise JunctionError(ErrorCode.AccessDenied)
    account = identity.caller.account_id
    owned = [b for b in buckets if (await call.core.access.bucket_access(b)).owner_account == account]
    if identity.caller.user is None:
        return owned
    return [b for b in owned if _named(identity, b.name)]


def _named(identity: Identity, bucket: str) -> bool:
    """Whether one of the user's Allow statements names the bucket or objects in it: a user
    sees those of its account's buckets (an export, its volume), as MinIO lists them."""
    for policy in identity.policies:
        for statement in policy.statements:
            if not statement.allow or statement.resources_negated:
                continue
            if not statement.actions_negated and all(a.lower() in ACCOUNT_LEVEL for a in statement.actions):
                continue  # s3:ListAllMyBuckets on "*" names no bucket
            for resource in statement.resources:
                name = (
                    resource.removeprefix(ARN_PREFIX).split("/", 1)[0] if resource.startswith(ARN_PREFIX) else resource
                )
                if name == "*" or glob_match(name, bucket):
                    return True
    return False


async def list_buckets(call: S3Call) -> web.Response:
    buckets = await _visible(call, await call.core.buckets.list())
    prefix = call.query.get("prefix")
    if prefix:
        buckets = [b for b in buckets if b.name.startswith(prefix)]
    region = call.query.get("bucket-region")
    if region is not None and region != call.region:
        buckets = []
    token = call.query.get("continuation-token")
    if token is not None:
        after = _after(token)
        buckets = [b for b in buckets if b.name > after]
    paged = "max-buckets" in call.query
    limit = int_param(call.query, "max-buckets", MAX_BUCKETS, low=1, high=MAX_BUCKETS)
    next_token = _token(buckets[limit - 1].name) if len(buckets) > limit else None
    buckets = buckets[:limit]
    caller = call.identity.caller
    owner = caller.canonical_id or ""
    return xml(
        documents.list_buckets(
            buckets,
            owner,
            await call.core.access.display_name(owner) if owner else None,
            region=call.region if paged or region is not None or prefix is not None else None,
            prefix=prefix,
            continuation_token=next_token,
        )
    )


async def create_bucket(call: S3Call) -> web.Response:
    assert call.bucket is not None
    identity = call.identity
    await call.authorize("s3:CreateBucket", None)
    if identity.anonymous or identity.caller.account_id is None:
        raise JunctionError(ErrorCode.AccessDenied)
    body = await call.read_small_body()
    try:
        constraint = documents.parse_create_bucket(body)
    except MalformedXML as exc:
        raise JunctionError(ErrorCode.MalformedXML, str(exc)) from None
    if constraint and constraint != call.region:
        raise JunctionError(
            ErrorCode.IllegalLocationConstraintException,
            f"The {constraint} location constraint is incompatible with the region {call.region}.",
        )
    ownership = call.header("x-amz-object-ownership")
    if ownership is not None and ownership.strip() not in OWNERSHIP:
        raise JunctionError(
            ErrorCode.InvalidArgument,
            f"Invalid x-amz-object-ownership '{ownership}'",
            argument="x-amz-object-ownership",
        )
    canonical = identity.caller.canonical_id or ""
    acl = None
    if has_acl_headers(call.headers):
        exists = (await call.core.access.canonical_exists()).__contains__
        acl = from_headers(
            call.headers, owner=canonical, bucket_owner=canonical, on_object=False, canonical_exists=exists
        )
    effective = (ownership or "").strip() or BUCKET_OWNER_ENFORCED
    if acl is not None and effective == BUCKET_OWNER_ENFORCED and any(g.grantee != canonical for g in acl.grants):
        raise JunctionError(ErrorCode.InvalidBucketAclWithObjectOwnership, bucket=call.bucket)
    if acl is not None and is_public(acl.grants):  # new buckets block public ACLs (S3's default since 2023)
        raise JunctionError(ErrorCode.AccessDenied, "Access Denied: public ACLs are blocked on new buckets")
    try:
        await call.core.buckets.create(
            call.bucket, identity.caller.account_id, new_bucket_row(ownership and ownership.strip(), acl)
        )
    except JunctionError as exc:
        if exc.code != ErrorCode.BucketAlreadyOwnedByYou or call.region != "us-east-1":
            raise
    return web.Response(status=200, headers={"Location": f"/{call.bucket}"})


async def head_bucket(call: S3Call) -> web.Response:
    bucket = await call.target()
    await call.authorize("s3:ListBucket", bucket)
    return web.Response(status=200, headers={"x-amz-bucket-region": call.region})


async def delete_bucket(call: S3Call) -> web.Response:
    bucket = await call.target()
    await call.authorize("s3:DeleteBucket", bucket)
    await call.core.buckets.delete(bucket.name)
    return web.Response(status=204)


async def get_bucket_location(call: S3Call) -> web.Response:
    bucket = await call.target()
    await call.authorize("s3:GetBucketLocation", bucket)
    return xml(documents.location(call.region))
