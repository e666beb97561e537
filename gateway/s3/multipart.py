"""Multipart upload operations: create, upload (copy) part, complete, abort, list."""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from gateway.core.conditions import parse_range
from gateway.core.multipart import CompletedPart, out_of_source_range
from gateway.core.object_lock import LockRequest
from gateway.core.objects import checksum_algorithm
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import ObjectInfo
from s3xml import documents
from s3xml.errors import message_of
from s3xml.xml import MalformedXML

from .acl import object_acl_for_write
from .context import S3Call, int_param
from .copy import copy_source
from .encryption import copy_source_sse, read_sse, sse_headers, write_sse
from .lifecycle import abort_headers
from .object_lock import request_lock, require_body_digest
from .objects import write_conditions
from .responses import XML, xml
from .tagging import request_tags

KEEPALIVE_AFTER = 2.0  # seconds before a slow Complete starts streaming whitespace, as S3 does
KEEPALIVE_EVERY = 10.0
UNBOUNDED = 2**63  # an object size no range can reach: parse a copy-source range without clamping it


async def _writable(call: S3Call, action: str = "s3:PutObject") -> tuple[str, str]:
    assert call.bucket is not None and call.key is not None
    await call.authorize(action, await call.target(), call.key)
    return call.bucket, call.key


async def create_multipart_upload(call: S3Call) -> web.Response:
    bucket, key = await _writable(call)
    bucket_row = await call.target()
    acl = await object_acl_for_write(call, bucket_row)
    sse = write_sse(call)
    upload, record = await call.core.multipart.create(
        bucket,
        key,
        call.object_attrs(),
        owner=_initiator(call),
        acl=acl,
        checksum_algorithm=checksum_algorithm(call.header("x-amz-checksum-algorithm")),
        checksum_type=call.header("x-amz-checksum-type"),
        tags=request_tags(call),
        sse=sse,
        lock=await call.core.object_lock.lock_for_write(bucket_row.id, request_lock(call)),
    )
    headers = sse_headers(record, sse)
    if upload.checksum_algorithm:
        headers["x-amz-checksum-algorithm"] = upload.checksum_algorithm
        headers["x-amz-checksum-type"] = upload.checksum_type
    headers |= await abort_headers(call, bucket_row.id, key, upload.created)
    return xml(documents.initiate_multipart(bucket, key, upload.id), headers=headers)


def _initiator(call: S3Call) -> str:
    """Who started an upload, as S3 names it: a user's ARN, an account's canonical id."""
    caller = call.identity.caller
    if caller.user is not None:
        return caller.arn
    return caller.canonical_id or "anonymous"


def _part_number(call: S3Call) -> int:
    return int_param(call.query, "partNumber", 0)


async def upload_part(call: S3Call) -> web.Response:
    bucket, key = await _writable(call)
    length = call.content_length()
    if length is None:
        raise JunctionError(ErrorCode.MissingContentLength)
    await require_body_digest(call, await call.core.buckets.get(bucket), LockRequest(), call.query["uploadId"])
    sse = read_sse(call)
    part, record = await call.core.multipart.upload_part(
        bucket,
        key,
        call.query["uploadId"],
        _part_number(call),
        call.body(),
        length=length,
        expect=call.expectations(),
        sse=sse,
    )
    headers = {"ETag": documents.quoted(part.etag)} | sse_headers(record, sse)
    for alg, value in part.checksums.items():
        headers[f"x-amz-checksum-{alg.lower()}"] = value
    return web.Response(status=200, headers=headers)


async def upload_part_copy(call: S3Call) -> web.Response:
    bucket, key = await _writable(call)
    source = copy_source(call)
    src_bucket = await call.core.buckets.get(source.bucket)
    source_action = "s3:GetObjectVersion" if source.version_id is not None else "s3:GetObject"
    await call.authorize(source_action, src_bucket, source.key, version_id=source.version_id)
    async with call.absence_concealed(src_bucket, source.key):  # a missing source: 404 only to a lister
        range_header = call.header("x-amz-copy-source-range")
        byte_range = None
        if range_header:
            src = await call.core.objects.head(source.bucket, source.key, source.version_id)
            byte_range = parse_range(range_header, UNBOUNDED)  # the range as asked, not clamped to the source
            if byte_range is not None and byte_range.end >= src.size:
                raise out_of_source_range(src.size)
            if byte_range is None or range_header.strip().startswith("bytes=-"):
                raise JunctionError(
                    ErrorCode.InvalidArgument,
                    "The x-amz-copy-source-range value must be of the form "
                    "bytes=first-last where first and last are the zero-based offsets of the first and "
                    "last bytes to copy",
                    argument="x-amz-copy-source-range",
                )
        sse = read_sse(call)
        part, _src, record = await call.core.multipart.upload_part_copy(
            bucket,
            key,
            call.query["uploadId"],
            _part_number(call),
            source,
            byte_range,
            source_sse=copy_source_sse(call),
            sse=sse,
        )
    return xml(documents.copy_part_result(part), headers=sse_headers(record, sse))


