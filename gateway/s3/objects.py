"""GetObject, HeadObject, PutObject and DeleteObject."""

from __future__ import annotations

from aiohttp import web

from gateway.core.conditions import ByteRange, check_read_conditions, parse_range
from gateway.core.objects import WriteConditions
from gateway.core.sse.request import SseRequest
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import ObjectInfo
from gateway.domain.text import require_header_safe
from gateway.http.streaming import send_stream
from s3xml.documents import quoted

from .acl import object_acl_for_write
from .context import S3Call, conceals_absence, int_param
from .encryption import read_sse, sse_headers, write_sse
from .lifecycle import expiration_headers
from .object_lock import lock_headers, may_bypass_governance, request_lock, require_body_digest
from .responses import deletion_headers, object_headers
from .tagging import request_tags, tag_context, tag_count_headers

RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}


async def _load(call: S3Call) -> tuple[ObjectInfo, SseRequest]:
    """The object to read, once the SSE-C key the read brings (if any) is known to open it."""
    assert call.bucket is not None and call.key is not None
    bucket = await call.core.buckets.get(call.bucket)
    version_id = call.query.get("versionId")
    action = "s3:GetObjectVersion" if version_id is not None else "s3:GetObject"
    await call.authorize(action, bucket, call.key, version_id=version_id)
    sse = read_sse(call)
    obj = await call.core.objects.head(call.bucket, call.key, version_id)
    call.core.objects.data_key(obj, sse)  # a missing or wrong SSE-C key fails here, before any byte
    try:
        check_read_conditions(
            etag=obj.etag,
            last_modified=obj.updated,
            if_match=call.header("If-Match"),
            if_none_match=call.header("If-None-Match"),
            if_modified_since=call.header("If-Modified-Since"),
            if_unmodified_since=call.header("If-Unmodified-Since"),
        )
    except JunctionError as exc:  # 304 and 412 name the object as it is (RFC 7232; S3 sends both)
        exc.detail.update(etag=obj.etag, last_modified=obj.updated)
        raise
    return obj, sse


def _part_range(call: S3Call, obj: ObjectInfo) -> ByteRange | None:
    """`partNumber=N` selects the N-th part of a multipart object (the whole object is part 1)."""
    if "partNumber" not in call.query:
        return None
    number = int_param(call.query, "partNumber", 1, low=1)
    if call.header("Range") is not None:
        raise JunctionError(ErrorCode.InvalidRequest, "Cannot specify both Range header and partNumber query parameter")
    blocks = obj.blocks if obj.parts_count else []
    if not blocks:
        if number != 1:
            raise JunctionError(ErrorCode.InvalidPartNumber)
        return ByteRange(0, obj.size - 1) if obj.size else None
    if number > len(blocks):
        raise JunctionError(ErrorCode.InvalidPartNumber)
    start = sum(b.size for b in blocks[: number - 1])
    return ByteRange(start, start + blocks[number - 1].size - 1)


def _response_headers(call: S3Call, obj: ObjectInfo, byte_range: ByteRange | None) -> dict[str, str]:
    whole = byte_range is None or (byte_range.start == 0 and byte_range.end == obj.size - 1)
    checksum_mode = (call.header("x-amz-checksum-mode") or "").upper() == "ENABLED"
    headers = object_headers(obj, with_checksums=checksum_mode and whole and "partNumber" not in call.query)
    for param, header in RESPONSE_OVERRIDES.items():
        if param in call.query:
            headers[header] = require_header_safe(call.query[param], param)  # no CR/LF: no header injection
    if byte_range is not None:
        headers["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{obj.size}"
    headers["Content-Length"] = str(byte_range.length if byte_range else obj.size)
    return headers


@conceals_absence
async def get_object(call: S3Call) -> web.StreamResponse:
    obj, sse = await _load(call)
    byte_range = _part_range(call, obj) or parse_range(call.header("Range"), obj.size)
    headers = (
        _response_headers(call, obj, byte_range) | await tag_count_headers(call, obj) | await lock_headers(call, obj)
    )
    headers |= await expiration_headers(call, obj) | sse_headers(obj.encryption, sse)
    response = web.StreamResponse(status=206 if byte_range else 200, headers=headers)  # a part is a range (S3: 206)
    return await send_stream(call.request, response, call.core.objects.read(obj, byte_range, sse))


@conceals_absence
async def head_object(call: S3Call) -> web.Response:
    obj, sse = await _load(call)
    byte_range = _part_range(call, obj) or parse_range(call.header("Range"), obj.size)
    headers = (
        _response_headers(call, obj, byte_range) | await tag_count_headers(call, obj) | await lock_headers(call, obj)
    )
    headers |= await expiration_headers(call, obj) | sse_headers(obj.encryption, sse)
    return web.Response(status=206 if byte_range else 200, headers=headers)


def write_conditions(call: S3Call) -> WriteConditions:
    """If-Match / If-None-Match (`*` or ETags) of a write, and an append-only key's own condition."""
    return WriteConditions(
        if_match=call.header("If-Match"),
        if_none_match=call.header("If-None-Match"),
        no_overwrite=call.identity.no_overwrite,
    )


async def put_object(call: S3Call) -> web.Response:
    assert call.bucket is not None and call.key is not None
    bucket = await call.core.buckets.get(call.bucket)
    tags = request_tags(call)
    await call.authorize("s3:PutObject", bucket, call.key, extra=tag_context(tags))
    acl = await object_acl_for_write(call, bucket)
    length = call.content_length()
    if length is None and call.header("Transfer-Encoding", "").lower() != "chunked":
        raise JunctionError(ErrorCode.MissingContentLength)
    sse = write_sse(call)
    lock_request = request_lock(call)
    lock = await call.core.object_lock.lock_for_write(bucket.id, lock_request)
    await require_body_digest(call, bucket, lock_request)
    obj = await call.core.objects.put(
        call.bucket,
        call.key,
        call.body(),
        length=length,
        attrs=call.object_attrs(),
        expect=call.expectations(),
        conditions=write_conditions(call),
        tags=tags,
        acl=acl,
        sse=sse,
        lock=lock,
    )
    headers = {"ETag": quoted(obj.etag)} | sse_headers(obj.encryption, sse)
    for alg, value in obj.checksums.items():
        headers[f"x-amz-checksum-{alg.lower()}"] = value
    if obj.checksum_type:
        headers["x-amz-checksum-type"] = obj.checksum_type
    if obj.version_id is not None:
        headers["x-amz-version-id"] = obj.version_id
    headers |= await expiration_headers(call, obj)
    return web.Response(status=200, headers=headers)


async def delete_object(call: S3Call) -> web.Response:
    assert call.bucket is not None and call.key is not None
    bucket = await call.core.buckets.get(call.bucket)
    version_id = call.query.get("versionId")
    action = "s3:DeleteObjectVersion" if version_id is not None else "s3:DeleteObject"
    await call.authorize(action, bucket, call.key, version_id=version_id)
    conditions = WriteConditions(if_match=call.header("If-Match"))
    deletion = await call.core.objects.delete(
        call.bucket,
        call.key,
        conditions,
        version_id=call.query.get("versionId"),
        bypass_governance=await may_bypass_governance(call, bucket),
    )
    return web.Response(status=204, headers=deletion_headers(deletion))
