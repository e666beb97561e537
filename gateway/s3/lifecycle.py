"""Bucket lifecycle (`?lifecycle`): Put/Get/DeleteBucketLifecycleConfiguration, and the
`x-amz-expiration` header of objects a rule will expire."""

from __future__ import annotations

from aiohttp import web

from gateway.core.lifecycle_config import build_config
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import ObjectInfo
from s3xml import lifecycle as documents
from s3xml.xml import MalformedXML, http_date

from .context import S3Call
from .responses import xml

MIN_SIZE_HEADER = "x-amz-transition-default-minimum-object-size"
MAX_DOCUMENT = 1024 * 1024  # 1,000 rules with long prefixes and tags fit


async def get_bucket_lifecycle_configuration(call: S3Call) -> web.Response:
    assert call.bucket is not None
    await call.authorize("s3:GetLifecycleConfiguration", await call.target())
    config = await call.core.lifecycle.get(call.bucket)
    return xml(documents.lifecycle_configuration(config.rules), headers={MIN_SIZE_HEADER: config.min_size})


async def put_bucket_lifecycle_configuration(call: S3Call) -> web.Response:
    assert call.bucket is not None
    await call.authorize("s3:PutLifecycleConfiguration", await call.target())
    body = await call.read_small_body(MAX_DOCUMENT)
    try:
        raw = documents.parse_lifecycle(body)
    except MalformedXML as exc:
        raise JunctionError(ErrorCode.MalformedXML, str(exc)) from None
    config = build_config(raw, call.header(MIN_SIZE_HEADER))
    await call.core.lifecycle.put(call.bucket, config)
    return web.Response(status=200, headers={MIN_SIZE_HEADER: config.min_size})


async def delete_bucket_lifecycle(call: S3Call) -> web.Response:
    assert call.bucket is not None
    await call.authorize("s3:PutLifecycleConfiguration", await call.target())  # S3: put covers delete
    await call.core.lifecycle.delete(call.bucket)
    return web.Response(status=204)


async def expiration_headers(call: S3Call, obj: ObjectInfo) -> dict[str, str]:
    """`x-amz-expiration: expiry-date="Fri, 23 Dec 2012 00:00:00 GMT", rule-id="..."` for a current
    version some rule will expire (S3 sends it on PUT, GET and HEAD)."""
    if call.query.get("versionId") is not None:
        return {}
    expiry = await call.core.lifecycle.expiry(obj)
    if expiry.when is None:
        return {}
    return {"x-amz-expiration": f'expiry-date="{http_date(expiry.when)}", rule-id="{expiry.rule_id}"'}


async def abort_headers(call: S3Call, bucket_id: int, key: str, initiated: float) -> dict[str, str]:
    """`x-amz-abort-date` and `x-amz-abort-rule-id` of a new multipart upload an
    AbortIncompleteMultipartUpload rule will abort (S3 sends them on CreateMultipartUpload)."""
    abort = await call.core.lifecycle.abort_date(bucket_id, key, initiated)
    if abort.when is None:
        return {}
    return {"x-amz-abort-date": http_date(abort.when), "x-amz-abort-rule-id": abort.rule_id}
