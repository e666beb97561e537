"""/v1/package/*: a package is the S3 "folder" `P/` (the root package "" holds keys without '/')."""

from __future__ import annotations

from aiohttp import web

from .buckets import bucket_by_id
from .call import NativeCall, get_int, get_str
from .envelope import ok
from .views import package_view


async def package_create(call: NativeCall) -> web.Response:
    data = call.json()
    bucket = await bucket_by_id(call, get_int(data, "bucketID"))
    name = get_str(data, "name")
    await call.authorize("s3:PutObject", bucket.id, f"{name}/")
    package = await call.native.packages.create(bucket.id, name)
    return ok({"package": package_view(package)})


async def package_get_by_full_name(call: NativeCall) -> web.Response:
    bucket = await call.core.buckets.get(call.q_str("bucketName"))
    await call.authorize("s3:ListBucket", bucket.id, context={"s3:prefix": (call.q_str("packageName") + "/",)})
    package = await call.native.packages.get_by_name(bucket.name, call.q_str("packageName"))
    return ok({"package": package_view(package)})


async def package_list_bucket_packages(call: NativeCall) -> web.Response:
    bucket = await bucket_by_id(call, call.q_int("bucketID"))
    await call.authorize("s3:ListBucket", bucket.id, context={"s3:prefix": ("",)})
    packages = await call.native.packages.list(bucket.id)
    return ok({"packages": [package_view(p) for p in packages]})


async def package_delete(call: NativeCall) -> web.Response:
    """Deletes the package with every object in it; their blobs are released and collected."""
    package = await call.native.packages.get(get_int(call.json(), "packageID"))
    await call.authorize("s3:DeleteObject", package.bucket_id, f"{package.name}/")
    await call.native.packages.delete(package.id)
    return ok(None)
