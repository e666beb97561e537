"""Exports: access keys confined to one volume (bucket), with read-only, append-only,
client-address and API-only restrictions. The restrictions themselves are enforced by
`gateway.core.access.authorize` on every front end."""

from __future__ import annotations

import ipaddress
import secrets
from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.meta.store import MetaStore

FLAGS = ("apionly", "readonly", "appendonly")


def _validated(body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if "desc" in body or not partial:
        desc = body.get("desc", "")
        if not isinstance(desc, str) or len(desc) > 1024:
            raise JunctionError(
                ErrorCode.InvalidArgument, "desc must be a string of at most 1024 characters", field="desc"
            )
        fields["desc"] = desc
    if "iprange" in body or not partial:
        fields["iprange"] = _iprange(body.get("iprange", ""))
    for flag in FLAGS:
        if flag in body or not partial:
            value = body.get(flag, False)
            if not isinstance(value, bool):
                raise JunctionError(ErrorCode.InvalidArgument, f"{flag} must be true or false", field=flag)
            fields[flag] = value
    unknown = set(body) - {"desc", "iprange", *FLAGS}
    if unknown:
        raise JunctionError(
            ErrorCode.InvalidArgument, f"unknown field {sorted(unknown)[0]!r}", field=sorted(unknown)[0]
        )
    return fields


def _iprange(value: Any) -> str:
    """A comma-separated CIDR list; empty or '*' means any address."""
    if not isinstance(value, str):
        raise JunctionError(
            ErrorCode.InvalidArgument, "iprange must be a comma-separated list of CIDRs", field="iprange"
        )
    if value.strip() in ("", "*"):
        return ""
    cidrs = [part.strip() for part in value.split(",") if part.strip()]
    for cidr in cidrs:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise JunctionError(
                ErrorCode.InvalidArgument, f"iprange entry {cidr!r} is not a CIDR", field="iprange"
            ) from None
    return ",".join(cidrs)


def public(export: dict[str, Any]) -> dict[str, Any]:
    """What the console shows of an export: never the secret."""
    return {
        "id": export["id"],
        "volume": export["bucket_id"],
        "access_key": export["access_key"],
        "desc": export["description"],
        "iprange": export["iprange"],
        "apionly": bool(export["apionly"]),
        "readonly": bool(export["readonly"]),
        "appendonly": bool(export["appendonly"]),
        "created": export["created"],
    }


class ExportService:
    def __init__(self, store: MetaStore) -> None:
        self._store = store

    async def list(self, bucket_id: int) -> list[dict[str, Any]]:
        return [public(e) for e in await self._store.console.list_exports(bucket_id)]

    async def create(self, bucket_id: int, body: dict[str, Any]) -> dict[str, Any]:
        fields = _validated(body, partial=False)
        access_key = "JXE" + secrets.token_hex(9).upper()
        secret_key = secrets.token_urlsafe(30)
        export_id = await self._store.console.create_export(bucket_id, access_key, secret_key, fields)
        shown = public(await self._store.console.get_export(bucket_id, export_id))
        shown["secret_key"] = secret_key  # returned once, here; never again
        return shown

    async def update(self, bucket_id: int, export_id: int, body: dict[str, Any]) -> dict[str, Any]:
        await self._store.console.update_export(bucket_id, export_id, _validated(body, partial=True))
        return public(await self._store.console.get_export(bucket_id, export_id))

    async def delete(self, bucket_id: int, export_id: int) -> None:
        await self._store.console.delete_export(bucket_id, export_id)
