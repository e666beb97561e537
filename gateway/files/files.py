"""Single files: `/api/new_file`, `/api/edit_file`, `/api/get_file`, `/api/rename_file`,
`/api/delete_file`. Each is one ordinary object operation of the core under the S3 action it
performs (versions, quotas, Object Lock and the audit apply as to any S3 write); a write's
bytes arrive in the JSON body (bounded), larger files go through /api/upload."""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import AsyncIterator
from typing import Any

from gateway.core.objects import ObjectAttrs, WriteConditions
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.mapping import split_key
from gateway.domain.models import Bucket, ObjectInfo

from .call import FileCall
from .namespace import FilePath, check_name, file_path, parse

TEXT_TYPES = ("application/json", "application/xml", "application/javascript", "application/x-sh", "image/svg+xml")
BINARY_MAJOR = ("image/", "video/", "audio/", "font/")


def content_type_for(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


async def one_piece(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def current_file(call: FileCall, path: FilePath) -> tuple[Bucket, ObjectInfo]:
    """The file's bucket and object, or 404 Path does not exist (a folder is not a file)."""
    bucket = await call.core.buckets.get(path.bucket)
    try:
        obj = await call.core.objects.head(path.bucket, path.key)
    except JunctionError as exc:
        if exc.code in (ErrorCode.NoSuchKey, ErrorCode.MethodNotAllowed):  # absent, or a delete marker
            raise JunctionError(ErrorCode.NoSuchKey, "Path does not exist") from None
        raise
    return bucket, obj


async def write(call: FileCall, path: FilePath, content: bytes, content_type: str, *, create: bool) -> ObjectInfo:
    bucket = await call.core.buckets.get(path.bucket)
    await call.authorize("s3:PutObject", bucket, path.key)
    conditions = WriteConditions(if_none_match="*" if create else None, no_overwrite=call.caller.identity.no_overwrite)
    try:
        return await call.core.objects.put(
            path.bucket,
            path.key,
            one_piece(content),
            length=len(content),
            attrs=ObjectAttrs(content_type=content_type),
            conditions=conditions,
        )
    except JunctionError as exc:
        if create and exc.code in (ErrorCode.PreconditionFailed, ErrorCode.ConditionalRequestConflict):
            raise JunctionError(ErrorCode.PreconditionFailed, f"File already exists: {path}") from None
        raise


def _content(value: object, name: str = "file_content") -> bytes:
    if not isinstance(value, str):
        raise JunctionError(ErrorCode.InvalidArgument, f"{name} must be a string")
    return value.encode("utf-8")


async def new_file(call: FileCall) -> dict[str, Any]:
    body = await call.json()
    name, content = body.get("file_name"), body.get("file_content")
    if not name or content is None:
        raise JunctionError(ErrorCode.InvalidArgument, "No file name or content provided")
    if not isinstance(name, str):
        raise JunctionError(ErrorCode.InvalidArgument, "file_name must be a string")
    path = parse(await call.text("path", "", required=False)).child(name)
    await write(call, path, _content(content), content_type_for(name), create=True)
    return {"status": "File created", "path": str(path)}


async def edit_file(call: FileCall) -> dict[str, Any]:
    """An atomic overwrite: the new bytes are stored whole before the one commit that makes
    them the file, so a reader sees the old content or the new, never a mix."""
    path = file_path(await call.text("path", "No path provided"))
    content = _content((await call.json()).get("file_content") or "")
    await call.authorize("s3:PutObject", await call.core.buckets.get(path.bucket), path.key)  # before 404: no probing
    _, old = await current_file(call, path)
    await write(call, path, content, old.content_type or content_type_for(path.key), create=False)
    return {"status": "File edited", "path": str(path)}


def is_text(content_type: str, data: bytes) -> bool:
    """By MIME type, as the document says; text that is not UTF-8 goes as binary (JSON holds only text)."""
    kind = content_type.split(";")[0].strip().lower()
    if kind.startswith(BINARY_MAJOR) and kind not in TEXT_TYPES:
        return False
    textual = kind.startswith("text/") or kind in TEXT_TYPES or kind.endswith(("+json", "+xml"))
    if not textual and kind not in ("", "application/octet-stream"):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


async def get_file(call: FileCall) -> dict[str, Any]:
    path = file_path(call.query("file_path", "No file path provided"))
    bucket = await call.core.buckets.get(path.bucket)
    await call.authorize("s3:GetObject", bucket, path.key)
    _, obj = await current_file(call, path)
    limit = int(await call.core.settings.get("max-inline-file-size"))
    if obj.size > limit:
        raise JunctionError(
            ErrorCode.EntityTooLarge, f"the file is {obj.size} bytes; get_file returns up to {limit}: use /api/download"
        )
    data = bytearray()
    async for chunk in call.core.objects.read(obj):
        data += chunk
    by_name = mimetypes.guess_type(path.key)[0]
    content_type = by_name or obj.content_type or ""
    if is_text(content_type, bytes(data)):
        return {"status": "File content retrieved", "content": data.decode("utf-8"), "type": "text"}
    return {"status": "File content retrieved", "content": base64.b64encode(data).decode("ascii"), "type": "binary"}


async def move_object(call: FileCall, obj: ObjectInfo, source: FilePath, target: FilePath) -> None:
    """Re-home one object under `target` without copying a byte (the native API's move: the
    same blobs, one transaction; a versioned bucket keeps the old key's history)."""
    bucket = await call.core.buckets.get(source.bucket)
    await call.authorize("s3:GetObject", bucket, source.key)
    await call.authorize("s3:DeleteObject", bucket, source.key)
    await call.authorize("s3:PutObject", bucket, target.key)
    package_name, object_path = split_key(target.key)
    try:
        package = await call.core.native.packages.get_by_name(target.bucket, package_name)
    except JunctionError as exc:
        if exc.code != ErrorCode.NoSuchPackage:
            raise
        package = await call.core.native.packages.create(bucket.id, package_name)
    await call.core.native.move(obj, package, object_path)


async def rename_file(call: FileCall) -> dict[str, Any]:
    name = await call.text("file_name", "No file name provided")
    new_name = await call.text("new_name", "No file name provided")
    folder = parse(await call.text("path", "No path provided"))
    assert name is not None and new_name is not None
    check_name(new_name)
    source, target = folder.child(name), folder.child(new_name)
    bucket = await call.core.buckets.get(source.bucket)
    for action, key in (("s3:GetObject", source.key), ("s3:DeleteObject", source.key), ("s3:PutObject", target.key)):
        await call.authorize(action, bucket, key)  # before 404: no probing for names
    _, obj = await current_file(call, source)
    if target.key != source.key:
        try:
            await call.core.objects.head(target.bucket, target.key)
        except JunctionError as exc:
            if exc.code not in (ErrorCode.NoSuchKey, ErrorCode.MethodNotAllowed):
                raise
        else:
            raise JunctionError(ErrorCode.ObjectAlreadyExists, f"File already exists: {target}")
        await move_object(call, obj, source, target)
    return {"status": "File renamed", "path": str(target)}


async def delete_file(call: FileCall) -> dict[str, Any]:
    path = file_path(await call.text("path", "No path provided"))
    bucket = await call.core.buckets.get(path.bucket)
    await call.authorize("s3:DeleteObject", bucket, path.key)
    await current_file(call, path)
    await call.core.objects.delete(path.bucket, path.key)
    return {"status": "File deleted"}
