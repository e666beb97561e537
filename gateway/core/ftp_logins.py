"""FTP/SFTP logins (seed 004's `/api/ftp/*` users) over the identity engine.

A login is linked to an identity-engine user, whose policies and per-path rules decide every
action (the Authorizer, as for S3); the login adds its own password (hashed like the console's),
optional SSH public keys, a home (a bucket or `bucket/prefix`: the root the client sees) and a
`read` / `write` switch that can only narrow what the user may do. A login created without
naming a user gets a user of its own, whose rules are its home with its permissions.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.meta.store import MetaStore

from .accounts import AccountService, dummy_hash, hash_password, password_matches
from .authz import Identity
from .identity import IdentityService

PERMISSIONS = ("read", "write")
WRITE_LETTERS = set("adfmwMT")  # pyftpdlib-style permission strings ("elradfmw"): any write letter
PUBLIC_KEY = re.compile(r"^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-\S+) [A-Za-z0-9+/=]+( [^\n]*)?$")
MAX_KEYS = 32


def _bad(message: str, field: str = "body") -> JunctionError:
    return JunctionError(ErrorCode.InvalidArgument, message, field=field)


def permission_of(value: object) -> str:
    """`read` or `write`; also takes "r", "rw", "readwrite" and pyftpdlib letters ("elradfmw")."""
    if not isinstance(value, str) or not value.strip():
        raise _bad("permissions must be read or write", "permissions")
    text = value.strip()
    if text.lower() in ("read", "r", "ro", "read-only", "readonly"):
        return "read"
    if text.lower() in ("write", "rw", "readwrite", "read-write", "read,write", "w"):
        return "write"
    if set(text) <= set("elradfmwMT"):
        return "write" if set(text) & WRITE_LETTERS else "read"
    raise _bad("permissions must be read or write", "permissions")


def home_of(value: object) -> tuple[str, str]:
    """(bucket, prefix) of a home path "bucket", "/bucket/some/prefix/" ("" , ""): the whole namespace."""
    if value is None:
        return "", ""
    if not isinstance(value, str) or len(value) > 1024 or "\x00" in value:
        raise _bad("path must be a bucket or bucket/prefix", "path")
    parts = [p for p in value.strip().split("/") if p]
    if any(p in (".", "..") for p in parts):
        raise _bad("path must not contain . or .. segments", "path")
    if not parts:
        return "", ""
    prefix = "/".join(parts[1:])
    return parts[0], prefix + "/" if prefix else ""


def keys_of(value: object) -> str:
    """OpenSSH public key lines (a list or newline-separated text), checked for their shape."""
    if value is None or value == "":
        return ""
    lines = value.splitlines() if isinstance(value, str) else value
    if not isinstance(lines, list) or not all(isinstance(k, str) for k in lines):
        raise _bad("public_keys must be a list of OpenSSH public keys", "public_keys")
    keys = [k.strip() for k in lines if k.strip()]
    if len(keys) > MAX_KEYS or not all(PUBLIC_KEY.match(k) for k in keys):
        raise _bad(f"public_keys must be at most {MAX_KEYS} OpenSSH public key lines", "public_keys")
    return "\n".join(keys)


@dataclass(frozen=True, slots=True)
class FtpLogin:
    """A signed-in FTP/SFTP client: who it acts as, where its root is, whether it may write."""

    name: str
    identity: Identity
    bucket: str  # "" : the root lists buckets
    prefix: str  # "" or ending in "/"
    writable: bool


class FtpLoginService:
    def __init__(self, store: MetaStore, accounts: AccountService, identities: IdentityService) -> None:
        self._ftp = store.ftp
        self._buckets = store.buckets
        self._users = store.identity
        self._accounts = accounts
        self._identities = identities

    # ------------------------------------------------------------ management (admin)

    async def _check_home(self, bucket: str, prefix: str) -> None:
        if bucket:
            try:
                await self._buckets.get(bucket)
            except JunctionError as exc:
                if exc.code == ErrorCode.NoSuchBucket:
                    raise JunctionError(ErrorCode.NoSuchKey, "Path does not exist") from None
                raise

    async def create(self, account_id: str, body: dict[str, Any]) -> None:
        name, password = body.get("username"), body.get("password")
        if not isinstance(name, str) or not name or not isinstance(password, str) or not password:
            raise _bad("No username, password or permissions provided")
        if "permissions" not in body:
            raise _bad("No username, password or permissions provided", "permissions")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}", name):
            raise _bad("username must be 1-64 letters, digits or ._@+-, starting with a letter or digit", "username")
        if not 8 <= len(password) <= 1024:
            raise _bad("password must be 8-1024 characters", "password")
        permission = permission_of(body["permissions"])
        bucket, prefix = home_of(body.get("path"))
        keys = keys_of(body.get("public_keys"))
        await self._check_home(bucket, prefix)
        if await self._ftp.get(name) is not None:
            raise JunctionError(ErrorCode.InvalidRequest, f"an FTP user named {name!r} exists")
        linked = body.get("user")
        owns = linked is None or linked == ""
        if owns:
            if not bucket:
                raise _bad("path (a bucket or bucket/prefix) is required unless `user` names a user to act as", "path")
            rules = [{"bucket": bucket, "prefix": prefix, "access": "read"}]
            if permission == "write":
                rules.append({"bucket": bucket, "prefix": prefix, "access": "write"})
            await self._accounts.create_user(account_id, name, rules=rules)
            user = await self._users.user(account_id, name)
        elif isinstance(linked, str):
            user = await self._users.user(account_id, linked)  # NoSuchUser
        else:
            raise _bad("user must be the name of a user of this account", "user")
        password_hash = await asyncio.to_thread(hash_password, password)
        try:
            await self._ftp.create(name, user["id"], password_hash, _home_text(bucket, prefix), permission, keys, owns)
        except BaseException:
            if owns:
                await self._accounts.delete_user(account_id, name)
            raise

    async def _own(self, account_id: str | None, name: object) -> dict[str, Any]:
        if not isinstance(name, str) or not name:
            raise _bad("No username provided", "username")
        row = await self._ftp.get(name)
        if row is None or (account_id is not None and row["account_id"] != account_id):
            raise JunctionError(ErrorCode.NoSuchUser, "FTP user not found")
        return row

    async def edit(self, account_id: str | None, body: dict[str, Any]) -> None:
        row = await self._own(account_id, body.get("username"))
        fields: dict[str, str] = {}
        password = body.get("password")
        if isinstance(password, str) and password:
            if not 8 <= len(password) <= 1024:
                raise _bad("password must be 8-1024 characters", "password")
            fields["password_hash"] = await asyncio.to_thread(hash_password, password)
        permission = permission_of(body["permissions"]) if body.get("permissions") else row["permissions"]
        bucket, prefix = home_of(body["path"]) if "path" in body else home_of(row["home"])
        if "path" in body:
            await self._check_home(bucket, prefix)
            fields["home"] = _home_text(bucket, prefix)
        if body.get("permissions"):
            fields["permissions"] = permission
        if "public_keys" in body:
            fields["public_keys"] = keys_of(body["public_keys"])
        if row["owns_user"] and ("path" in body or body.get("permissions")):
            if not bucket:
                raise _bad("path (a bucket or bucket/prefix) is required for a login without a linked user", "path")
            rules = [{"bucket": bucket, "prefix": prefix, "access": "read"}]
            if permission == "write":
                rules.append({"bucket": bucket, "prefix": prefix, "access": "write"})
            await self._accounts.update_user(row["account_id"], row["user_name"], {"rules": rules})
        await self._ftp.update(row["name"], fields)

    async def delete(self, account_id: str | None, name: object) -> None:
        row = await self._own(account_id, name)
        await self._ftp.delete(row["name"])
        if row["owns_user"]:
            await self._accounts.delete_user(row["account_id"], row["user_name"])

    async def all(self, account_id: str | None) -> list[dict[str, Any]]:
        """The seed's shape without the password (never returned), plus the linked user."""
        return [
            {
                "username": r["name"],
                "path": r["home"] or "/",
                "permissions": r["permissions"],
                "user": r["user_name"],
                "public_keys": r["public_keys"].splitlines(),
                "disabled": bool(r["disabled"]),
            }
            for r in await self._ftp.all(account_id)
        ]

    # ------------------------------------------------------------ the servers' switch

    async def wanted(self) -> bool | None:
        """What /api/ftp/start|stop last asked (None: never; the configured ports decide)."""
        return await self._ftp.flag("enabled")

    async def want(self, enabled: bool) -> None:
        await self._ftp.set_flag("enabled", enabled)

    async def running(self) -> bool:
        """Whether the process that serves FTP/SFTP has its servers up (shared by every worker)."""
        return bool(await self._ftp.flag("running"))

    async def set_running(self, running: bool) -> None:
        await self._ftp.set_flag("running", running)

    # ------------------------------------------------------------ sign-in (the servers)

    async def _login(self, row: dict[str, Any] | None) -> FtpLogin | None:
        if row is None:
            return None
        identity, _user = await self._identities.resolve_user(row["user_id"])
        if identity is None:  # the user or its account is disabled
            return None
        bucket, prefix = home_of(row["home"])
        return FtpLogin(row["name"], identity, bucket, prefix, row["permissions"] == "write")

    async def with_password(self, name: str, password: str) -> FtpLogin | None:
        """The login for a right password (a wrong one costs what a right one does)."""
        if len(name) > 256 or len(password) > 1024:
            return None
        row = await self._ftp.get(name)
        stored = row["password_hash"] if row else dummy_hash()
        if not await asyncio.to_thread(password_matches, stored, password) or row is None:
            return None
        return await self._login(row)

    async def public_keys(self, name: str) -> list[str]:
        row = await self._ftp.get(name) if len(name) <= 256 else None
        return row["public_keys"].splitlines() if row else []

    async def with_key(self, name: str) -> FtpLogin | None:
        """The login once its client proved it holds one of the login's keys (the SSH server checks)."""
        return await self._login(await self._ftp.get(name))


def _home_text(bucket: str, prefix: str) -> str:
    return f"{bucket}/{prefix}".rstrip("/") if bucket else ""
