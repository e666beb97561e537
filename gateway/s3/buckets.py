"""Bucket-level S3 operations: list, create, head, delete, location."""

from __future__ import annotations

import re

from aiohttp import web

from gateway.core.access import LIST, READ
from gateway.domain.errors import ErrorCode, JunctionError
from s3xml import documents
from s3xml.xml import MalformedXML

from .acl import check_request_acl
from .context import S3Call
from .responses import xml

# A name S3 could give a region: "EU" (the old alias of eu-west-1), or like "ap-southeast-2".
_REGION = re.compile(r"EU|[a-z]{2}(-[a-z]+)+-\d{1,2}")


async def list_buckets(call: S3Call) -> web.Response:
    buckets = await call.core.buckets.list()
    if not call.principal.is_admin:
        await call.authorize(LIST)
        buckets = [b for b in buckets if b.id == call.principal.bucket_id]
    return xml(documents.list_buckets(buckets, call.principal.access_key))


async def create_bucket(call: S3Call) -> web.Response:
    call.require_admin()
    check_request_acl(call, call.principal.access_key)
    body = await call.read_small_body()
    try:
        constraint = documents.parse_create_bucket(body)
    except MalformedXML as exc:
        raise JunctionError(ErrorCode.MalformedXML, str(exc)) from None
    check_location(constraint, call.region)
    assert call.bucket is not None
    bucket = await call.core.buckets.create(call.bucket, call.principal.access_key, location=constraint)
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
    assert call.bucket is not None
    bucket = await call.core.buckets.get(call.bucket)
    await call.authorize(READ, bucket.id)
    return web.Response(status=200, headers={"x-amz-bucket-region": await _region_of(call, bucket.id)})


async def delete_bucket(call: S3Call) -> web.Response:
    assert call.bucket is not None
    call.require_admin()
    await call.core.buckets.delete(call.bucket)
    return web.Response(status=204)


async def get_bucket_location(call: S3Call) -> web.Response:
    assert call.bucket is not None
    bucket = await call.core.buckets.get(call.bucket)
    await call.authorize(READ, bucket.id)
    return xml(documents.location(await call.core.buckets.location(bucket.id) or call.region))
