"""Encryption at rest on the S3 wire: the SSE request headers of object operations, the
headers that answer them, and bucket default encryption (Put/Get/DeleteBucketEncryption)."""

from __future__ import annotations

from aiohttp import web

from gateway.core.sse.request import (
    COPY_SOURCE_CUSTOMER_PREFIX,
    KMS_ALGORITHMS,
    SSE_S3,
    SseRequest,
    parse_read,
    parse_write,
)
from gateway.core.sse.service import describe
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Encryption
from s3xml import encryption as documents
from s3xml.xml import MalformedXML

from .context import S3Call
from .responses import xml


def write_sse(call: S3Call) -> SseRequest:
    """The encryption a write asks for (PutObject, CreateMultipartUpload, a copy's destination)."""
    return parse_write(call.headers, secure=call.request.secure, allow_http=call.core.sse.allow_http)


def read_sse(call: S3Call) -> SseRequest:
    """The SSE-C key a read (or an UploadPart of an SSE-C upload) brings."""
    return parse_read(call.headers, secure=call.request.secure, allow_http=call.core.sse.allow_http)


def copy_source_sse(call: S3Call) -> SseRequest:
    """The SSE-C key of a copy's source (x-amz-copy-source-server-side-encryption-customer-*)."""
    return parse_read(
        call.headers,
        secure=call.request.secure,
        allow_http=call.core.sse.allow_http,
        prefix=COPY_SOURCE_CUSTOMER_PREFIX,
    )


def sse_headers(record: Encryption | None, request: SseRequest | None = None) -> dict[str, str]:
    return describe(record, request)


async def get_bucket_encryption(call: S3Call) -> web.Response:
    assert call.bucket is not None
    bucket = await call.target()
    await call.authorize("s3:GetEncryptionConfiguration", bucket)
    config = await call.core.sse.bucket_default(bucket.id)
    if config is None:
        raise JunctionError(ErrorCode.ServerSideEncryptionConfigurationNotFoundError, bucket=call.bucket)
    body = documents.encryption_configuration(
        config["algorithm"], config.get("kmsKeyId"), bool(config.get("bucketKeyEnabled"))
    )
    return xml(body)


async def put_bucket_encryption(call: S3Call) -> web.Response:
    assert call.bucket is not None
    bucket = await call.target()
    await call.authorize("s3:PutEncryptionConfiguration", bucket)
    body = await call.read_small_body(64 * 1024)
    try:
        rules = documents.parse_encryption(body)
    except MalformedXML as exc:
        raise JunctionError(ErrorCode.MalformedXML, str(exc)) from None
    if len(rules) != 1:
        raise JunctionError(ErrorCode.MalformedXML, "ServerSideEncryptionConfiguration takes exactly one Rule")
    rule = rules[0]
    if rule["algorithm"] not in (SSE_S3, *KMS_ALGORITHMS):
        raise JunctionError(
            ErrorCode.MalformedXML, "The XML you provided was not well-formed or did not validate against our schema"
        )
    if rule["kms_key_id"] and rule["algorithm"] == SSE_S3:
        raise JunctionError(
            ErrorCode.InvalidArgument,
            "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
            argument="ApplyServerSideEncryptionByDefault",
        )
    config = {"algorithm": rule["algorithm"], "bucketKeyEnabled": rule["bucket_key_enabled"]}
    if rule["kms_key_id"]:
        config["kmsKeyId"] = rule["kms_key_id"]
    await call.core.sse.set_bucket_default(bucket.id, config)
    return web.Response(status=200)


async def delete_bucket_encryption(call: S3Call) -> web.Response:
    assert call.bucket is not None
    bucket = await call.target()
    await call.authorize("s3:PutEncryptionConfiguration", bucket)  # S3: the put permission covers delete
    await call.core.sse.delete_bucket_default(bucket.id)
    return web.Response(status=204)
