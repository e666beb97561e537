"""Bucket CORS (`?cors`), OPTIONS preflight, and CORS headers on ordinary responses.

The preflight is unauthenticated (browsers send no credentials with it), so the front end
routes OPTIONS here before authentication. Ordinary requests carrying `Origin` get the
matching rule's headers on whatever response they produce, errors included: the headers
are computed before the request is handled and added when the response is prepared.
"""

from __future__ import annotations

from aiohttp import web

from gateway.core.cors import build_rules
from gateway.core.service import Core
from gateway.domain.errors import ErrorCode, JunctionError
from s3xml import cors as documents
from s3xml.xml import MalformedXML

from .context import S3Call
from .responses import xml

CORS_HEADERS = web.RequestKey("cors_headers", dict)


async def get_bucket_cors(call: S3Call) -> web.Response:
    assert call.bucket is not None
    await call.authorize("s3:GetBucketCORS", await call.target())
    return xml(documents.cors_configuration(await call.core.cors.get(call.bucket)))


async def put_bucket_cors(call: S3Call) -> web.Response:
    assert call.bucket is not None
    await call.authorize("s3:PutBucketCORS", await call.target())
    body = await call.read_small_body(64 * 1024)
    try:
        raw = documents.parse_cors(body)
    except MalformedXML as exc:
        raise JunctionError(ErrorCode.MalformedXML, str(exc)) from None
    await call.core.cors.put(call.bucket, build_rules(raw))
    return web.Response(status=200)


async def delete_bucket_cors(call: S3Call) -> web.Response:
    assert call.bucket is not None
    await call.authorize("s3:PutBucketCORS", await call.target())  # S3: the put permission covers delete
    await call.core.cors.delete(call.bucket)
    return web.Response(status=204)


async def preflight(request: web.Request, core: Core, bucket: str | None) -> web.Response:
    """Answer `OPTIONS` from the bucket's rules: 200 with the CORS headers, else CORSResponse."""
    headers = await core.cors.preflight(
        bucket,
        request.headers.get("Origin"),
        request.headers.get("Access-Control-Request-Method"),
        request.headers.get("Access-Control-Request-Headers"),
    )
    return web.Response(status=200, headers=headers)


async def remember_headers(request: web.Request, core: Core, bucket: str | None) -> None:
    """For a request with Origin, work out now the headers its response will carry."""
    origin = request.headers.get("Origin")
    if origin and bucket:
        headers = await core.cors.actual(bucket, origin, request.method)
        if headers:
            request[CORS_HEADERS] = headers


async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare hook: put the remembered CORS headers on the response."""
    headers = request.get(CORS_HEADERS)
    if headers:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
