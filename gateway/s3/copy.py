"""CopyObject: x-amz-copy-source, metadata directive and copy-source conditionals."""

from __future__ import annotations

from aiohttp import web

from gateway.core.objects import CopySource, checksum_algorithm
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.text import decode_uri_component
from s3xml import documents

from .acl import object_acl_for_write
from .context import S3Call
from .encryption import copy_source_sse, sse_headers, write_sse
from .lifecycle import expiration_headers
from .object_lock import request_lock
from .objects import write_conditions
from .responses import xml
from .tagging import request_tags, tag_context


def copy_source(call: S3Call) -> CopySource:
    """Parse `x-amz-copy-source: /bucket/key[?versionId=..]` (URL-encoded) and its conditions."""
    raw = call.header("x-amz-copy-source") or ""
    path, _, query = raw.partition("?")
    if query and not query.startswith("versionId="):
        raise JunctionError(ErrorCode.InvalidArgument, "Invalid copy source", argument="x-amz-copy-source")
    try:
        path = decode_uri_component(path)
        version_id = decode_uri_component(query.partition("=")[2]) if query else None
    except JunctionError:
        raise JunctionError(
            ErrorCode.InvalidArgument, "Copy Source is not valid UTF-8 once URL-decoded", argument="x-amz-copy-source"
        ) from None
    if path.startswith("/"):
        path = path[1:]
    bucket, sep, key = path.partition("/")
    if not bucket or not sep or not key:
        raise JunctionError(
            ErrorCode.InvalidArgument,
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
            argument="x-amz-copy-source",
        )
    return CopySource(
        bucket=bucket,
        key=key,
        version_id=version_id,
        if_match=call.header("x-amz-copy-source-if-match"),
        if_none_match=call.header("x-amz-copy-source-if-none-match"),
        if_modified_since=call.header("x-amz-copy-source-if-modified-since"),
        if_unmodified_since=call.header("x-amz-copy-source-if-unmodified-since"),
    )


async def copy_object(call: S3Call) -> web.Response:
    assert call.bucket is not None and call.key is not None
    source = copy_source(call)
    src_bucket = await call.core.buckets.get(source.bucket)
    source_action = "s3:GetObjectVersion" if source.version_id is not None else "s3:GetObject"
    await call.authorize(source_action, src_bucket, source.key, version_id=source.version_id)
    dst_bucket = await call.core.buckets.get(call.bucket)
    replaced_tags = (
        (request_tags(call) or {}) if (call.header("x-amz-tagging-directive") or "").upper() == "REPLACE" else None
    )
    await call.authorize("s3:PutObject", dst_bucket, call.key, extra=tag_context(replaced_tags))
    acl = await object_acl_for_write(call, dst_bucket)
    directive = (call.header("x-amz-metadata-directive") or "COPY").upper()
    if directive not in ("COPY", "REPLACE"):
        raise JunctionError(
            ErrorCode.InvalidArgument, "Unknown metadata directive.", argument="x-amz-metadata-directive"
        )
    sse = write_sse(call)
    tagging = (call.header("x-amz-tagging-directive") or "COPY").upper()
    if tagging not in ("COPY", "REPLACE"):
        raise JunctionError(ErrorCode.InvalidArgument, "Unknown tagging directive.", argument="x-amz-tagging-directive")
    async with call.absence_concealed(src_bucket, source.key):  # a missing source: 404 only to a lister
        obj = await call.core.objects.copy(
            source,
            call.bucket,
            call.key,
            replace_attrs=call.object_attrs() if directive == "REPLACE" else None,
            conditions=write_conditions(call),
            checksum_algorithm=checksum_algorithm(call.header("x-amz-checksum-algorithm")),
            tags=(request_tags(call) or {}) if tagging == "REPLACE" else None,
            acl=acl,
            storage_class=call.storage_class(),
            source_sse=copy_source_sse(call),
            sse=sse,
            lock=await call.core.object_lock.lock_for_write(dst_bucket.id, request_lock(call)),
        )
    headers = sse_headers(obj.encryption, sse)
    if source.version_id is not None:
        headers["x-amz-copy-source-version-id"] = source.version_id
    if obj.version_id is not None:
        headers["x-amz-version-id"] = obj.version_id
    headers |= await expiration_headers(call, obj)
    return xml(documents.copy_object_result(obj), headers=headers)
