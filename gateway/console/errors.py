"""Console API errors: JSON `{"error": {"code", "message", "field"?}}` with an HTTP status."""

from __future__ import annotations

import json

from aiohttp import web

from gateway.domain.errors import MALFORMED_REQUEST, MESSAGES, MISSING_RESOURCE, ErrorCode, JunctionError
from gateway.domain.errors import ErrorCode as E

# Every catalogue code -> HTTP status; tests/unit/test_error_catalogue.py checks it is complete.
STATUS: dict[ErrorCode, int] = {
    **dict.fromkeys(MALFORMED_REQUEST, 400),
    **dict.fromkeys((E.AuthorizationHeaderMalformed, E.AuthorizationQueryParametersError, E.ExpiredToken), 400),
    **dict.fromkeys(
        (
            E.Unauthorized,
            E.Unsigned,
            E.InvalidAccessKeyId,
            E.SignatureDoesNotMatch,
            E.RequestTimeTooSkewed,
        ),
        401,
    ),
    **dict.fromkeys(
        (
            E.AccessDenied,
            E.AllAccessDisabled,
            E.CORSResponse,
            E.QuotaExceeded,
        ),
        403,
    ),
    **dict.fromkeys(MISSING_RESOURCE, 404),
    **dict.fromkeys((E.MethodNotAllowed,), 405),
    **dict.fromkeys(
        (
            E.BucketNotEmpty,
            E.OperationAborted,
            E.ConditionalRequestConflict,
            E.InvalidBucketState,
            E.UserSpaceNotEmpty,
            E.BucketAlreadyExists,
            E.BucketAlreadyOwnedByYou,
            E.PackageAlreadyExists,
            E.ObjectAlreadyExists,
            E.UserSpaceAlreadyExists,
            E.QuotaExists,
            E.EntityAlreadyExists,
            E.DeleteConflict,
        ),
        409,
    ),
    **dict.fromkeys((E.NotModified,), 304),
    **dict.fromkeys((E.MissingContentLength,), 411),
    **dict.fromkeys((E.PreconditionFailed,), 412),
    **dict.fromkeys((E.EntityTooLarge,), 413),
    **dict.fromkeys(
        (
            E.InvalidRange,
            E.InvalidPartNumber,
        ),
        416,
    ),
    **dict.fromkeys(
        (
            E.InternalError,
            E.OperationFailed,
        ),
        500,
    ),
    **dict.fromkeys((E.NotImplemented,), 501),
    **dict.fromkeys((E.InsufficientStorage,), 507),
    **dict.fromkeys((E.StorageTestFailed, E.CorruptedObject), 502),
    **dict.fromkeys(
        (
            E.ServiceUnavailable,
            E.SlowDown,
        ),
        503,
    ),
}


def error_response(exc: JunctionError) -> web.Response:
    code = ErrorCode.NoSuchVolume if exc.code == ErrorCode.NoSuchBucket else exc.code  # buckets are volumes here
    error = {"code": str(code), "message": exc.message or MESSAGES[code]}
    if "field" in exc.detail:
        error["field"] = str(exc.detail["field"])
    return web.Response(status=STATUS[exc.code], text=json.dumps({"error": error}), content_type="application/json")
