"""The S3 front end's single entry point: address, authenticate, route, render errors."""

from __future__ import annotations

import logging

from aiohttp import web
from multidict import MultiDict

from gateway.auth import sigv2
from gateway.auth.sigv4 import is_anonymous, verify
from gateway.auth.types import AuthContext, AuthError, SignedRequest
from gateway.core.authz import ANONYMOUS_IDENTITY
from gateway.core.backend_errors import BackendError, storage_error
from gateway.core.service import Core
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.logs import ACCESS_KEY, REQUEST_ID, client_gone

from . import cors
from .chunked import ChunkedFormatError
from .context import S3Call, parse_query, split_target
from .post_object import is_form_upload
from .responses import error
from .router import route

log = logging.getLogger("junction.s3")


async def authenticate(request: web.Request, query: MultiDict[str], core: Core, domain: str = "") -> AuthContext | None:
    """The verified signature of the request; None for an unsigned (anonymous) request, which
    may do exactly what an ACL or bucket policy grants everyone."""
    signed = SignedRequest(
        method=request.method,
        raw_path=request.raw_path.split("?", 1)[0],
        query=list(query.items()),
        headers=request.headers,
    )
    if sigv2.is_v2(signed):  # legacy `AWS key:sig` header or AWSAccessKeyId/Signature query
        prefix = sigv2.virtual_host_prefix(request.headers.get("Host") or "", domain)
        return await sigv2.verify(signed, core.secret_for, bucket_prefix=prefix)
    if is_anonymous(signed):
        return None
    return await verify(signed, core.secret_for, service="s3")


class S3Frontend:
    def __init__(self, core: Core, *, region: str, domain: str) -> None:
        self.core = core
        self.region = region
        self.domain = domain

    async def handle(self, request: web.Request) -> web.StreamResponse:
        request_id = request[REQUEST_ID]
        resource = request.raw_path.split("?", 1)[0]  # until the path is known to decode
        try:
            bucket, key = split_target(request, self.domain)
            resource = f"/{bucket}/{key}" if key else (f"/{bucket}" if bucket else "/")
            query = parse_query(request)
            if request.method == "OPTIONS":
                return await cors.preflight(request, self.core, bucket)  # browsers send it unsigned
            await cors.remember_headers(request, self.core, bucket)  # errors below carry them too
            auth: AuthContext | None = None
            identity = ANONYMOUS_IDENTITY  # a browser form upload carries its own signature (post_object.py)
            if not is_form_upload(request.method, bucket, key, query, request.headers):
                auth = await authenticate(request, query, self.core, self.domain)
                if auth is not None:
                    request[ACCESS_KEY] = auth.access_key
                    identity = await self.core.resolve(auth.access_key)
            call = S3Call(
                request=request,
                core=self.core,
                bucket=bucket,
                key=key,
                query=query,
                request_id=request_id,
                identity=identity,
                auth=auth,
                region=self.region,
            )
            handler = route(call)
            return await handler(call)
        except (AuthError, ChunkedFormatError) as exc:
            rendered = JunctionError(exc.code, getattr(exc, "message", "") or str(exc))
            return error(rendered, resource=resource, request_id=request_id, method=request.method)
        except JunctionError as exc:
            return error(exc, resource=resource, request_id=request_id, method=request.method)
        except BackendError as exc:
            return error(storage_error(exc), resource=resource, request_id=request_id, method=request.method)
        except Exception as exc:
            if isinstance(exc, ConnectionError) and client_gone(request):
                raise  # the client hung up (an aborted upload): request_log records a 499
            log.exception("unhandled error in %s %s", request.method, resource)
            internal = JunctionError(ErrorCode.InternalError)
            return error(internal, resource=resource, request_id=request_id, method=request.method)
