"""One console API call: the caller's identity, its request context and body, and the
checks every route shares (authorization through the one engine, the volume in the path)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.core.authz import Identity
from gateway.core.service import Core
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Bucket
from gateway.http.call import AuthorizedCall, json_object


class ConsoleCall(AuthorizedCall):
    def __init__(self, request: web.Request, core: Core, identity: Identity, body: bytes) -> None:
        super().__init__(request, core)
        self.identity = identity
        self.body = body

    def acting_identity(self) -> Identity:
        return self.identity

    def json(self) -> dict[str, Any]:
        return json_object(self.body)

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
