"""`/api/role/get`, `/api/role/edit`, `/api/role/self`: which role may call which endpoint
(gateway/core/endpoint_roles.py). The table is gateway-wide, so only a gateway administrator
edits it; holders of the admin role read it."""

from __future__ import annotations

from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError

from .call import FileCall


def require_gateway_admin(call: FileCall) -> None:
    if not call.caller.identity.admin:
        raise JunctionError(ErrorCode.AccessDenied, "only gateway administrators may change gateway-wide settings")


async def role_get(call: FileCall) -> dict[str, Any]:
    return await call.core.endpoint_roles.table()


async def role_edit(call: FileCall) -> dict[str, Any]:
    require_gateway_admin(call)
    await call.core.endpoint_roles.edit(await call.json())
    return {"status": "Roles updated"}


async def role_self(call: FileCall) -> dict[str, Any]:
    return await call.core.endpoint_roles.of_role(call.caller.role)
