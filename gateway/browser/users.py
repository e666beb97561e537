"""Seed 004's `/api/user/*` routes over the identity engine (gateway/core/user_directory.py):
users of the signed-in caller's account, managed by whoever may manage that account's users
(its root, a gateway administrator, a user with the `admin` role); passwords never returned."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.domain.errors import ErrorCode, JunctionError

from . import auth
from .call import BrowserCall
from .errors import error_json

MANAGE_USERS = "junction:ManageUsers"


async def _managed_account(call: BrowserCall) -> str:
    account = call.session.account
    await call.core.accounts.require(call.session.identity, MANAGE_USERS, account)
    return account


def _username(body: dict[str, Any]) -> str:
    name = body.get("username")
    if not isinstance(name, str) or not name:
        raise JunctionError(ErrorCode.InvalidArgument, "No username provided", field="username")
    return name


def _self_user(call: BrowserCall) -> str:
    """The signed-in user's name; a session signed in with an access key is no user."""
    if not call.session.subject.startswith("user:"):
        raise JunctionError(ErrorCode.InvalidRequest, "signed in with an access key, not as a user: no user record")
    return call.session.username


def _no_such_user(exc: JunctionError) -> web.Response:
    """Here a missing user is the document's 404 "User not found" (at sign-in it stays 401)."""
    if exc.code != ErrorCode.NoSuchUser:
        raise exc
    return error_json(404, str(exc.code), exc.message or "User not found")


async def login(call: BrowserCall) -> web.StreamResponse:
    """The document's sign-in: the same as /api/auth/login (token, cookie, rate limit)."""
    return await auth.login(call)


async def create(call: BrowserCall) -> dict[str, Any]:
    account = await _managed_account(call)
    return await call.core.directory.create(account, await call.json())


async def delete(call: BrowserCall) -> web.StreamResponse | dict[str, str]:
    account = await _managed_account(call)
    name = _username(await call.json())
    if call.session.subject.startswith("user:") and name == call.session.username:
        raise JunctionError(ErrorCode.InvalidRequest, "a user cannot delete itself")
    try:
        await call.core.directory.delete(account, name)
    except JunctionError as exc:
        return _no_such_user(exc)
    return {"status": "User deleted"}


async def edit(call: BrowserCall) -> web.StreamResponse | dict[str, str]:
    account = await _managed_account(call)
    try:
        await call.core.directory.edit(account, await call.json())
    except JunctionError as exc:
        return _no_such_user(exc)
    return {"status": "User edited"}


async def get_all(call: BrowserCall) -> list[dict[str, Any]]:
    account = await _managed_account(call)
    return await call.core.directory.all(account)


async def get_self(call: BrowserCall) -> web.StreamResponse | dict[str, Any]:
    """The user's record without its password (the document shows one: deliberately not)."""
    session = call.session
    if not session.subject.startswith("user:"):
        return {
            "username": session.username,
            "name": "",
            "role": session.roles[0],
            "paths": [],
            "paths_write": [],
            "settings": "",
            "account": session.account,
        }
    try:
        return {**await call.core.directory.get(session.account, session.username), "account": session.account}
    except JunctionError as exc:
        return _no_such_user(exc)


async def edit_self(call: BrowserCall) -> dict[str, str]:
    """`password`, `name`, `settings` of the signed-in user; not its name, role, paths or keys."""
    body = await call.json()
    refused = sorted({"username", "role", "paths", "paths_write", "API_KEY"} & set(body))
    if refused and not (refused == ["username"] and body["username"] == call.session.username):
        raise JunctionError(ErrorCode.InvalidArgument, f"{refused[0]} cannot be changed here", field=refused[0])
    await call.core.directory.edit(call.session.account, {**body, "username": _self_user(call)}, self_service=True)
    return {"status": "User updated"}
