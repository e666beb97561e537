"""ACLs (`?acl`, x-amz-acl, x-amz-grant-*): Get/PutBucketAcl, Get/PutObjectAcl, and the ACL a
write (CreateBucket, PutObject, CopyObject, CreateMultipartUpload, a POST form) sets.

Object ownership decides whether ACLs count: BucketOwnerEnforced disables them (reads show the
bucket owner's FULL_CONTROL; a request setting any grant beyond full control to the bucket
owner or writer fails with AccessControlListNotSupported); BucketOwnerPreferred makes the
bucket owner the owner of objects written with bucket-owner-full-control; ObjectWriter leaves
the writer the owner. The block-public-access setting BlockPublicAcls refuses public grants.
"""

from __future__ import annotations

from aiohttp import web

from gateway.core.access_control import BucketSettings
from gateway.core.acl import Acl, from_document, from_headers, has_acl_headers
from gateway.core.authz import BUCKET_OWNER_ENFORCED, BUCKET_OWNER_PREFERRED
from gateway.core.iam.acl import is_public
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Bucket
from s3xml import acl as documents
from s3xml.xml import MalformedXML

from .context import S3Call, conceals_absence
from .responses import xml


def acls_disabled() -> JunctionError:
    return JunctionError(ErrorCode.AccessControlListNotSupported)


def check_public(acl: Acl | None, settings: BucketSettings) -> None:
    """BlockPublicAcls: a request that would make a public ACL is refused (as S3: 403)."""
    if acl is not None and settings.access.public_access_block.block_public_acls and is_public(acl.grants):
        raise JunctionError(ErrorCode.AccessDenied, "Access Denied: public ACLs are blocked on this bucket")


def harmless(acl: Acl, *, bucket_owner: str, writer: str) -> bool:
    """What an ACLs-disabled bucket still accepts: full control to the bucket owner (and the
    writer's own, which S3's `private` and bucket-owner-full-control canned ACLs spell)."""
    return all(g.permission == "FULL_CONTROL" and g.grantee in (bucket_owner, writer) for g in acl.grants)


async def object_acl_for_write(call: S3Call, bucket: Bucket, *, canned_field: str | None = None) -> str | None:
    """The stored ACL (owner and grants) of an object this call writes; None for the default
    (owned by the bucket owner, private). Refuses what ownership controls and the block forbid."""
    requested = canned_field is not None or has_acl_headers(call.headers)
    canned = canned_field if canned_field is not None else call.header("x-amz-acl")
    settings = await call.core.access.settings(bucket)
    access = settings.access
    writer = call.identity.caller.canonical_id or access.owner_canonical  # anonymous writes: the bucket's
    acl = None
    if requested:
        acl = from_headers(
            call.headers,
            owner=writer,
            bucket_owner=access.owner_canonical,
            on_object=True,
            canonical_exists=(await call.core.access.canonical_exists()).__contains__,
            canned_field=canned_field,
        )
    if access.ownership == BUCKET_OWNER_ENFORCED:
        if acl is not None and not harmless(acl, bucket_owner=access.owner_canonical, writer=writer):
            raise acls_disabled()
        return None
    check_public(acl, settings)
    owner = writer
    if access.ownership == BUCKET_OWNER_PREFERRED and (canned or "").strip() == "bucket-owner-full-control":
        owner = access.owner_canonical
    final = Acl.private(owner) if acl is None else Acl(owner, acl.grants)
    if final == Acl.private(access.owner_canonical):
        return None
    return final.to_json()


