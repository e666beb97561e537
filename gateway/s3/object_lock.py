"""S3 Object Lock: `?object-lock` on buckets, `?retention` and `?legal-hold` on objects, the
x-amz-object-lock-* headers of writes and reads, and who may bypass a GOVERNANCE retention.

The rules live in gateway.core.object_lock; a locked version's deletion is refused by the store.
"""

from __future__ import annotations

import base64
import hashlib

from aiohttp import web

from gateway.core.iam.actions import S3_ACTIONS
from gateway.core.object_lock import LockRequest, validate_default_retention
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Bucket, ObjectInfo
from gateway.domain.object_lock import parse_iso8601
from s3xml import object_lock as documents
from s3xml.xml import MalformedXML, iso8601

from .context import S3Call, conceals_absence
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


async def lock_headers(call: S3Call, obj: ObjectInfo) -> dict[str, str]:
    """What GET and HEAD say about a version's lock (nothing when it never had one): its mode and
    date only to a caller who may read its retention (s3:GetObjectRetention), its legal hold only
    to one who may read that (s3:GetObjectLegalHold), as S3's HeadObject/GetObject document."""
    lock = obj.lock
    if lock is None:
        return {}
    headers = {}
    bucket = await call.target()
    if lock.mode and await call.allowed("s3:GetObjectRetention", bucket, call.key):
        headers["x-amz-object-lock-mode"] = lock.mode
        headers["x-amz-object-lock-retain-until-date"] = iso8601(lock.retain_until)
    if lock.legal_hold is not None and await call.allowed("s3:GetObjectLegalHold", bucket, call.key):
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


async def may_bypass_governance(call: S3Call, bucket: Bucket, key: str | None = None) -> bool:
    """Whether this call asks to bypass GOVERNANCE retention and may (s3:BypassGovernanceRetention)
    on the object `key` (default: the request's). The permission is on the object's ARN, so
    DeleteObjects asks once per key it deletes, not once for the bucket.

    Gateway administrators hold it; everyone else is asked through the Authorizer.
    """
    if (call.header(BYPASS_HEADER) or "").strip().lower() != "true":
        return False
    return await call.allowed("s3:BypassGovernanceRetention", bucket, key if key is not None else call.key)


async def _body(call: S3Call) -> bytes:
    body = await call.read_small_body()
    md5 = call.header("Content-MD5")
    if md5 is not None and base64.b64encode(hashlib.md5(body).digest()).decode() != md5.strip():
        raise JunctionError(ErrorCode.BadDigest, "The Content-MD5 you specified did not match what we received.")
    return body


async def _bucket(call: S3Call, action: str) -> Bucket:
    """The call's bucket, once the caller may do `action` (on the object, for object actions;
    the Version form of the action when a versionId is given)."""
    bucket = await call.target()
    version_id = call.query.get("versionId")
    if call.key is not None and version_id is not None:
        action = action.replace("Object", "ObjectVersion", 1)
        if action not in S3_ACTIONS:  # e.g. s3:GetObjectRetention has no Version form
            action = action.replace("ObjectVersion", "Object", 1)
    await call.authorize(action, bucket, call.key, version_id=version_id)
    return bucket


# ---------------------------------------------------------------- ?object-lock on a bucket


async def get_object_lock_configuration(call: S3Call) -> web.Response:
    bucket = await _bucket(call, "s3:GetBucketObjectLockConfiguration")
    return xml(documents.lock_configuration(await call.core.object_lock.config(bucket.name)))


async def put_object_lock_configuration(call: S3Call) -> web.Response:
    bucket = await _bucket(call, "s3:PutBucketObjectLockConfiguration")
    try:
        doc = documents.parse_lock_configuration(await _body(call))
    except MalformedXML as exc:
        raise JunctionError(ErrorCode.MalformedXML, str(exc)) from None
    rule = validate_default_retention(doc.mode, doc.days, doc.years) if doc.has_rule else None
    await call.core.object_lock.put_config(bucket.name, doc.enabled, rule)
    return web.Response(status=200)


# ---------------------------------------------------------------- ?retention and ?legal-hold


@conceals_absence
async def get_object_retention(call: S3Call) -> web.Response:
    bucket = await _bucket(call, "s3:GetObjectRetention")
    assert call.key is not None
    lock = await call.core.object_lock.retention(bucket.name, call.key, call.query.get("versionId"))
    return xml(documents.retention(lock.mode, lock.retain_until))


@conceals_absence
async def put_object_retention(call: S3Call) -> web.Response:
    bucket = await _bucket(call, "s3:PutObjectRetention")
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


@conceals_absence
async def get_object_legal_hold(call: S3Call) -> web.Response:
    bucket = await _bucket(call, "s3:GetObjectLegalHold")
    assert call.key is not None
    on = await call.core.object_lock.legal_hold(bucket.name, call.key, call.query.get("versionId"))
    return xml(documents.legal_hold(on))


@conceals_absence
async def put_object_legal_hold(call: S3Call) -> web.Response:
    bucket = await _bucket(call, "s3:PutObjectLegalHold")
    assert call.key is not None
    try:
        status = documents.parse_legal_hold(await _body(call))
    except MalformedXML as exc:
        raise JunctionError(ErrorCode.MalformedXML, str(exc)) from None
    await call.core.object_lock.put_legal_hold(bucket.name, call.key, call.query.get("versionId"), status)
    return web.Response(status=200)
