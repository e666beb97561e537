"""Structured logs: one JSON line per request, and JSON for everything else too."""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler

access_log = logging.getLogger("junction.access")
REQUEST_ID = web.RequestKey("request_id", str)
ACCESS_KEY = web.RequestKey("access_key", str)  # set by a front end once it knows the caller


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiohttp.access").disabled = True


def new_request_id() -> str:
    return uuid.uuid4().hex[:16].upper()


@web.middleware
async def request_log(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Tag the request with an id and log method, path (never the query), status, bytes, ms."""
    request_id = new_request_id()
    request[REQUEST_ID] = request_id
    started = time.perf_counter()
    status = 500
    response: web.StreamResponse | None = None
    try:
        response = await handler(request)
        status = response.status
        return response
    finally:
        sent = response.body_length if response is not None and response.prepared else 0
        if response is not None and not response.prepared:
            body = getattr(response, "body", None)
            sent = len(body) if isinstance(body, (bytes, bytearray)) else 0
        access_log.info(
            "request",
            extra={
                "fields": {
                    "rid": request_id,
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "bytes_in": request.content_length or 0,
                    "bytes_out": sent,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                    "remote": request.remote,
                    "key": request.get(ACCESS_KEY, ""),
                }
            },
        )


async def add_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare hook: every response, streamed or not, carries the request id."""
    request_id = request.get(REQUEST_ID, "")
    response.headers.setdefault("x-amz-request-id", request_id)
    response.headers.setdefault("x-amz-id-2", request_id)
    response.headers.setdefault("Server", "Junction")
