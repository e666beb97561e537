"""/v1/bucket/*: buckets are S3 buckets (same name, same id)."""

from __future__ import annotations

from aiohttp import web

from gateway.domain.models import Bucket

from .call import NativeCall, get_int, get_str
from .envelope import ok
from .views import bucket_view


async def bucket_by_id(call: NativeCall, bucket_id: int) -> Bucket:
    return await call.native.bucket(bucket_id)


async def bucket_create(call: NativeCall) -> web.Response:
    """userID is accepted and ignored: buckets belong to the gateway, keys decide access."""
    data = call.json()
    get_int(data, "userID", required=False)
    name = get_str(data, "name")
    await call.authorize("s3:CreateBucket")
    assert call.identity is not None
    bucket = await call.core.buckets.create(name, call.core.identity.bucket_owner_of(call.identity))
    return ok({"bucket": bucket_view(bucket)})


async def bucket_get_by_name(call: NativeCall) -> web.Response:
    bucket = await call.core.buckets.get(call.q_str("name"))
    await call.authorize("s3:ListBucket", bucket.id)
    return ok({"bucket": bucket_view(bucket)})


async def bucket_list_all(call: NativeCall) -> web.Response:
    await call.authorize("s3:ListAllMyBuckets")
    buckets = [b for b in await call.core.buckets.list() if await call.allowed("s3:ListBucket", b.id)]
    return ok({"buckets": [bucket_view(b) for b in buckets]})


async def bucket_delete(call: NativeCall) -> web.Response:
    """Refused while the bucket holds objects (package markers included), as in S3."""
    bucket = await bucket_by_id(call, get_int(call.json(), "bucketID"))
    await call.authorize("s3:DeleteBucket", bucket.id)
    await call.core.buckets.delete(bucket.name)
    return ok(None)
