"""/v1/object/*: upload, download, listing, move, delete and clone of objects by id."""

from __future__ import annotations

import logging
from urllib.parse import quote

from aiohttp import web

from gateway.core.authz import ABSENCE_CODES, REVEALS_ABSENCE, conceal_absence
from gateway.core.native_ops import WrittenFile
from gateway.core.packages import validate_native_path
from gateway.domain.errors import ErrorCode, JunctionError, invalid_argument
from gateway.domain.mapping import join_key
from gateway.domain.models import ObjectInfo
from gateway.http.streaming import send_stream

from .call import NativeCall, get_int, get_list, get_str, to_int
from .envelope import ok
from .forms import FormReader
from .views import object_view

log = logging.getLogger("junction.native")


async def object_upload(call: NativeCall) -> web.Response:
    """Stream every `files` part into a blob; commit them all together once the request
    (and, for deferred signatures, its whole body) is authenticated."""
    auth = call.streamed
    assert auth is not None
    await call.sign_in(await auth.precheck())
    form = FormReader(call.request)
    info = await form.info()
    package = await call.native.packages.get(get_int(info, "packageID"))
    space = await call.native.space_for(get_int(info, "affinity", required=False))
    written: list[WrittenFile] = []
    try:
        while (part := await form.next_file(("files",))) is not None:
            await call.authorize("s3:PutObject", package.bucket_id, join_key(package.name, part.path))
            written.append(
                await call.native.write_file(
                    package, part.path, part.body, content_type=part.content_type, space_id=space
                )
            )
        await auth.finish(await form.finish())
    except BaseException:
        await call.native.discard(written)
        raise
    objects = await call.native.commit_files(package, written, no_overwrite=call.no_overwrite)
    return ok({"uploadeds": [object_view(o) for o in objects]})


async def object_download(call: NativeCall) -> web.StreamResponse:
    obj = await call.native.readable(call.q_int("objectID"))
    await call.authorize("s3:GetObject", obj.bucket_id, obj.key)
    return await _send(call, obj)


async def object_download_by_path(call: NativeCall) -> web.StreamResponse:
    path = call.q_str("path")
    try:
        obj = await call.native.by_full_path(path)
    except JunctionError as exc:
        if exc.code not in ABSENCE_CODES:
            raise
        raise await _absence(call, path, exc) from None
    await call.authorize("s3:GetObject", obj.bucket_id, obj.key)
    return await _send(call, obj)


async def _absence(call: NativeCall, path: str, exc: JunctionError) -> JunctionError:
    """A path naming no object, as S3 answers a GET of a missing key: 403 unless the caller may
    read that key and list the bucket (a key's absence is shown only to who could list it)."""
    bucket_name, _, key = path.lstrip("/").partition("/")
    bucket = await call.core.buckets.get(bucket_name)
    await call.authorize("s3:GetObject", bucket.id, key)
    return await conceal_absence(exc, lambda: call.allowed(REVEALS_ABSENCE, bucket.id, {"s3:prefix": (key,)}))


async def _send(call: NativeCall, obj: ObjectInfo) -> web.StreamResponse:
    """application/octet-stream on success; any failure before the first byte is a JSON envelope."""
    offset = call.q_int("offset", required=False, default=0)
    length = call.q_int("length", required=False) if call.query.get("length") else None
    stream, count = call.native.read(obj, offset, length)
    name = obj.path.rsplit("/", 1)[-1]
    response = web.StreamResponse(
        status=200,
        headers={
            "Content-Type": "application/octet-stream",
            "Content-Length": str(count),
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
            "ETag": f'"{obj.etag}"',
        },
    )
    return await send_stream(call.request, response, stream)


async def object_list_by_path(call: NativeCall) -> web.Response:
    package = await call.native.packages.get(call.q_int("packageID"))
    prefix = join_key(package.name, call.q_str("path", required=False))
    listing = {"s3:prefix": (prefix,), **({"s3:delimiter": ("/",)} if call.q_bool("noRecursive") else {})}
    await call.authorize("s3:ListBucket", package.bucket_id, context=listing)
    page = await call.native.list_by_path(
        package,
        call.q_str("path", required=False),
        is_prefix=call.q_bool("isPrefix"),
        no_recursive=call.q_bool("noRecursive"),
        max_keys=call.q_int("maxKeys", required=False),
        token=call.q_str("continuationToken", required=False),
    )
    return ok(
        {
            "nextContinuationToken": page.next_token,
            "isTruncated": page.truncated,
            "commonPrefixes": page.prefixes,
            "objects": [object_view(o) for o in page.objects],
        }
    )


async def object_get_package_objects(call: NativeCall) -> web.Response:
    package = await call.native.packages.get(call.q_int("packageID"))
    await call.authorize("s3:ListBucket", package.bucket_id, context={"s3:prefix": (join_key(package.name, ""),)})
    objects = await call.native.package_objects(package)
    return ok({"objects": [object_view(o) for o in objects]})


async def object_move(call: NativeCall) -> web.Response:
    """Each item is moved on its own; one that fails is logged and left out of `successes`."""
    successes: list[int] = []
    for item in get_list(call.json(), "movings"):
        try:
            if not isinstance(item, dict):
                raise invalid_argument("Each moving must be an object")
            obj = await call.native.get_object(get_int(item, "objectID"))
            await call.authorize("s3:GetObject", obj.bucket_id, obj.key)
            await call.authorize("s3:DeleteObject", obj.bucket_id, obj.key)
            package = await call.native.packages.get(get_int(item, "packageID"))
            path = get_str(item, "path")
            await call.authorize("s3:PutObject", package.bucket_id, join_key(package.name, path))
            await call.native.move(obj, package, path)
        except JunctionError as exc:
            log.info("move item failed: %s %s", exc.code, exc.message)
            continue
        successes.append(obj.id)
    return ok({"successes": successes})


async def object_delete(call: NativeCall) -> web.Response:
    """OK even for ids that do not exist; every id is authorized before any is deleted."""
    ids = [to_int(i, "objectIDs") for i in get_list(call.json(), "objectIDs")]
    found = []
    for object_id in ids:
        try:
            obj = await call.native.get_object(object_id)
        except JunctionError as exc:
            if exc.code != ErrorCode.NoSuchKey:
                raise
            continue
        await call.authorize("s3:DeleteObject", obj.bucket_id, obj.key)
        found.append(obj.id)
    for object_id in found:
        await call.native.delete(object_id)
    return ok(None)


async def object_clone(call: NativeCall) -> web.Response:
    """All items are checked first; then each clone is one commit sharing the source's blobs."""
    plan = []
    for item in get_list(call.json(), "clonings"):
        if not isinstance(item, dict):
            raise invalid_argument("Each cloning must be an object")
        obj = await call.native.readable(get_int(item, "objectID"))
        await call.authorize("s3:GetObject", obj.bucket_id, obj.key)
        package = await call.native.packages.get(get_int(item, "newPackageID"))
        path = get_str(item, "newPath")
        validate_native_path(package.name, path)
        await call.authorize("s3:PutObject", package.bucket_id, join_key(package.name, path))
        plan.append((obj, package, path))
    objects = [await call.native.clone(o, p, path, no_overwrite=call.no_overwrite) for o, p, path in plan]
    return ok({"objects": [object_view(o) for o in objects]})
