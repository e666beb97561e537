"""`/api/get_logs` (the audit log, newest first), `/api/get_settings`,
`/api/update_settings` (the gateway's run-time settings, gateway/core/settings.py, the same
ones as /api/settings) and `/api/get_version`."""

from __future__ import annotations

from importlib import metadata
from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError

from .call import FileCall
from .roles import require_gateway_admin

MAX_LOGS = 1000


def _int(call: FileCall, name: str, default: int | None) -> int | None:
    text = call.request.query.get(name, "")
    if not text:
        return default
    if not text.isdigit():
        raise JunctionError(ErrorCode.InvalidArgument, f"{name} must be a positive integer")
    return int(text)


async def get_logs(call: FileCall) -> list[dict[str, Any]]:
    """Entries newest first (`limit`, default 100, at most 1000; `before`: an id, for the next
    page). A gateway administrator sees every account's; an account's admin its own."""
    limit = min(_int(call, "limit", 100) or 1, MAX_LOGS)
    equal = {} if call.caller.identity.admin else {"account": call.caller.account}
    page = await call.core.audit.page(limit=limit, before=_int(call, "before", None), equal=equal)
    return list(page["logs"])


async def get_settings(call: FileCall) -> dict[str, Any]:
    return await call.core.settings.values()


async def update_settings(call: FileCall) -> dict[str, Any]:
    """Some settings by their JSON fields; none is stored unless all are valid. Unlike the
    document's settings.json, nothing else (no password, no file paths) is a setting here."""
    require_gateway_admin(call)
    body = await call.json()
    if not body:
        raise JunctionError(ErrorCode.InvalidArgument, "No settings provided")
    caller = call.caller
    await call.core.settings.update(body, caller.identity.access_key or f"user:{caller.name}")
    return {"status": "Settings updated"}


def version() -> str:
    try:
        return metadata.version("junction")
    except metadata.PackageNotFoundError:
        return "0+unknown"


async def get_version(call: FileCall) -> dict[str, Any]:
    return {"version": version()}
