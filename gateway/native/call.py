"""One native API call: the authenticated identity, the parsed JSON body or query, and
strict field readers (IDs may come as JSON numbers or decimal strings, like the int64
fields of the original API)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import MultiDict

from gateway.core.audit_scope import signed_in
from gateway.core.authz import Identity
from gateway.core.identity import request_context
from gateway.core.native_multipart import NativeMultipart
from gateway.core.native_ops import NativeService
from gateway.core.service import Core
from gateway.domain.errors import ErrorCode, JunctionError, invalid_argument
from gateway.logs import ACCESS_KEY

from .auth import StreamedAuth


@dataclass
class NativeCall:
    request: web.Request
    core: Core
    native: NativeService
    multipart: NativeMultipart
    query: MultiDict[str]
    identity: Identity | None = None  # None until authenticated (streamed uploads: pre-checked)
    body: bytes = b""
    streamed: StreamedAuth | None = None  # set for streamed (multipart/form-data) requests
    _json: dict[str, Any] | None = field(default=None, repr=False)  # the body, parsed once

    async def sign_in(self, access_key: str) -> None:
        """Adopt the identity behind an access key that passed (pre-)authentication."""
        self.identity = await self.core.resolve(access_key)
        self.request[ACCESS_KEY] = access_key
        signed_in(self.identity)  # who the request's events and audit entry name

    async def authorize(
        self,
        action: str,
        bucket_id: int | None = None,
        key: str | None = None,
        context: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Ask the one engine whether this caller may do the S3 (or junction:) `action` this
        route performs, on the bucket (and object key) it acts on."""
        assert self.identity is not None
        if self.identity.admin:
            return
        bucket = await self.core.identity.bucket(bucket_id) if bucket_id is not None else None
        full = request_context(self.request.remote, self.request.secure, self.request.headers.get("User-Agent"))
        await self.core.authorize(self.identity, action, bucket=bucket, key=key, context={**full, **(context or {})})

    async def allowed(self, action: str, bucket_id: int, context: Mapping[str, Sequence[str]] | None = None) -> bool:
        try:
            await self.authorize(action, bucket_id, context=context)
        except JunctionError as exc:
            if exc.code != ErrorCode.AccessDenied:
                raise
            return False
        return True

    @property
    def no_overwrite(self) -> bool:
        """Append-only keys may create objects but never replace one."""
        return bool(self.identity and self.identity.no_overwrite)

    def json(self) -> dict[str, Any]:
        if self._json is None:
            if not self.body.strip():
                raise JunctionError(ErrorCode.MalformedJSON, "A JSON object body is required")
            try:
                parsed = json.loads(self.body)
            except (ValueError, UnicodeError, RecursionError):  # RecursionError: nested too deep
                raise JunctionError(ErrorCode.MalformedJSON, "The request body is not valid JSON") from None
            if not isinstance(parsed, dict):
                raise JunctionError(ErrorCode.MalformedJSON, "The request body must be a JSON object")
            self._json = parsed
        return self._json

    # ------------------------------------------------------------ query parameters

    def q_str(self, name: str, *, required: bool = True, default: str = "") -> str:
        value = self.query.get(name)
        if value is None:
            if required:
                raise invalid_argument(f"Missing query parameter {name!r}", argument=name)
            return default
        return value

    def q_int(self, name: str, *, required: bool = True, default: int = 0) -> int:
        value = self.query.get(name)
        if value is None or (value == "" and not required):
            if required:
                raise invalid_argument(f"Missing query parameter {name!r}", argument=name)
            return default
        return to_int(value, name)

    def q_bool(self, name: str) -> bool:
        value = (self.query.get(name) or "").lower()
        if value in ("", "false", "0"):
            return False
        if value in ("true", "1"):
            return True
        raise invalid_argument(f"Query parameter {name!r} must be true or false", argument=name)


def to_int(value: Any, name: str) -> int:
    """An integer from a JSON number or a decimal string; booleans and floats are refused."""
    if isinstance(value, bool):
        raise invalid_argument(f"{name} must be an integer", argument=name)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and value.strip().isascii():
        return int(value)
    raise invalid_argument(f"{name} must be an integer", argument=name)


def get_int(data: dict[str, Any], name: str, *, required: bool = True, default: int = 0) -> int:
    if name not in data or data[name] is None:
        if required:
            raise invalid_argument(f"Missing field {name!r}", argument=name)
        return default
    return to_int(data[name], name)


def get_str(data: dict[str, Any], name: str, *, required: bool = True, default: str = "") -> str:
    if name not in data or data[name] is None:
        if required:
            raise invalid_argument(f"Missing field {name!r}", argument=name)
        return default
    value = data[name]
    if not isinstance(value, str):
        raise invalid_argument(f"{name} must be a string", argument=name)
    return value


def get_list(data: dict[str, Any], name: str) -> list[Any]:
    value = data.get(name)
    if not isinstance(value, list):
        raise invalid_argument(f"Field {name!r} must be a list", argument=name)
    return value
