"""Exports: access keys confined to one volume (bucket), with read-only, append-only,
client-address and API-only restrictions.

Each export is a user of the volume owner's account, named `export-<id>`, whose generated
identity policy (`identity_policies.export_policy`) says what the flags say, so the one
authorization engine enforces them like any other policy. `apionly` (no console) and the
no-overwrite half of `appendonly` are not policy matters: they travel on the `Identity`.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Bucket
from gateway.meta.store import MetaStore

from .identity import IdentityService
from .identity_policies import export_policy

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
    def __init__(self, store: MetaStore, identities: IdentityService) -> None:
        self._store = store
        self._identities = identities

    async def list(self, bucket_id: int) -> list[dict[str, Any]]:
        return [public(e) for e in await self._store.console.list_exports(bucket_id)]

    async def create(self, bucket: Bucket, body: dict[str, Any]) -> dict[str, Any]:
        fields = _validated(body, partial=False)
        access_key = "JXE" + secrets.token_hex(9).upper()
        secret_key = secrets.token_urlsafe(30)
        export_id = await self._store.console.create_export(bucket.id, access_key, secret_key, fields)
        await self._adopt(bucket, export_id, access_key, fields)
        shown = public(await self._store.console.get_export(bucket.id, export_id))
        shown["secret_key"] = secret_key  # returned once, here; never again
        return shown

    async def update(self, bucket: Bucket, export_id: int, body: dict[str, Any]) -> dict[str, Any]:
        await self._store.console.update_export(bucket.id, export_id, _validated(body, partial=True))
        export = await self._store.console.get_export(bucket.id, export_id)
        await self._adopt(bucket, export_id, export["access_key"], export)
        return public(export)

    async def delete(self, bucket: Bucket, export_id: int) -> None:
        export = await self._store.console.get_export(bucket.id, export_id)
        key = await self._store.identity.key(export["access_key"])
        await self._store.console.delete_export(bucket.id, export_id)
        await self._store.identity.delete_users([key["user_id"]] if key["user_id"] else [])
        self._identities.changed()

    async def adopt_legacy(self) -> int:
        """Exports made before accounts existed get their users and policies (at start)."""
        legacy = await self._store.identity.legacy_exports()
        for export in legacy:
            bucket = await self._store.buckets.get_by_id(export["bucket_id"])
            if bucket is not None:
                await self._adopt(bucket, export["id"], export["access_key"], export, notify=False)
        if legacy:
            self._identities.changed()
        return len(legacy)

    async def _adopt(
        self, bucket: Bucket, export_id: int, access_key: str, flags: dict[str, Any], *, notify: bool = True
    ) -> None:
        owner = await self._identities.owner_account(bucket)
        document = export_policy(
            bucket.name,
            readonly=bool(flags["readonly"]),
            appendonly=bool(flags["appendonly"]),
            iprange=flags["iprange"],
        )
        await self._store.identity.adopt_export(export_id, access_key, owner["id"], json.dumps(document))
        if notify:
            self._identities.changed()
