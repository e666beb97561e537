"""One file-API call: who the caller is (the console's JWT, or `X-API-KEY`), its role, the
endpoint gate of that role, and the checks every route shares.

`X-API-KEY: <access key>:<secret key>` is an access key of the identity engine (the pair
/api/user/create returns as API_KEY and secretKey). The secret must come along: an access
key id alone is no secret (it is in logs and in every signed S3 request). Every path is then
authorized by the one engine with S3's action names, so the file API allows exactly what S3
allows the same key.
"""

from __future__ import annotations

import functools
import hmac
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from gateway.core.authz import Identity
from gateway.core.backend_errors import BackendError, storage_error
from gateway.core.service import Core
from gateway.core.user_directory import ADMIN_POLICY
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.http.call import AuthorizedCall, read_json_object
from gateway.http.ratelimit import limit_of
from gateway.http.session_auth import session_of
from gateway.logs import ACCESS_KEY

from .errors import error_json, error_response

log = logging.getLogger("junction.files")
API_KEY_HEADER = "X-API-KEY"
MAX_JSON = 1024 * 1024  # new_file / edit_file carry a file's content in JSON
API_KEY_FAILURES = limit_of("api-key")  # wrong X-API-KEY secrets per minute per client address


class TooManyFailures(Exception):
    """Past the wrong-key limit: the client waits (429), as at the console's sign-in."""

    def __init__(self, retry_at: float) -> None:
        super().__init__("too many wrong API keys")
        self.retry_at = retry_at


@dataclass(frozen=True, slots=True)
class Caller:
    identity: Identity
    role: str  # "admin" or "user"
    name: str  # user name, or access key
    account: str


class FileCall(AuthorizedCall):
    def __init__(self, request: web.Request, core: Core, caller: Caller | None) -> None:
        super().__init__(request, core)
        self._caller = caller
        self._body: dict[str, Any] | None = None

    @property
    def caller(self) -> Caller:
        if self._caller is None:
            raise JunctionError(ErrorCode.Unauthorized, "Unauthorized")
        return self._caller

    def acting_identity(self) -> Identity:
        return self.caller.identity

    async def json(self) -> dict[str, Any]:
        if self._body is None:
            too_large = JunctionError(
                ErrorCode.EntityTooLarge, f"a JSON body is at most {MAX_JSON} bytes; use /api/upload"
            )
            self._body = await read_json_object(self.request, MAX_JSON, too_large)
        return self._body

    async def text(self, name: str, missing: str, *, required: bool = True) -> str | None:
        """A string field of the JSON body; `missing` is the document's 400 text when absent."""
        value = (await self.json()).get(name)
        if value is None or (required and value == ""):
            if required:
                raise JunctionError(ErrorCode.InvalidArgument, missing)
            return None
        if not isinstance(value, str):
            raise JunctionError(ErrorCode.InvalidArgument, f"{name} must be a string")
        return value

    def query(self, name: str, missing: str) -> str:
        value = self.request.query.get(name, "")
        if not value:
            raise JunctionError(ErrorCode.InvalidArgument, missing)
        return value


async def _role_of(core: Core, identity: Identity) -> str:
    if identity.admin:
        return "admin"
    caller = identity.caller
    if caller.user and caller.account_id:
        try:
            user = await core.accounts.user(caller.account_id, caller.user)
        except JunctionError:
            return "user"
        return "admin" if ADMIN_POLICY in user["policies"] else "user"
    return "user"


async def _api_key_caller(request: web.Request, core: Core, value: str) -> Caller:
    address = request.remote or "-"
    retry_at = API_KEY_FAILURES.blocked_until(address)
    if retry_at is not None:
        raise TooManyFailures(retry_at)
    access_key, _, secret = value.strip().partition(":")
    expected = await core.secret_for(access_key) if access_key and secret else None
    if expected is None or not hmac.compare_digest(expected.encode(), secret.encode()):
        API_KEY_FAILURES.record(address)
        raise JunctionError(ErrorCode.Unauthorized, "Invalid API key (send X-API-KEY: <access key>:<secret key>)")
    identity = await core.resolve(access_key)
    request[ACCESS_KEY] = access_key
    return Caller(
        identity, await _role_of(core, identity), identity.caller.user or access_key, identity.caller.account_id or ""
    )


async def authenticate(request: web.Request, core: Core) -> Caller:
    api_key = request.headers.get(API_KEY_HEADER)
    if api_key is not None:
        return await _api_key_caller(request, core, api_key)
    session = await session_of(request, core.sessions)
    request[ACCESS_KEY] = session.identity.access_key or f"user:{session.username}"
    return Caller(session.identity, session.roles[0], session.username, session.account)


Result = web.StreamResponse | dict[str, Any] | list[Any]
Handler = Callable[[FileCall], Awaitable[Result]]


def wrap(core: Core, endpoint: str, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Authenticate, let the caller's role through the endpoint's gate, run, answer JSON."""

    @functools.wraps(handler)
    async def run(request: web.Request) -> web.StreamResponse:
        try:
            caller = await authenticate(request, core)
            if not await core.endpoint_roles.allows(caller.role, endpoint):
                return error_json(
                    401, "Unauthorized", f"the role {caller.role!r} may not call {endpoint}", "RoleDenied"
                )
            result = await handler(FileCall(request, core, caller))
        except JunctionError as exc:
            return error_response(exc)
        except BackendError as exc:
            return error_response(storage_error(exc))
        except TooManyFailures as exc:
            limited = error_json(429, "Too many requests", "too many wrong API keys from this address", "RateLimited")
            limited.headers["Retry-After"] = str(max(1, math.ceil(exc.retry_at - time.time())))
            return limited
        except Exception as exc:
            if isinstance(exc, ConnectionError):
                raise  # the client went away: request_log records it as the client's
            log.exception("unhandled error in %s %s", request.method, request.path)
            return error_json(500, "Internal server error", "see the gateway log", "InternalError")
        if isinstance(result, web.StreamResponse):
            return result
        return web.json_response(result)

    return run
