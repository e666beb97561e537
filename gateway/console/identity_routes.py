"""Console API routes for the identity model: accounts, users, access keys, policies, attachments,
and an account's public access block.

`{account}` is an account id or name. Gateway administrators manage every account; an
account's root (or a user granted `junction:ManageUsers` / `junction:ManagePolicies`) manages
its own account's users, keys and policies; other accounts do not exist for it (404).
Secrets are in the answer of the call that creates them, never again.
"""

from __future__ import annotations

from typing import Any

from gateway.core.accounts import PAB_FLAGS
from gateway.domain.errors import ErrorCode, JunctionError

from .call import ConsoleCall

__all__ = ["PAB_FLAGS", "ROUTES"]
PREFIX = "/api/v1"
MANAGE_USERS, MANAGE_POLICIES, MANAGE_ACCOUNTS = (
    "junction:ManageUsers",
    "junction:ManagePolicies",
    "junction:ManageAccounts",
)


async def _account(call: ConsoleCall, action: str) -> str:
    """The id of the account in the path, once the caller may do `action` in it."""
    ref = call.request.match_info["account"]
    try:
        account = await call.core.accounts.account(ref)
    except JunctionError:
        raise JunctionError(ErrorCode.NoSuchAccount, f"account {ref!r} does not exist") from None
    if not call.identity.admin and account["id"] != call.identity.caller.account_id:
        raise JunctionError(ErrorCode.NoSuchAccount, f"account {ref!r} does not exist")
    await call.core.accounts.require(call.identity, action, account["id"])
    return str(account["id"])


def _root_only(call: ConsoleCall) -> None:
    """An account root's keys are its own (or an administrator's) to make and change: a user
    allowed to manage users must not be able to mint itself the root's powers."""
    if call.identity.caller.user is not None and not call.identity.admin:
        raise JunctionError(ErrorCode.AccessDenied, "Access Denied: only the account's root manages its root keys")


def _user(call: ConsoleCall) -> str:
    return call.request.match_info["user"]


def _status(call: ConsoleCall) -> object:
    body = call.json()
    unknown = set(body) - {"status"}
    if unknown or body.get("status") not in ("Active", "Inactive"):
        raise JunctionError(ErrorCode.InvalidArgument, 'the body is {"status": "Active" | "Inactive"}', field="status")
    return body["status"]


# ------------------------------------------------------------------ accounts


async def list_accounts(call: ConsoleCall) -> list[dict[str, Any]]:
    return await call.core.accounts.visible_accounts(call.identity)


async def create_account(call: ConsoleCall) -> dict[str, Any]:
    await call.core.accounts.require(call.identity, MANAGE_ACCOUNTS)
    body = call.json()
    unknown = set(body) - {"name", "access_key", "secret_key"}
    if unknown:
        raise JunctionError(ErrorCode.InvalidArgument, f"unknown field {sorted(unknown)[0]!r}", field="body")
    return await call.core.accounts.create_account(body.get("name"), body.get("access_key"), body.get("secret_key"))


async def get_account(call: ConsoleCall) -> dict[str, Any]:
    account_id = await _account(call, MANAGE_USERS)
    visible = await call.core.accounts.visible_accounts(call.identity)
    return next(a for a in visible if a["id"] == account_id)


async def update_account(call: ConsoleCall) -> dict[str, Any]:
    account_id = await _account(call, MANAGE_ACCOUNTS)
    body = call.json()
    if set(body) != {"disabled"} or not isinstance(body["disabled"], bool):
        raise JunctionError(ErrorCode.InvalidArgument, 'the body is {"disabled": true | false}', field="disabled")
    return await call.core.accounts.set_account_disabled(account_id, body["disabled"])


async def delete_account(call: ConsoleCall) -> None:
    await call.core.accounts.delete_account(await _account(call, MANAGE_ACCOUNTS))


async def get_public_access_block(call: ConsoleCall) -> dict[str, bool]:
    return await call.core.accounts.public_access_block(await _account(call, "s3:GetAccountPublicAccessBlock"))


async def put_public_access_block(call: ConsoleCall) -> dict[str, bool]:
    account_id = await _account(call, "s3:PutAccountPublicAccessBlock")
    return await call.core.accounts.put_public_access_block(account_id, call.json())


# ------------------------------------------------------------------ users


async def list_users(call: ConsoleCall) -> list[dict[str, Any]]:
    return await call.core.accounts.users(await _account(call, MANAGE_USERS))


async def create_user(call: ConsoleCall) -> dict[str, Any]:
    account_id = await _account(call, MANAGE_USERS)
    body = call.json()
    unknown = set(body) - {"name", "password", "policies", "rules", "policy"}
    if unknown:
        raise JunctionError(ErrorCode.InvalidArgument, f"unknown field {sorted(unknown)[0]!r}", field="body")
    return await call.core.accounts.create_user(
        account_id,
        body.get("name"),
        password=body.get("password"),
        policies=body.get("policies", []),
        rules=body.get("rules", []),
        document=body.get("policy"),
    )


async def get_user(call: ConsoleCall) -> dict[str, Any]:
    return await call.core.accounts.user(await _account(call, MANAGE_USERS), _user(call))


async def update_user(call: ConsoleCall) -> dict[str, Any]:
    return await call.core.accounts.update_user(await _account(call, MANAGE_USERS), _user(call), call.json())


async def delete_user(call: ConsoleCall) -> None:
    await call.core.accounts.delete_user(await _account(call, MANAGE_USERS), _user(call))


# ------------------------------------------------------------------ access keys


async def list_account_keys(call: ConsoleCall) -> list[dict[str, Any]]:
    return await call.core.accounts.keys(await _account(call, MANAGE_USERS))


