"""Console API routes under /api/v1: volumes, exports and quotas, over gateway/core.

Every route asks the one authorization engine for the action it performs: volumes are
buckets (s3:ListBucket to see one, s3:DeleteBucket to delete it), exports and quota changes
are `junction:ManageExports` / `junction:ManageQuotas` on the volume. Accounts, users, keys
and policies are in identity_routes.py.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from gateway.core.authz import Identity
from gateway.core.identity import refused_outright
from gateway.core.service import Core
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Bucket
from gateway.domain.text import decode_uri_component
from gateway.http.session_auth import presents_session, session_of
from gateway.logs import ACCESS_KEY

from . import auth, identity_routes
from .call import ConsoleCall
from .errors import error_response

PREFIX = "/api/v1"
MAX_BODY = 1024 * 1024
Handler = Callable[["ConsoleCall"], Awaitable[Any]]


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat()


async def volume_json(core: Core, bucket: Bucket) -> dict[str, Any]:
    size, inodes = await core.buckets.usage(bucket.id)
    return {
        "id": bucket.id,
        "name": bucket.name,
        "owner": bucket.owner,
        "created": iso(bucket.created),
        "usage": {"size": size, "inodes": inodes},
        "encryption": encryption_json(await core.sse.bucket_default(bucket.id)),
    }


def encryption_json(default: dict[str, Any] | None) -> dict[str, Any]:
    """Whether new objects of the volume are encrypted at rest, and how (never a key)."""
    if default is None:
        return {"enabled": False}
    found: dict[str, Any] = {"enabled": True, "algorithm": default["algorithm"]}
    if default.get("kmsKeyId"):
        found["kmsKeyId"] = default["kmsKeyId"]
    return found


# ------------------------------------------------------------------ volumes


async def list_volumes(call: ConsoleCall) -> list[dict[str, Any]]:
    await call.authorize("s3:ListAllMyBuckets")
    buckets = [b for b in await call.core.buckets.list() if await call.allowed("s3:ListBucket", b)]
    return [await volume_json(call.core, b) for b in buckets]


async def get_volume(call: ConsoleCall) -> dict[str, Any]:
    return await volume_json(call.core, await call.volume())


async def delete_volume(call: ConsoleCall) -> None:
    bucket = await call.volume()
    await call.authorize("s3:DeleteBucket", bucket)
    force = call.request.query.get("force", "").lower() == "true"
    try:
        await call.core.buckets.delete_by_id(bucket.id, force=force)
    except JunctionError as exc:
        if exc.code == ErrorCode.BucketNotEmpty:
            raise JunctionError(
                ErrorCode.BucketNotEmpty, "the volume is not empty; delete its objects or pass ?force=true"
            ) from exc
        raise


# ------------------------------------------------------------------ exports


async def _managed_volume(call: ConsoleCall, action: str) -> Bucket:
    bucket = await call.volume()
    await call.authorize(action, bucket)
    return bucket


async def list_exports(call: ConsoleCall) -> list[dict[str, Any]]:
    return await call.core.exports.list((await _managed_volume(call, "junction:ManageExports")).id)


async def create_export(call: ConsoleCall) -> dict[str, Any]:
    return await call.core.exports.create(await _managed_volume(call, "junction:ManageExports"), call.json())


async def update_export(call: ConsoleCall) -> dict[str, Any]:
    bucket = await _managed_volume(call, "junction:ManageExports")
    return await call.core.exports.update(bucket, call.int_param("export"), call.json())


async def delete_export(call: ConsoleCall) -> None:
    await call.core.exports.delete(await _managed_volume(call, "junction:ManageExports"), call.int_param("export"))


# ------------------------------------------------------------------ quotas


async def list_quotas(call: ConsoleCall) -> list[dict[str, Any]]:
    return await call.core.quotas.list((await call.volume()).id)


async def get_quota(call: ConsoleCall) -> dict[str, Any]:
    return await call.core.quotas.get((await call.volume()).id, call.int_param("quota"))


async def create_quota(call: ConsoleCall) -> dict[str, Any]:
    return await call.core.quotas.create((await _managed_volume(call, "junction:ManageQuotas")).id, call.json())


async def update_quota(call: ConsoleCall) -> dict[str, Any]:
    bucket = await _managed_volume(call, "junction:ManageQuotas")
    return await call.core.quotas.update(bucket.id, call.int_param("quota"), call.json())


async def delete_quota(call: ConsoleCall) -> None:
    await call.core.quotas.delete((await _managed_volume(call, "junction:ManageQuotas")).id, call.int_param("quota"))


# ------------------------------------------------------------------ storage


async def get_storage(call: ConsoleCall) -> dict[str, Any]:
    """What the blob collector could reclaim now (admins only): orphans of crashed writes wait
    out the grace; `junction admin gc` reclaims them on demand."""
    call.require_admin()
    return await call.core.reclaimable()


# ------------------------------------------------------------------ storage classes


def _class_table(call: ConsoleCall) -> dict[str, str]:
    """The body of a PUT: {"CLASS": "user space name or id", ...}."""
    body = call.json()
    if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in body.values()):
        raise JunctionError(ErrorCode.InvalidArgument, "each storage class must name a user space (name or id)")
    return {str(k): str(v) for k, v in body.items()}


async def get_storage_classes(call: ConsoleCall) -> dict[str, str]:
    """The gateway-wide storage class -> user space table (config file entries included)."""
    call.require_admin()
    return await call.core.storage_classes.mapping()


async def put_storage_classes(call: ConsoleCall) -> dict[str, str]:
    call.require_admin()
    return await call.core.storage_classes.set_mapping(_class_table(call))


async def get_volume_storage_classes(call: ConsoleCall) -> dict[str, str]:
    """One volume's overrides of the gateway-wide table."""
    call.require_admin()
    return await call.core.storage_classes.mapping((await call.volume()).id)


