"""One console API call: the caller's identity, its request context and body, and the
checks every route shares (authorization through the one engine, the volume in the path)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from gateway.core.authz import Identity
from gateway.core.identity import request_context
from gateway.core.service import Core
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Bucket


class ConsoleCall:
    def __init__(self, request: web.Request, core: Core, identity: Identity, body: bytes) -> None:
        self.request = request
        self.core = core
        self.identity = identity
        self.body = body
        self.context = request_context(request.remote, request.secure, request.headers.get("User-Agent"))

    async def authorize(self, action: str, bucket: Bucket | None = None) -> None:
        await self.core.authorize(self.identity, action, bucket=bucket, context=self.context)

    async def allowed(self, action: str, bucket: Bucket | None = None) -> bool:
        try:
            await self.authorize(action, bucket)
        except JunctionError as exc:
            if exc.code != ErrorCode.AccessDenied:
                raise
            return False
        return True

    def json(self) -> dict[str, Any]:
        try:
            value = json.loads(self.body or b"{}")
        except (ValueError, RecursionError):  # RecursionError: nested too deep
            raise JunctionError(ErrorCode.MalformedJSON, "the request body is not valid JSON") from None
        if not isinstance(value, dict):
            raise JunctionError(ErrorCode.MalformedJSON, "the request body must be a JSON object")
        return value

    def int_param(self, name: str) -> int:
        try:
            return int(self.request.match_info[name])
        except ValueError:
            raise JunctionError(ErrorCode.NotFound, f"{name} must be an integer") from None

    def require_admin(self) -> None:
        """Gateway-wide settings are for gateway administrators."""
        if not self.identity.admin:
            raise JunctionError(ErrorCode.AccessDenied, "only gateway administrators may do this")

    async def volume(self) -> Bucket:
        """The volume named in the path, if this caller may see it (list it, as s3:ListBucket)."""
        bucket = await self.core.buckets.by_id(self.int_param("volume"))
        if bucket is None or not await self.allowed("s3:ListBucket", bucket):
            raise JunctionError(ErrorCode.NoSuchVolume, "volume does not exist")
        return bucket
