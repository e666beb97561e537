"""One client connection, guarded: deadlines for slow requests and a cap on request heads.

aiohttp's server has no header or body read timeout (a client that stops mid-body holds a
handler and a half-written blob for good) and answers an unparsable request in plain text,
logging an error-level traceback. This RequestHandler subclass adds, per connection:

- a header deadline: once a request's first byte arrives its head must be complete within
  `header_timeout` seconds (slowloris), else `400 RequestTimeout` and the connection closes;
  a connection that sends nothing is left to the keep-alive timer, silently;
- a head cap: more than `max_header_size` bytes before the head is complete, or a line or a
  header count past the parser's limits, is `400 RequestHeaderSectionTooLarge`;
- a body watchdog: while a handler runs with its body incomplete, no byte for `body_timeout`
  seconds (S3's idle rule) or, past the first `body_timeout` seconds, an average below
  `body_min_rate` bytes/s (Apache mod_reqtimeout's MinRate: a byte every few seconds is cut
  too) fails the body read with `JunctionError(ErrorCode.RequestTimeout)`. Each front end answers it
  in its own dialect, the write path discards its blob, and the connection closes after the
  answer. Time while reading is paused (the gateway is not draining the body) never counts;
- an unparsable request (garbage, a bad request line) gets S3 XML and one info-level line.

Errors found before a request is routed are answered in S3 XML: the front end is not known yet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError, LineTooLong
from aiohttp.streams import StreamReader

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.logs import REQUEST_ID, log_request, new_request_id
from gateway.s3.responses import error as s3_error
from s3xml.documents import error_document

REQUEST_TIMEOUT = ErrorCode.RequestTimeout
HEAD_TOO_LARGE = ErrorCode.RequestHeaderSectionTooLarge
NOT_HTTP = ErrorCode.BadRequest

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    header_timeout: float = 30.0
    body_timeout: float = 20.0
    body_min_rate: float = 500.0
    max_header_size: int = 16 * 1024
    max_header_count: int = 128

    def parser_args(self) -> dict[str, int]:
        """aiohttp's own parser limits: no single line and no header count beyond ours."""
        return {
            "max_line_size": self.max_header_size,
            "max_field_size": self.max_header_size,
            "max_headers": self.max_header_count,
        }


def s3_error_body(code: ErrorCode, request_id: str) -> bytes:
    return error_document(code, "", resource="/", request_id=request_id)


def raw_error_response(code: ErrorCode, request_id: str) -> bytes:
    """A complete `400` HTTP response with the S3 error document, for writing straight to the wire."""
    body = s3_error_body(code, request_id)
    head = (
        "HTTP/1.1 400 Bad Request\r\n"
        "Content-Type: application/xml\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n"
        f"x-amz-request-id: {request_id}\r\n"
        f"x-amz-id-2: {request_id}\r\n"
        "Server: Junction\r\n\r\n"
    )
    return head.encode() + body


def parse_error_code(exc: HttpProcessingError) -> ErrorCode:
    if isinstance(exc, LineTooLong) or "Too many headers" in (exc.message or ""):
        return HEAD_TOO_LARGE
    return NOT_HTTP


