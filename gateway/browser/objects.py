"""`/api/objects/*`: list (with search), streamed upload with server-side progress over SSE,
streamed download, delete and view. Keys and prefixes travel in URLs as URL-safe base64.

Each route asks the one engine for the S3 action it performs, with the condition keys S3
would supply (`s3:prefix`, `s3:delimiter` on listings), so a user's per-path rules and
policies decide here exactly as they do for its access keys on S3.
"""

from __future__ import annotations

import mimetypes
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from gateway.core.objects import MAX_PUT_SIZE, ObjectAttrs, WriteConditions
from gateway.core.sessions import b64url
from gateway.core.sse.service import visible_sha256
from gateway.core.tagging import validate_tags
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Bucket, ObjectInfo
from gateway.http.ratelimit import limit_of
from gateway.http.streaming import send_stream

from .call import BrowserCall, decode_key
from .errors import rate_limited
from .sse import stream_events

MAX_PAGE = 1000
SCAN_CAP = 5000  # keys a `contains` search reads per request before it answers with a continuation
CONTAINS_LIMIT = limit_of("search-contains")  # per minute per client address (the document's figure)
CHUNK = 256 * 1024
MAX_UPLOAD_ID = 128
FORM_OVERHEAD = 64 * 1024  # boundaries and part headers around the file, at most
FOLDER_MARKER_TYPE = "application/x-directory"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat().replace("+00:00", "Z")


def object_json(obj: ObjectInfo) -> dict[str, Any]:
    return {"Key": obj.key, "LastModified": iso(obj.updated), "Size": obj.size, "ETag": f'"{obj.etag}"'}


async def _page_size(call: BrowserCall) -> int:
    """`maxKeys`, or the administrators' `max-files-per-page` setting when the caller does not ask."""
    raw = call.request.query.get("maxKeys")
    if raw is None:
        return int(await call.core.settings.get("max-files-per-page"))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise JunctionError(ErrorCode.InvalidArgument, f"maxKeys must be an integer from 1 to {MAX_PAGE}")
    return int(raw)


def _marker(call: BrowserCall) -> str:
    token = call.request.query.get("continuationToken", "")
    return decode_key(token) if token else ""


def _prefix(call: BrowserCall) -> str:
    if "prefix" in call.request.match_info:
        return call.encoded("prefix")
    return decode_key(call.request.query.get("prefix", ""))


async def _authorize_listing(call: BrowserCall, bucket: Bucket, prefix: str, delimiter: str) -> None:
    await call.authorize("s3:ListBucket", bucket, context={"s3:prefix": (prefix,), "s3:delimiter": (delimiter,)})


async def list_objects(call: BrowserCall) -> web.StreamResponse | dict[str, Any]:
    bucket = await call.bucket()
    prefix, max_keys, marker = _prefix(call), await _page_size(call), _marker(call)
    query, mode = call.request.query.get("q", ""), call.request.query.get("mode", "startsWith")
    if query and mode == "contains":
        retry_at = CONTAINS_LIMIT.hit(call.request.remote or "-")
        if retry_at is not None:
            return rate_limited(CONTAINS_LIMIT.limit, retry_at)
        return await _contains(call, bucket, prefix, query, marker, max_keys)
    if query and mode != "startsWith":
        raise JunctionError(ErrorCode.InvalidArgument, "mode must be startsWith or contains")
    listed = prefix + query  # startsWith: the index answers it as a longer prefix
    await _authorize_listing(call, bucket, listed, "/")
    page = await call.core.list_objects(bucket.name, prefix=listed, delimiter="/", marker=marker, max_keys=max_keys)
    return {
        "objects": [object_json(o) for o in page.objects if o.key != prefix],  # not the folder itself
        "prefixes": [{"Prefix": p} for p in page.prefixes],
        "isTruncated": page.truncated,
        "nextContinuationToken": b64url(page.next_marker.encode()) if page.truncated else None,
        "prefix": prefix,
    }


