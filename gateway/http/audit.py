"""The one place every mutating request on every front end (S3, native /v1, console /api/v1,
browser /api) is handed to the audit log: an app middleware opening the request's
`AuditScope` (the Authorizer fills in who and what) and queueing the entry when it ends."""

from __future__ import annotations

import time

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from gateway.core.audit import AuditLog
from gateway.core.audit_scope import CURRENT, AuditScope
from gateway.logs import ACCESS_KEY, CLIENT_CLOSED_REQUEST, REQUEST_ID

READS = frozenset({"GET", "HEAD", "OPTIONS"})


def front_end(route: str) -> str:
    if route.startswith("/api/v1"):
        return "console"
    if route.startswith("/api/"):
        return "browser"
    if route.startswith("/v1/") or route == "/v1":
        return "native"
    return "s3"


def audit_requests(audit: AuditLog) -> Middleware:
    @web.middleware
    async def audited(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method in READS:
            return await handler(request)
        scope = AuditScope(address=request.remote or "", request_id=request.get(REQUEST_ID, ""))
        token = CURRENT.set(scope)
        arrived = time.time()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        except ConnectionError:
            status = CLIENT_CLOSED_REQUEST
            raise
        finally:
            CURRENT.reset(token)
            route = request.match_info.route.resource.canonical if request.match_info.route.resource else ""
            front = front_end(route)
            audit.record(
                scope,
                time=arrived,
                front_end=front,
                method=request.method,
                path=request.path.lstrip("/") if front == "s3" else request.path,  # S3: bucket/key
                route=f"{request.method} {route}" if front != "s3" else request.method,
                status=status,
                size=request.content_length or 0,
                address=request.remote or "",
                request_id=request.get(REQUEST_ID, ""),
                key=request.get(ACCESS_KEY, ""),
            )

    return audited
