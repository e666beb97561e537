"""Wiring of the browser front end: the /api routes, the single-page app under /console, and
the redirect of a browser that opens `/` without S3 credentials."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from gateway.core.service import Core

from . import auth, buckets, keys, notifications, objects, settings, spaces, system, transfers, users
from .call import Handler, wrap
from .errors import error_json
from .sse import DEFAULT_KEEPALIVE, KEEPALIVE_KEY

STATIC = Path(__file__).resolve().parent / "static"
CONSOLE = "/console"
# The app's own files only: no inline script, nothing from another origin (no CDN: offline use)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}

# (method, path, handler, signed in, status). Specific paths before the {bucket}/{prefix} ones.
ROUTES: list[tuple[str, str, Handler, bool, int]] = [
    ("GET", "/api/auth/info", auth.info, False, 200),
    ("POST", "/api/auth/login", auth.login, False, 200),
    ("POST", "/api/auth/logout", auth.logout, True, 200),
    ("GET", "/api/auth/me", auth.me, True, 200),
    ("POST", "/api/auth/sse-ticket", auth.sse_ticket, True, 200),
    ("GET", "/api/buckets", buckets.list_buckets, True, 200),
    ("POST", "/api/buckets", buckets.create_bucket, True, 201),
    ("DELETE", "/api/buckets/{bucket}", buckets.delete_bucket, True, 200),
    ("GET", "/api/objects/upload-progress/{upload}", objects.upload_progress, False, 200),
    ("POST", "/api/objects/upload/{bucket}/{key}", objects.upload, True, 200),
    ("GET", "/api/objects/download/{bucket}/{key}", objects.download, True, 200),
    ("GET", "/api/objects/view/{bucket}/{key}", objects.view, True, 200),
    ("PUT", "/api/objects/tags/{bucket}/{key}", objects.put_tags, True, 200),
    ("GET", "/api/objects/{bucket}", objects.list_objects, True, 200),
    ("GET", "/api/objects/{bucket}/{prefix}", objects.list_objects, True, 200),
    ("DELETE", "/api/objects/{bucket}/{key}", objects.delete, True, 200),
    ("POST", "/api/notifications/test-endpoint", notifications.test_endpoint, True, 200),
    ("GET", "/api/notifications/{bucket}", notifications.get_notifications, True, 200),
    ("PUT", "/api/notifications/{bucket}", notifications.put_notifications, True, 200),
    ("DELETE", "/api/notifications/{bucket}/{notification}", notifications.delete_notification, True, 200),
    ("GET", "/api/webhooks", notifications.list_webhooks, True, 200),
    ("PUT", "/api/webhooks/{webhook}", notifications.put_webhook, True, 200),
    ("DELETE", "/api/webhooks/{webhook}", notifications.delete_webhook, True, 200),
    ("GET", "/api/transfer", transfers.list_transfers, True, 200),
    ("POST", "/api/transfer", transfers.start, True, 200),
    ("POST", "/api/transfer/check-conflicts", transfers.check_conflicts, True, 200),
    ("GET", "/api/transfer/progress/{job}", transfers.progress, False, 200),
    ("POST", "/api/transfer/cancel/{job}", transfers.cancel, True, 200),
    ("POST", "/api/transfer/cleanup/{job}", transfers.cleanup, True, 200),
    ("GET", "/api/spaces", spaces.list_spaces, True, 200),
    ("GET", "/api/sync-tasks", spaces.list_sync_tasks, True, 200),
    ("GET", "/api/logs", system.logs, True, 200),
    ("GET", "/api/resources", system.resources, True, 200),
    ("GET", "/api/is_up", system.is_up, False, 200),
    ("POST", "/api/user/login", users.login, False, 200),
    ("POST", "/api/user/create", users.create, True, 200),
    ("POST", "/api/user/delete", users.delete, True, 200),
    ("POST", "/api/user/edit", users.edit, True, 200),
    ("GET", "/api/user/get_self", users.get_self, True, 200),
    ("GET", "/api/user/get_all", users.get_all, True, 200),
    ("POST", "/api/user/edit_self", users.edit_self, True, 200),
    ("GET", "/api/keys", keys.list_keys, True, 200),
    ("POST", "/api/keys", keys.create_key, True, 201),
    ("DELETE", "/api/keys/{key}", keys.delete_key, True, 200),
    ("GET", "/api/settings", settings.all_settings, True, 200),
    ("PUT", "/api/settings", settings.update_settings, True, 200),
    ("GET", "/api/settings/s3", settings.list_endpoints, True, 200),
    ("PUT", "/api/settings/s3", settings.put_endpoint, True, 200),
    ("DELETE", "/api/settings/s3/{name}", settings.delete_endpoint, True, 200),
    ("POST", "/api/settings/test-s3", settings.test_endpoint, True, 200),
    ("GET", "/api/settings/{name}", settings.get_setting, True, 200),
    ("PUT", "/api/settings/{name}", settings.put_setting, True, 200),
]


async def static_file(request: web.Request) -> web.StreamResponse:
    """A file of the app; any other path under /console is the app itself (client-side routes)."""
    name = request.match_info.get("path", "")
    path = (STATIC / name).resolve()
    if not name or not path.is_file() or STATIC not in path.parents:
        path = STATIC / "index.html"
    response = web.FileResponse(path)
    response.content_type = TYPES.get(path.suffix, "application/octet-stream")
    response.headers.update(
        {
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        }
    )
    return response


async def to_console(_request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound(f"{CONSOLE}/")


async def no_preflight(_request: web.Request) -> web.StreamResponse:
    """No cross-origin caller may use the console's API (see gateway/http/session_auth.py)."""
    return error_json(403, "AccessDenied", "cross-origin requests to the console API are not allowed")


def wants_console(request: web.Request) -> bool:
    """A browser opening `/`: GET, asks for HTML, carries no S3 credentials of any kind."""
    if request.method != "GET" or request.path != "/" or request.query_string:
        return False
    if "Authorization" in request.headers or any(k.lower().startswith("x-amz-") for k in request.headers):
        return False
    return "text/html" in request.headers.get("Accept", "")


def register(app: web.Application, core: Core, *, sse_keepalive: float = DEFAULT_KEEPALIVE) -> None:
    """Add /api (browser) and /console routes; call before the S3 catch-all route."""
    app[KEEPALIVE_KEY] = sse_keepalive
    for method, path, handler, signed_in, status in ROUTES:
        app.router.add_route(method, path, wrap(core, handler, signed_in=signed_in, status=status))
    app.router.add_route("OPTIONS", "/api/{tail:.*}", no_preflight)
    app.router.add_get(CONSOLE, to_console)
    app.router.add_get(CONSOLE + "/", static_file)
    app.router.add_get(CONSOLE + "/{path:.+}", static_file)
