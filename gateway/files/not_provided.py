"""Seed 004 routes Junction deliberately does not serve: remote command execution, shutting
down, restarting or updating the server from a web request, and a third party's cloud
service. The /api ones answer 404 with the reason, before the S3 catch-all could read them as
a bucket named `api`; `/update_start_exit_program` is not a valid bucket name and gets the S3
front end's error like any other non-bucket."""

from __future__ import annotations

from aiohttp import web

from .errors import error_json

NOT_PROVIDED: dict[str, str] = {
    "/api/command": "running commands on the host from a web request is remote code execution",
    "/api/shutdown": "a gateway is stopped by its service manager, not by a web request",
    "/api/restart": "a gateway is restarted by its service manager, not by a web request",
    "/api/update": "a gateway is updated by installing a new release, never by itself over the web",
    "/api/cloud/manage": "Junction sends nothing to a third party's cloud",
}


async def not_provided(request: web.Request) -> web.StreamResponse:
    reason = NOT_PROVIDED[request.match_info.route.resource.canonical if request.match_info.route.resource else ""]
    return error_json(404, "Not provided", f"deliberately not provided: {reason}", "NotProvided")


def register(app: web.Application) -> None:
    for path in NOT_PROVIDED:
        app.router.add_route("*", path, not_provided)