async def put_volume_storage_classes(call: ConsoleCall) -> dict[str, str]:
    call.require_admin()
    return await call.core.storage_classes.set_mapping(_class_table(call), (await call.volume()).id)


# ------------------------------------------------------------------ wiring


class ConsoleFrontend:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.replays = auth.ReplayCache()

    def wrap(self, handler: Handler, *, created: bool = False) -> Callable[[web.Request], Awaitable[web.Response]]:
        @functools.wraps(handler)
        async def run(request: web.Request) -> web.Response:
            try:
                call = await self._authenticate(request)
                result = await handler(call)
            except JunctionError as exc:
                return error_response(exc)
            if result is None:
                return web.Response(status=204)
            return web.json_response(result, status=201 if created else 200)

        return run

    async def _authenticate(self, request: web.Request) -> ConsoleCall:
        _require_utf8_target(request.raw_path)
        if request.content_length is not None and request.content_length > MAX_BODY:
            raise JunctionError(ErrorCode.InvalidArgument, "request body too large")
        body = await _read_body(request)
        if presents_session(request):  # the web console, signed in (gateway/http/session_auth.py)
            session = await session_of(request, self.core.sessions)
            request[ACCESS_KEY] = session.identity.access_key or f"user:{session.username}"
            return self._call(request, session.identity, body)
        access_key = await auth.verify(
            request.headers.get("Authorization"),
            method=request.method,
            path=request.raw_path.split("?", 1)[0],
            host=request.headers.get("Host", ""),
            query=request.query.items(),
            body=body,
            lookup_secret=self.core.secret_for,
            replays=self.replays,
        )
        request[ACCESS_KEY] = access_key
        identity = await self.core.resolve(access_key)
        if identity.api_only:
            raise JunctionError(ErrorCode.AccessDenied, "this key is API-only and cannot use the console")
        return self._call(request, identity, body)

    def _call(self, request: web.Request, identity: Identity, body: bytes) -> ConsoleCall:
        call = ConsoleCall(request, self.core, identity, body)
        if refused_outright(identity, call.context):
            raise JunctionError(ErrorCode.AccessDenied, "Access Denied: your address is not allowed for this key")
        return call


def _require_utf8_target(raw_target: str) -> None:
    """Refuse a path or query that is not UTF-8 once percent-decoded (InvalidURI), as the
    S3 and native front ends do, rather than let it be patched up with U+FFFD."""
    path, _, query = raw_target.partition("?")
    for part in (path, *query.replace("=", "&").split("&")):
        decode_uri_component(part)


async def _read_body(request: web.Request) -> bytes:
    """The whole (bounded) body: one read() returns only what has arrived so far."""
    chunks, size = [], 0
    async for piece in request.content.iter_chunked(64 * 1024):
        size += len(piece)
        if size > MAX_BODY:
            raise JunctionError(ErrorCode.InvalidArgument, "request body too large")
        chunks.append(piece)
    return b"".join(chunks)


def register(app: web.Application, core: Core) -> None:
    """Add the /api/v1 routes; call before the S3 catch-all route."""
    console = ConsoleFrontend(core)
    volume, export, quota = f"{PREFIX}/volumes/{{volume}}", "/exports/{export}", "/quotas/{quota}"
    routes = [
        ("GET", f"{PREFIX}/volumes", list_volumes, False),
        ("GET", f"{PREFIX}/storage", get_storage, False),
        ("GET", f"{PREFIX}/storage-classes", get_storage_classes, False),
        ("PUT", f"{PREFIX}/storage-classes", put_storage_classes, False),
        ("GET", f"{volume}/storage-classes", get_volume_storage_classes, False),
        ("PUT", f"{volume}/storage-classes", put_volume_storage_classes, False),
        ("GET", volume, get_volume, False),
        ("DELETE", volume, delete_volume, False),
        ("GET", f"{volume}/exports", list_exports, False),
        ("POST", f"{volume}/exports", create_export, True),
        ("PUT", f"{volume}{export}", update_export, False),
        ("DELETE", f"{volume}{export}", delete_export, False),
        ("GET", f"{volume}/quotas", list_quotas, False),
        ("POST", f"{volume}/quotas", create_quota, True),
        ("GET", f"{volume}{quota}", get_quota, False),
        ("PUT", f"{volume}{quota}", update_quota, False),
        ("DELETE", f"{volume}{quota}", delete_quota, False),
    ]
    for method, path, handler, created in [*routes, *identity_routes.ROUTES]:
        app.router.add_route(method, path, console.wrap(handler, created=created))
