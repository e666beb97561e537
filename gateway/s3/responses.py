"""Building S3 HTTP responses: XML documents, errors and object headers."""

from __future__ import annotations

from aiohttp import web

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Deletion, ObjectInfo
from s3xml.documents import error_document, quoted
from s3xml.errors import status_of
from s3xml.xml import http_date

XML = "application/xml"


def xml(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=body, status=status, content_type=XML, headers=headers)


def error(exc: JunctionError, *, resource: str, request_id: str, method: str) -> web.Response:
    status = status_of(exc.code)
    headers = _delete_marker_headers(exc) | _validator_headers(exc)
    if status == 304 or method == "HEAD":
        return web.Response(status=status, headers=headers)
    extra = {k: v for k, v in exc.detail.items() if k in ("bucket", "key", "argument", "condition", "upload_id")}
    extra = {_detail_name(k): v for k, v in extra.items()}
    body = error_document(exc.code, exc.message, resource=resource, request_id=request_id, extra=extra)
    return xml(body, status, headers)


def _delete_marker_headers(exc: JunctionError) -> dict[str, str]:
    """A delete marker in the way (NoSuchKey, or 405 on a marker's version id) is named in headers."""
    if not exc.detail.get("delete_marker"):
        return {}
    headers = {"x-amz-delete-marker": "true", "x-amz-version-id": str(exc.detail["version_id"])}
    if exc.code == ErrorCode.MethodNotAllowed:
        last_modified = exc.detail["last_modified"]  # the marker's `updated` (core.versioning)
        assert isinstance(last_modified, int | float)
        headers["Last-Modified"] = http_date(float(last_modified))
        headers["Allow"] = "DELETE"
    return headers


def _validator_headers(exc: JunctionError) -> dict[str, str]:
    """A failed conditional read (304, 412) carries the object's ETag and Last-Modified."""
    etag, last_modified = exc.detail.get("etag"), exc.detail.get("last_modified")
    if not isinstance(etag, str) or not isinstance(last_modified, int | float):
        return {}
    return {"ETag": quoted(etag), "Last-Modified": http_date(float(last_modified))}


def deletion_headers(deletion: Deletion) -> dict[str, str]:
    """x-amz-version-id / x-amz-delete-marker of a DeleteObject answer (none when unversioned)."""
    headers = {}
    if deletion.version_id is not None:
        headers["x-amz-version-id"] = deletion.version_id
    if deletion.delete_marker:
        headers["x-amz-delete-marker"] = "true"
    return headers


def _detail_name(name: str) -> str:
    return {
        "bucket": "BucketName",
        "key": "Key",
        "argument": "ArgumentName",
        "condition": "Condition",
        "upload_id": "UploadId",
    }[name]


def object_headers(obj: ObjectInfo, *, with_checksums: bool) -> dict[str, str]:
    """Headers that describe a stored object on GET and HEAD."""
    headers = {
        "ETag": quoted(obj.etag),
        "Last-Modified": http_date(obj.updated),
        "Content-Type": obj.content_type,
        "Accept-Ranges": "bytes",
    }
    for name, value in obj.headers.items():
        headers[name.title()] = value
    for name, value in obj.meta.items():
        headers[f"x-amz-meta-{name}"] = value
    if obj.parts_count:
        headers["x-amz-mp-parts-count"] = str(obj.parts_count)
    if obj.version_id is not None:
        headers["x-amz-version-id"] = obj.version_id
    if with_checksums and obj.checksums:
        for alg, value in obj.checksums.items():
            headers[f"x-amz-checksum-{alg.lower()}"] = value
        if obj.checksum_type:
            headers["x-amz-checksum-type"] = obj.checksum_type
    return headers
