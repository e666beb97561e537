"""`/api/upload` (multipart/form-data, streamed into the object) and `/api/download` (a file
as it is stored, or a folder as a zip made while it is sent: memory stays one chunk per
request whatever the folder holds)."""

from __future__ import annotations

import mimetypes
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from gateway.core.objects import ObjectAttrs, WriteConditions
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Bucket, ObjectInfo
from gateway.http.streaming import send_stream

from .call import FileCall
from .files import current_file
from .namespace import FilePath, parse
from .walk import under
from .zipstream import Entry, zip_stream

CHUNK = 256 * 1024
MAX_FIELD = 4096


def attachment(name: str) -> str:
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name) or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


async def _file_part(call: FileCall) -> tuple[FilePath, BodyPartReader]:
    """The target folder (`path` form field before the file, or ?path=) and the `file` part."""
    if not call.request.content_type.startswith("multipart/form-data"):
        raise JunctionError(ErrorCode.InvalidArgument, "No file provided")
    folder_text = call.request.query.get("path", "")
    try:
        reader = await call.request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                raise JunctionError(ErrorCode.InvalidArgument, "No file provided")
            if not isinstance(part, BodyPartReader):
                await part.release()
                continue
            if part.name == "file":
                return parse(folder_text), part
            if part.name == "path":
                value = await part.read(decode=True)
                if len(value) > MAX_FIELD:
                    raise JunctionError(ErrorCode.InvalidArgument, "path is too long")
                folder_text = value.decode("utf-8", "replace")
            else:
                await part.release()
    except ValueError as exc:
        raise JunctionError(ErrorCode.MalformedPOSTRequest, f"malformed multipart/form-data: {exc}") from None


async def upload(call: FileCall) -> dict[str, Any]:
    """The form's `path` must come before its `file` (as requests and browsers send fields
    appended first), so the file streams straight into its object."""
    folder, part = await _file_part(call)
    filename = (part.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    if not filename:
        raise JunctionError(ErrorCode.InvalidArgument, "No file provided")
    path = folder.child(filename)
    bucket = await call.core.buckets.get(path.bucket)
    await call.authorize("s3:PutObject", bucket, path.key)
    content_type = part.headers.get("Content-Type", "")
    if not content_type or content_type == "application/octet-stream":
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"

    async def body() -> AsyncIterator[bytes]:
        while chunk := await part.read_chunk(CHUNK):
            yield chunk

    await call.core.objects.put(
        path.bucket,
        path.key,
        body(),
        length=None,
        attrs=ObjectAttrs(content_type=content_type),
        conditions=WriteConditions(no_overwrite=call.caller.identity.no_overwrite),
    )
    return {"status": "File uploaded", "path": str(path)}


async def _is_file(call: FileCall, path: FilePath) -> bool:
    if not path.key:
        return False
    try:
        await current_file(call, path)
    except JunctionError as exc:
        if exc.code != ErrorCode.NoSuchKey:
            raise
        return False
    return True


async def download(call: FileCall) -> web.StreamResponse:
    path = parse(call.query("file_path", "No file path provided"))
    if not path.bucket:
        raise JunctionError(ErrorCode.InvalidArgument, "the root is not a folder to download: name a bucket")
    bucket = await call.core.buckets.get(path.bucket)
    # a key the caller may not read is looked at only as a folder (whose listing is authorized):
    # no answer tells it whether a file of that name exists
    if path.key and await call.allowed("s3:GetObject", bucket, path.key) and await _is_file(call, path):
        _, obj = await current_file(call, path)
        headers = {
            "Content-Type": obj.content_type or "application/octet-stream",
            "Content-Length": str(obj.size),
            "Content-Disposition": attachment(path.name),
            "ETag": f'"{obj.etag}"',
            "X-Content-Type-Options": "nosniff",
        }
        return await send_stream(call.request, web.StreamResponse(headers=headers), call.core.objects.read(obj))
    return await _download_folder(call, bucket, path)


async def _download_folder(call: FileCall, bucket: Bucket, path: FilePath) -> web.StreamResponse:
    """Every file is authorized before the first byte goes out (a refusal is still a clean
    401); the listing is then read again as the zip is written, a page at a time."""
    prefix = path.prefix
    await call.authorize("s3:ListBucket", bucket, context={"s3:prefix": (prefix,), "s3:delimiter": ("",)})
    count = 0
    async for obj in under(call.core, bucket.name, prefix, markers=False):
        await call.authorize("s3:GetObject", bucket, obj.key)
        count += 1
    if count == 0 and prefix:
        page = await call.core.list_objects(bucket.name, prefix=prefix, max_keys=1)
        if not page.objects:
            raise JunctionError(ErrorCode.NoSuchKey, "File or folder does not exist")
    level = int(await call.core.settings.get("zip-compression-level"))

    async def entries() -> AsyncIterator[Entry]:
        async for listed in under(call.core, bucket.name, prefix, markers=False):
            try:
                obj = await call.core.objects.head(bucket.name, listed.key)  # with its blocks, as of now
            except JunctionError as exc:
                if exc.code in (ErrorCode.NoSuchKey, ErrorCode.MethodNotAllowed):
                    continue  # deleted since it was listed
                raise
            yield Entry(obj.key[len(prefix) :], obj.size, obj.updated, _reader(call, obj))

    headers = {
        "Content-Type": "application/zip",
        "Content-Disposition": attachment(f"{path.name}.zip"),
        "X-Content-Type-Options": "nosniff",
    }
    return await send_stream(call.request, web.StreamResponse(headers=headers), zip_stream(entries(), level=level))


def _reader(call: FileCall, obj: ObjectInfo) -> Any:
    def read() -> AsyncIterator[bytes]:
        return call.core.objects.read(obj)

    return read
