"""Registers the native API (`/v1/...`) on the app, in front of the S3 catch-all.

Each path is registered for every method so a wrong method gets a JSON envelope instead
of falling through to the S3 front end. The dispatcher authenticates (whole small body
for JSON requests, streamed/deferred for form uploads), runs the handler, and renders
every failure as the envelope of `envelope.ERRORS`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from gateway.auth.types import AuthError
from gateway.core.backend_errors import BackendError, storage_error
from gateway.core.service import Core
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.logs import client_gone

from . import buckets, jobs, multipart, objects, packages, syncer, userspaces
from .auth import StreamedAuth, authenticate, parse_query, read_body
from .call import NativeCall
from .envelope import auth_failure, failure

log = logging.getLogger("junction.native")

Handler = Callable[[NativeCall], Awaitable[web.StreamResponse]]
JSON, FORM = "json", "form"

# path -> (method, body kind, handler)
ROUTES: dict[str, tuple[str, str, Handler]] = {
    "/v1/bucket/create": ("POST", JSON, buckets.bucket_create),
    "/v1/bucket/getByName": ("GET", JSON, buckets.bucket_get_by_name),
    "/v1/bucket/listAll": ("GET", JSON, buckets.bucket_list_all),
    "/v1/bucket/delete": ("POST", JSON, buckets.bucket_delete),
    "/v1/package/create": ("POST", JSON, packages.package_create),
    "/v1/package/getByFullName": ("GET", JSON, packages.package_get_by_full_name),
    "/v1/package/listBucketPackages": ("GET", JSON, packages.package_list_bucket_packages),
    "/v1/package/delete": ("POST", JSON, packages.package_delete),
    "/v1/object/upload": ("POST", FORM, objects.object_upload),
    "/v1/object/download": ("GET", JSON, objects.object_download),
    "/v1/object/downloadByPath": ("GET", JSON, objects.object_download_by_path),
    "/v1/object/listByPath": ("GET", JSON, objects.object_list_by_path),
    "/v1/object/getPackageObjects": ("GET", JSON, objects.object_get_package_objects),
    "/v1/object/move": ("POST", JSON, objects.object_move),
    "/v1/object/delete": ("POST", JSON, objects.object_delete),
    "/v1/object/clone": ("POST", JSON, objects.object_clone),
    "/v1/object/newMultipartUpload": ("POST", JSON, multipart.object_new_multipart_upload),
    "/v1/object/uploadPart": ("POST", FORM, multipart.object_upload_part),
    "/v1/object/completeMultipartUpload": ("POST", JSON, multipart.object_complete_multipart_upload),
    "/v1/userSpace/create": ("POST", JSON, userspaces.user_space_create),
    "/v1/userSpace/update": ("POST", JSON, userspaces.user_space_update),
    "/v1/userSpace/delete": ("POST", JSON, userspaces.user_space_delete),
    "/v1/userSpace/get": ("GET", JSON, userspaces.user_space_get),
    "/v1/userSpace/test": ("POST", JSON, userspaces.user_space_test),
    "/v1/userSpace/createPackage": ("POST", JSON, userspaces.user_space_create_package),
    "/v1/userSpace/downloadPackage": ("POST", JSON, userspaces.user_space_download_package),
    "/v1/spaceSyncer/createTask": ("POST", JSON, syncer.space_syncer_create_task),
    "/v1/spaceSyncer/getTask": ("GET", JSON, syncer.space_syncer_get_task),
    "/v1/spaceSyncer/cancelTask": ("POST", JSON, syncer.space_syncer_cancel_task),
    "/v1/job/get": ("GET", JSON, jobs.job_get),
    "/v1/job/list": ("GET", JSON, jobs.job_list),
    "/v1/job/cancel": ("POST", JSON, jobs.job_cancel),
    "/v1/job/events": ("GET", JSON, jobs.job_events),
}


class NativeFrontend:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.native = core.native
        self.multipart = core.native_multipart

    async def handle(self, request: web.Request) -> web.StreamResponse:
        method, kind, handler = ROUTES[request.path]
        try:
            if request.method != method:
                raise JunctionError(ErrorCode.MethodNotAllowed, f"{request.path} accepts {method} only")
            query = parse_query(request)
            call = NativeCall(request, self.core, self.native, self.multipart, query)
            if kind == FORM:
                call.streamed = StreamedAuth(request, self.core, query)
            else:
                call.body = await read_body(request)
                auth = await authenticate(request, self.core, query, call.body)
                await call.sign_in(auth.access_key)
            return await handler(call)
        except AuthError as exc:
            return auth_failure(exc.code, exc.message)
        except JunctionError as exc:
            return failure(exc)
        except BackendError as exc:
            return failure(storage_error(exc))
        except Exception as exc:
            if isinstance(exc, ConnectionError) and client_gone(request):
                raise  # the client hung up (an aborted upload): request_log records a 499
            log.exception("unhandled error in %s %s", request.method, request.path)
            return failure(JunctionError(ErrorCode.InternalError, "Internal error; see the gateway log"))


def register(app: web.Application, core: Core) -> None:
    """Add every /v1 route; call before the S3 catch-all route is added."""
    frontend = NativeFrontend(core)
    for path in ROUTES:
        app.router.add_route("*", path, frontend.handle)
