"""`/api/transfer/*`: start a transfer between two places, check it for conflicts, follow it
over SSE (a one-time ticket, as uploads), cancel it, clean it up. The work is the core's
(core/console_transfers.py); a transfer belongs to whoever started it (and administrators)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from gateway.core.authz import Identity
from gateway.core.console_transfers import parse_request
from gateway.domain.errors import ErrorCode, JunctionError

from .call import BrowserCall
from .sse import stream_events


def _who(call: BrowserCall) -> Callable[[], Awaitable[Identity]]:
    """The signed-in caller as the engine sees it at each check (the run outlives the request)."""
    subject, sessions = call.session.subject, call.core.sessions
    return lambda: sessions.identity_now(subject)


async def start(call: BrowserCall) -> dict[str, Any]:
    request = parse_request(await call.json())
    return await call.core.console_transfers.start(request, _who(call), call.context, call.session.subject)


async def check_conflicts(call: BrowserCall) -> dict[str, Any]:
    request = parse_request(await call.json(), conflicts_needed=False)
    return await call.core.console_transfers.check_conflicts(request, _who(call), call.context)


async def list_transfers(call: BrowserCall) -> dict[str, Any]:
    session = call.session
    transfers = await call.core.console_transfers.list_transfers(session.subject, session.identity.admin)
    return {"transfers": transfers}


async def cancel(call: BrowserCall) -> dict[str, Any]:
    session = call.session
    job_id = call.request.match_info["job"]
    return await call.core.console_transfers.cancel(job_id, session.subject, session.identity.admin)


async def cleanup(call: BrowserCall) -> dict[str, Any]:
    session = call.session
    job_id = call.request.match_info["job"]
    return await call.core.console_transfers.cleanup(job_id, session.subject, session.identity.admin)


async def progress(call: BrowserCall) -> web.StreamResponse:
    """SSE in the document's event format, authenticated by a one-time ticket for this job."""
    job_id = call.request.match_info["job"]
    ticket = call.request.query.get("ticket", "")
    if not ticket:
        raise JunctionError(
            ErrorCode.Unauthorized, "an EventSource authenticates with ?ticket= (POST /api/auth/sse-ticket)"
        )
    session = await call.core.sessions.redeem(ticket, job_id, "transfer")
    events = call.core.console_transfers.events(job_id, session.subject, session.identity.admin)
    first = await anext(events)  # NoSuchJob answers as JSON, before the stream starts
    return await stream_events(call.request, events, first)