async def complete_multipart_upload(call: S3Call) -> web.StreamResponse:
    bucket, key = await _writable(call)
    body = await call.read_small_body(4 * 1024 * 1024)
    try:
        listed = [CompletedPart(n, e, c) for n, e, c in documents.parse_complete(body)]
    except MalformedXML as exc:
        raise JunctionError(ErrorCode.MalformedXML, str(exc)) from None
    expected = {}
    for alg in ("CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"):
        value = call.header(f"x-amz-checksum-{alg.lower()}")
        if value:
            expected[alg] = value
    size_header = call.header("x-amz-mp-object-size")
    sse = read_sse(call)
    task = asyncio.ensure_future(
        call.core.multipart.complete(
            bucket,
            key,
            call.query["uploadId"],
            listed,
            conditions=write_conditions(call),
            expected_checksums=expected,
            expected_size=int(size_header) if size_header and size_header.isdigit() else None,
            expected_type=call.header("x-amz-checksum-type"),
            sse=sse,
        )
    )
    location = f"{call.request.scheme}://{call.request.host}/{bucket}/{key}"
    done, _ = await asyncio.wait({task}, timeout=KEEPALIVE_AFTER)
    if done:
        obj = task.result()
        headers = sse_headers(obj.encryption, sse)
        if obj.version_id is not None:
            headers["x-amz-version-id"] = obj.version_id
        return xml(documents.complete_multipart(location, bucket, key, obj), headers=headers)
    return await _complete_with_keepalive(call, task, location, bucket, key)


async def _complete_with_keepalive(
    call: S3Call, task: asyncio.Future[ObjectInfo], location: str, bucket: str, key: str
) -> web.StreamResponse:
    """Commit to 200 and send whitespace until the result (or an error document) is ready."""
    response = web.StreamResponse(status=200, headers={"Content-Type": XML})
    await response.prepare(call.request)
    await response.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=KEEPALIVE_EVERY)
            if done:
                break
            await response.write(b" ")
    except BaseException:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        raise
    try:
        obj = task.result()
        body = documents.complete_multipart(location, bucket, key, obj)
    except JunctionError as exc:
        body = documents.error_document(
            exc.code, exc.message or message_of(exc.code), resource=call.resource, request_id=call.request_id
        )
    await response.write(body.split(b"?>", 1)[1])
    await response.write_eof()
    return response


async def abort_multipart_upload(call: S3Call) -> web.Response:
    bucket, key = await _writable(call, "s3:AbortMultipartUpload")
    await call.core.multipart.abort(bucket, key, call.query["uploadId"])
    return web.Response(status=204)


async def list_parts(call: S3Call) -> web.Response:
    assert call.bucket is not None and call.key is not None
    bucket = await call.target()
    await call.authorize("s3:ListMultipartUploadParts", bucket, call.key)
    marker = int_param(call.query, "part-number-marker", 0)
    max_parts = int_param(call.query, "max-parts", 1000, high=1000)
    upload, parts = await call.core.multipart.list_parts(
        call.bucket, call.key, call.query["uploadId"], after=marker, limit=max_parts + 1
    )
    truncated = len(parts) > max_parts
    parts = parts[:max_parts]
    return xml(
        documents.list_parts(
            upload, parts, marker=marker, max_parts=max_parts, truncated=truncated, owner=await call.owner_id(bucket)
        )
    )


async def list_multipart_uploads(call: S3Call) -> web.Response:
    assert call.bucket is not None
    bucket = await call.core.buckets.get(call.bucket)
    await call.authorize("s3:ListBucketMultipartUploads", bucket)
    prefix = call.query.get("prefix", "")
    delimiter = call.query.get("delimiter", "")
    key_marker = call.query.get("key-marker", "")
    upload_id_marker = call.query.get("upload-id-marker", "")
    max_uploads = int_param(call.query, "max-uploads", 1000, high=1000)
    encoding = call.query.get("encoding-type")
    uploads = await call.core.multipart.list_uploads(
        call.bucket, prefix=prefix, key_marker=key_marker, upload_id_marker=upload_id_marker, limit=max_uploads + 1
    )
    truncated = len(uploads) > max_uploads
    uploads = uploads[:max_uploads]
    prefixes: list[str] = []
    if delimiter:
        kept = []
        for upload in uploads:
            cut = upload.key.find(delimiter, len(prefix))
            if cut >= 0:
                common = upload.key[: cut + len(delimiter)]
                if common not in prefixes:
                    prefixes.append(common)
            else:
                kept.append(upload)
        uploads = kept
    return xml(
        documents.list_uploads(
            call.bucket,
            uploads,
            prefix=prefix,
            delimiter=delimiter,
            key_marker=key_marker,
            upload_id_marker=upload_id_marker,
            max_uploads=max_uploads,
            truncated=truncated,
            encoding=encoding,
            prefixes=prefixes,
            owner=await call.owner_id(bucket),
        )
    )
