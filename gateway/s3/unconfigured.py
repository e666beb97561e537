"""GETs of bucket configurations this gateway never holds (policy, lifecycle, website, ...).

The AWS operations answered here: GetBucketPolicy, GetBucketLifecycleConfiguration (and the
older GetBucketLifecycle), GetBucketWebsite, GetBucketEncryption, GetBucketReplication, GetPublicAccessBlock.

Clients probe these (s3cmd `info` asks for ?policy and ?lifecycle); S3 answers a bucket
without such a configuration with a specific 404, which clients treat as "none". Setting
one stays 501 NotImplemented (see router.UNSUPPORTED).
"""

from __future__ import annotations

from aiohttp import web

from gateway.core.access import READ
from gateway.domain.errors import ErrorCode, JunctionError

from .context import S3Call

ABSENT: dict[str, ErrorCode] = {  # sub-resource -> the S3 error that says "none configured"
    "policy": ErrorCode.NoSuchBucketPolicy,
    "lifecycle": ErrorCode.NoSuchLifecycleConfiguration,
    "website": ErrorCode.NoSuchWebsiteConfiguration,
    "encryption": ErrorCode.ServerSideEncryptionConfigurationNotFoundError,
    "replication": ErrorCode.ReplicationConfigurationNotFoundError,
    "publicAccessBlock": ErrorCode.NoSuchPublicAccessBlockConfiguration,
}


def absent_subresource(call: S3Call) -> str | None:
    """The probed sub-resource when this is a bucket GET of one of ABSENT."""
    if call.request.method != "GET" or call.key is not None:
        return None
    return next((name for name in ABSENT if name in call.query), None)


async def get_unconfigured_bucket_config(call: S3Call) -> web.Response:
    assert call.bucket is not None
    await call.authorize(READ, (await call.core.buckets.get(call.bucket)).id)  # NoSuchBucket first
    name = absent_subresource(call)
    assert name is not None
    raise JunctionError(ABSENT[name], bucket=call.bucket)
