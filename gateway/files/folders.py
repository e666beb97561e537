"""`/api/create_folder`, `/api/delete_folder`, `/api/rename_folder`.

A folder at the root is a bucket, one inside a bucket is a package, deeper ones are key
prefixes (with a zero-byte `name/` marker, as S3 consoles make them). Renaming a folder moves
its objects' metadata without copying a byte (the native API's move: same blobs, one
transaction per object); a package keeps being a package under its new name. Every object is
authorized before the first is touched, so a refusal changes nothing."""

from __future__ import annotations

from typing import Any

from gateway.core.objects import ObjectAttrs, WriteConditions
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Bucket

from .call import FileCall
from .files import move_object, one_piece
from .namespace import FilePath, parse
from .walk import under

FOLDER_MARKER_TYPE = "application/x-directory"


async def _exists(call: FileCall, path: FilePath) -> bool:
    page = await call.core.list_objects(path.bucket, prefix=path.prefix, max_keys=1)
    if page.objects:
        return True
    try:
        await call.core.objects.head(path.bucket, path.key)
    except JunctionError as exc:
        if exc.code in (ErrorCode.NoSuchKey, ErrorCode.MethodNotAllowed):
            return False
        raise
    return True  # a file of that name


async def create_folder(call: FileCall) -> dict[str, Any]:
    name = await call.text("folder_name", "No folder name provided")
    assert name is not None
    parent = parse(await call.text("path", "", required=False))
    if not parent.bucket:  # a folder at the root is a bucket
        target = FilePath(name, "")
        await call.authorize("s3:CreateBucket")
        await call.core.buckets.create(name, call.core.identity.bucket_owner_of(call.caller.identity))
        return {"status": "Folder created", "path": str(target)}
    target = parent.child(name)
    bucket = await call.core.buckets.get(target.bucket)
    await call.authorize("s3:PutObject", bucket, target.prefix)
    if await _exists(call, target):
        raise JunctionError(ErrorCode.ObjectAlreadyExists, f"Folder already exists: {target}")
    if "/" not in target.key:
        await call.core.native.packages.create(bucket.id, target.key)
    else:
        await call.core.objects.put(
            target.bucket,
            target.prefix,
            one_piece(b""),
            length=0,
            attrs=ObjectAttrs(content_type=FOLDER_MARKER_TYPE),
            conditions=WriteConditions(if_none_match="*"),
        )
    return {"status": "Folder created", "path": str(target)}


async def delete_folder(call: FileCall) -> dict[str, Any]:
    path = parse(await call.text("path", "No path provided"))
    if not path.bucket:
        raise JunctionError(ErrorCode.InvalidArgument, "the root cannot be deleted")
    bucket = await call.core.buckets.get(path.bucket)
    if not path.key:  # a bucket: only when empty, as S3 deletes buckets
        await call.authorize("s3:DeleteBucket", bucket)
        await call.core.buckets.delete(bucket.name)
        return {"status": "Folder deleted"}
    await call.authorize("s3:ListBucket", bucket, context={"s3:prefix": (path.prefix,), "s3:delimiter": ("",)})
    found = 0
    async for obj in under(call.core, path.bucket, path.prefix):
        await call.authorize("s3:DeleteObject", bucket, obj.key)
        found += 1
    if not found:
        raise JunctionError(ErrorCode.NoSuchKey, "Path does not exist")
    folders = []
    async for obj in under(call.core, path.bucket, path.prefix):
        if obj.key.endswith("/"):
            folders.append(obj.key)  # markers last, deepest first: a folder goes after what it holds
        else:
            await call.core.objects.delete(path.bucket, obj.key)
    for key in sorted(folders, reverse=True):
        await call.core.objects.delete(path.bucket, key)
    return {"status": "Folder deleted"}


async def _authorize_moves(call: FileCall, bucket: Bucket, source: str, target: str) -> int:
    """Every move asked of the engine before any is made; the number of keys to move."""
    count = 0
    async for obj in under(call.core, bucket.name, source):
        await call.authorize("s3:GetObject", bucket, obj.key)
        await call.authorize("s3:DeleteObject", bucket, obj.key)
        await call.authorize("s3:PutObject", bucket, target + obj.key[len(source) :])
        count += 1
    return count


async def rename_folder(call: FileCall) -> dict[str, Any]:
    name = await call.text("folder_name", "No folder name provided")
    new_name = await call.text("new_name", "No folder name provided")
    assert name is not None and new_name is not None
    parent = parse(await call.text("path", "", required=False))
    if not parent.bucket:
        raise JunctionError(ErrorCode.InvalidArgument, "a bucket cannot be renamed (S3 has no such operation)")
    source, target = parent.child(name), parent.child(new_name)
    bucket = await call.core.buckets.get(source.bucket)
    await call.authorize("s3:ListBucket", bucket, context={"s3:prefix": (source.prefix,), "s3:delimiter": ("",)})
    if not (await call.core.list_objects(source.bucket, prefix=source.prefix, max_keys=1)).objects:
        raise JunctionError(ErrorCode.NoSuchKey, "Path does not exist")
    if source.key == target.key:
        return {"status": "Folder renamed", "path": str(target)}
    if await _exists(call, target):
        raise JunctionError(ErrorCode.ObjectAlreadyExists, f"Folder already exists: {target}")
    await _authorize_moves(call, bucket, source.prefix, target.prefix)
    is_package = "/" not in source.key
    if is_package:
        await call.core.native.packages.create(bucket.id, target.key)  # the package under its new name
    package_marker = None
    async for obj in under(call.core, source.bucket, source.prefix):  # moved keys leave the listing behind it
        if is_package and obj.key == source.prefix:
            package_marker = obj  # the old package's marker: removed once it is empty
            continue
        moved_to = FilePath(target.bucket, target.prefix + obj.key[len(source.prefix) :])
        await move_object(call, obj, FilePath(source.bucket, obj.key), moved_to)
    if package_marker is not None:
        await call.core.objects.delete(source.bucket, package_marker.key)
    return {"status": "Folder renamed", "path": str(target)}
