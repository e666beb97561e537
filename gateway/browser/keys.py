"""`/api/keys`: the signed-in caller's own access keys (list, create, delete). A user's keys
carry exactly that user's rights, so making one grants nothing new (MinIO's console lets its
users do the same); a session signed in with an account root's key manages that account's root
keys. The secret of a new key is answered once; the key the session signed in with cannot be
deleted from it (it would end the session's own footing)."""

from __future__ import annotations

from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError

from .call import BrowserCall


def _owner(call: BrowserCall) -> tuple[str, str | None]:
    """(account id, user name or None for the account's root) whose keys these are."""
    session = call.session
    if session.subject.startswith("user:"):
        return session.account, session.username
    caller = session.identity.caller
    return session.account, caller.user


def _key_json(key: dict[str, Any], current: str | None) -> dict[str, Any]:
    return {**key, "current": key["access_key"] == current}


async def _own_keys(call: BrowserCall) -> list[dict[str, Any]]:
    account, user = _owner(call)
    keys = await call.core.accounts.keys(account, user)
    return keys if user is not None else [k for k in keys if k["user"] is None]  # the root's own, not its users'


async def list_keys(call: BrowserCall) -> dict[str, Any]:
    account, user = _owner(call)
    current = call.session.identity.access_key
    return {"keys": [_key_json(k, current) for k in await _own_keys(call)], "user": user, "account": account}


async def create_key(call: BrowserCall) -> dict[str, Any]:
    account, user = _owner(call)
    body = await call.json()
    if body:
        raise JunctionError(ErrorCode.InvalidArgument, "the body is {} (keys are generated)", field=sorted(body)[0])
    return await call.core.accounts.create_key(account, user)


async def delete_key(call: BrowserCall) -> dict[str, str]:
    account, _user = _owner(call)
    access_key = call.request.match_info["key"]
    if access_key not in {k["access_key"] for k in await _own_keys(call)}:
        raise JunctionError(ErrorCode.NoSuchAccessKey, f"access key {access_key!r} is not one of yours")
    if access_key == call.session.identity.access_key:
        raise JunctionError(ErrorCode.InvalidRequest, "this session signed in with that key: sign in otherwise first")
    await call.core.accounts.delete_key(account, access_key)
    return {"message": "Access key deleted"}
