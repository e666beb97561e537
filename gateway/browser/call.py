"""One browser API call: the signed-in session, its request context, and the checks every
route shares. Every action is asked of the one authorization engine with S3's action names,
so the console allows exactly what S3 allows the same user."""

from __future__ import annotations

import binascii
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from gateway.core.authz import Identity
from gateway.core.backend_errors import BackendError, storage_error
from gateway.core.service import Core
from gateway.core.sessions import Session, unb64url
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Bucket
from gateway.http.call import AuthorizedCall, read_json_object
from gateway.http.session_auth import session_of
from gateway.logs import ACCESS_KEY

from .errors import error_response

log = logging.getLogger("junction.browser")
MAX_JSON = 64 * 1024


class BrowserCall(AuthorizedCall):
    def __init__(self, request: web.Request, core: Core, session: Session | None) -> None:
        super().__init__(request, core)
        self._session = session

    @property
    def session(self) -> Session:
        if self._session is None:
            raise JunctionError(ErrorCode.Unauthorized, "Unauthorized: sign in first")
        return self._session

    def acting_identity(self) -> Identity:
        return self.session.identity

    async def bucket(self) -> Bucket:
        return await self.core.buckets.get(self.request.match_info["bucket"])

    def encoded(self, name: str = "key") -> str:
        """A key or path from the URL: URL-safe base64 of its UTF-8 bytes (padding optional)."""
        return decode_key(self.request.match_info.get(name, ""))

    async def json(self) -> dict[str, Any]:
        return await read_json_object(self.request, MAX_JSON)


def decode_key(text: str) -> str:
    try:
        return unb64url(text).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeError):
        raise JunctionError(ErrorCode.InvalidArgument, "keys and paths in URLs are URL-safe base64 of UTF-8") from None


Handler = Callable[[BrowserCall], Awaitable[web.StreamResponse | dict[str, Any] | list[Any] | None]]


def wrap(
    core: Core, handler: Handler, *, signed_in: bool = True, status: int = 200
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Authenticate (unless `signed_in` is False), run, answer JSON (or the handler's own response)."""

    @functools.wraps(handler)
    async def run(request: web.Request) -> web.StreamResponse:
        try:
            session = await session_of(request, core.sessions) if signed_in else None
            if session is not None:
                request[ACCESS_KEY] = session.identity.access_key or f"user:{session.username}"
            result = await handler(BrowserCall(request, core, session))
        except JunctionError as exc:
            return error_response(exc)
        except BackendError as exc:
            return error_response(storage_error(exc))
        except Exception as exc:
            if isinstance(exc, ConnectionError):
                raise  # the client went away: request_log records it as the client's
            log.exception("unhandled error in %s %s", request.method, request.path)
            return error_response(JunctionError(ErrorCode.InternalError, "Internal error; see the gateway log"))
        if isinstance(result, web.StreamResponse):
            return result
        if result is None:
            return web.Response(status=204)
        return web.json_response(result, status=status)

    return run
