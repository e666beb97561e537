"""Web console sessions: sign-in with a password (or an access key and its secret), HS256
tokens (JWT), logout, and one-time tickets for EventSource streams.

A token names its subject (`user:<id>` or `key:<access key>`) and is re-checked on every use:
the user or key must still exist and be enabled, a user's password must be the one it signed
in with (a password change ends its sessions), and the token's id must not have been spent
by a logout. The signing key is `<data dir>/console-jwt.key` (0600), made on first use and
shared by every worker. A ticket is signed the same way, bound to one session, one resource
and 60 seconds, and spent when redeemed, so an EventSource URL never carries the token.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.meta.store import MetaStore

from .accounts import dummy_hash, password_matches
from .authz import Identity
from .identity import IdentityService

TOKEN_TTL = 8 * 3600  # seconds a sign-in lasts
TICKET_TTL = 60  # seconds an SSE ticket may wait to be redeemed
KEY_FILE = "console-jwt.key"
MAX_TOKEN = 4096
_HEADER = {"alg": "HS256", "typ": "JWT"}


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in caller: the identity every authorization runs against, and who it is."""

    identity: Identity
    subject: str  # "user:<id>" or "key:<access key>"
    username: str
    account: str  # account id
    token_id: str
    expires: float
    policies: tuple[str, ...] = ()  # attached policy names (users)
    fingerprint: str = ""  # of the password it signed in with (users)

    @property
    def roles(self) -> list[str]:
        """ "admin" for gateway administrators and holders of the built-in admin policy, else "user"."""
        return ["admin"] if self.identity.admin or "admin" in self.policies else ["user"]

    def public(self) -> dict[str, Any]:
        return {"id": self.subject, "username": self.username, "account": self.account, "roles": self.roles}


def _unauthorized(message: str) -> JunctionError:
    return JunctionError(ErrorCode.Unauthorized, message)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _fingerprint(value: str | None) -> str:
    """A short digest of a user's password hash: a changed password no longer matches it."""
    return hashlib.sha256((value or "").encode()).hexdigest()[:16]


def load_signing_key(data_dir: Path) -> bytes:
    """The HMAC key, made once (O_EXCL, 0600) by whichever process gets there first."""
    path = data_dir / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another worker is writing it right now
            data = path.read_bytes().strip()
            if len(data) >= 64:
                return bytes.fromhex(data.decode())
            time.sleep(0.02)
        raise RuntimeError(f"{path} is not a 32-byte hex key") from None
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex())
        fh.flush()
        os.fsync(fh.fileno())
    return key