class GuardedRequestHandler(web.RequestHandler):
    """aiohttp's per-connection protocol with the deadlines and caps described above."""

    def __init__(self, manager: web.Server, *, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._limits = limits
        self.body_cut = False  # a body read was failed by the watchdog: close after the answer
        self._head_bytes = 0  # bytes of a request head not yet complete
        self._last_payload: StreamReader | None = None  # body of the newest parsed request
        self._header_handle: asyncio.TimerHandle | None = None
        self._tick_handle: asyncio.TimerHandle | None = None
        self._bytes_in = 0
        self._last_data = 0.0
        self._last_tick = 0.0
        self._watched: web.BaseRequest | None = None  # the request whose body the watchdog times
        self._watch_bytes = 0  # self._bytes_in when watching began
        self._client_time = 0.0  # seconds the client had to send that body
        self._idle_from = 0.0

    # ------------------------------------------------------------------ incoming bytes

    def data_received(self, data: bytes) -> None:
        if self._force_close or self._close:
            return
        now = self._loop.time()
        self._last_data = now
        self._bytes_in += len(data)
        starts_head = self._last_payload is None or self._last_payload.is_eof()
        parsed_before = self._request_count
        super().data_received(data)
        if self._request_count != parsed_before:  # a head completed (or failed to parse)
            self._head_bytes = 0
            self._last_payload = self._messages[-1][1] if self._messages else None
            self._cancel_header_deadline()
        elif starts_head and data:
            self._head_bytes += len(data)
            self._arm_header_deadline()
            if self._head_bytes > self._limits.max_header_size and self._between_requests():
                self._reject_head(HEAD_TOO_LARGE)
                return
        self._arm_tick(now)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._cancel_header_deadline()
        if self._tick_handle is not None:
            self._tick_handle.cancel()
            self._tick_handle = None
        super().connection_lost(exc)

    def _between_requests(self) -> bool:
        """No request is being handled or answered, so a raw error response cannot interleave."""
        return not self._request_in_progress and not self._messages and self.transport is not None

    # ------------------------------------------------------------------ the head

    def _arm_header_deadline(self) -> None:
        if self._header_handle is None and self._limits.header_timeout > 0:
            self._header_handle = self._loop.call_later(self._limits.header_timeout, self._header_deadline)

    def _cancel_header_deadline(self) -> None:
        if self._header_handle is not None:
            self._header_handle.cancel()
            self._header_handle = None

    def _header_deadline(self) -> None:
        self._header_handle = None
        if self._head_bytes and self._between_requests():
            self._reject_head(REQUEST_TIMEOUT)

    def _reject_head(self, code: ErrorCode) -> None:
        """Answer a request whose head never completed, then close: there is no request to route."""
        request_id = new_request_id()
        assert self.transport is not None
        self.transport.write(raw_error_response(code, request_id))
        peer = self.transport.get_extra_info("peername")
        log_request(request_id, method="-", path="-", status=400, remote=peer[0] if peer else None, error=code)
        self._head_bytes = 0
        self.force_close()  # flushes the answer, then closes

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """A request aiohttp's parser refused is the client's fault: S3 XML, one info line."""
        if status != 400 or not isinstance(exc, HttpProcessingError):
            return super().handle_error(request, status, exc, message)
        code = parse_error_code(exc)
        request_id = new_request_id()
        log_request(request_id, method="-", path="-", status=400, remote=request.remote, error=code)
        headers = {"x-amz-request-id": request_id, "x-amz-id-2": request_id, "Server": "Junction"}
        response = web.Response(
            status=400, body=s3_error_body(code, request_id), content_type="application/xml", headers=headers
        )
        response.force_close()
        return response

    # ------------------------------------------------------------------ the body

    def _arm_tick(self, now: float) -> None:
        if self._tick_handle is None and self._limits.body_timeout > 0:
            self._last_tick = now
            every = min(max(self._limits.body_timeout / 4, 0.05), 2.0)
            self._tick_handle = self._loop.call_later(every, self._tick)

    def _body_pending(self) -> bool:
        return self._last_payload is not None and not self._last_payload.is_eof()

    def _tick(self) -> None:
        self._tick_handle = None
        now = self._loop.time()
        elapsed, self._last_tick = now - self._last_tick, now
        request = self._current_request
        if request is None:
            self._watched = None
            if self._request_in_progress or self._messages or self._body_pending():
                self._arm_tick(now)
            return  # idle: the next byte re-arms the watchdog
        self._arm_tick(now)
        payload = request.content
        if payload.is_eof() or payload.exception() is not None:
            self._watched = None
        elif request is not self._watched:
            self._watched, self._watch_bytes, self._client_time, self._idle_from = request, self._bytes_in, 0.0, now
        elif self._reading_paused or getattr(self, "_buffer_paused", False):  # not in older aiohttp
            self._idle_from = now  # the gateway is not draining the body: not the client's time
        else:
            self._client_time += elapsed
            if self._stalled(now):
                self._cut_body(request)

    def _stalled(self, now: float) -> bool:
        limits = self._limits
        if now - max(self._last_data, self._idle_from) >= limits.body_timeout:
            return True
        received = self._bytes_in - self._watch_bytes
        return limits.body_min_rate > 0 and self._client_time > limits.body_timeout + received / limits.body_min_rate

    def _cut_body(self, request: web.BaseRequest) -> None:
        """Fail the handler's body read; it answers RequestTimeout and the connection closes."""
        self.body_cut = True
        self._watched = None
        self._lingering_time = 0.0  # do not wait for the rest of a body that is not coming
        self.close()  # no further requests on this connection; ignore what still arrives
        request.content.set_exception(JunctionError(REQUEST_TIMEOUT))


def head_size_limit(max_size: int) -> Any:
    """Middleware: a head over `max_size` that arrived whole (one read) is refused like a slow one.

    Heads that trickle in are counted on the wire (GuardedRequestHandler); this catches the rest,
    and guards apps served without the guarded protocol (tests' in-process servers) too.
    """

    @web.middleware
    async def limit(request: web.Request, handler: Handler) -> web.StreamResponse:
        size = len(request.method) + len(request.raw_path) + sum(len(k) + len(v) + 4 for k, v in request.raw_headers)
        if size <= max_size:
            return await handler(request)
        response = s3_error(
            JunctionError(HEAD_TOO_LARGE), resource=request.path, request_id=request[REQUEST_ID], method=request.method
        )
        response.force_close()
        return response

    return limit


async def close_after_cut_body(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare hook: the answer to a cut body says the connection closes."""
    if getattr(request.protocol, "body_cut", False):
        response.force_close()
        response.headers["Connection"] = "close"  # the hook runs after aiohttp wrote its own
