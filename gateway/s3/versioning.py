"""GetBucketVersioning, PutBucketVersioning and ListObjectVersions over the core."""

from __future__ import annotations

from aiohttp import web

from gateway.domain.errors import ErrorCode, JunctionError
from s3xml.versioning import list_versions, parse_versioning, versioning_configuration
from s3xml.xml import MalformedXML

from .context import S3Call
from .listing import _params, listing_context
from .responses import xml


async def get_bucket_versioning(call: S3Call) -> web.Response:
    assert call.bucket is not None
    bucket = await call.core.buckets.get(call.bucket)
    await call.authorize("s3:GetBucketVersioning", bucket)
    return xml(versioning_configuration(await call.core.versioning.status(call.bucket)))


async def put_bucket_versioning(call: S3Call) -> web.Response:
    assert call.bucket is not None
    await call.authorize("s3:PutBucketVersioning", await call.target())
    body = await call.read_small_body()
    try:
        status, mfa_delete = parse_versioning(body)
    except MalformedXML as exc:
        raise JunctionError(ErrorCode.MalformedXML, str(exc)) from None
    if status is None:
        raise JunctionError(ErrorCode.MalformedXML, "VersioningConfiguration needs a Status")
    await call.core.versioning.set_status(call.bucket, status, mfa_delete=mfa_delete)
    return web.Response(status=200)


async def list_object_versions(call: S3Call) -> web.Response:
    params = _params(call)
    bucket = await call.core.buckets.get(params.bucket)
    await call.authorize("s3:ListBucketVersions", bucket, extra=listing_context(call, params))
    key_marker = call.query.get("key-marker", "")
    version_id_marker = call.query.get("version-id-marker", "")
    page = await call.core.versioning.list_versions(
        params.bucket,
        prefix=params.prefix,
        delimiter=params.delimiter,
        key_marker=key_marker,
        version_id_marker=version_id_marker,
        max_keys=params.max_keys,
    )
    return xml(
        list_versions(
            params, page, key_marker=key_marker, version_id_marker=version_id_marker, owner=await call.owner_id(bucket)
        )
    )