class SessionService:
    def __init__(self, store: MetaStore, identities: IdentityService, data_dir: Path) -> None:
        self._store = store
        self._identities = identities
        self._data_dir = data_dir
        self._key: bytes | None = None

    def _signing_key(self) -> bytes:
        if self._key is None:
            self._key = load_signing_key(self._data_dir)
        return self._key

    def _sign(self, payload: dict[str, Any]) -> str:
        head = b64url(json.dumps(_HEADER, separators=(",", ":")).encode())
        body = b64url(json.dumps(payload, separators=(",", ":")).encode())
        mac = hmac.new(self._signing_key(), f"{head}.{body}".encode(), hashlib.sha256).digest()
        return f"{head}.{body}.{b64url(mac)}"

    def _open(self, token: str) -> dict[str, Any]:
        """The payload of a token this gateway signed (any other: Invalid token)."""
        try:
            if len(token) > MAX_TOKEN:
                raise ValueError("too long")
            head, body, mac = token.split(".")
            header = json.loads(unb64url(head))
            expected = hmac.new(self._signing_key(), f"{head}.{body}".encode(), hashlib.sha256).digest()
            if header != _HEADER or not hmac.compare_digest(expected, unb64url(mac)):
                raise ValueError("bad signature")
            payload = json.loads(unb64url(body))
        except (ValueError, binascii.Error, UnicodeError, RecursionError):
            raise _unauthorized("Invalid token") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int | float):
            raise _unauthorized("Invalid token")
        return payload

    # ------------------------------------------------------------ sign in and out

    async def login(self, username: object, password: object) -> tuple[str, Session]:
        """A token for a user's password, or for an access key and its secret (MinIO's console
        signs in that way: the gateway's root and administrators have keys, not passwords)."""
        if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
            raise JunctionError(ErrorCode.InvalidArgument, "username and password are required")
        if len(username) > 256 or len(password) > 1024:
            raise _unauthorized("Invalid username or password")
        account, _, name = username.rpartition("/")
        users = [u for u in await self._store.sessions.users_named(name, account or None) if u["password_hash"]]
        for user in users[:3]:  # the same name in several accounts: "account/name" picks one
            if await asyncio.to_thread(password_matches, user["password_hash"], password):
                if user["disabled"]:
                    raise _unauthorized("This user is disabled")
                return await self._issue(f"user:{user['id']}", user)
        if not users:
            await asyncio.to_thread(password_matches, dummy_hash(), password)
            secret = await self._identities.secret_for(username)
            if secret is not None and hmac.compare_digest(secret.encode(), password.encode()):
                return await self._issue(f"key:{username}", None)
        raise _unauthorized("Invalid username or password")

    async def _issue(self, subject: str, user: dict[str, Any] | None) -> tuple[str, Session]:
        now = int(time.time())
        payload = {
            "use": "session",
            "sub": subject,
            "iat": now,
            "exp": now + TOKEN_TTL,
            "jti": secrets.token_urlsafe(16),
            "pwv": _fingerprint(user["password_hash"]) if user else "",
        }
        token = self._sign(payload)
        return token, await self._session(payload)

    async def session(self, token: str) -> Session:
        """The session a token stands for, or Unauthorized ("Token expired", "Invalid token")."""
        payload = self._open(token)
        if payload.get("use") != "session":  # a ticket is no token
            raise _unauthorized("Invalid token")
        return await self._check(payload)

    async def _check(self, payload: dict[str, Any]) -> Session:
        if payload["exp"] <= time.time():
            raise _unauthorized("Token expired")
        if await self._store.sessions.is_spent(f"token:{payload.get('jti')}"):
            raise _unauthorized("Token revoked: signed out")
        return await self._session(payload)

    async def _session(self, payload: dict[str, Any]) -> Session:
        subject = payload.get("sub")
        if not isinstance(subject, str):
            raise _unauthorized("Invalid token")
        kind, _, ref = subject.partition(":")
        if kind == "user" and ref.isdigit():
            identity, row = await self._identities.resolve_user(int(ref))
            if identity is None or row is None or _fingerprint(row["password_hash"]) != payload.get("pwv"):
                raise _unauthorized("Unauthorized: the user no longer exists, is disabled, or changed its password")
            policies = tuple(await self._store.identity.attached(int(ref)))
            username = row["name"]
        elif kind == "key":
            try:
                identity = await self._identities.resolve(ref)
            except JunctionError:
                raise _unauthorized("Unauthorized: the access key no longer exists or is inactive") from None
            if identity.api_only:
                raise JunctionError(ErrorCode.AccessDenied, "this key is API-only and cannot use the console")
            policies, username = (), identity.caller.user or ref
        else:
            raise _unauthorized("Invalid token")
        return Session(
            identity,
            subject,
            username,
            identity.caller.account_id or "",
            str(payload.get("jti", "")),
            float(payload["exp"]),
            policies,
            str(payload.get("pwv", "")),
        )

    async def identity_now(self, subject: str) -> Identity:
        """The subject's identity as it is now -- policies and rules changed since it signed in
        apply -- for work that outlives the request (a console transfer asks per file)."""
        kind, _, ref = subject.partition(":")
        if kind == "user" and ref.isdigit():
            identity, _row = await self._identities.resolve_user(int(ref))
            if identity is None:
                raise JunctionError(ErrorCode.AccessDenied, "Access Denied: the user no longer exists or is disabled")
            return identity
        try:
            return await self._identities.resolve(ref)
        except JunctionError:
            raise JunctionError(ErrorCode.AccessDenied, "Access Denied: the access key is gone or inactive") from None

    async def logout(self, session: Session) -> None:
        """Spend the token's id: it is refused from now on, in every worker."""
        await self._store.sessions.spend(f"token:{session.token_id}", session.expires)

    # ------------------------------------------------------------ SSE tickets

    def ticket(self, session: Session, resource: str, resource_type: str) -> dict[str, Any]:
        expires = time.time() + TICKET_TTL
        payload = {
            "use": "sse",
            "jti": session.token_id,
            "sub": session.subject,
            "exp": session.expires,
            "pwv": session.fingerprint,
            "res": resource,
            "typ": resource_type,
            "tex": expires,
            "n": secrets.token_urlsafe(12),
        }
        return {"ticket": self._sign(payload), "expiresAt": int(expires * 1000), "expiresIn": TICKET_TTL}

    async def redeem(self, ticket: str, resource: str, resource_type: str) -> Session:
        """The session behind a ticket for exactly this resource; it cannot be used again."""
        payload = self._open(ticket)
        if payload.get("use") != "sse" or payload.get("res") != resource or payload.get("typ") != resource_type:
            raise _unauthorized("Invalid ticket: it was issued for another resource")
        expires = payload.get("tex")
        if not isinstance(expires, int | float) or expires <= time.time():
            raise _unauthorized("Ticket expired")
        if not await self._store.sessions.spend(f"ticket:{payload.get('n')}", float(expires)):
            raise _unauthorized("Ticket already used")
        return await self._check(payload)
