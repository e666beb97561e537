"""GETs of bucket configurations this gateway never holds (policy, lifecycle, website, ...).

The AWS operations answered here: GetBucketPolicy, GetBucketLifecycleConfiguration (and the
older GetBucketLifecycle), GetBucketWebsite, GetBucketEncryption, GetBucketReplication,
GetObjectLockConfiguration, GetPublicAccessBlock.

Clients probe these (s3cmd `info` asks for ?policy and ?lifecycle); S3 answers a bucket
without such a configuration with a specific 404, which clients treat as "none". Setting
one stays 501 NotImplemented (see router.UNSUPPORTED).
"""

from __future__ import annotations

from aiohttp import web

from gateway.core.access import READ
from gateway.core.errors import JunctionError

from .context import S3Call

ABSENT: dict[str, tuple[str, str]] = {  # sub-resource -> (S3 error code, message)
    "policy": ("NoSuchBucketPolicy", "The bucket policy does not exist"),
    "lifecycle": ("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"),
    "website": ("NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration"),
    "encryption": (
        "ServerSideEncryptionConfigurationNotFoundError",
        "The server side encryption configuration was not found",
    ),
    "replication": ("ReplicationConfigurationNotFoundError", "The replication configuration was not found"),
    "object-lock": ("ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket"),
    "publicAccessBlock": (
        "NoSuchPublicAccessBlockConfiguration",
        "The public access block configuration was not found",
    ),
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
    code, message = ABSENT[name]
    raise JunctionError(code, message, bucket=call.bucket)
