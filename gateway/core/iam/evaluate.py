"""AWS's decision: an explicit Deny anywhere wins, then any Allow, else an implicit deny.

Who may allow depends on whose resource it is (S3's evaluation for bucket and object
operations): within the owner's account, the caller's identity policy OR the resource's
policy/ACL suffices; across accounts both the caller's account (identity policy; an account
root is allowed everything in its own name) AND the resource side must allow; an anonymous
caller needs the resource side alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from .conditions import Context
from .policy import Caller, Match, Policy, Statement


class Decision(Enum):
    ALLOW = "allow"
    DENY = "deny"  # an explicit Deny statement matched
    IMPLICIT_DENY = "implicit-deny"  # nothing allowed it


@dataclass(frozen=True, slots=True)
class Request:
    caller: Caller
    action: str  # e.g. "s3:GetObject"
    resource: str  # e.g. "arn:aws:s3:::bucket/key", or "*" for account-level actions
    context: Mapping[str, Sequence[str]] = field(default_factory=dict)  # lower-case condition keys

    def variable(self, name: str) -> str | None:
        """Policy variables: ${aws:username} and friends read the request context."""
        values = self.context.get(name)
        return values[0] if values else None


@dataclass(frozen=True, slots=True)
class Verdict:
    denied: bool = False
    allowed: bool = False  # allowed for this caller directly
    delegated: bool = False  # allowed to the caller's account (still needs the account's own allow)


def judge(statements: Sequence[Statement], request: Request, *, resource_side: bool) -> Verdict:
    denied = allowed = delegated = False
    context: Context = request.context
    for st in statements:
        match = st.principal_match(request.caller) if resource_side else Match.DIRECT
        if match is Match.NONE:
            continue
        if not st.covers(request.action, request.resource, context, request.variable):
            continue
        if not st.allow:
            denied = True
            break
        if match is Match.DIRECT:
            allowed = True
        else:
            delegated = True
    return Verdict(denied, allowed, delegated)


def decide(
    request: Request,
    *,
    owner_account: str | None,
    identity_policies: Sequence[Policy] = (),
    resource_policy: Policy | None = None,
    acl: Match = Match.NONE,
    account_allows: bool | None = None,
) -> Decision:
    """The decision for `request` on a resource owned by `owner_account` (None: account-level action).

    `acl`: how the resource's ACL grants the caller the permission (see `acl.permits`).
    `account_allows`: whether the caller's own account lets it act (defaults: a root yes, a user
    by its identity policies).
    """
    caller = request.caller
    identity = judge([s for p in identity_policies for s in p.statements], request, resource_side=False)
    resource = (
        judge(resource_policy.statements, request, resource_side=True) if resource_policy is not None else Verdict()
    )
    if identity.denied or resource.denied:
        return Decision.DENY
    if caller.anonymous:
        return Decision.ALLOW if resource.allowed or acl is Match.DIRECT else Decision.IMPLICIT_DENY
    if account_allows is None:
        account_allows = caller.user is None or identity.allowed
    if owner_account is None or caller.account_id == owner_account:
        allowed = account_allows or resource.allowed or acl is Match.DIRECT
    else:
        allowed = account_allows and (resource.allowed or resource.delegated or acl is not Match.NONE)
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY
