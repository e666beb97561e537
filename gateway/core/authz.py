"""The one question every front end asks: may this identity do this action on this resource?

Front ends resolve the caller (an `Identity`), name the AWS action their operation performs and
the request's condition context, and call `Authorizer.authorize`. What the resource says about
access (owner, ACL, bucket policy, ownership controls, public access block) comes from an
`AccessSource`; the decision itself is `gateway.core.iam.evaluate.decide`, in AWS's order.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Bucket

from .audit_scope import note
from .iam.acl import ALL_USERS, AUTHENTICATED_USERS, Grant, permits
from .iam.actions import bucket_arn, object_arn
from .iam.evaluate import Decision, Request, decide
from .iam.policy import ANONYMOUS, Caller, Match, Policy, is_public

BUCKET_OWNER_ENFORCED, BUCKET_OWNER_PREFERRED, OBJECT_WRITER = (
    "BucketOwnerEnforced",
    "BucketOwnerPreferred",
    "ObjectWriter",
)


@dataclass(frozen=True, slots=True)
class Identity:
    """A resolved caller: who it is, the key it used, and the identity policies attached to it."""

    caller: Caller
    access_key: str | None = None
    policies: tuple[Policy, ...] = ()
    admin: bool = False  # a gateway administrator: every action on every resource, like MinIO's root
    api_only: bool = False  # a console export flag: the key may not use the console API
    no_overwrite: bool = False  # a console export flag (appendonly): writes may create, never replace

    @property
    def anonymous(self) -> bool:
        return self.caller.anonymous


ANONYMOUS_IDENTITY = Identity(ANONYMOUS)

# AWS: a read of a key (or version) that is not there answers 404 only to a caller that may also
# list the bucket; anyone else gets 403, so that reading some keys does not let one probe others.
ABSENCE_CODES = frozenset({ErrorCode.NoSuchKey, ErrorCode.NoSuchVersion})
REVEALS_ABSENCE = "s3:ListBucket"


async def conceal_absence(error: JunctionError, may_list: Callable[[], Awaitable[bool]]) -> JunctionError:
    """The error a caller sees for `error`: a missing object or version becomes AccessDenied unless
    `may_list` (the engine asked for s3:ListBucket on the bucket) says the caller may know it."""
    if error.code not in ABSENCE_CODES or await may_list():
        return error
    return JunctionError(ErrorCode.AccessDenied)


@dataclass(frozen=True, slots=True)
class PublicAccessBlock:
    block_public_acls: bool = False
    ignore_public_acls: bool = False
    block_public_policy: bool = False
    restrict_public_buckets: bool = False

    def __or__(self, other: PublicAccessBlock) -> PublicAccessBlock:
        """Account and bucket settings combine: the most restrictive of each wins (as S3)."""
        return PublicAccessBlock(
            self.block_public_acls or other.block_public_acls,
            self.ignore_public_acls or other.ignore_public_acls,
            self.block_public_policy or other.block_public_policy,
            self.restrict_public_buckets or other.restrict_public_buckets,
        )


@dataclass(frozen=True, slots=True)
class BucketAccess:
    """Everything a bucket says about who may use it."""

    owner_account: str
    owner_canonical: str
    grants: tuple[Grant, ...] = ()
    policy: Policy | None = None
    ownership: str = OBJECT_WRITER
    public_access_block: PublicAccessBlock = field(default_factory=PublicAccessBlock)  # bucket | account


@dataclass(frozen=True, slots=True)
class ObjectAccess:
    """An object's owner and ACL (ignored when the bucket enforces bucket-owner ownership)."""

    owner_canonical: str
    grants: tuple[Grant, ...] = ()


class AccessSource(Protocol):
    async def bucket_access(self, bucket: Bucket) -> BucketAccess: ...


