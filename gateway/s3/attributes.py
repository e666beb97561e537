"""GetObjectAttributes (`GET /bucket/key?attributes`)."""

from __future__ import annotations

from aiohttp import web

from gateway.core.attributes import DEFAULT_MAX_PARTS, parse_wanted
from gateway.domain.errors import ErrorCode, JunctionError
from s3xml.attributes import object_attributes
from s3xml.xml import http_date

from .context import S3Call, conceals_absence
from .encryption import read_sse
from .responses import xml


def _header_int(call: S3Call, name: str, default: int) -> int:
    raw = call.header(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise JunctionError(ErrorCode.InvalidArgument, f"{name} must be an integer", argument=name) from None
    if value < 0:
        raise JunctionError(ErrorCode.InvalidArgument, f"{name} must not be negative", argument=name)
    return value


@conceals_absence
async def get_object_attributes(call: S3Call) -> web.Response:
    assert call.bucket is not None and call.key is not None
    version_id = call.query.get("versionId")
    action = "s3:GetObjectVersionAttributes" if version_id is not None else "s3:GetObjectAttributes"
    await call.authorize(action, await call.target(), call.key, version_id=version_id)
    wanted = parse_wanted(call.header("x-amz-object-attributes"))
    view = await call.core.attributes.get(
        call.bucket,
        call.key,
        wanted,
        max_parts=min(_header_int(call, "x-amz-max-parts", DEFAULT_MAX_PARTS), DEFAULT_MAX_PARTS),
        marker=_header_int(call, "x-amz-part-number-marker", 0),
        version_id=call.query.get("versionId"),
    )
    call.core.objects.data_key(view.obj, read_sse(call))  # an SSE-C object's metadata needs its key, as GetObject
    headers = {"Last-Modified": http_date(view.obj.updated)}
    if view.obj.version_id is not None:
        headers["x-amz-version-id"] = view.obj.version_id
    return xml(object_attributes(view), headers=headers)