async def _requested_acl(call: S3Call, *, owner: str, bucket_owner: str, on_object: bool) -> Acl:
    """PutBucketAcl / PutObjectAcl: the headers' ACL, else the AccessControlPolicy body."""
    exists = (await call.core.access.canonical_exists()).__contains__
    from_request = from_headers(
        call.headers, owner=owner, bucket_owner=bucket_owner, on_object=on_object, canonical_exists=exists
    )
    body = await call.read_small_body(64 * 1024)
    if from_request is not None:
        if body.strip():
            raise JunctionError(ErrorCode.UnexpectedContent)
        return from_request
    if not body.strip():
        raise JunctionError(ErrorCode.MissingSecurityHeader, "Your request was missing a required header: x-amz-acl")
    try:
        owner_id, grants = documents.parse_access_control_policy(body)
    except MalformedXML as exc:
        raise JunctionError(ErrorCode.MalformedACLError, str(exc)) from None
    return from_document(owner_id, grants, owner=owner, canonical_exists=exists)


async def _render(call: S3Call, acl: Acl) -> web.Response:
    access = call.core.access
    grants = [
        documents.RenderedGrant(g.grantee, await access.display_name(g.grantee), g.permission) for g in acl.grants
    ]
    return xml(documents.access_control_policy(acl.owner, await access.display_name(acl.owner), grants))


async def get_bucket_acl(call: S3Call) -> web.Response:
    bucket = await call.target()
    await call.authorize("s3:GetBucketAcl", bucket)
    access = (await call.core.access.settings(bucket)).access
    if access.ownership == BUCKET_OWNER_ENFORCED:
        return await _render(call, Acl.private(access.owner_canonical))
    return await _render(call, Acl(access.owner_canonical, access.grants))


async def put_bucket_acl(call: S3Call) -> web.Response:
    bucket = await call.target()
    await call.authorize("s3:PutBucketAcl", bucket)
    settings = await call.core.access.settings(bucket)
    owner = settings.access.owner_canonical
    acl = await _requested_acl(call, owner=owner, bucket_owner=owner, on_object=False)
    if settings.access.ownership == BUCKET_OWNER_ENFORCED:
        if not harmless(acl, bucket_owner=owner, writer=owner):
            raise acls_disabled()
        return web.Response(status=200)
    check_public(acl, settings)
    await call.core.access.set_bucket_grants(bucket, acl)
    return web.Response(status=200)


def _acl_action(call: S3Call, base: str) -> str:
    return base.replace("Object", "ObjectVersion") if "versionId" in call.query else base


@conceals_absence
async def get_object_acl(call: S3Call) -> web.Response:
    assert call.key is not None
    bucket = await call.target()
    version_id = call.query.get("versionId")
    await call.authorize(_acl_action(call, "s3:GetObjectAcl"), bucket, call.key, version_id=version_id)
    await call.core.objects.head(bucket.name, call.key, version_id)  # NoSuchKey / NoSuchVersion
    settings = await call.core.access.settings(bucket)
    if settings.access.ownership == BUCKET_OWNER_ENFORCED:
        return await _render(call, Acl.private(settings.access.owner_canonical))
    obj = await call.core.access.object_access(bucket, call.key, version_id)
    return await _render(call, Acl(obj.owner_canonical, obj.grants))


@conceals_absence
async def put_object_acl(call: S3Call) -> web.Response:
    assert call.key is not None
    bucket = await call.target()
    version_id = call.query.get("versionId")
    await call.authorize(_acl_action(call, "s3:PutObjectAcl"), bucket, call.key, version_id=version_id)
    obj = await call.core.objects.head(bucket.name, call.key, version_id)
    settings = await call.core.access.settings(bucket)
    current = await call.core.access.object_access(bucket, call.key, version_id)
    acl = await _requested_acl(
        call, owner=current.owner_canonical, bucket_owner=settings.access.owner_canonical, on_object=True
    )
    if settings.access.ownership == BUCKET_OWNER_ENFORCED:
        if not harmless(acl, bucket_owner=settings.access.owner_canonical, writer=current.owner_canonical):
            raise acls_disabled()
        return web.Response(status=200)
    check_public(acl, settings)
    await call.core.access.set_object_acl(bucket, call.key, version_id, acl)
    headers = {"x-amz-version-id": obj.version_id} if version_id is not None and obj.version_id else {}
    return web.Response(status=200, headers=headers)
