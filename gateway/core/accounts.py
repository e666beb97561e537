"""Accounts, users, access keys and policies: the operations the console API and the CLI share.

Validation and "who may manage what" live here so both front ends apply the same rules.
Every change commits, then tells the identity service, which invalidates every process's
caches (see `gateway.core.identity`). Secrets are returned once, by the call that creates them.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
import secrets
from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.meta.store import MetaStore

from .authz import Authorizer, Identity
from .iam.conditions import PolicyError
from .iam.policy import parse_policy
from .identity import IdentityService, new_account_ids
from .identity_policies import BUILTIN_POLICIES, validated_rule

NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
ACCESS_KEY = re.compile(r"^[A-Za-z0-9._~+/=-]{3,128}$")
SECRET_KEY = re.compile(r"^[\x21-\x7e]{8,128}$")
PAB_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
STATUSES = ("Active", "Inactive")
SCRYPT = {"n": 2**14, "r": 8, "p": 1}


@functools.cache
def dummy_hash() -> str:
    """A hash to check a password against when there is no user: a failed lookup costs what a
    wrong password costs. Made on first use (scrypt at import time was a tenth of start-up)."""
    return hash_password(secrets.token_hex(8))


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, maxmem=64 * 1024 * 1024, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def password_matches(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    _scheme, n, r, p, salt, digest = stored.split("$")
    actual = hashlib.scrypt(
        password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), maxmem=64 * 1024 * 1024
    )
    return hmac.compare_digest(actual.hex(), digest)


def _name(value: object, what: str) -> str:
    if not isinstance(value, str) or not NAME.match(value):
        raise JunctionError(
            ErrorCode.InvalidArgument,
            f"{what} must be 1-64 characters of letters, digits and + = , . @ _ -",
            field="name",
        )
    return value


def _key_pair(access_key: object, secret_key: object, prefix: str) -> tuple[str, str]:
    if access_key is None and secret_key is None:
        return prefix + secrets.token_hex(9).upper(), secrets.token_urlsafe(30)
    if not isinstance(access_key, str) or not ACCESS_KEY.match(access_key):
        raise JunctionError(
            ErrorCode.InvalidArgument, "access_key must be 3-128 letters, digits or ._~+/=-", field="access_key"
        )
    if not isinstance(secret_key, str) or not SECRET_KEY.match(secret_key):
        raise JunctionError(
            ErrorCode.InvalidArgument, "secret_key must be 8-128 printable ASCII characters", field="secret_key"
        )
    return access_key, secret_key


def validated_policy(document: object) -> str:
    """A policy document (text or JSON value) that parses as an identity policy, as compact JSON."""
    text = document if isinstance(document, str) else json.dumps(document)
    try:
        return parse_policy(text).text()
    except PolicyError as exc:
        raise JunctionError(ErrorCode.MalformedPolicy, str(exc), field="document") from None


def public_account(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "canonical_id": row["canonical_id"],
        "disabled": bool(row["disabled"]),
        "created": row["created"],
    }


def public_user(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": row["name"],
        "account": row["account_id"],
        "arn": f"arn:aws:iam::{row['account_id']}:user/{row['name']}",
        "disabled": bool(row["disabled"]),
        "has_password": bool(row["password_hash"]),
        "created": row["created"],
    }


def public_key(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "access_key": row["access_key"],
        "account": row["account_id"],
        "user": row.get("user_name"),
        "kind": row["kind"],
        "status": row["status"],
        "created": row["created"],
    }


class AccountService:
    def __init__(self, store: MetaStore, identities: IdentityService, authorizer: Authorizer) -> None:
        self._ids = store.identity
        self._identities = identities
        self._authorizer = authorizer

    def _changed(self) -> None:
        self._identities.changed()

    # ------------------------------------------------------------ who may manage what

    async def require(self, identity: Identity, action: str, account_id: str | None = None) -> None:
        """Gateway administrators manage everything; an account's root (or a user granted
        `action`) manages its own account; creating and removing accounts is for administrators."""
        if identity.admin:
            return
        if account_id is None or identity.caller.account_id != account_id or action == "junction:ManageAccounts":
            raise JunctionError(ErrorCode.AccessDenied, "Access Denied: only gateway administrators may do this")
        await self._authorizer.authorize(identity, action)

    async def visible_accounts(self, identity: Identity) -> list[dict[str, Any]]:
        rows = await self._ids.accounts()
        if not identity.admin:
            rows = [r for r in rows if r["id"] == identity.caller.account_id]
        return [public_account(r) for r in rows]

    async def account(self, ref: str) -> dict[str, Any]:
        """An account by id or name (NoSuchAccount)."""
        return await self._ids.account(ref)

    # ------------------------------------------------------------ accounts

    async def create_account(
        self, name: object, access_key: object = None, secret_key: object = None
    ) -> dict[str, Any]:
        name = _name(name, "an account name")
        access_key, secret_key = _key_pair(access_key, secret_key, "JXR")
        account_id, canonical_id = new_account_ids()
        while await self._identities.account_exists(account_id):
            account_id, canonical_id = new_account_ids()
        row = await self._ids.create_account(account_id, name, canonical_id)
        try:
            await self._ids.create_key(access_key, secret_key, "account", account_id, None)
        except JunctionError:
            await self._ids.delete_account(account_id)
            raise
        self._changed()
        return {**public_account(row), "access_key": access_key, "secret_key": secret_key}

    async def set_account_disabled(self, ref: str, disabled: bool) -> dict[str, Any]:
        account = await self._ids.account(ref)
        if disabled and account["id"] == (await self._identities.first_account())["id"]:
            raise JunctionError(ErrorCode.InvalidRequest, "the gateway's first account cannot be disabled")
        await self._ids.update_account(account["id"], disabled=int(disabled))
        self._changed()
        return public_account(await self._ids.account(account["id"]))

    async def delete_account(self, ref: str) -> None:
        account = await self._ids.account(ref)
        await self._ids.delete_account(account["id"])
        self._changed()

    async def public_access_block(self, ref: str) -> dict[str, bool]:
        flags = json.loads((await self._ids.account(ref))["public_access_block"] or "{}")
        return {flag: bool(flags.get(flag)) for flag in PAB_FLAGS}

    async def put_public_access_block(self, ref: str, body: dict[str, Any]) -> dict[str, bool]:
        account = await self._ids.account(ref)
        unknown = set(body) - set(PAB_FLAGS)
        if unknown:
            raise JunctionError(ErrorCode.InvalidArgument, f"unknown field {sorted(unknown)[0]!r}", field="flags")
        if not all(isinstance(v, bool) for v in body.values()):
            raise JunctionError(ErrorCode.InvalidArgument, "each flag must be true or false", field="flags")
        flags = {flag: bool(body.get(flag, False)) for flag in PAB_FLAGS}
        await self._ids.update_account(account["id"], public_access_block=flags)
        self._changed()
        return flags

    # ------------------------------------------------------------ users

    async def create_user(
        self,
        account_id: str,
        name: object,
        *,
        password: object = None,
        policies: object = (),
        rules: object = (),
        document: object = None,
    ) -> dict[str, Any]:
        name = _name(name, "a user name")
        if password is not None and (not isinstance(password, str) or not 8 <= len(password) <= 1024):
            raise JunctionError(ErrorCode.InvalidArgument, "password must be 8-1024 characters", field="password")
        attach = await self._policy_names(account_id, policies)
        triples = self._rules(rules)
        inline = validated_policy(document) if document is not None else None
        user = await self._ids.create_user(account_id, name, hash_password(password) if password else None)
        for policy in attach:
            await self._ids.attach(user["id"], policy)
        if triples:
            await self._ids.set_rules(user["id"], triples)
        if inline is not None:
            await self._ids.put_inline(user["id"], "inline", inline)
        self._changed()
        return await self.user(account_id, name)

    async def user(self, account_id: str, name: str) -> dict[str, Any]:
        row = await self._ids.user(account_id, name)
        inline = await self._ids.inline(row["id"])
        return {
            **public_user(row),
            "policies": await self._ids.attached(row["id"]),
            "inline_policies": {k: json.loads(v) for k, v in inline.items()},
            "rules": await self._ids.rules(row["id"]),
            "keys": [public_key(k) for k in await self._ids.keys(account_id, row["id"])],
        }

    async def users(self, account_id: str) -> list[dict[str, Any]]:
        return [public_user(r) for r in await self._ids.users(account_id)]

    async def update_user(self, account_id: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """PATCH-like: `disabled`, `password` (null removes it), `rules` (replaces them all), `policy` (inline)."""
        row = await self._ids.user(account_id, name)
        unknown = set(body) - {"disabled", "password", "rules", "policy"}
        if unknown:
            raise JunctionError(ErrorCode.InvalidArgument, f"unknown field {sorted(unknown)[0]!r}", field="body")
        fields: dict[str, object] = {}
        if "disabled" in body:
            if not isinstance(body["disabled"], bool):
                raise JunctionError(ErrorCode.InvalidArgument, "disabled must be true or false", field="disabled")
            fields["disabled"] = int(body["disabled"])
        if "password" in body:
            password = body["password"]
            if password is not None and (not isinstance(password, str) or not 8 <= len(password) <= 1024):
                raise JunctionError(ErrorCode.InvalidArgument, "password must be 8-1024 characters", field="password")
            fields["password_hash"] = hash_password(password) if password else None
        triples = self._rules(body["rules"]) if "rules" in body else None
        inline = validated_policy(body["policy"]) if body.get("policy") is not None else None
        if fields:
            await self._ids.update_user(row["id"], **fields)
        if triples is not None:
            await self._ids.set_rules(row["id"], triples)
        if "policy" in body:
            await self._ids.put_inline(row["id"], "inline", inline)
        self._changed()
        return await self.user(account_id, name)

    async def delete_user(self, account_id: str, name: str) -> None:
        row = await self._ids.user(account_id, name)
        await self._ids.delete_user(row["id"])
        self._changed()

    def _rules(self, rules: object) -> list[tuple[str, str, str]]:
        if not isinstance(rules, list | tuple):
            raise JunctionError(ErrorCode.InvalidArgument, "rules must be a list", field="rules")
        return [validated_rule(r) for r in rules]

    async def _policy_names(self, account_id: str, names: object) -> list[str]:
        if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
            raise JunctionError(ErrorCode.InvalidArgument, "policies must be a list of names", field="policies")
        for name in names:
            if name not in BUILTIN_POLICIES:
                await self._ids.policy(account_id, name)  # NoSuchPolicy
        return list(names)

    # ------------------------------------------------------------ access keys

    async def create_key(
        self, account_id: str, user: str | None, access_key: object = None, secret_key: object = None
    ) -> dict[str, Any]:
        user_id = (await self._ids.user(account_id, user))["id"] if user is not None else None
        access_key, secret_key = _key_pair(access_key, secret_key, "JXU" if user else "JXR")
        row = await self._ids.create_key(access_key, secret_key, "user" if user else "account", account_id, user_id)
        self._changed()
        return {**public_key({**row, "user_name": user}), "secret_key": secret_key}

    async def keys(self, account_id: str, user: str | None = None) -> list[dict[str, Any]]:
        user_id = (await self._ids.user(account_id, user))["id"] if user is not None else None
        return [public_key(k) for k in await self._ids.keys(account_id, user_id)]

    async def key(self, account_id: str | None, access_key: str) -> dict[str, Any]:
        """A key of `account_id` (None: any account's, for administrators)."""
        row = await self._ids.key(access_key)
        if account_id is not None and row["account_id"] != account_id:
            raise JunctionError(ErrorCode.NoSuchAccessKey, f"access key {access_key!r} does not exist")
        if row["kind"] not in ("account", "user"):
            raise JunctionError(
                ErrorCode.InvalidRequest, f"{access_key} is a {row['kind']} key: manage it where it was made"
            )
        return row

    async def set_key_status(self, account_id: str | None, access_key: str, status: object) -> dict[str, Any]:
        if status not in STATUSES:
            raise JunctionError(ErrorCode.InvalidArgument, "status must be Active or Inactive", field="status")
        row = await self.key(account_id, access_key)
        await self._ids.set_key_status(access_key, str(status))
        self._changed()
        return next(k for k in await self.keys(row["account_id"]) if k["access_key"] == access_key)

    async def delete_key(self, account_id: str | None, access_key: str) -> None:
        await self.key(account_id, access_key)
        await self._ids.delete_key(access_key)
        self._changed()

    # ------------------------------------------------------------ managed policies and attachments

    async def put_policy(self, account_id: str, name: object, document: object, *, create: bool) -> dict[str, Any]:
        name = _name(name, "a policy name")
        if name in BUILTIN_POLICIES:
            raise JunctionError(ErrorCode.EntityAlreadyExists, f"{name!r} is a built-in policy", field="name")
        text = validated_policy(document)
        await self._ids.put_policy(account_id, name, text, create=create)
        self._changed()
        return await self.policy(account_id, name)

    async def policy(self, account_id: str, name: str) -> dict[str, Any]:
        if name in BUILTIN_POLICIES:
            return {"name": name, "builtin": True, "document": BUILTIN_POLICIES[name]}
        row = await self._ids.policy(account_id, name)
        return {"name": name, "builtin": False, "document": json.loads(row["document"]), "updated": row["updated"]}

    async def policies(self, account_id: str) -> list[dict[str, Any]]:
        builtins = [{"name": n, "builtin": True, "document": d} for n, d in BUILTIN_POLICIES.items()]
        managed = [
            {"name": r["name"], "builtin": False, "document": json.loads(r["document"]), "updated": r["updated"]}
            for r in await self._ids.policies(account_id)
        ]
        return builtins + managed

    async def delete_policy(self, account_id: str, name: str) -> None:
        if name in BUILTIN_POLICIES:
            raise JunctionError(ErrorCode.InvalidRequest, f"{name!r} is a built-in policy")
        await self._ids.delete_policy(account_id, name)
        self._changed()

    async def attach(self, account_id: str, user: str, policy: object) -> list[str]:
        row = await self._ids.user(account_id, user)
        (name,) = await self._policy_names(account_id, [policy])
        await self._ids.attach(row["id"], name)
        self._changed()
        return await self._ids.attached(row["id"])

    async def detach(self, account_id: str, user: str, policy: str) -> None:
        row = await self._ids.user(account_id, user)
        await self._ids.detach(row["id"], policy)
        self._changed()
