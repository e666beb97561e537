"""/v1/object/newMultipartUpload, uploadPart, completeMultipartUpload."""

from __future__ import annotations

from aiohttp import web

from gateway.core.native_multipart import check_index
from gateway.domain.errors import invalid_argument
from gateway.domain.mapping import join_key

from .call import NativeCall, get_int, get_list, get_str, to_int
from .envelope import ok
from .forms import FormReader
from .views import object_view


async def object_new_multipart_upload(call: NativeCall) -> web.Response:
    data = call.json()
    package = await call.native.packages.get(get_int(data, "packageID"))
    path = get_str(data, "path")
    await call.authorize("s3:PutObject", package.bucket_id, join_key(package.name, path))
    obj = await call.multipart.create(package, path)
    return ok({"object": object_view(obj)})


async def object_upload_part(call: NativeCall) -> web.Response:
    """Form parts: `info` {objectID, index} then `file`; the same index overwrites the old part."""
    auth = call.streamed
    assert auth is not None
    await call.sign_in(await auth.precheck())
    form = FormReader(call.request)
    info = await form.info()
    object_id, index = get_int(info, "objectID"), get_int(info, "index")
    check_index(index)
    pending = await call.multipart.pending(object_id)
    await call.authorize("s3:PutObject", pending.bucket_id, pending.key)
    part = await form.next_file(("file", "files"), need_filename=False)
    if part is None:
        raise invalid_argument("The form has no 'file' part")
    space = await call.native.space_for(get_int(info, "affinity", required=False))
    blob, stream = await call.multipart.write_part(part.body, space_id=space, pending=pending)
    try:
        await auth.finish(await form.finish())
    except BaseException:
        await call.core.blobs.discard(blob)
        raise
    await call.multipart.attach(object_id, index, blob, stream)
    return ok(None)


async def object_complete_multipart_upload(call: NativeCall) -> web.Response:
    data = call.json()
    object_id = get_int(data, "objectID")
    indexes = [to_int(i, "indexes") for i in get_list(data, "indexes")]
    pending = await call.multipart.pending(object_id)
    await call.authorize("s3:PutObject", pending.bucket_id, pending.key)
    obj = await call.multipart.complete(object_id, indexes)
    return ok({"object": object_view(obj)})
