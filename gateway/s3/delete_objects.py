"""DeleteObjects: up to 1000 keys per request, each reported on its own (quiet mode too)."""

from __future__ import annotations

import base64
import hashlib

from aiohttp import web

from gateway.domain.errors import ErrorCode, JunctionError
from s3xml import documents
from s3xml.xml import MalformedXML

from .context import S3Call
from .object_lock import may_bypass_governance
from .responses import xml


async def delete_objects(call: S3Call) -> web.Response:
    assert call.bucket is not None
    bucket = await call.core.buckets.get(call.bucket)
    body = await call.read_small_body(2 * 1024 * 1024)
    md5 = call.header("Content-MD5")
    if md5 is not None and base64.b64encode(hashlib.md5(body).digest()).decode() != md5.strip():
        raise JunctionError(ErrorCode.BadDigest, "The Content-MD5 you specified did not match what we received.")
    try:
        keys, quiet = documents.parse_delete(body)
    except MalformedXML as exc:
        raise JunctionError(ErrorCode.MalformedXML, str(exc)) from None
    outcomes = []
    for key, version in keys:
        try:
            action = "s3:DeleteObjectVersion" if version is not None else "s3:DeleteObject"
            await call.authorize(action, bucket, key, version_id=version)
            bypass = version is not None and await may_bypass_governance(call, bucket, key)
            deletion = await call.core.objects.delete(call.bucket, key, version_id=version, bypass_governance=bypass)
            outcomes.append(
                documents.DeleteOutcome(
                    key,
                    version_id=version,
                    delete_marker=deletion.delete_marker,
                    delete_marker_version_id=deletion.version_id if deletion.delete_marker else None,
                )
            )
        except JunctionError as exc:
            outcomes.append(documents.DeleteOutcome(key, exc.code, exc.message, version_id=version))
    return xml(documents.delete_result(outcomes, quiet))
