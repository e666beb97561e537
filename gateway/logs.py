"""Structured logs: one JSON line per request, and JSON for everything else too."""

from __future__ import annotations

import itertools
import json
import logging
import os
import secrets
import sys
import time

from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.domain.file_version import per_request

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
        return _encode(entry)


# json.dumps(..., ensure_ascii=False) builds a new encoder per call (any non-default argument
# does): one line per request makes that a measurable part of a small GET. The same output.
_encode = json.JSONEncoder(ensure_ascii=False).encode


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiohttp.access").disabled = True
    # Every request logs a line: no caller lookup (a walk up the stack), thread or process
    # names per record, which the JSON lines never show (the logging HOWTO's "Optimization").
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


class _RequestIds:
    """16 hex digits: a random prefix per process and a counter (uuid4 per request read the
    kernel's random source each time, 2 % of a small GET); unique across workers and restarts
    with the odds of two random 32-bit prefixes meeting. Request ids are not secrets."""

    def __init__(self) -> None:
        self.reset()
        os.register_at_fork(after_in_child=self.reset)  # pre-forked workers: a prefix each

    def reset(self) -> None:
        self._prefix = secrets.token_hex(4).upper()
        self._counter = itertools.count(secrets.randbelow(1 << 31))

    def next(self) -> str:
        return f"{self._prefix}{next(self._counter) & 0xFFFFFFFF:08X}"


_request_ids = _RequestIds()


def new_request_id() -> str:
    return _request_ids.next()


CLIENT_CLOSED_REQUEST = 499  # nginx's status for a client that hung up before it was answered


def client_gone(request: web.BaseRequest) -> bool:
    """True once the client's connection is closed or closing (it hung up, or was cut off)."""
    transport = request.transport
    return transport is None or transport.is_closing()


def log_request(
    request_id: str,
    *,
    method: str,
    path: str,
    status: int,
    remote: str | None,
    bytes_in: int = 0,
    bytes_out: int = 0,
    ms: float = 0.0,
    key: str = "",
    error: str = "",
) -> None:
    """The one access line per request, at info level: a client's fault is not the server's."""
    fields: dict[str, object] = {
        "rid": request_id,
        "method": method,
        "path": path,
        "status": status,
        "bytes_in": bytes_in,
        "bytes_out": bytes_out,
        "ms": ms,
        "remote": remote,
        "key": key,
    }
    if error:
        fields["error"] = error
    access_log.info("request", extra={"fields": fields})


@web.middleware
async def request_log(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Tag the request with an id and log method, path (never the query), status, bytes, ms.

    A client that hangs up mid-request (an aborted upload) surfaces as a ConnectionError out of
    the body read; it is logged as 499 and the request ends quietly (there is nobody to answer).
    """
    request_id = new_request_id()
    request[REQUEST_ID] = request_id
    memo = per_request()  # each generation file's `stat` once per request (gateway/domain/file_version.py)
    started = time.perf_counter()
    status = 500
    response: web.StreamResponse | None = None
    try:
        response = await handler(request)
        status = response.status
        return response
    except ConnectionError:
        if not client_gone(request):
            raise  # e.g. a storage backend's connection: the server's own fault
        status = CLIENT_CLOSED_REQUEST
        return web.Response(status=status)  # never reaches the client; ends the request quietly
    finally:
        memo.close()
        sent = response.body_length if response is not None and response.prepared else 0
        if response is not None and not response.prepared:
            body = getattr(response, "body", None)
            sent = len(body) if isinstance(body, (bytes, bytearray)) else 0
        log_request(
            request_id,
            method=request.method,
            path=request.path,
            status=status,
            bytes_in=request.content_length or 0,
            bytes_out=sent,
            ms=round((time.perf_counter() - started) * 1000, 2),
            remote=request.remote,
            key=request.get(ACCESS_KEY, ""),
        )


async def add_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare hook: every response, streamed or not, carries the request id."""
    request_id = request.get(REQUEST_ID, "")
    response.headers.setdefault("x-amz-request-id", request_id)
    response.headers.setdefault("x-amz-id-2", request_id)
    response.headers.setdefault("Server", "Junction")