async def _contains(
    call: BrowserCall, bucket: Bucket, prefix: str, query: str, marker: str, max_keys: int
) -> dict[str, Any]:
    """Keys under `prefix` whose name below it contains `query` (case-insensitive): a scan,
    bounded by SCAN_CAP keys read per request; the continuation resumes the scan."""
    await _authorize_listing(call, bucket, prefix, "")
    needle, scanned, last = query.lower(), 0, marker
    found: list[dict[str, Any]] = []
    exhausted = False
    while scanned < SCAN_CAP and len(found) < max_keys and not exhausted:
        page = await call.core.list_objects(
            bucket.name, prefix=prefix, marker=last, max_keys=min(1000, SCAN_CAP - scanned)
        )
        for obj in page.objects:
            scanned += 1
            last = obj.key
            if needle in obj.key[len(prefix) :].lower():
                found.append(object_json(obj))
                if len(found) >= max_keys:
                    break
        else:
            exhausted = not page.truncated
    truncated = not exhausted
    return {
        "objects": found,
        "prefixes": [],
        "isTruncated": truncated,
        "nextContinuationToken": b64url(last.encode()) if truncated else None,
        "prefix": prefix,
        "scanned": scanned,
    }


# ------------------------------------------------------------------ upload


async def _upload_limit(call: BrowserCall) -> int:
    """The largest file an upload may carry (the `max-upload-size` setting, else S3's 5 GiB);
    a form whose declared length is over it by more than a form's framing is refused at once,
    413, before a byte is stored (the file part is also counted as it streams)."""
    most = int(await call.core.settings.get("max-upload-size")) or MAX_PUT_SIZE
    declared = call.request.content_length
    if declared is not None and declared > most + FORM_OVERHEAD:
        raise JunctionError(ErrorCode.EntityTooLarge, f"the file exceeds the {most}-byte upload limit")
    return most


def _upload_id(call: BrowserCall) -> str | None:
    upload_id = call.request.query.get("uploadId")
    if upload_id is not None and not 1 <= len(upload_id) <= MAX_UPLOAD_ID:
        raise JunctionError(ErrorCode.InvalidArgument, f"uploadId must be 1-{MAX_UPLOAD_ID} characters")
    return upload_id


async def upload(call: BrowserCall) -> dict[str, Any]:
    """`multipart/form-data` with a `file` part, streamed into the object (never held whole)."""
    bucket, key = await call.bucket(), call.encoded()
    await call.authorize("s3:PutObject", bucket, key)
    upload_id = _upload_id(call)
    most = await _upload_limit(call)
    if not call.request.content_type.startswith("multipart/form-data"):
        raise JunctionError(ErrorCode.InvalidArgument, "an upload is multipart/form-data with a 'file' part")
    try:
        reader = await call.request.multipart()
        part = await reader.next()
        while part is not None and not (isinstance(part, BodyPartReader) and part.name == "file"):
            await part.release()
            part = await reader.next()
    except ValueError as exc:
        raise JunctionError(ErrorCode.MalformedPOSTRequest, f"malformed multipart/form-data: {exc}") from None
    if part is None or not isinstance(part, BodyPartReader):
        raise JunctionError(ErrorCode.InvalidArgument, "the form has no 'file' part")
    progress = (
        call.core.upload_progress.start(call.session.subject, upload_id, call.request.content_length)
        if upload_id
        else None
    )
    content_type = part.headers.get("Content-Type", "")
    if not content_type or content_type == "application/octet-stream":
        content_type = mimetypes.guess_type(key)[0] or content_type
    if key.endswith("/"):
        content_type = FOLDER_MARKER_TYPE

    async def body() -> AsyncIterator[bytes]:
        received = 0
        while True:
            chunk = await part.read_chunk(CHUNK)
            if not chunk:
                return
            received += len(chunk)
            if received > most:
                raise JunctionError(ErrorCode.EntityTooLarge, f"the file exceeds the {most}-byte upload limit")
            if progress is not None:
                progress.add(len(chunk))
            yield chunk

    try:
        obj = await call.core.objects.put(
            bucket.name,
            key,
            body(),
            length=None,
            attrs=ObjectAttrs(content_type=content_type),
            conditions=WriteConditions(no_overwrite=call.session.identity.no_overwrite),
        )
    except BaseException as exc:
        if progress is not None:
            message = exc.message if isinstance(exc, JunctionError) else "the upload was interrupted"
            progress.finish("failed", message)
        raise
    if progress is not None:
        progress.finish("completed")
    return {"message": "File uploaded successfully", "key": obj.key, "size": obj.size, "etag": f'"{obj.etag}"'}


