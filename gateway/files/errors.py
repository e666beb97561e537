"""File-API answers: `{"error": "<the document's short text>", "message": ..., "code": ...}`.

The document's clients look at `error` (and the status), so it carries the document's words
where the document has them ("Path does not exist", "Unauthorized"); `message` says what
exactly went wrong and `code` is Junction's error code for programs."""

from __future__ import annotations

import json

from aiohttp import web

from gateway.domain.errors import MESSAGES, ErrorCode, JunctionError
from s3xml.errors import STATUS as S3_STATUS

# code -> (status, the document's short text); anything else: 500 with the message
ANSWERS: dict[ErrorCode, tuple[int, str]] = {
    ErrorCode.Unauthorized: (401, "Unauthorized"),
    ErrorCode.AccessDenied: (401, "Unauthorized"),  # the document: 401 for "insufficient permissions" too
    ErrorCode.NoSuchUser: (401, "Unauthorized"),
    ErrorCode.NoSuchKey: (404, "Path does not exist"),
    ErrorCode.NoSuchBucket: (404, "Path does not exist"),
    ErrorCode.NoSuchPackage: (404, "Path does not exist"),
    ErrorCode.InvalidArgument: (400, "Bad request"),
    ErrorCode.InvalidRequest: (400, "Bad request"),
    ErrorCode.MalformedJSON: (400, "Bad request"),
    ErrorCode.MalformedPOSTRequest: (400, "Bad request"),
    ErrorCode.KeyTooLongError: (400, "Bad request"),
    ErrorCode.PreconditionFailed: (409, "Already exists"),
    ErrorCode.ConditionalRequestConflict: (409, "Already exists"),
    ErrorCode.ObjectAlreadyExists: (409, "Already exists"),
    ErrorCode.PackageAlreadyExists: (409, "Already exists"),
    ErrorCode.BucketNotEmpty: (409, "Not empty"),
    ErrorCode.EntityTooLarge: (413, "File too large"),
    ErrorCode.QuotaExceeded: (507, "Insufficient storage"),
    ErrorCode.InsufficientStorage: (507, "Insufficient storage"),
    ErrorCode.ServiceUnavailable: (503, "Service unavailable"),
    ErrorCode.SlowDown: (503, "Service unavailable"),
}


GENERIC = {400: "Bad request", 403: "Unauthorized", 404: "Path does not exist", 409: "Conflict"}


def _by_s3_status(code: ErrorCode) -> tuple[int, str]:
    status = S3_STATUS.get(code, 500)
    if status == 403:
        status = 401  # as the document answers refusals
    return status, GENERIC.get(status, "Request failed" if status < 500 else "Internal server error")


NOT_FOUND_TEXTS = ("Path does not exist", "File or folder does not exist")


def error_json(status: int, error: str, message: str = "", code: str = "") -> web.Response:
    body = {"error": error, "message": message or error, "code": code or error}
    return web.Response(status=status, text=json.dumps(body), content_type="application/json")


def error_response(exc: JunctionError) -> web.Response:
    """The document's status and text where it has them, else S3's status for the code."""
    status, short = ANSWERS.get(exc.code) or _by_s3_status(exc.code)
    message = exc.message or MESSAGES.get(exc.code, "")
    if exc.code in (ErrorCode.InvalidArgument, ErrorCode.InvalidRequest, ErrorCode.MalformedJSON) and message:
        short = message  # the document's 400s are the message itself ("No path provided")
    if status == 404 and message in NOT_FOUND_TEXTS:
        short = message
    return error_json(status, short, message, str(exc.code))
