"""ACL compatibility (`?acl`, x-amz-acl, x-amz-grant-*): owner-only ACLs are accepted, others are 501.

Clients such as s3cmd, rclone and minio-py send `x-amz-acl: private` on writes or probe
`?acl`; they get the answers S3 gives for a private bucket. See gateway.core.acl.
"""

from __future__ import annotations

from aiohttp import web

from gateway.core.access import READ, WRITE
from gateway.core.acl import check_canned, check_grant_headers, check_grants, owner_grants
from gateway.domain.errors import ErrorCode, JunctionError
from s3xml import acl as documents
from s3xml.xml import MalformedXML

from .context import S3Call
from .responses import xml


def check_request_acl(call: S3Call, owner: str) -> None:
    """Refuse (501) a write whose x-amz-acl / x-amz-grant-* headers would grant others access."""
    check_canned(call.header("x-amz-acl"))
    check_grant_headers(call.headers, owner)


async def _apply(call: S3Call, owner: str) -> None:
    """PutBucketAcl / PutObjectAcl: headers or an AccessControlPolicy body, owner-only."""
    check_request_acl(call, owner)
    body = await call.read_small_body(64 * 1024)
    if not body.strip():
        return
    try:
        owner_id, grants = documents.parse_access_control_policy(body)
    except MalformedXML as exc:
        raise JunctionError(ErrorCode.MalformedACLError, str(exc)) from None
    if owner_id is not None and owner_id != owner:
        raise JunctionError(ErrorCode.AccessDenied, "Access Denied: the policy names another owner")
    check_grants(grants, owner)


async def get_bucket_acl(call: S3Call) -> web.Response:
    assert call.bucket is not None
    bucket = await call.core.buckets.get(call.bucket)
    await call.authorize(READ, bucket.id)
    return xml(documents.access_control_policy(bucket.owner, owner_grants(bucket.owner)))


async def put_bucket_acl(call: S3Call) -> web.Response:
    assert call.bucket is not None
    bucket = await call.core.buckets.get(call.bucket)
    call.require_admin()
    await _apply(call, bucket.owner)
    return web.Response(status=200)


async def get_object_acl(call: S3Call) -> web.Response:
    assert call.bucket is not None and call.key is not None
    bucket = await call.core.buckets.get(call.bucket)
    await call.authorize(READ, bucket.id)
    await call.core.objects.head(call.bucket, call.key)  # NoSuchKey for an absent object
    return xml(documents.access_control_policy(bucket.owner, owner_grants(bucket.owner)))


async def put_object_acl(call: S3Call) -> web.Response:
    assert call.bucket is not None and call.key is not None
    bucket = await call.core.buckets.get(call.bucket)
    await call.authorize(WRITE, bucket.id)
    await call.core.objects.head(call.bucket, call.key)
    await _apply(call, bucket.owner)
    return web.Response(status=200)