async def upload_progress(call: BrowserCall) -> web.StreamResponse:
    """SSE: the upload's bytes received, authenticated by a one-time ticket (no token in the URL)."""
    upload_id = call.request.match_info["upload"]
    ticket = call.request.query.get("ticket", "")
    if not ticket:
        raise JunctionError(
            ErrorCode.Unauthorized, "an EventSource authenticates with ?ticket= (POST /api/auth/sse-ticket)"
        )
    session = await call.core.sessions.redeem(ticket, upload_id, "upload")

    async def events() -> AsyncIterator[dict[str, Any]]:
        async for record in call.core.upload_progress.watch(session.subject, upload_id):
            status = record.get("status")
            kind = {"uploading": "progress", "completed": "complete"}.get(str(status), "error")
            total = record.get("total")
            percent = 100 if status == "completed" else (int(record["loaded"] * 100 / total) if total else None)
            yield {"type": kind, "upload": {"id": upload_id, **record, "percent": percent}}

    return await stream_events(call.request, events())


# ------------------------------------------------------------------ download, view, delete


def content_disposition(key: str) -> str:
    name = key.rstrip("/").rsplit("/", 1)[-1] or "download"
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


async def download(call: BrowserCall) -> web.StreamResponse:
    bucket, key = await call.bucket(), call.encoded()
    await call.authorize("s3:GetObject", bucket, key)
    obj = await call.core.objects.head(bucket.name, key)
    headers = {
        "Content-Type": obj.content_type or "application/octet-stream",
        "Content-Length": str(obj.size),
        "Content-Disposition": content_disposition(key),
        "ETag": f'"{obj.etag}"',
        "X-Content-Type-Options": "nosniff",
    }
    return await send_stream(call.request, web.StreamResponse(headers=headers), call.core.objects.read(obj))


async def view(call: BrowserCall) -> dict[str, Any]:
    """The object's metadata, and its tags when the caller may read them (s3:GetObjectTagging)."""
    bucket, key = await call.bucket(), call.encoded()
    await call.authorize("s3:GetObject", bucket, key)
    obj = await call.core.objects.head(bucket.name, key)
    tags = (
        await call.core.tagging.object_tags(bucket.name, key)
        if await call.allowed("s3:GetObjectTagging", bucket, key)
        else None
    )
    return {
        "bucket": bucket.name,
        "key": obj.key,
        "size": obj.size,
        "etag": f'"{obj.etag}"',
        "contentType": obj.content_type,
        "lastModified": iso(obj.updated),
        "created": iso(obj.created),
        "versionId": obj.version_id,
        "metadata": obj.meta,
        "headers": obj.headers,
        "checksums": obj.checksums,
        "sha256": visible_sha256(obj),
        "tags": dict(tags) if tags is not None else None,
    }


async def put_tags(call: BrowserCall) -> dict[str, Any]:
    """`{"tags": {"key": "value", ...}}` replaces the object's tag set, as PutObjectTagging
    (S3's rules: at most 10, no `aws:` keys); an empty set removes them (DeleteObjectTagging)."""
    bucket, key = await call.bucket(), call.encoded()
    tags = (await call.json()).get("tags")
    if not isinstance(tags, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
        raise JunctionError(ErrorCode.InvalidArgument, 'the body is {"tags": {"key": "value", ...}}', field="tags")
    if not tags:
        await call.authorize("s3:DeleteObjectTagging", bucket, key)
        await call.core.tagging.delete_object_tags(bucket.name, key)
        return {"message": "Tags removed", "tags": {}}
    await call.authorize("s3:PutObjectTagging", bucket, key)
    checked = validate_tags(list(tags.items()))
    await call.core.tagging.put_object_tags(bucket.name, key, checked)
    return {"message": "Tags saved", "tags": dict(checked)}


async def delete(call: BrowserCall) -> dict[str, Any]:
    """One object, or (a key ending in '/') a folder: every key under it the caller may delete."""
    bucket, key = await call.bucket(), call.encoded()
    if not key.endswith("/"):
        await call.authorize("s3:DeleteObject", bucket, key)
        await call.core.objects.delete(bucket.name, key)
        return {"message": "Object deleted successfully", "deleted": 1}
    await _authorize_listing(call, bucket, key, "")
    deleted, marker = 0, ""
    while True:
        page = await call.core.list_objects(bucket.name, prefix=key, marker=marker, max_keys=1000)
        for obj in page.objects:
            await call.authorize("s3:DeleteObject", bucket, obj.key)
        for obj in page.objects:
            await call.core.objects.delete(bucket.name, obj.key)
            deleted += 1
        if not page.truncated:
            break
        marker = page.next_marker
    return {"message": "Folder deleted successfully", "deleted": deleted}
