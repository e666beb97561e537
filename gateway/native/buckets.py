"""/v1/bucket/*: buckets are S3 buckets (same name, same id)."""

from __future__ import annotations

from aiohttp import web

from gateway.core.access import ADMIN, LIST, READ
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
    call.authorize(ADMIN)
    assert call.principal is not None
    bucket = await call.core.buckets.create(name, call.principal.access_key)
    return ok({"bucket": bucket_view(bucket)})


async def bucket_get_by_name(call: NativeCall) -> web.Response:
    bucket = await call.core.buckets.get(call.q_str("name"))
    call.authorize(READ, bucket.id)
    return ok({"bucket": bucket_view(bucket)})


async def bucket_list_all(call: NativeCall) -> web.Response:
    assert call.principal is not None
    call.authorize(LIST)
    buckets = await call.core.buckets.list()
    if not call.principal.is_admin:
        buckets = [b for b in buckets if b.id == call.principal.bucket_id]
    return ok({"buckets": [bucket_view(b) for b in buckets]})


async def bucket_delete(call: NativeCall) -> web.Response:
    """Refused while the bucket holds objects (package markers included), as in S3."""
    bucket = await bucket_by_id(call, get_int(call.json(), "bucketID"))
    call.authorize(ADMIN)
    await call.core.buckets.delete(bucket.name)
    return ok(None)
