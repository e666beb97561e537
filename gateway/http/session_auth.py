"""The web console's session on a request: `Authorization: Bearer <token>`, or the HttpOnly
cookie `s4_auth_token`. Shared by the front ends a signed-in browser calls (/api, /api/v1).

CSRF: a cookie rides along with any request a browser makes, even one another site's page
triggers; a custom header does not (a cross-site form cannot set one, and a cross-site fetch
that tries needs a CORS preflight, which no /api route grants). So a request authenticated by
the cookie that changes anything (any method but GET/HEAD) must carry `X-Requested-With`,
which the console's pages always send. The cookie is also SameSite=Strict. A bearer token is
never sent by a browser on its own, so it needs no such header.
"""

from __future__ import annotations

from aiohttp import web

from gateway.core.sessions import Session, SessionService
from gateway.domain.errors import ErrorCode, JunctionError

COOKIE = "s4_auth_token"
CSRF_HEADER = "X-Requested-With"
SAFE_METHODS = ("GET", "HEAD")


def bearer_token(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def presents_session(request: web.Request) -> bool:
    """True when the request means to use a console session (a bearer token or the cookie
    without any other Authorization): the console API then authenticates it that way."""
    return bearer_token(request) is not None or ("Authorization" not in request.headers and COOKIE in request.cookies)


async def session_of(request: web.Request, sessions: SessionService) -> Session:
    """The caller's session, or Unauthorized (no token) / AccessDenied (cookie without the CSRF header)."""
    token = bearer_token(request)
    if token is None:
        token = request.cookies.get(COOKIE)
        if not token:
            raise JunctionError(ErrorCode.Unauthorized, "Unauthorized: sign in first")
        if request.method not in SAFE_METHODS and not request.headers.get(CSRF_HEADER):
            raise JunctionError(
                ErrorCode.AccessDenied, f"a cookie-authenticated {request.method} must carry the {CSRF_HEADER} header"
            )
    return await sessions.session(token)
