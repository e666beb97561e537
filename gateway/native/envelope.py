"""The native API's JSON envelope `{"code", "message", "data"}` and its ONE error table.

Core errors carry S3 codes (see gateway.core.errors); this table maps each to the native
code and an HTTP status. Codes not listed are server-side failures (OperationFailed, 500).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from gateway.core.errors import JunctionError

OK = "OK"
BAD_ARGUMENT = "BadArgument"
DATA_NOT_FOUND = "DataNotFound"
DATA_EXISTS = "DataExists"
UNAUTHORIZED = "Unauthorized"
OPERATION_FAILED = "OperationFailed"

# S3 / domain error code -> (native code, HTTP status)
ERRORS: dict[str, tuple[str, int]] = {
    # the request is wrong
    "InvalidArgument": (BAD_ARGUMENT, 400),
    "InvalidRequest": (BAD_ARGUMENT, 400),
    "InvalidBucketName": (BAD_ARGUMENT, 400),
    "KeyTooLongError": (BAD_ARGUMENT, 400),
    "MetadataTooLarge": (BAD_ARGUMENT, 400),
    "MalformedJSON": (BAD_ARGUMENT, 400),
    "MalformedXML": (BAD_ARGUMENT, 400),
    "MalformedPOSTRequest": (BAD_ARGUMENT, 400),
    "IncompleteBody": (BAD_ARGUMENT, 400),
    "InvalidDigest": (BAD_ARGUMENT, 400),
    "BadDigest": (BAD_ARGUMENT, 400),
    "XAmzContentSHA256Mismatch": (BAD_ARGUMENT, 400),
    "InvalidPart": (BAD_ARGUMENT, 400),
    "InvalidPartOrder": (BAD_ARGUMENT, 400),
    "EntityTooSmall": (BAD_ARGUMENT, 400),
    "EntityTooLarge": (BAD_ARGUMENT, 413),
    "InvalidRange": (BAD_ARGUMENT, 416),
    "MethodNotAllowed": (BAD_ARGUMENT, 405),
    "RequestTimeout": (BAD_ARGUMENT, 400),  # the client stalled while sending its body
    "RequestHeaderSectionTooLarge": (BAD_ARGUMENT, 400),
    # something named does not exist
    "NoSuchBucket": (DATA_NOT_FOUND, 404),
    "NoSuchKey": (DATA_NOT_FOUND, 404),
    "NoSuchPackage": (DATA_NOT_FOUND, 404),
    "NoSuchUpload": (DATA_NOT_FOUND, 404),
    "NoSuchRoute": (DATA_NOT_FOUND, 404),
    "NoSuchUserSpace": (DATA_NOT_FOUND, 404),
    "NoSuchJob": (DATA_NOT_FOUND, 404),
    "NoSuchTask": (DATA_NOT_FOUND, 404),
    # something named already exists
    "BucketAlreadyExists": (DATA_EXISTS, 409),
    "BucketAlreadyOwnedByYou": (DATA_EXISTS, 409),
    "PackageAlreadyExists": (DATA_EXISTS, 409),
    "ObjectAlreadyExists": (DATA_EXISTS, 409),
    "UserSpaceAlreadyExists": (DATA_EXISTS, 409),
    # who are you / you may not
    "AccessDenied": (UNAUTHORIZED, 403),
    "AllAccessDisabled": (UNAUTHORIZED, 403),
    "Unsigned": (UNAUTHORIZED, 401),
    "InvalidAccessKeyId": (UNAUTHORIZED, 401),
    "SignatureDoesNotMatch": (UNAUTHORIZED, 401),
    "AuthorizationHeaderMalformed": (UNAUTHORIZED, 401),
    "AuthorizationQueryParametersError": (UNAUTHORIZED, 401),
    "RequestTimeTooSkewed": (UNAUTHORIZED, 401),
    "ExpiredToken": (UNAUTHORIZED, 401),
    # the request is fine but cannot be carried out now
    "BucketNotEmpty": (OPERATION_FAILED, 409),
    "OperationAborted": (OPERATION_FAILED, 409),
    "PreconditionFailed": (OPERATION_FAILED, 412),
    "QuotaExceeded": (OPERATION_FAILED, 403),
    "UserSpaceNotEmpty": (OPERATION_FAILED, 409),
    "StorageTestFailed": (OPERATION_FAILED, 502),
    "NotImplemented": (OPERATION_FAILED, 501),
    "ServiceUnavailable": (OPERATION_FAILED, 503),
    "SlowDown": (OPERATION_FAILED, 503),
    "InternalError": (OPERATION_FAILED, 500),
}


def native_code(code: str) -> tuple[str, int]:
    """(native code, HTTP status) of a core/S3 error code."""
    return ERRORS.get(code, (OPERATION_FAILED, 500))


def _dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def ok(data: Any = None) -> web.Response:
    return web.json_response({"code": OK, "message": "", "data": data}, dumps=_dumps)


def failure(exc: JunctionError) -> web.Response:
    code, status = native_code(exc.code)
    message = exc.message or exc.code
    return web.json_response({"code": code, "message": message, "data": None}, status=status, dumps=_dumps)


def auth_failure(code: str, message: str) -> web.Response:
    """Authentication failures (SigV4 AuthError codes) are all 401 Unauthorized."""
    return web.json_response({"code": UNAUTHORIZED, "message": message or code, "data": None}, status=401, dumps=_dumps)
