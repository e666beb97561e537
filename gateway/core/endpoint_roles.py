"""Which role may call which file-API endpoint (seed 004's roles.json, kept in the metadata).

Two roles exist, as in the user directory: "admin" and "user". An administrator may call
every endpoint (it must always be able to repair the table); the table decides for "user".
Endpoints that manage users, roles, settings or read the audit log are admin-only and cannot
be granted. This is a gate in front of the per-path rules, never instead of them: a role that
may call /api/new_file still writes only where the identity engine lets it.
"""

from __future__ import annotations

from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.meta.store import MetaStore

from .user_directory import ROLES

FILE_ENDPOINTS = (
    "/api/finder",
    "/api/new_file",
    "/api/edit_file",
    "/api/get_file",
    "/api/rename_file",
    "/api/delete_file",
    "/api/upload",
    "/api/download",
    "/api/create_folder",
    "/api/delete_folder",
    "/api/rename_folder",
    "/api/role/self",
    "/api/get_settings",
    "/api/get_version",
)
ADMIN_ONLY = (
    "/api/role/get",
    "/api/role/edit",
    "/api/get_logs",
    "/api/update_settings",
    "/api/user/create",
    "/api/user/delete",
    "/api/user/edit",
    "/api/user/get_all",
    "/api/ftp/create_user",  # gateway/ftp/routes.py checks these itself (administrators only)
    "/api/ftp/delete_user",
    "/api/ftp/get_users",
    "/api/ftp/edit_user",
    "/api/ftp/start",
    "/api/ftp/stop",
)
ENDPOINTS = FILE_ENDPOINTS + ADMIN_ONLY
ADMIN = "admin"


def _bad(message: str) -> JunctionError:
    return JunctionError(ErrorCode.InvalidArgument, message)


class EndpointRoles:
    def __init__(self, store: MetaStore) -> None:
        self._store = store.fileapi

    async def table(self) -> dict[str, list[str]]:
        """endpoint -> the roles that may call it (the document's roles.json shape)."""
        stored = await self._store.endpoint_roles()
        table: dict[str, list[str]] = {}
        for endpoint in ENDPOINTS:
            roles = [ADMIN]
            if endpoint not in ADMIN_ONLY and stored.get((endpoint, "user"), True):
                roles.append("user")
            table[endpoint] = roles
        return table

    async def allows(self, role: str, endpoint: str) -> bool:
        if role == ADMIN:
            return True
        if endpoint in ADMIN_ONLY or endpoint not in ENDPOINTS:
            return False
        return (await self._store.endpoint_roles()).get((endpoint, role), True)

    async def of_role(self, role: str) -> dict[str, bool]:
        """endpoint -> whether `role` may call it (/api/role/self)."""
        table = await self.table()
        return {endpoint: role in roles for endpoint, roles in table.items()}

    async def edit(self, body: dict[str, Any]) -> None:
        """`{endpoint: [roles]}` for some endpoints; the others keep their rows. "admin" is
        implied everywhere; an admin-only endpoint cannot be granted to another role."""
        if not body:
            raise _bad("No roles provided")
        current = await self.table()
        for endpoint, roles in body.items():
            if endpoint not in ENDPOINTS:
                raise _bad(f"unknown endpoint {endpoint!r}; known: {', '.join(ENDPOINTS)}")
            if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
                raise _bad(f"{endpoint}: a list of role names")
            unknown = sorted(set(roles) - set(ROLES))
            if unknown:
                raise _bad(f"{endpoint}: unknown role {unknown[0]!r} (roles are {', '.join(ROLES)})")
            if endpoint in ADMIN_ONLY and set(roles) - {ADMIN}:
                raise _bad(f"{endpoint} is for administrators only")
            current[endpoint] = sorted({ADMIN, *roles})
        rows = {
            (endpoint, role): role in roles
            for endpoint, roles in current.items()
            if endpoint not in ADMIN_ONLY
            for role in ROLES
            if role != ADMIN
        }
        await self._store.set_endpoint_roles(rows)
