"""Seed 004's `/api/ftp/*`: FTP/SFTP logins and the servers' on/off switch, for administrators
signed in to the console (a bearer token or the session cookie). Answers in the document's
shapes, `{"status": ...}` / `{"error": ...}`; passwords are never returned."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from gateway.core.service import Core
from gateway.core.sessions import Session
from gateway.domain.errors import MESSAGES, ErrorCode, JunctionError
from gateway.http.call import read_json_object
from gateway.http.session_auth import session_of
from gateway.logs import ACCESS_KEY

log = logging.getLogger("junction.ftp")
MANAGE_USERS = "junction:ManageUsers"
MAX_JSON = 64 * 1024
SWITCH_WAIT = 6.0  # seconds a start/stop waits for the serving process to follow the switch
STATUS = {
    ErrorCode.InvalidArgument: 400,
    ErrorCode.MalformedJSON: 400,
    ErrorCode.InvalidRequest: 409,
    ErrorCode.Unauthorized: 401,
    ErrorCode.AccessDenied: 403,
    ErrorCode.NoSuchUser: 404,
    ErrorCode.NoSuchKey: 404,
    ErrorCode.NoSuchBucket: 404,
}
Handler = Callable[[web.Request, Core, Session], Awaitable[Any]]


def _error(status: int, message: str, code: str) -> web.Response:
    return web.json_response({"error": message, "code": code}, status=status)


async def _scope(core: Core, session: Session) -> str | None:
    """Whose logins the caller manages: every login for a gateway administrator, else those of
    its account's users (if it may manage them)."""
    if session.identity.admin:
        return None
    await core.accounts.require(session.identity, MANAGE_USERS, session.account)
    return session.account


def _require_admin(session: Session) -> None:
    if "admin" not in session.roles:
        raise JunctionError(ErrorCode.AccessDenied, "only administrators may start or stop the FTP servers")


async def create_user(request: web.Request, core: Core, session: Session) -> dict[str, str]:
    scope = await _scope(core, session)
    await core.ftp_logins.create(scope or session.account, await read_json_object(request, MAX_JSON))
    return {"status": "FTP user created"}


async def delete_user(request: web.Request, core: Core, session: Session) -> dict[str, str]:
    await core.ftp_logins.delete(
        await _scope(core, session), (await read_json_object(request, MAX_JSON)).get("username")
    )
    return {"status": "FTP user deleted"}


async def get_users(request: web.Request, core: Core, session: Session) -> list[dict[str, Any]]:
    return await core.ftp_logins.all(await _scope(core, session))


async def edit_user(request: web.Request, core: Core, session: Session) -> dict[str, str]:
    await core.ftp_logins.edit(await _scope(core, session), await read_json_object(request, MAX_JSON))
    return {"status": "FTP user edited"}


CONFIGURED = web.AppKey("ftp_configured", bool)  # whether this gateway has an FTP or SFTP port at all


async def _follow(core: Core, wanted: bool) -> bool:
    """Wait until the serving process (worker 0) has followed the switch."""
    deadline = time.monotonic() + SWITCH_WAIT
    while time.monotonic() < deadline:
        if await core.ftp_logins.running() == wanted:
            return True
        await asyncio.sleep(0.1)
    return False


async def start(request: web.Request, core: Core, session: Session) -> web.Response | dict[str, str]:
    _require_admin(session)
    if not request.app[CONFIGURED]:
        return _error(400, "FTP is not configured: set ftp_port and/or sftp_port", "InvalidRequest")
    await core.ftp_logins.want(True)
    if not await _follow(core, True):
        return _error(500, "the FTP server did not start; see the gateway log", "InternalError")
    return {"status": "FTP server started"}


async def stop(request: web.Request, core: Core, session: Session) -> web.Response | dict[str, str]:
    _require_admin(session)
    if not request.app[CONFIGURED] or not await core.ftp_logins.running():
        return _error(400, "FTP server is not running", "InvalidRequest")
    await core.ftp_logins.want(False)
    if not await _follow(core, False):
        return _error(500, "the FTP server did not stop; see the gateway log", "InternalError")
    return {"status": "FTP server stopped"}


ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", "/api/ftp/create_user", create_user),
    ("POST", "/api/ftp/delete_user", delete_user),
    ("GET", "/api/ftp/get_users", get_users),
    ("POST", "/api/ftp/edit_user", edit_user),
    ("POST", "/api/ftp/start", start),
    ("POST", "/api/ftp/stop", stop),
]


def _wrap(core: Core, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    @functools.wraps(handler)
    async def run(request: web.Request) -> web.StreamResponse:
        try:
            session = await session_of(request, core.sessions)
            request[ACCESS_KEY] = session.identity.access_key or f"user:{session.username}"
            result = await handler(request, core, session)
        except JunctionError as exc:
            return _error(STATUS.get(exc.code, 500), exc.message or MESSAGES[exc.code], str(exc.code))
        except Exception as exc:
            if isinstance(exc, ConnectionError):
                raise
            log.exception("unhandled error in %s %s", request.method, request.path)
            return _error(500, "Internal error; see the gateway log", "InternalError")
        if isinstance(result, web.StreamResponse):
            return result
        return web.json_response(result)

    return run


def register(app: web.Application, core: Core, *, configured: bool) -> None:
    """Add /api/ftp/*; call before the browser's and the S3 catch-all routes."""
    app[CONFIGURED] = configured
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, _wrap(core, handler))
