"""The aiohttp application: one server, three front ends over one core."""

from __future__ import annotations

import ssl
from pathlib import Path

from aiohttp import web

from .browser.routes import register as register_browser
from .browser.routes import to_console, wants_console
from .config import Config
from .connection import close_after_cut_body, head_size_limit
from .console.routes import register as register_console
from .core.notify_delivery import DeliveryLimits
from .core.service import Core
from .core.storage_classes import parse_mapping
from .files.routes import register as register_files
from .ftp.routes import register as register_ftp
from .ftp.servers import FtpServers, FtpSettings, parse_port_range
from .http.audit import audit_requests
from .http.ratelimit import PROCESS as RATE_LIMITS
from .http.webhooks import WebhookPoster
from .logs import add_request_id, request_log
from .native.routes import register as register_native
from .openapi import register as register_openapi
from .s3.context import close_unsent_body, defer_continue
from .s3.cors import add_headers as add_cors_headers
from .s3.handler import S3Frontend

CORE_KEY = web.AppKey("core", Core)
CONFIG_KEY = web.AppKey("config", Config)
CLIENT_MAX_SIZE = 64 * 1024 * 1024  # only for bodies read whole (JSON); object data is streamed


def build_core(config: Config, *, worker: int = 0) -> Core:
    return Core(
        config.data_dir,
        meta_url=config.meta_url,
        root_access_key=config.root_access_key,
        root_secret_key=config.root_secret_key,
        gc_interval=config.gc_interval,
        orphan_grace=config.orphan_grace,
        secrets_key=config.secrets_key,
        local_roots=[Path(p.strip()) for p in config.local_roots.split(",") if p.strip()],
        storage_classes=parse_mapping(config.storage_classes),
        master_key=config.master_key,
        kms_keys=config.kms_keys,
        sse_c_over_http=config.sse_c_over_http,
        lifecycle_day_seconds=config.lifecycle_day_seconds,
        audit_retention_days=config.audit_retention_days,
        region=config.region,
        notify_retry_seconds=config.notify_retry_seconds,
        notify_limits=DeliveryLimits(
            max_attempts=config.notify_max_attempts,
            max_age_seconds=config.notify_max_age_seconds,
            queue_limit=config.notify_queue_limit,
            failed_keep=config.notify_failed_keep,
            failed_keep_seconds=config.notify_failed_keep_seconds,
        ),
        primary=worker == 0,
    )


def create_app(config: Config, core: Core | None = None, *, worker: int = 0) -> web.Application:
    """The application of worker process `worker` (0 logs the start-up reports)."""
    core = core or build_core(config, worker=worker)
    middlewares = [request_log, audit_requests(core.audit), head_size_limit(config.max_header_size)]
    app = web.Application(middlewares=middlewares, client_max_size=CLIENT_MAX_SIZE)
    app[CORE_KEY] = core
    app[CONFIG_KEY] = config
    s3 = S3Frontend(core, region=config.region, domain=config.domain)

    ftp_config = ftp_settings(config)
    servers = FtpServers(core, ftp_config) if worker == 0 and ftp_config.configured else None

    core.share_rate_limits(RATE_LIMITS.drain, RATE_LIMITS.merge)

    async def start(_app: web.Application) -> None:
        await core.start()
        core.start_delivery(WebhookPoster())  # bucket notifications: POSTs from this process
        if servers is not None:
            await servers.start()

    async def stop_ftp(_app: web.Application) -> None:
        if servers is not None:
            await servers.stop()

    async def stop(_app: web.Application) -> None:
        await core.stop()

    async def dispatch(request: web.Request) -> web.StreamResponse:
        if request.path == "/health" and _anonymous(request):
            return web.json_response({"status": "ok"})
        if wants_console(request):  # a person's browser, not an S3 client: the web console
            return await to_console(request)
        return await s3.handle(request)

    app.on_startup.append(start)
    app.on_shutdown.append(stop_ftp)
    app.on_cleanup.append(stop)
    app.on_response_prepare.append(add_request_id)
    app.on_response_prepare.append(add_cors_headers)  # S3 responses to requests with Origin
    app.on_response_prepare.append(close_after_cut_body)  # a stalled body's answer closes the connection
    app.on_response_prepare.append(close_unsent_body)  # so does a refused 100-continue upload's
    register_native(app, core)  # /v1/... JSON API; must precede the S3 catch-all
    register_console(app, core)  # /api/v1/... console API; likewise
    register_ftp(app, core, configured=ftp_config.configured)  # /api/ftp/...; before the browser's /api
    # /api/... browser API and the /console app; likewise
    register_browser(app, core, sse_keepalive=config.sse_keepalive_seconds)
    register_files(app, core)  # /api/finder, /api/upload, ... the file-server API (seed 004); likewise
    register_openapi(app)
    # any path, keys with LF/CR too; `100 Continue` only once the call is authorized (S3Call.continue_upload)
    app.router.add_route("*", r"/{tail:[\s\S]*}", dispatch, expect_handler=defer_continue)
    return app


def ftp_settings(config: Config) -> FtpSettings:
    """FTP/SFTP from the configuration; FTPS uses the gateway's own certificate."""
    tls = None
    if config.tls_cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(config.tls_cert, config.tls_key or None)
        tls.num_tickets = 0  # no TLS 1.3 tickets written after the handshake: FTP data connections are short
    return FtpSettings(
        host=config.host,
        ftp_port=config.ftp_port,
        sftp_port=config.sftp_port,
        passive_ports=parse_port_range(config.ftp_passive_ports),
        passive_address=config.ftp_passive_address or None,
        tls=tls,
    )


def _anonymous(request: web.Request) -> bool:
    return "Authorization" not in request.headers and "X-Amz-Algorithm" not in request.query
