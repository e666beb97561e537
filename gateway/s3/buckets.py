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
import re

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

# A name S3 could give a region: "EU" (the old alias of eu-west-1), or like "ap-southeast-2".
_REGION = re.compile(r"EU|[a-z]{2}(-[a-z]+)+-\d{1,2}")

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
    regions = {b.name: await _region_of(call, b.id) for b in buckets}
    region = call.query.get("bucket-region")
    if region is not None:
        buckets = [b for b in buckets if regions[b.name] == region]
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
            regions=regions if paged or region is not None or prefix is not None else None,
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
    check_location(constraint, call.region)
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
        bucket = await call.core.buckets.create(
            call.bucket,
            identity.caller.account_id,
            location=constraint,
            access=new_bucket_row(ownership and ownership.strip(), acl),
        )
    except JunctionError as exc:
        if exc.code != ErrorCode.BucketAlreadyOwnedByYou or call.region != "us-east-1":
            raise
        return web.Response(status=200, headers={"Location": f"/{call.bucket}"})  # untouched
    if (call.header("x-amz-bucket-object-lock-enabled") or "").strip().lower() == "true":
        await call.core.object_lock.enable_for_new_bucket(bucket.id)  # versioning comes with it
    return web.Response(status=200, headers={"Location": f"/{call.bucket}"})


def check_location(constraint: str | None, region: str) -> None:
    """S3's rules for a LocationConstraint sent to an endpoint of one region: the endpoint's
    own region is accepted (us-east-1 too, which S3 refuses: see README); any other region
    is IllegalLocationConstraintException; a value that is no region's name at all is
    InvalidLocationConstraint. No constraint creates the bucket in the gateway's region."""
    if not constraint or constraint == region or (constraint == "EU" and region == "eu-west-1"):
        return
    if not _REGION.fullmatch(constraint):
        raise JunctionError(ErrorCode.InvalidLocationConstraint)
    raise JunctionError(
        ErrorCode.IllegalLocationConstraintException,
        f"The {constraint} location constraint is incompatible for the region specific endpoint this request "
        "was sent to.",
    )


async def _region_of(call: S3Call, bucket_id: int) -> str:
    """The region a bucket is in: its LocationConstraint, else the gateway's region."""
    location = await call.core.buckets.location(bucket_id)
    return "eu-west-1" if location == "EU" else location or call.region


async def head_bucket(call: S3Call) -> web.Response:
    bucket = await call.target()
    await call.authorize("s3:ListBucket", bucket)
    return web.Response(status=200, headers={"x-amz-bucket-region": await _region_of(call, bucket.id)})


async def delete_bucket(call: S3Call) -> web.Response:
    bucket = await call.target()
    await call.authorize("s3:DeleteBucket", bucket)
    await call.core.buckets.delete(bucket.name)
    return web.Response(status=204)


async def get_bucket_location(call: S3Call) -> web.Response:
    bucket = await call.target()
    await call.authorize("s3:GetBucketLocation", bucket)
    return xml(documents.location(await call.core.buckets.location(bucket.id) or call.region))
