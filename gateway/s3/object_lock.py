"""S3 Object Lock: `?object-lock` on buckets, `?retention` and `?legal-hold` on objects, the
x-amz-object-lock-* headers of writes and reads, and who may bypass a GOVERNANCE retention.

The rules live in gateway.core.object_lock; a locked version's deletion is refused by the store.
"""

from __future__ import annotations

import base64
import hashlib

from aiohttp import web

from gateway.core.access import READ, WRITE
from gateway.core.object_lock import LockRequest, validate_default_retention
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Bucket, ObjectInfo
from gateway.domain.object_lock import parse_iso8601
from s3xml import object_lock as documents
from s3xml.xml import MalformedXML, iso8601

from .context import ACCOUNT_KINDS, S3Call
from .responses import xml

BYPASS_HEADER = "x-amz-bypass-governance-retention"
DIGEST_REQUIRED = (
    "Content-MD5 OR x-amz-checksum- HTTP header is required for Put {} requests with Object Lock parameters"
)


def request_lock(call: S3Call) -> LockRequest:
    """The x-amz-object-lock-* headers of a PutObject, CopyObject or CreateMultipartUpload."""
    return LockRequest(
        mode=call.header("x-amz-object-lock-mode"),
        retain_until=call.header("x-amz-object-lock-retain-until-date"),
        legal_hold=call.header("x-amz-object-lock-legal-hold"),
    )


def lock_headers(obj: ObjectInfo) -> dict[str, str]:
    """What GET and HEAD say about a version's lock (nothing when it never had one)."""
    lock = obj.lock
    if lock is None:
        return {}
    headers = {}
    if lock.mode:
        headers["x-amz-object-lock-mode"] = lock.mode
        headers["x-amz-object-lock-retain-until-date"] = iso8601(lock.retain_until)
    if lock.legal_hold is not None:
        headers["x-amz-object-lock-legal-hold"] = "ON" if lock.legal_hold else "OFF"
    return headers


async def require_body_digest(call: S3Call, bucket: Bucket, lock: LockRequest, upload_id: str | None = None) -> None:
    """S3 refuses a body that a lock will protect unless the client sent a digest of it: a PUT
    with lock headers or into a bucket with a default retention, a part of a locked upload."""
    if not await call.core.object_lock.applies_to_writes(bucket.id, lock, upload_id):
        return
    expect = call.expectations()
    if expect.content_md5 is None and not expect.checksums and expect.trailer is None:
        raise JunctionError(ErrorCode.InvalidRequest, DIGEST_REQUIRED.format("Part" if upload_id else "Object"))


async def may_bypass_governance(call: S3Call, bucket: Bucket) -> bool:
    """Whether this call asks to bypass GOVERNANCE retention and may (s3:BypassGovernanceRetention).

    The hook for the permission: gateway administrators hold it; account and user keys are
    asked through the Authorizer; export keys (scoped, pre-IAM) never hold it.
    """
    if (call.header(BYPASS_HEADER) or "").strip().lower() != "true":
        return False
    if call.principal.is_admin:
        return True
    if call.principal.kind not in ACCOUNT_KINDS:
        return False
    identity = await call.core.resolve(call.principal.access_key)
    try:
        await call.core.authorize(identity, "s3:BypassGovernanceRetention", bucket=bucket, key=call.key)
    except JunctionError:
        return False
    return True


async def _body(call: S3Call) -> bytes:
    body = await call.read_small_body()
    md5 = call.header("Content-MD5")
    if md5 is not None and base64.b64encode(hashlib.md5(body).digest()).decode() != md5.strip():
        raise JunctionError(ErrorCode.BadDigest, "The Content-MD5 you specified did not match what we received.")
    return body


async def _bucket(call: S3Call, action: str) -> Bucket:
    assert call.bucket is not None
    bucket = await call.core.buckets.get(call.bucket)
    await call.authorize(action, bucket.id)
    return bucket


# ---------------------------------------------------------------- ?object-lock on a bucket


async def get_object_lock_configuration(call: S3Call) -> web.Response:
    bucket = await _bucket(call, READ)
    return xml(documents.lock_configuration(await call.core.object_lock.config(bucket.name)))


async def put_object_lock_configuration(call: S3Call) -> web.Response:
    bucket = await _bucket(call, WRITE)
    try:
        doc = documents.parse_lock_configuration(await _body(call))
    except MalformedXML as exc:
        raise JunctionError(ErrorCode.MalformedXML, str(exc)) from None
    rule = validate_default_retention(doc.mode, doc.days, doc.years) if doc.has_rule else None
    await call.core.object_lock.put_config(bucket.name, doc.enabled, rule)
    return web.Response(status=200)


# ---------------------------------------------------------------- ?retention and ?legal-hold


async def get_object_retention(call: S3Call) -> web.Response:
    bucket = await _bucket(call, READ)
    assert call.key is not None
    lock = await call.core.object_lock.retention(bucket.name, call.key, call.query.get("versionId"))
    return xml(documents.retention(lock.mode, lock.retain_until))


async def put_object_retention(call: S3Call) -> web.Response:
    bucket = await _bucket(call, WRITE)
    assert call.key is not None
    try:
        mode, until_text = documents.parse_retention(await _body(call))
    except MalformedXML as exc:
        raise JunctionError(ErrorCode.MalformedXML, str(exc)) from None
    until = None
    if until_text is not None:
        until = parse_iso8601(until_text)
        if until is None:
            raise JunctionError(ErrorCode.MalformedXML, "RetainUntilDate must be an ISO 8601 timestamp")
    await call.core.object_lock.put_retention(
        bucket.name,
        call.key,
        call.query.get("versionId"),
        mode=mode,
        retain_until=until,
        bypass_governance=await may_bypass_governance(call, bucket),
    )
    return web.Response(status=200)


async def get_object_legal_hold(call: S3Call) -> web.Response:
    bucket = await _bucket(call, READ)
    assert call.key is not None
    on = await call.core.object_lock.legal_hold(bucket.name, call.key, call.query.get("versionId"))
    return xml(documents.legal_hold(on))


async def put_object_legal_hold(call: S3Call) -> web.Response:
    bucket = await _bucket(call, WRITE)
    assert call.key is not None
    try:
        status = documents.parse_legal_hold(await _body(call))
    except MalformedXML as exc:
        raise JunctionError(ErrorCode.MalformedXML, str(exc)) from None
    await call.core.object_lock.put_legal_hold(bucket.name, call.key, call.query.get("versionId"), status)
    return web.Response(status=200)
