"""Bucket policy (`?policy`, `?policyStatus`), ownership controls (`?ownershipControls`) and the
bucket's public access block (`?publicAccessBlock`).

A policy is validated whole before it is stored (MalformedPolicy names what is wrong); with
BlockPublicPolicy on, a public policy is refused (403). As S3 has it, only the bucket owner's
account manages the policy (anyone else granted the action gets 405), and the owner's root
always may, even when the policy denies it, so it can never lock itself out. Switching a bucket to
BucketOwnerEnforced requires its ACL to grant nothing beyond the owner's FULL_CONTROL.
"""

from __future__ import annotations

from aiohttp import web

from gateway.core.access_control import BucketSettings, block_from_json
from gateway.core.acl import Acl
from gateway.core.authz import BUCKET_OWNER_ENFORCED, PublicAccessBlock
from gateway.core.iam.conditions import PolicyError
from gateway.core.iam.policy import is_public
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Bucket
from s3xml import access as documents
from s3xml.xml import MalformedXML

from .context import S3Call
from .responses import xml

MAX_POLICY_BODY = 20 * 1024 + 1  # one byte over S3's limit, so the parser reports the size


# ---------------------------------------------------------------- policy


async def _authorize_policy_call(call: S3Call, action: str, bucket: Bucket) -> None:
    """Get/Put/DeleteBucketPolicy: the owner's root always; others need the permission (403
    without) and must belong to the bucket owner's account (405 otherwise)."""
    identity = call.identity
    owner = (await call.core.access.settings(bucket)).access.owner_account
    owner_root = identity.caller.user is None and identity.caller.account_id == owner
    try:
        await call.authorize(action, bucket)
    except JunctionError as exc:
        if exc.code is not ErrorCode.AccessDenied or not owner_root:
            raise
    if not identity.admin and identity.caller.account_id != owner:
        raise JunctionError(
            ErrorCode.MethodNotAllowed,
            "Only the bucket owner's account may manage the bucket policy",
            bucket=bucket.name,
        )


async def get_bucket_policy(call: S3Call) -> web.Response:
    bucket = await call.target()
    await _authorize_policy_call(call, "s3:GetBucketPolicy", bucket)
    stored = (await call.core.access.settings(bucket)).stored.policy
    if stored is None:
        raise JunctionError(ErrorCode.NoSuchBucketPolicy, bucket=bucket.name)
    return web.Response(body=stored.encode(), content_type="application/json")


async def put_bucket_policy(call: S3Call) -> web.Response:
    bucket = await call.target()
    await _authorize_policy_call(call, "s3:PutBucketPolicy", bucket)
    body = await _read_policy(call)
    try:
        policy = await call.core.access.parse_bucket_policy(bucket, body)
    except PolicyError as exc:
        raise JunctionError(ErrorCode.MalformedPolicy, str(exc)) from None
    settings = await call.core.access.settings(bucket)
    if settings.access.public_access_block.block_public_policy and is_public(policy):
        raise JunctionError(ErrorCode.AccessDenied, "Access Denied: public policies are blocked on this bucket")
    await call.core.access.set_policy(bucket, body.decode())
    return web.Response(status=204)


async def _read_policy(call: S3Call) -> bytes:
    chunks, size = [], 0
    async for piece in call.body():
        size += len(piece)
        if size > MAX_POLICY_BODY:
            raise JunctionError(ErrorCode.MalformedPolicy, "Policies must not exceed 20 KB")
        chunks.append(piece)
    body = b"".join(chunks)
    try:
        body.decode()
    except UnicodeDecodeError:
        raise JunctionError(ErrorCode.MalformedPolicy, "This policy contains invalid Json") from None
    return body


async def delete_bucket_policy(call: S3Call) -> web.Response:
    bucket = await call.target()
    await _authorize_policy_call(call, "s3:DeleteBucketPolicy", bucket)
    await call.core.access.set_policy(bucket, None)
    return web.Response(status=204)


async def get_bucket_policy_status(call: S3Call) -> web.Response:
    bucket = await call.target()
    await call.authorize("s3:GetBucketPolicyStatus", bucket)
    policy = (await call.core.access.settings(bucket)).access.policy
    if policy is None:
        raise JunctionError(ErrorCode.NoSuchBucketPolicy, bucket=bucket.name)
    return xml(documents.policy_status(is_public(policy)))


# ---------------------------------------------------------------- ownership controls


async def get_bucket_ownership_controls(call: S3Call) -> web.Response:
    bucket = await call.target()
    await call.authorize("s3:GetBucketOwnershipControls", bucket)
    stored = (await call.core.access.settings(bucket)).stored.ownership
    if stored is None:
        raise JunctionError(ErrorCode.OwnershipControlsNotFoundError, bucket=bucket.name)
    return xml(documents.ownership_controls(stored))


async def put_bucket_ownership_controls(call: S3Call) -> web.Response:
    bucket = await call.target()
    await call.authorize("s3:PutBucketOwnershipControls", bucket)
    body = await call.read_small_body(64 * 1024)
    try:
        ownership = documents.parse_ownership_controls(body)
    except MalformedXML as exc:
        raise JunctionError(ErrorCode.MalformedXML, str(exc)) from None
    settings = await call.core.access.settings(bucket)
    if ownership == BUCKET_OWNER_ENFORCED and not _owner_only(settings):
        raise JunctionError(ErrorCode.InvalidBucketAclWithObjectOwnership, bucket=bucket.name)
    await call.core.access.set_ownership(bucket, ownership)
    return web.Response(status=200)


def _owner_only(settings: BucketSettings) -> bool:
    return settings.access.grants == Acl.private(settings.access.owner_canonical).grants


async def delete_bucket_ownership_controls(call: S3Call) -> web.Response:
    bucket = await call.target()
    await call.authorize("s3:PutBucketOwnershipControls", bucket)  # S3 names no separate delete permission
    await call.core.access.set_ownership(bucket, None)
    return web.Response(status=204)


# ---------------------------------------------------------------- public access block


async def get_public_access_block(call: S3Call) -> web.Response:
    bucket = await call.target()
    await call.authorize("s3:GetBucketPublicAccessBlock", bucket)
    stored = (await call.core.access.settings(bucket)).stored.public_access_block
    if stored is None:
        raise JunctionError(ErrorCode.NoSuchPublicAccessBlockConfiguration, bucket=bucket.name)
    block = block_from_json(stored)
    flags = (
        block.block_public_acls,
        block.ignore_public_acls,
        block.block_public_policy,
        block.restrict_public_buckets,
    )
    return xml(documents.public_access_block(flags))


async def put_public_access_block(call: S3Call) -> web.Response:
    bucket = await call.target()
    await call.authorize("s3:PutBucketPublicAccessBlock", bucket)
    body = await call.read_small_body(64 * 1024)
    try:
        flags = documents.parse_public_access_block(body)
    except MalformedXML as exc:
        raise JunctionError(ErrorCode.MalformedXML, str(exc)) from None
    await call.core.access.set_public_access_block(bucket, PublicAccessBlock(*flags))
    return web.Response(status=200)


async def delete_public_access_block(call: S3Call) -> web.Response:
    bucket = await call.target()
    await call.authorize("s3:PutBucketPublicAccessBlock", bucket)  # as S3: the put permission covers delete
    await call.core.access.set_public_access_block(bucket, None)
    return web.Response(status=204)