async def create_account_key(call: ConsoleCall) -> dict[str, Any]:
    body = call.json()
    account_id = await _account(call, MANAGE_USERS)
    _root_only(call)
    return await call.core.accounts.create_key(account_id, None, body.get("access_key"), body.get("secret_key"))


async def list_user_keys(call: ConsoleCall) -> list[dict[str, Any]]:
    return await call.core.accounts.keys(await _account(call, MANAGE_USERS), _user(call))


async def create_user_key(call: ConsoleCall) -> dict[str, Any]:
    body = call.json()
    account_id = await _account(call, MANAGE_USERS)
    return await call.core.accounts.create_key(account_id, _user(call), body.get("access_key"), body.get("secret_key"))


async def update_key(call: ConsoleCall) -> dict[str, Any]:
    account_id = await _account(call, MANAGE_USERS)
    status = _status(call)  # a malformed body is 400 whatever the key
    await _guard_root_key(call, account_id)
    return await call.core.accounts.set_key_status(account_id, call.request.match_info["key"], status)


async def delete_key(call: ConsoleCall) -> None:
    account_id = await _account(call, MANAGE_USERS)
    await _guard_root_key(call, account_id)
    await call.core.accounts.delete_key(account_id, call.request.match_info["key"])


async def _guard_root_key(call: ConsoleCall, account_id: str) -> None:
    key = await call.core.accounts.key(account_id, call.request.match_info["key"])
    if key["user_id"] is None:
        _root_only(call)


# ------------------------------------------------------------------ policies and attachments


async def list_policies(call: ConsoleCall) -> list[dict[str, Any]]:
    return await call.core.accounts.policies(await _account(call, MANAGE_POLICIES))


async def create_policy(call: ConsoleCall) -> dict[str, Any]:
    account_id = await _account(call, MANAGE_POLICIES)
    body = call.json()
    if set(body) - {"name", "document"} or "document" not in body:
        raise JunctionError(ErrorCode.InvalidArgument, 'the body is {"name": ..., "document": {...}}', field="body")
    return await call.core.accounts.put_policy(account_id, body.get("name"), body["document"], create=True)


async def get_policy(call: ConsoleCall) -> dict[str, Any]:
    return await call.core.accounts.policy(await _account(call, MANAGE_POLICIES), call.request.match_info["policy"])


async def update_policy(call: ConsoleCall) -> dict[str, Any]:
    account_id = await _account(call, MANAGE_POLICIES)
    body = call.json()
    if set(body) != {"document"}:
        raise JunctionError(ErrorCode.InvalidArgument, 'the body is {"document": {...}}', field="body")
    return await call.core.accounts.put_policy(
        account_id, call.request.match_info["policy"], body["document"], create=False
    )


async def delete_policy(call: ConsoleCall) -> None:
    await call.core.accounts.delete_policy(await _account(call, MANAGE_POLICIES), call.request.match_info["policy"])


async def list_user_policies(call: ConsoleCall) -> list[str]:
    user = await call.core.accounts.user(await _account(call, MANAGE_POLICIES), _user(call))
    return list(user["policies"])


async def attach_policy(call: ConsoleCall) -> list[str]:
    account_id = await _account(call, MANAGE_POLICIES)
    return await call.core.accounts.attach(account_id, _user(call), call.request.match_info["policy"])


async def detach_policy(call: ConsoleCall) -> None:
    account_id = await _account(call, MANAGE_POLICIES)
    await call.core.accounts.detach(account_id, _user(call), call.request.match_info["policy"])


ACCOUNT = f"{PREFIX}/accounts/{{account}}"
USER = f"{ACCOUNT}/users/{{user}}"
# (method, path, handler, answers 201 Created)
ROUTES = [
    ("GET", f"{PREFIX}/accounts", list_accounts, False),
    ("POST", f"{PREFIX}/accounts", create_account, True),
    ("GET", ACCOUNT, get_account, False),
    ("PUT", ACCOUNT, update_account, False),
    ("DELETE", ACCOUNT, delete_account, False),
    ("GET", f"{ACCOUNT}/public-access-block", get_public_access_block, False),
    ("PUT", f"{ACCOUNT}/public-access-block", put_public_access_block, False),
    ("GET", f"{ACCOUNT}/users", list_users, False),
    ("POST", f"{ACCOUNT}/users", create_user, True),
    ("GET", USER, get_user, False),
    ("PUT", USER, update_user, False),
    ("DELETE", USER, delete_user, False),
    ("GET", f"{ACCOUNT}/keys", list_account_keys, False),
    ("POST", f"{ACCOUNT}/keys", create_account_key, True),
    ("PUT", f"{ACCOUNT}/keys/{{key}}", update_key, False),
    ("DELETE", f"{ACCOUNT}/keys/{{key}}", delete_key, False),
    ("GET", f"{USER}/keys", list_user_keys, False),
    ("POST", f"{USER}/keys", create_user_key, True),
    ("GET", f"{ACCOUNT}/policies", list_policies, False),
    ("POST", f"{ACCOUNT}/policies", create_policy, True),
    ("GET", f"{ACCOUNT}/policies/{{policy}}", get_policy, False),
    ("PUT", f"{ACCOUNT}/policies/{{policy}}", update_policy, False),
    ("DELETE", f"{ACCOUNT}/policies/{{policy}}", delete_policy, False),
    ("GET", f"{USER}/policies", list_user_policies, False),
    ("PUT", f"{USER}/policies/{{policy}}", attach_policy, False),
    ("DELETE", f"{USER}/policies/{{policy}}", detach_policy, False),
]
