"""Console API errors: JSON `{"error": {"code", "message", "field"?}}` with an HTTP status."""

from __future__ import annotations

import json

from aiohttp import web

from gateway.core.errors import JunctionError

STATUS = {
    "Unauthorized": 401,
    "AccessDenied": 403,
    "NoSuchBucket": 404,
    "NoSuchVolume": 404,
    "NoSuchExport": 404,
    "NoSuchQuota": 404,
    "NotFound": 404,
    "MethodNotAllowed": 405,
    "BucketNotEmpty": 409,
    "QuotaExists": 409,
    "InvalidArgument": 400,
    "MalformedJSON": 400,
    "RequestTimeout": 400,
    "RequestHeaderSectionTooLarge": 400,
}


def error_response(exc: JunctionError) -> web.Response:
    status = STATUS.get(exc.code, 500 if exc.code == "InternalError" else 400)
    code = "NoSuchVolume" if exc.code == "NoSuchBucket" else exc.code
    error = {"code": code, "message": exc.message or code}
    if "field" in exc.detail:
        error["field"] = exc.detail["field"]
    return web.Response(status=status, text=json.dumps({"error": error}), content_type="application/json")
