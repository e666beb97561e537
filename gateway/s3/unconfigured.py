"""GETs of bucket configurations this gateway never holds (policy, lifecycle, website, ...).

The AWS operations answered here: GetBucketWebsite, GetBucketReplication. (Lifecycle and
encryption are implemented: gateway/s3/lifecycle.py and encryption.py answer their own 404s.)

Clients probe these; S3 answers a bucket
without such a configuration with a specific 404, which clients treat as "none". Setting
one stays 501 NotImplemented (see router.UNSUPPORTED).
"""

from __future__ import annotations

from aiohttp import web

from gateway.domain.errors import ErrorCode, JunctionError

from .context import S3Call

ABSENT: dict[str, tuple[ErrorCode, str]] = {  # sub-resource -> the error saying "none configured", the action
    "website": (ErrorCode.NoSuchWebsiteConfiguration, "s3:GetBucketWebsite"),
    "replication": (ErrorCode.ReplicationConfigurationNotFoundError, "s3:GetReplicationConfiguration"),
}


def absent_subresource(call: S3Call) -> str | None:
    """The probed sub-resource when this is a bucket GET of one of ABSENT."""
    if call.request.method != "GET" or call.key is not None:
        return None
    return next((name for name in ABSENT if name in call.query), None)


async def get_unconfigured_bucket_config(call: S3Call) -> web.Response:
    bucket = await call.target()  # NoSuchBucket first
    name = absent_subresource(call)
    assert name is not None
    code, action = ABSENT[name]
    await call.authorize(action, bucket)
    raise JunctionError(code, bucket=bucket.name)
