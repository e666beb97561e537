"""Authorization of S3 calls: the AWS action each operation names, the request's condition
context, and the lazy reads (object ACL, object tags) a decision may need.

The cheap path comes first: the bucket alone (owner, bucket ACL, policies) usually decides.
An object's ACL is read only when ACLs are enabled and the bucket did not already allow the
request (ACL grants only ever add permissions, so a second look can only turn a refusal into
an allow); its tags only when some policy's condition names `s3:ExistingObjectTag/<key>`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Protocol, overload

from aiohttp import web
from multidict import MultiDict

from gateway.auth.types import AuthContext
from gateway.core.audit_scope import note
from gateway.core.authz import BUCKET_OWNER_ENFORCED, REVEALS_ABSENCE, Identity, conceal_absence
from gateway.core.iam.actions import OBJECT_ACTIONS
from gateway.core.iam.policy import Policy
from gateway.core.service import Core
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Bucket


class S3Call(Protocol):
    """What authorization reads of a call (gateway.s3.context.S3Call, which calls into here)."""

    identity: Identity
    core: Core
    key: str | None
    request: web.Request
    query: MultiDict[str]
    auth: AuthContext | None
    form_signed: bool

    @property
    def client_ip(self) -> str | None: ...
    async def target(self) -> Bucket: ...
    @overload
    def header(self, name: str) -> str | None: ...
    @overload
    def header(self, name: str, default: str) -> str: ...


EXISTING_TAG = "s3:existingobjecttag/"
PASSED_HEADERS = (
    "x-amz-acl",
    "x-amz-grant-read",
    "x-amz-grant-write",
    "x-amz-grant-read-acp",
    "x-amz-grant-write-acp",
    "x-amz-grant-full-control",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-storage-class",
    "x-amz-metadata-directive",
    "x-amz-copy-source",
    "x-amz-object-ownership",
)


def request_context(call: S3Call) -> dict[str, tuple[str, ...]]:
    """The condition keys every S3 request carries (global keys and the S3 request headers)."""
    request = call.request
    context: dict[str, tuple[str, ...]] = {"aws:securetransport": ("true" if request.secure else "false",)}
    if request.remote:
        context["aws:sourceip"] = (request.remote,)
    headers = request.headers
    for header, key in (("User-Agent", "aws:useragent"), ("Referer", "aws:referer")):
        value = headers.get(header)
        if value is not None:
            context[key] = (value,)
    for name in PASSED_HEADERS:
        value = headers.get(name)
        if value is not None:
            context["s3:" + name] = (value.strip(),)
    if call.auth is not None:
        context["s3:authtype"] = ("REST-QUERY-STRING" if call.auth.presigned else "REST-HEADER",)
        context["s3:signatureversion"] = ("AWS4-HMAC-SHA256",)
    elif call.form_signed:
        context["s3:authtype"] = ("POST",)
        context["s3:signatureversion"] = ("AWS4-HMAC-SHA256",)
    version = call.query.get("versionId")
    if version is not None:
        context["s3:versionid"] = (version,)
    return context


def _owner_root(identity: Identity, owner_account: str, policy: Policy | None) -> bool:
    """The cheap path: the bucket owner account's root, with no bucket policy that could deny it,
    may do anything on the bucket (evaluate.decide would say so after building the context)."""
    caller = identity.caller
    return caller.user is None and caller.account_id == owner_account and policy is None and not identity.policies


def _policies_name(policies: Iterable[Policy], prefix: str) -> bool:
    return any(name.startswith(prefix) for p in policies for name in p.references)


async def authorize(
    call: S3Call,
    action: str,
    bucket: Bucket | None = None,
    key: str | None = None,
    *,
    version_id: str | None = None,
    extra: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Raise AccessDenied unless the caller may do `action` on the bucket (or object `key`)."""
    if await allowed(call, action, bucket, key, version_id=version_id, extra=extra):
        return

    raise JunctionError(ErrorCode.AccessDenied)


async def allowed(
    call: S3Call,
    action: str,
    bucket: Bucket | None = None,
    key: str | None = None,
    *,
    version_id: str | None = None,
    extra: Mapping[str, Sequence[str]] | None = None,
) -> bool:
    identity: Identity = call.identity
    note(identity, action, bucket, key)  # the audit log's who / action / resource, before any shortcut
    if identity.admin:
        return True
    core = call.core
    settings = None if bucket is None else await core.access.settings(bucket)
    if settings is not None and _owner_root(identity, settings.access.owner_account, settings.access.policy):
        return True
    context = request_context(call)
    if extra:
        context.update({k: tuple(v) for k, v in extra.items()})
    authorizer = core.authorizer
    if bucket is None or settings is None:
        return await authorizer.allowed(identity, action, context=context)
    on_object = key is not None and action in OBJECT_ACTIONS
    if on_object and key is not None:
        policies = [*identity.policies, *([settings.access.policy] if settings.access.policy else [])]
        if _policies_name(policies, EXISTING_TAG):
            try:
                tags = await core.tagging.object_tags(bucket.name, key, version_id)
            except JunctionError:
                tags = {}  # no such object (yet): the condition sees no tags
            for name, value in tags.items():
                context[EXISTING_TAG + name.lower()] = (value,)
    bucket_access = settings.access
    if await authorizer.allowed(identity, action, bucket=bucket, key=key, context=context, access=bucket_access):
        return True
    if not on_object or key is None or settings.access.ownership == BUCKET_OWNER_ENFORCED:
        return False
    obj = await core.access.object_access(bucket, key, version_id)
    return await authorizer.allowed(
        identity, action, bucket=bucket, key=key, obj=obj, context=context, access=bucket_access
    )


@asynccontextmanager
async def absence_concealed(call: S3Call, bucket: Bucket | None, key: str | None = None) -> AsyncIterator[None]:
    """Within: a missing object (or version) is 404 only to a caller that may list it, else 403
    (`conceal_absence`). `bucket` and `key` None: the call's own (the bucket looked up only if
    needed); given: a copy's source, and only errors that name that key (not the destination's)."""
    try:
        yield
    except JunctionError as exc:
        if key is not None and exc.detail.get("key") != key:
            raise
        concealed = await conceal_absence(exc, lambda: _may_list(call, bucket, key if key is not None else call.key))
        if concealed is exc:
            raise
        raise concealed from None


async def _may_list(call: S3Call, bucket: Bucket | None, key: str | None) -> bool:
    """s3:ListBucket on the bucket, asked as a listing of the key's own name (`s3:prefix`): who may
    list that prefix could see the key's absence there anyway."""
    if bucket is None:
        bucket = await call.target()
    return await allowed(call, REVEALS_ABSENCE, bucket, extra={"s3:prefix": (key or "",)})