@functools.lru_cache(maxsize=4)
def _clock(second: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """aws:CurrentTime and aws:EpochTime of one second (formatted once per second, not per request)."""
    return (datetime.fromtimestamp(second, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),), (str(second),)


def principal_context(identity: Identity, now: float | None = None) -> dict[str, tuple[str, ...]]:
    """The global condition keys that describe the caller and the time."""
    current, epoch = _clock(int(time.time() if now is None else now))
    return {"aws:currenttime": current, "aws:epochtime": epoch, **_caller_context(identity.caller)}


@functools.lru_cache(maxsize=4096)
def _caller_context(caller: Caller) -> dict[str, tuple[str, ...]]:
    """The caller's keys, built once per caller (callers are immutable); copied into each context."""
    context: dict[str, tuple[str, ...]] = {}
    if caller.account_id is not None:
        context["aws:principalarn"] = (caller.arn,)
        context["aws:principalaccount"] = (caller.account_id,)
        context["aws:principaltype"] = ("User" if caller.user else "Account",)
        context["aws:userid"] = (f"{caller.account_id}:{caller.user}" if caller.user else caller.account_id,)
        if caller.user:
            context["aws:username"] = (caller.user,)
    else:
        context["aws:principaltype"] = ("Anonymous",)
    return context


REMEMBERED = 20_000  # decisions a process remembers (all forgotten when full)
CLOCK_KEYS = ("aws:currenttime", "aws:epochtime")
ANY_OBJECT = ("any object",)  # in a question: an object the policies cannot tell from the others
Question = tuple[str, str | None, str | tuple[str] | None, ObjectAccess | None, tuple[tuple[str, ...] | None, ...]]


class _Scope:
    """The decisions remembered for one identity on one bucket's settings (or on no bucket).

    Both objects are immutable and replaced by their services whenever anything about them
    changes (identity.py, access_control.py: the generation check, which sees a change made by
    any process before the next request), so decisions made with the old ones are never asked
    again. Holding them here also keeps their `id` from being reused while the scope lives.
    """

    __slots__ = ("access", "decisions", "identity", "keys", "per_key")

    def __init__(self, identity: Identity, access: BucketAccess | None) -> None:
        self.identity = identity
        self.access = access
        referenced: set[str] = set()
        for policy in identity.policies:
            referenced |= policy.references
        if access is not None and access.policy is not None:
            referenced |= access.policy.references
        self.keys = tuple(sorted(referenced))  # the only request inputs a decision here can read
        self.decisions: dict[Question, bool] = {}
        self.per_key: dict[str, bool] = {}  # bucket name -> do the policies tell its objects apart

    def object_asked(self, bucket: str, key: str) -> str | tuple[str]:
        """The object as a question names it: its key, or ANY_OBJECT when no Resource of the
        policies can tell it from the bucket's other objects (one decision serves them all)."""
        per_key = self.per_key.get(bucket)
        if per_key is None:
            policies = [*self.identity.policies, *([self.access.policy] if self.access and self.access.policy else [])]
            per_key = self.per_key[bucket] = any(p.tells_keys_apart(bucket) for p in policies)
        return key if per_key else ANY_OBJECT


class Authorizer:
    """Decides, and remembers each decision under everything it read: the identity and bucket
    settings objects, the action, the resource (an object's key only when some Resource of the
    policies can tell the bucket's objects apart), the object's ACL and the values of the context
    keys the policies refer to (conditions and policy variables; the clock's keys only when a
    policy names them, then to the second, as they are evaluated). So a repeated request costs
    a dictionary lookup, and one that differs in any input the policies read is evaluated."""

    def __init__(self, source: AccessSource) -> None:
        self._source = source
        self._scopes: dict[tuple[int, int], _Scope] = {}
        self._remembered = 0
        self.evaluations = 0  # decisions evaluated (not answered from memory)

    async def authorize(
        self,
        identity: Identity,
        action: str,
        *,
        bucket: Bucket | None = None,
        key: str | None = None,
        obj: ObjectAccess | None = None,
        context: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Raise AccessDenied unless allowed; `bucket` None means an account-level action."""
        note(identity, action, bucket, key)  # the audit log's who / action / resource
        if identity.admin:
            return
        if not await self.allowed(identity, action, bucket=bucket, key=key, obj=obj, context=context):
            raise JunctionError(ErrorCode.AccessDenied)

    async def allowed(
        self,
        identity: Identity,
        action: str,
        *,
        bucket: Bucket | None = None,
        key: str | None = None,
        obj: ObjectAccess | None = None,
        context: Mapping[str, Sequence[str]] | None = None,
        access: BucketAccess | None = None,
    ) -> bool:
        """`access`: the bucket's, when the caller already has it (else the source is asked)."""
        note(identity, action, bucket, key)
        if identity.admin:
            return True
        if bucket is not None and access is None:
            access = await self._source.bucket_access(bucket)
        elif bucket is None:
            access = None
        now = int(time.time())  # one clock for the question and its evaluation
        context = context or {}
        scope = self._scope(identity, access)
        inputs = tuple(_input(name, context, identity, now) for name in scope.keys) if scope.keys else ()
        if bucket is None:
            question: Question = (action, None, None, obj, inputs)
        else:
            asked = None if key is None else scope.object_asked(bucket.name, key)
            question = (action, bucket.name, asked, obj, inputs)
        decision = scope.decisions.get(question)
        if decision is None:
            decision = self._evaluate(identity, action, bucket, key, obj, context, access, now)
            if self._remembered >= REMEMBERED:
                self._scopes.clear()
                self._remembered = 0
                scope = self._scope(identity, access)
            scope.decisions[question] = decision
            self._remembered += 1
        return decision

    def _scope(self, identity: Identity, access: BucketAccess | None) -> _Scope:
        ids = (id(identity), id(access))
        scope = self._scopes.get(ids)
        if scope is None or scope.identity is not identity or scope.access is not access:
            scope = self._scopes[ids] = _Scope(identity, access)
        return scope

    def _evaluate(
        self,
        identity: Identity,
        action: str,
        bucket: Bucket | None,
        key: str | None,
        obj: ObjectAccess | None,
        context: Mapping[str, Sequence[str]],
        access: BucketAccess | None,
        now: int,
    ) -> bool:
        self.evaluations += 1
        full_context = {**principal_context(identity, now), **context}
        if bucket is None or access is None:
            request = Request(identity.caller, action, "*", full_context)
            return decide(request, owner_account=None, identity_policies=identity.policies) is Decision.ALLOW
        resource = object_arn(bucket.name, key) if key is not None else bucket_arn(bucket.name)
        request = Request(identity.caller, action, resource, full_context)
        return (
            decide(
                request,
                owner_account=access.owner_account,
                identity_policies=identity.policies,
                resource_policy=_effective_policy(access, identity.caller),
                acl=_acl_match(access, obj, identity.caller, action),
            )
            is Decision.ALLOW
        )


def _input(name: str, context: Mapping[str, Sequence[str]], identity: Identity, now: int) -> tuple[str, ...] | None:
    """The value of context key `name` as the evaluation sees it (the request's context over the
    caller's and the clock's keys, as in `_evaluate`), hashable."""
    value = context.get(name)
    if value is None:
        if name in CLOCK_KEYS:
            current, epoch = _clock(now)
            return current if name == CLOCK_KEYS[0] else epoch
        return _caller_context(identity.caller).get(name)
    return value if type(value) is tuple else tuple(value)


def _effective_policy(access: BucketAccess, caller: Caller) -> Policy | None:
    """RestrictPublicBuckets: a public policy serves only the owner's account (its denies still apply)."""
    policy = access.policy
    if policy is None or not access.public_access_block.restrict_public_buckets or not is_public(policy):
        return policy
    if caller.account_id == access.owner_account:
        return policy
    return Policy(tuple(s for s in policy.statements if not s.allow), policy.document)


def _acl_match(access: BucketAccess, obj: ObjectAccess | None, caller: Caller, action: str) -> Match:
    if access.ownership == BUCKET_OWNER_ENFORCED:
        return Match.NONE  # ACLs are disabled: only policies decide
    ignore_public = access.public_access_block.ignore_public_acls

    def usable(grants: tuple[Grant, ...]) -> list[Grant]:
        if not ignore_public:
            return list(grants)
        return [g for g in grants if g.grantee not in (ALL_USERS, AUTHENTICATED_USERS)]

    best = permits(usable(access.grants), caller, action, on_object=False)
    if obj is not None and best is not Match.DIRECT:
        on_object = permits(usable(obj.grants), caller, action, on_object=True)
        if on_object.value > best.value:
            best = on_object
    return best
