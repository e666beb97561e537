"""`/api/buckets`: list, create and delete buckets, each asked of the one engine as S3 would
(s3:ListAllMyBuckets, s3:CreateBucket, s3:DeleteBucket)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError

from .call import BrowserCall


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat().replace("+00:00", "Z")


async def list_buckets(call: BrowserCall) -> dict[str, Any]:
    """The buckets of the caller's account (every bucket, for gateway administrators), as S3's
    ListBuckets answers an IAM user allowed s3:ListAllMyBuckets."""
    await call.authorize("s3:ListAllMyBuckets")
    identity = call.session.identity
    buckets = []
    for bucket in await call.core.buckets.list():
        owner = await call.core.identity.owner_account(bucket)
        if identity.admin or owner["id"] == identity.caller.account_id:
            buckets.append({"Name": bucket.name, "CreationDate": iso(bucket.created), "Owner": owner["name"]})
    return {"buckets": buckets, "owner": {"ID": call.session.account, "DisplayName": call.session.username}}


async def create_bucket(call: BrowserCall) -> dict[str, Any]:
    body = await call.json()
    name = body.get("bucketName", body.get("name"))
    if not isinstance(name, str) or not name:
        raise JunctionError(ErrorCode.InvalidArgument, "bucketName is required")
    await call.authorize("s3:CreateBucket")
    owner = call.core.identity.bucket_owner_of(call.session.identity)
    bucket = await call.core.buckets.create(name, owner)
    return {
        "message": "Bucket created successfully",
        "bucket": {"Name": bucket.name, "CreationDate": iso(bucket.created)},
    }


async def delete_bucket(call: BrowserCall) -> dict[str, Any]:
    bucket = await call.bucket()
    await call.authorize("s3:DeleteBucket", bucket)
    await call.core.buckets.delete(bucket.name)
    return {"message": "Bucket deleted successfully"}
