"""Browser API errors: `{"error": "<Name>", "message": "..."}` with the status codes the
storage browser document lists (400, 401, 403, 404, 409, 413, 429, 500, 507)."""

from __future__ import annotations

import json
import time

from aiohttp import web

from gateway.domain.errors import MESSAGES, ErrorCode, JunctionError
from s3xml.errors import STATUS as S3_STATUS

# Where the document's table differs from S3's status for the same condition
OVERRIDES: dict[ErrorCode, int] = {
    ErrorCode.EntityTooLarge: 413,  # "File exceeds size limit"
    ErrorCode.QuotaExceeded: 507,  # "Insufficient Storage"
    ErrorCode.MalformedJSON: 400,
    ErrorCode.Unauthorized: 401,
    ErrorCode.NoSuchUser: 401,
}


def status_of(code: ErrorCode) -> int:
    return OVERRIDES.get(code, S3_STATUS.get(code, 500))


def error_json(status: int, name: str, message: str, **extra: object) -> web.Response:
    body = {"error": name, "message": message, **extra}
    return web.Response(status=status, text=json.dumps(body), content_type="application/json")


def error_response(exc: JunctionError) -> web.Response:
    return error_json(status_of(exc.code), str(exc.code), exc.message or MESSAGES[exc.code])


def rate_limited(limit: int, retry_at: float) -> web.Response:
    """429 with `retryAfter` (epoch milliseconds, as the document's example) and Retry-After (seconds)."""
    response = error_json(
        429,
        "RateLimitExceeded",
        f"Too many requests. Maximum {limit} per minute.",
        retryAfter=int(retry_at * 1000),
    )
    response.headers["Retry-After"] = str(max(1, int(retry_at - time.time() + 0.999)))
    return response
