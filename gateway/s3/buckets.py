"""Bucket-level S3 operations: list, create, head, delete, location."""

from __future__ import annotations

from aiohttp import web

from gateway.core.access import LIST, READ
from gateway.domain.errors import ErrorCode, JunctionError
from s3xml import documents
from s3xml.xml import MalformedXML

from .acl import check_request_acl
from .context import S3Call
from .responses import xml


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
    if constraint and constraint != call.region:
        raise JunctionError(
            ErrorCode.IllegalLocationConstraintException,
            f"The {constraint} location constraint is incompatible with the region {call.region}.",
        )
    assert call.bucket is not None
    bucket = await call.core.buckets.create(call.bucket, call.principal.access_key)
    if (call.header("x-amz-bucket-object-lock-enabled") or "").strip().lower() == "true":
        await call.core.object_lock.enable_for_new_bucket(bucket.id)  # versioning comes with it
    return web.Response(status=200, headers={"Location": f"/{call.bucket}"})


async def head_bucket(call: S3Call) -> web.Response:
    assert call.bucket is not None
    bucket = await call.core.buckets.get(call.bucket)
    await call.authorize(READ, bucket.id)
    return web.Response(status=200, headers={"x-amz-bucket-region": call.region})


async def delete_bucket(call: S3Call) -> web.Response:
    assert call.bucket is not None
    call.require_admin()
    await call.core.buckets.delete(call.bucket)
    return web.Response(status=204)


async def get_bucket_location(call: S3Call) -> web.Response:
    assert call.bucket is not None
    bucket = await call.core.buckets.get(call.bucket)
    await call.authorize(READ, bucket.id)
    return xml(documents.location(call.region))
