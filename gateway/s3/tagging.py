"""Object and bucket tagging (`?tagging`), the x-amz-tagging header and x-amz-tagging-count."""

from __future__ import annotations

from aiohttp import web

from gateway.core.tagging import MAX_BUCKET_TAGS, MAX_OBJECT_TAGS, parse_tagging_header, validate_tags
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import ObjectInfo
from s3xml import tagging as documents
from s3xml.xml import MalformedXML

from .context import S3Call, conceals_absence
from .responses import xml


def request_tags(call: S3Call) -> dict[str, str] | None:
    """Tags a write asks for in `x-amz-tagging` (None when the header is absent)."""
    return parse_tagging_header(call.header("x-amz-tagging"))


def tag_context(tags: dict[str, str] | None) -> dict[str, tuple[str, ...]]:
    """s3:RequestObjectTag/<key> and s3:RequestObjectTagKeys of a write that sets tags."""
    if tags is None:
        return {}
    context: dict[str, tuple[str, ...]] = {f"s3:requestobjecttag/{k.lower()}": (v,) for k, v in tags.items()}
    context["s3:requestobjecttagkeys"] = tuple(tags)
    return context


async def tag_count_headers(call: S3Call, obj: ObjectInfo) -> dict[str, str]:
    """`x-amz-tagging-count` for GET/HEAD, only when the object has tags and the caller may read
    them (s3:GetObjectTagging, or its Version form for ?versionId=), as S3 does."""
    version_id = call.query.get("versionId")
    if version_id is not None and call.bucket is not None:  # a noncurrent version's tags live in history
        count = len(await call.core.tagging.object_tags(call.bucket, obj.key, version_id))
    else:
        count = obj.tag_count
    if not count:
        return {}
    action = "s3:GetObjectVersionTagging" if version_id is not None else "s3:GetObjectTagging"
    if not await call.allowed(action, await call.target(), obj.key):
        return {}  # AWS shows the count only to a caller that may read the tags themselves
    return {"x-amz-tagging-count": str(count)}


async def _tags_from_body(call: S3Call, limit: int) -> dict[str, str]:
    body = await call.read_small_body()
    try:
        pairs = documents.parse_tagging(body)
    except MalformedXML as exc:
        raise JunctionError(ErrorCode.MalformedXML, str(exc)) from None
    return validate_tags(pairs, limit=limit)


async def _object(call: S3Call, action: str) -> tuple[str, str]:
    """Authorize the object tagging `action` (its Version form when a versionId is given)."""
    assert call.bucket is not None and call.key is not None
    version_id = call.query.get("versionId")
    if version_id is not None:
        action = action.replace("Object", "ObjectVersion")
    await call.authorize(action, await call.target(), call.key, version_id=version_id)
    return call.bucket, call.key


def _version_headers(call: S3Call) -> dict[str, str]:
    version_id = call.query.get("versionId")
    return {"x-amz-version-id": version_id} if version_id is not None else {}


@conceals_absence
async def get_object_tagging(call: S3Call) -> web.Response:
    bucket, key = await _object(call, "s3:GetObjectTagging")
    tags = await call.core.tagging.object_tags(bucket, key, call.query.get("versionId"))
    return xml(documents.tagging(tags), headers=_version_headers(call))


@conceals_absence
async def put_object_tagging(call: S3Call) -> web.Response:
    bucket, key = await _object(call, "s3:PutObjectTagging")
    tags = await _tags_from_body(call, MAX_OBJECT_TAGS)
    await call.core.tagging.put_object_tags(bucket, key, tags, call.query.get("versionId"))
    return web.Response(status=200, headers=_version_headers(call))


@conceals_absence
async def delete_object_tagging(call: S3Call) -> web.Response:
    bucket, key = await _object(call, "s3:DeleteObjectTagging")
    await call.core.tagging.delete_object_tags(bucket, key, call.query.get("versionId"))
    return web.Response(status=204, headers=_version_headers(call))


async def get_bucket_tagging(call: S3Call) -> web.Response:
    assert call.bucket is not None
    await call.authorize("s3:GetBucketTagging", await call.target())
    return xml(documents.tagging(await call.core.tagging.bucket_tags(call.bucket)))


async def put_bucket_tagging(call: S3Call) -> web.Response:
    assert call.bucket is not None
    await call.authorize("s3:PutBucketTagging", await call.target())
    tags = await _tags_from_body(call, MAX_BUCKET_TAGS)
    await call.core.tagging.put_bucket_tags(call.bucket, tags)
    return web.Response(status=204)


async def delete_bucket_tagging(call: S3Call) -> web.Response:
    assert call.bucket is not None
    await call.authorize("s3:PutBucketTagging", await call.target())  # S3: the put permission covers delete
    await call.core.tagging.delete_bucket_tags(call.bucket)
    return web.Response(status=204)
