"""One request's audit notes, kept in a context variable while the request runs: the
Authorizer writes who asked for which action on which resource (see gateway/core/audit.py)."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import Protocol

from gateway.domain.models import Bucket


class _Caller(Protocol):
    @property
    def account_id(self) -> str | None: ...
    @property
    def user(self) -> str | None: ...


class Identity(Protocol):
    """What the audit needs of `gateway.core.authz.Identity` (no import: authz imports this)."""

    @property
    def caller(self) -> _Caller: ...
    @property
    def access_key(self) -> str | None: ...


@dataclass(slots=True)
class AuditScope:
    """One request's notes: the first identity the Authorizer saw, and each action it was asked."""

    account: str = ""
    user: str = ""
    access_key: str = ""
    actions: list[str] = field(default_factory=list)
    resource: str = ""
    address: str = ""  # the client's address and the request id: event notifications carry them
    request_id: str = ""


CURRENT: contextvars.ContextVar[AuditScope | None] = contextvars.ContextVar("junction_audit_scope", default=None)


def note(identity: Identity, action: str, bucket: Bucket | None, key: str | None) -> None:
    """Called by the Authorizer: remember who asked for what (a no-op outside a scope)."""
    scope = CURRENT.get()
    if scope is None:
        return
    if not scope.actions:
        scope.account = identity.caller.account_id or ""
        scope.user = identity.caller.user or ""
        scope.access_key = identity.access_key or scope.access_key
        if bucket is not None:
            scope.resource = bucket.name + (f"/{key}" if key else "")
    if action not in scope.actions:
        scope.actions.append(action)


def signed_in(identity: Identity) -> None:
    """Remember who signed in before any authorization (administrators skip the Authorizer on
    the native API, and its events must still name them)."""
    scope = CURRENT.get()
    if scope is not None and not scope.actions and not scope.access_key:
        scope.account = identity.caller.account_id or ""
        scope.user = identity.caller.user or ""
        scope.access_key = identity.access_key or ""
