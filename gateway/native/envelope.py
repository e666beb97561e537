"""The native API's JSON envelope `{"code", "message", "data"}` and its ONE error table.

Every catalogue code (gateway.domain.errors.ErrorCode) maps to a native code and an HTTP status.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from gateway.domain.errors import MALFORMED_REQUEST, MISSING_RESOURCE, ErrorCode, JunctionError
from gateway.domain.errors import ErrorCode as E

OK = "OK"
BAD_ARGUMENT = "BadArgument"
DATA_NOT_FOUND = "DataNotFound"
DATA_EXISTS = "DataExists"
UNAUTHORIZED = "Unauthorized"
OPERATION_FAILED = "OperationFailed"

# Every catalogue code -> (native code, HTTP status); tests/unit/test_error_catalogue.py checks it is complete.
ERRORS: dict[ErrorCode, tuple[str, int]] = {
    **dict.fromkeys(MALFORMED_REQUEST, (BAD_ARGUMENT, 400)),
    **dict.fromkeys((E.MissingContentLength,), (BAD_ARGUMENT, 411)),
    **dict.fromkeys((E.EntityTooLarge,), (BAD_ARGUMENT, 413)),
    **dict.fromkeys(
        (
            E.InvalidRange,
            E.InvalidPartNumber,
        ),
        (BAD_ARGUMENT, 416),
    ),
    **dict.fromkeys((E.MethodNotAllowed,), (BAD_ARGUMENT, 405)),
    **dict.fromkeys(MISSING_RESOURCE, (DATA_NOT_FOUND, 404)),
    **dict.fromkeys(
        (
            E.BucketAlreadyExists,
            E.BucketAlreadyOwnedByYou,
            E.PackageAlreadyExists,
            E.ObjectAlreadyExists,
            E.UserSpaceAlreadyExists,
            E.QuotaExists,
            E.EntityAlreadyExists,
            E.DeleteConflict,
        ),
        (DATA_EXISTS, 409),
    ),
    **dict.fromkeys(
        (
            E.AccessDenied,
            E.AllAccessDisabled,
            E.CORSResponse,
        ),
        (UNAUTHORIZED, 403),
    ),
    **dict.fromkeys(
        (
            E.Unauthorized,
            E.Unsigned,
            E.InvalidAccessKeyId,
            E.SignatureDoesNotMatch,
            E.AuthorizationHeaderMalformed,
            E.AuthorizationQueryParametersError,
            E.RequestTimeTooSkewed,
            E.ExpiredToken,
        ),
        (UNAUTHORIZED, 401),
    ),
    **dict.fromkeys(
        (
            E.BucketNotEmpty,
            E.OperationAborted,
            E.UserSpaceNotEmpty,
            E.ConditionalRequestConflict,
            E.InvalidBucketState,
        ),
        (OPERATION_FAILED, 409),
    ),
    **dict.fromkeys((E.PreconditionFailed,), (OPERATION_FAILED, 412)),
    **dict.fromkeys((E.NotModified,), (OPERATION_FAILED, 304)),
    **dict.fromkeys((E.QuotaExceeded,), (OPERATION_FAILED, 403)),
    **dict.fromkeys((E.StorageTestFailed, E.CorruptedObject), (OPERATION_FAILED, 502)),
    **dict.fromkeys((E.NotImplemented,), (OPERATION_FAILED, 501)),
    **dict.fromkeys((E.InsufficientStorage,), (OPERATION_FAILED, 507)),
    **dict.fromkeys(
        (
            E.ServiceUnavailable,
            E.SlowDown,
        ),
        (OPERATION_FAILED, 503),
    ),
    **dict.fromkeys(
        (
            E.InternalError,
            E.OperationFailed,
        ),
        (OPERATION_FAILED, 500),
    ),
}


def native_code(code: ErrorCode) -> tuple[str, int]:
    """(native code, HTTP status) of a catalogue code."""
    return ERRORS[code]


def _dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def ok(data: Any = None) -> web.Response:
    return web.json_response({"code": OK, "message": "", "data": data}, dumps=_dumps)


def failure(exc: JunctionError) -> web.Response:
    code, status = native_code(exc.code)
    return web.json_response({"code": code, "message": exc.text, "data": None}, status=status, dumps=_dumps)


def auth_failure(code: str, message: str) -> web.Response:
    """Authentication failures (SigV4 AuthError codes) are all 401 Unauthorized."""
    return web.json_response({"code": UNAUTHORIZED, "message": message or code, "data": None}, status=401, dumps=_dumps)
