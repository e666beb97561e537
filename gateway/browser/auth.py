"""`/api/auth/*`: sign in and out, who am I, and one-time tickets for EventSource streams."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from gateway.core.sessions import TOKEN_TTL
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.http.ratelimit import limit_of
from gateway.http.session_auth import COOKIE
from gateway.logs import ACCESS_KEY

from .call import BrowserCall
from .errors import rate_limited

LOGIN_LIMIT = limit_of("login")  # failed sign-ins per minute per client address (the document's 5 attempts)
TICKET_LIMIT = limit_of("sse-ticket")
# resourceType -> the stream a ticket opens
SSE_URLS = {
    "upload": "/api/objects/upload-progress/{}",
    "transfer": "/api/transfer/progress/{}",
}


def client_address(call: BrowserCall) -> str:
    return call.request.remote or "-"


async def info(call: BrowserCall) -> dict[str, Any]:
    """Sign-in is always on (Junction has no anonymous console); says how to sign in."""
    return {
        "authEnabled": True,
        "authMode": "jwt",
        "methods": ["password", "accessKey"],
        "tokenExpiresIn": TOKEN_TTL,
        "cookie": COOKIE,
    }


async def login(call: BrowserCall) -> web.StreamResponse:
    """Only failed attempts count, so people signing in from one address (a NAT) are not locked
    out by each other's successes; past 5 failures a minute, every attempt waits."""
    address = client_address(call)
    retry_at = LOGIN_LIMIT.blocked_until(address)
    if retry_at is not None:
        return rate_limited(LOGIN_LIMIT.limit, retry_at)
    body = await call.json()
    try:
        token, session = await call.core.sessions.login(body.get("username"), body.get("password"))
    except JunctionError as exc:
        if exc.code == ErrorCode.Unauthorized:
            LOGIN_LIMIT.record(address)
        raise
    call.request[ACCESS_KEY] = session.identity.access_key or f"user:{session.username}"  # the audit's who
    response = web.json_response({"token": token, "user": session.public(), "expiresIn": TOKEN_TTL})
    response.set_cookie(
        COOKIE,
        token,
        max_age=TOKEN_TTL,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=call.request.secure,
    )
    return response


async def logout(call: BrowserCall) -> web.StreamResponse:
    await call.core.sessions.logout(call.session)
    response = web.json_response({"message": "Signed out"})
    response.del_cookie(COOKIE, path="/")
    return response


async def me(call: BrowserCall) -> dict[str, Any]:
    """The signed-in user, with the per-path rules it holds (its `paths` / `paths_write`)."""
    session = call.session
    rules: list[dict[str, Any]] = []
    kind, _, ref = session.subject.partition(":")
    if kind == "user":
        account = session.account
        try:
            rules = (await call.core.accounts.user(account, session.username))["rules"]
        except JunctionError:
            rules = []
    paths = [f"{r['bucket']}/{r['prefix']}" for r in rules if r["access"] == "read"]
    writable = [f"{r['bucket']}/{r['prefix']}" for r in rules if r["access"] == "write"]
    return {
        "user": session.public(),
        "admin": session.identity.admin,
        "policies": list(session.policies),
        "rules": rules,
        "paths": paths,
        "paths_write": writable,
        "expiresAt": int(session.expires * 1000),
    }


async def sse_ticket(call: BrowserCall) -> web.StreamResponse | dict[str, Any]:
    session = call.session
    retry_at = TICKET_LIMIT.hit(client_address(call))
    if retry_at is not None:
        return rate_limited(TICKET_LIMIT.limit, retry_at)
    body = await call.json()
    resource, resource_type = body.get("resource"), body.get("resourceType")
    if not isinstance(resource, str) or not resource or len(resource) > 1024:
        raise JunctionError(ErrorCode.InvalidArgument, "resource must be the id of an upload or transfer")
    if resource_type not in SSE_URLS:
        raise JunctionError(ErrorCode.InvalidArgument, f"resourceType must be one of {', '.join(SSE_URLS)}")
    ticket = call.core.sessions.ticket(session, resource, resource_type)
    url = SSE_URLS[resource_type].format(_path_safe(resource))
    return {**ticket, "sseUrl": f"{url}?ticket={ticket['ticket']}"}


def _path_safe(resource: str) -> str:
    return quote(resource, safe="")
