"""Seed 004's users (username, password, full name, role, `paths` readable and `paths_write`
writable) mapped onto the identity engine: a user of the caller's account, the role `admin`
as the built-in `admin` policy, the paths as per-path rules (identity_policies.rules_policy),
so the Authorizer enforces them on S3, the native API and the console alike. Passwords are
never returned; the full name and settings live in the profiles table."""

from __future__ import annotations

import json
from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.meta.store import MetaStore

from .accounts import AccountService
from .identity_policies import validated_rule

ROLES = ("admin", "user")
ADMIN_POLICY = "admin"
MAX_TEXT = 4096


def _bad(message: str, field: str = "body") -> JunctionError:
    return JunctionError(ErrorCode.InvalidArgument, message, field=field)


def parse_paths(value: object, access: str, field: str) -> list[dict[str, str]]:
    """`paths` as the document sends them (a JSON string of a list) or a plain list:
    "bucket" or "bucket/prefix" entries, as read or write rules."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise _bad(f"{field} must be a JSON list of bucket/prefix paths", field) from None
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise _bad(f"{field} must be a list of bucket/prefix paths", field)
    rules = []
    for path in value:
        bucket, _, prefix = path.strip().lstrip("/").partition("/")
        rule = {"bucket": bucket, "prefix": prefix, "access": access}
        validated_rule(rule)
        rules.append(rule)
    return rules


def rules_to_paths(rules: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    read = [f"{r['bucket']}/{r['prefix']}" for r in rules if r["access"] == "read"]
    write = [f"{r['bucket']}/{r['prefix']}" for r in rules if r["access"] == "write"]
    return read, write


def _text(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise _bad(f"{name} is required", name)
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise _bad(f"{name} must be a string of at most {MAX_TEXT} characters", name)
    return value


def _role(body: dict[str, Any], *, required: bool) -> str | None:
    role = _text(body, "role", required=required)
    if role is not None and role not in ROLES:
        raise _bad('role must be "admin" or "user"', "role")
    return role


class UserDirectory:
    def __init__(self, store: MetaStore, accounts: AccountService) -> None:
        self._profiles = store.profiles
        self._accounts = accounts

    def _view(self, user: dict[str, Any], profile: dict[str, str]) -> dict[str, Any]:
        paths, writable = rules_to_paths(user.get("rules", []))
        return {
            "id": user["arn"],
            "username": user["name"],
            "name": profile["name"],
            "role": "admin" if ADMIN_POLICY in user.get("policies", []) else "user",
            "paths": paths,
            "paths_write": writable,
            "settings": profile["settings"],
            "disabled": bool(user.get("disabled")),
            "hasPassword": bool(user.get("has_password")),
            "API_KEYS": [k["access_key"] for k in user.get("keys", [])],
        }

    async def get(self, account_id: str, username: str) -> dict[str, Any]:
        user = await self._accounts.user(account_id, username)
        return self._view(user, await self._profiles.get(account_id, username))

    async def all(self, account_id: str) -> list[dict[str, Any]]:
        profiles = await self._profiles.all(account_id)
        views = []
        for row in await self._accounts.users(account_id):
            user = await self._accounts.user(account_id, row["name"])
            views.append(self._view(user, profiles.get(row["name"], {"name": "", "settings": ""})))
        return views

    async def create(self, account_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """The user, its rules and role, and one access key (its secret shown only here)."""
        username = _text(body, "username", required=True)
        password = _text(body, "password", required=True)
        name = _text(body, "name", required=True)
        role = _role(body, required=True)
        rules = parse_paths(body.get("paths"), "read", "paths") + parse_paths(
            body.get("paths_write"), "write", "paths_write"
        )
        await self._accounts.create_user(
            account_id,
            username,
            password=password,
            rules=rules,
            policies=[ADMIN_POLICY] if role == "admin" else [],
        )
        try:
            await self._profiles.put(account_id, str(username), name=name, settings=_text(body, "settings"))
            key = await self._accounts.create_key(account_id, str(username))
        except JunctionError:
            await self._accounts.delete_user(account_id, str(username))
            raise
        return {"status": "User created", "API_KEY": key["access_key"], "secretKey": key["secret_key"]}

    async def edit(self, account_id: str, body: dict[str, Any], *, self_service: bool = False) -> None:
        """`password` (absent or empty: unchanged), `name`, `settings`; unless `self_service`,
        also `role`, `paths` and `paths_write` (each replaced when present)."""
        username = str(_text(body, "username", required=True))
        update: dict[str, Any] = {}
        password = _text(body, "password")
        if password is not None:
            update["password"] = password
        if not self_service and ("paths" in body or "paths_write" in body):
            current = await self._accounts.user(account_id, username)
            old_read, old_write = rules_to_paths(current["rules"])
            update["rules"] = parse_paths(body.get("paths", old_read), "read", "paths") + parse_paths(
                body.get("paths_write", old_write), "write", "paths_write"
            )
        role = None if self_service else _role(body, required=False)
        name, settings = _text(body, "name"), _text(body, "settings")
        if not update and role is None and name is None and settings is None:
            raise _bad("No valid fields provided for update")
        await self._accounts.user(account_id, username)  # NoSuchUser before any change
        if update:
            await self._accounts.update_user(account_id, username, update)
        if role is not None:
            policies = (await self._accounts.user(account_id, username))["policies"]
            if role == "admin" and ADMIN_POLICY not in policies:
                await self._accounts.attach(account_id, username, ADMIN_POLICY)
            elif role == "user" and ADMIN_POLICY in policies:
                await self._accounts.detach(account_id, username, ADMIN_POLICY)
        if name is not None or settings is not None:
            await self._profiles.put(account_id, username, name=name, settings=settings)

    async def delete(self, account_id: str, username: str) -> None:
        await self._accounts.delete_user(account_id, username)
