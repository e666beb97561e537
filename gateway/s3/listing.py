"""ListObjects (v1) and ListObjectsV2 over the core's listing."""

from __future__ import annotations

import base64
import binascii

from aiohttp import web

from gateway.domain.errors import ErrorCode, JunctionError
from s3xml import listing as documents

from .context import S3Call, int_param
from .responses import xml

MAX_KEYS = 1000


def _params(call: S3Call) -> documents.ListingParams:
    encoding = call.query.get("encoding-type")
    if encoding is not None and encoding != "url":
        raise JunctionError(
            ErrorCode.InvalidArgument, "Invalid Encoding Method specified in Request", argument="encoding-type"
        )
    assert call.bucket is not None
    return documents.ListingParams(
        bucket=call.bucket,
        prefix=call.query.get("prefix", ""),
        delimiter=call.query.get("delimiter", ""),
        max_keys=int_param(call.query, "max-keys", MAX_KEYS, high=MAX_KEYS),
        encoding=encoding,
    )


def listing_context(call: S3Call, params: documents.ListingParams) -> dict[str, tuple[str, ...]]:
    """s3:prefix, s3:delimiter and s3:max-keys, as the request gave them."""
    context: dict[str, tuple[str, ...]] = {"s3:prefix": (params.prefix,)}
    if "delimiter" in call.query:
        context["s3:delimiter"] = (params.delimiter,)
    if "max-keys" in call.query:
        context["s3:max-keys"] = (call.query["max-keys"],)
    return context


async def list_objects(call: S3Call) -> web.Response:
    params = _params(call)
    bucket = await call.core.buckets.get(params.bucket)
    await call.authorize("s3:ListBucket", bucket, extra=listing_context(call, params))
    marker = call.query.get("marker", "")
    page = await call.core.list_listed(
        params.bucket, prefix=params.prefix, delimiter=params.delimiter, marker=marker, max_keys=params.max_keys
    )
    return xml(documents.list_objects_v1(params, page, marker=marker, owner=await call.owner_id(bucket)))


async def list_objects_v2(call: S3Call) -> web.Response:
    params = _params(call)
    bucket = await call.core.buckets.get(params.bucket)
    await call.authorize("s3:ListBucket", bucket, extra=listing_context(call, params))
    token = call.query.get("continuation-token")
    start_after = call.query.get("start-after", "")
    marker = decode_token(token) if token is not None else start_after
    page = await call.core.list_listed(
        params.bucket, prefix=params.prefix, delimiter=params.delimiter, marker=marker, max_keys=params.max_keys
    )
    next_token = encode_token(page.next_marker) if page.truncated else None
    owner = await call.owner_id(bucket) if call.query.get("fetch-owner") == "true" else None
    return xml(
        documents.list_objects_v2(
            params, page, token=token, next_token=next_token, start_after=start_after, owner=owner
        )
    )


def encode_token(marker: str) -> str:
    return base64.urlsafe_b64encode(marker.encode()).decode()


def decode_token(token: str) -> str:
    """Only a token this gateway issued decodes: base64url, strictly (no stray characters)."""
    try:
        return base64.b64decode(token.encode("ascii"), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raise JunctionError(
            ErrorCode.InvalidArgument, "The continuation token provided is incorrect", argument="continuation-token"
        ) from None
