"""What a JSON front end's call on behalf of one identity shares: the request's condition keys,
the questions put to the one authorization engine, and the reading of a JSON object body.

The console API, the browser API and the file API each say who the caller is in their own way
(an identity, a session, an API key or session with a role); they answer `acting_identity`
and inherit the rest, so all three ask the engine exactly as S3 does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

from gateway.core.authz import Identity
from gateway.core.identity import request_context
from gateway.core.service import Core
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Bucket


class AuthorizedCall:
    def __init__(self, request: web.Request, core: Core) -> None:
        self.request = request
        self.core = core
        self.context = request_context(request.remote, request.secure, request.headers.get("User-Agent"))

    def acting_identity(self) -> Identity:
        """Whose rights this call uses (raises Unauthorized when nobody signed in)."""
        raise NotImplementedError

    async def authorize(
        self,
        action: str,
        bucket: Bucket | None = None,
        key: str | None = None,
        context: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        await self.core.authorize(
            self.acting_identity(), action, bucket=bucket, key=key, context={**self.context, **(context or {})}
        )

    async def allowed(self, action: str, bucket: Bucket | None = None, key: str | None = None) -> bool:
        """`authorize` as a yes or no: only a refusal is False, any other failure is raised."""
        try:
            await self.authorize(action, bucket, key)
        except JunctionError as exc:
            if exc.code != ErrorCode.AccessDenied:
                raise
            return False
        return True


def json_object(body: bytes) -> dict[str, Any]:
    """A request body that must be a JSON object (an empty body is `{}`)."""
    try:
        value = json.loads(body or b"{}")
    except (ValueError, RecursionError):  # RecursionError: nested too deep
        raise JunctionError(ErrorCode.MalformedJSON, "the request body is not valid JSON") from None
    if not isinstance(value, dict):
        raise JunctionError(ErrorCode.MalformedJSON, "the request body must be a JSON object")
    return value


async def read_json_object(request: web.Request, limit: int, too_large: JunctionError | None = None) -> dict[str, Any]:
    """Read at most `limit` bytes of a JSON object body; past it, `too_large` (by default a
    400 InvalidArgument) is raised without reading the rest."""
    body = await request.content.read(limit + 1)
    if len(body) > limit:
        raise too_large or JunctionError(ErrorCode.InvalidArgument, "request body too large")
    return json_object(body)
