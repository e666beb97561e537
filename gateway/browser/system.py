"""Seed 004's operator routes: `/api/logs` (the audit log, paged, administrators only),
`/api/resources` (CPU, memory, disk %) and `/api/is_up`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway.core.host_stats import resources as host_resources
from gateway.domain.errors import ErrorCode, JunctionError

from .call import BrowserCall

# query parameter -> audit store column compared for equality
EQUAL_FILTERS = {"frontEnd": "front_end", "account": "account", "user": "user_name", "accessKey": "access_key"}


def require_admin(call: BrowserCall) -> None:
    if not call.session.identity.admin:
        raise JunctionError(ErrorCode.AccessDenied, "Access Denied: only gateway administrators may do this")


def _number(call: BrowserCall, name: str) -> float | None:
    text = call.request.query.get(name)
    if text is None or text == "":
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:  # an ISO 8601 time, for since / until
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise JunctionError(ErrorCode.InvalidArgument, f"{name} must be a number or an ISO 8601 time") from None


async def logs(call: BrowserCall) -> dict[str, Any]:
    """Newest first; `limit` (1-1000, default 100), `before` (the previous page's nextBefore),
    `since`/`until` (epoch seconds or ISO 8601), `action`/`resource` (prefixes), `status`,
    `method`, and exact `user`, `account`, `accessKey`, `frontEnd`."""
    require_admin(call)
    query = call.request.query
    limit = _number(call, "limit")
    before = _number(call, "before")
    status = _number(call, "status")
    if limit is not None and limit < 1:
        raise JunctionError(ErrorCode.InvalidArgument, "limit must be at least 1")
    equal: dict[str, Any] = {column: query[name] for name, column in EQUAL_FILTERS.items() if query.get(name)}
    if status is not None:
        equal["status"] = int(status)
    if query.get("method"):
        equal["method"] = query["method"].upper()
    return await call.core.audit.page(
        limit=int(limit or 100),
        before=int(before) if before is not None else None,
        since=_number(call, "since"),
        until=_number(call, "until"),
        action=query.get("action", ""),
        resource=query.get("resource", ""),
        equal=equal,
    )


async def resources(call: BrowserCall) -> dict[str, int]:
    """Host CPU (sampled over 0.2 s), memory and the data dir's file system, in whole percent."""
    _ = call.session  # signed in (raises 401 otherwise)
    return await host_resources(call.core.data_dir)


async def is_up(call: BrowserCall) -> dict[str, str]:
    return {"status": "Server is up"}
