"""`junction` command line: `junction serve` runs the gateway."""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import logging
import os
import signal
import socket
import ssl
import sys
from pathlib import Path

from . import admin, serving
from .app import create_app
from .config import Config, generated_secret, load_config
from .core.sse.keys import check_key_config
from .core.storage_classes import parse_mapping
from .datadir import make_private_dir, parse_umask, warn_if_exposed
from .logs import setup_logging
from .meta.db import redacted

log = logging.getLogger("junction")
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _serve_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default 9000)")
    parser.add_argument("--data-dir", type=Path, help="metadata and local blobs (default ./data)")
    parser.add_argument(
        "--meta",
        dest="meta_url",
        help="metadata database: sqlite:///path or postgresql://user:pw@host:port/db (default: SQLite in data dir)",
    )
    parser.add_argument("--workers", type=int, help="worker processes sharing the port (default: one per core)")
    parser.add_argument("--config", type=Path, help="TOML config file")
    parser.add_argument("--domain", help="base domain for virtual-hosted-style requests")
    parser.add_argument("--region", help="region reported to clients (default us-east-1)")
    parser.add_argument("--tls-cert", help="PEM certificate (chain) to serve HTTPS")
    parser.add_argument("--tls-key", help="PEM private key for --tls-cert")
    parser.add_argument("--header-timeout", type=float, help="seconds to receive a request's headers (default 30)")
    parser.add_argument("--body-timeout", type=float, help="seconds a request body may stall (default 20)")
    parser.add_argument("--body-min-rate", type=float, help="bytes/s a request body must average (default 500)")
    parser.add_argument("--max-header-size", type=int, help="bytes of request line + headers (default 16384)")
    parser.add_argument("--max-header-count", type=int, help="request header lines (default 128)")
    parser.add_argument("--ftp-port", type=int, help="serve FTP (FTPS with --tls-cert) on this port (default: off)")
    parser.add_argument("--sftp-port", type=int, help="serve SFTP on this port (default: off)")
    parser.add_argument("--ftp-passive-ports", help='FTP passive data ports, e.g. "30000-30099" (default: any)')
    parser.add_argument("--ftp-passive-address", help="IPv4 address FTP's PASV announces (behind NAT)")
    parser.add_argument(
        "--sse-c-over-http",
        action="store_const",
        const=True,
        help="accept SSE-C keys over plain HTTP (refused by default: the key would cross the network in clear)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="junction", description="Junction S3-compatible gateway")
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_args(sub.add_parser("serve", help="run the gateway"))
    admin.add_arguments(sub.add_parser("admin", help="manage admin keys, reclaim orphaned blobs"))
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return admin.run(args)


def serve(args: argparse.Namespace) -> int:
    cli = {k: v for k, v in vars(args).items() if k not in ("command", "config")}
    config = load_config(args.config, cli)
    setup_logging(config.log_level)
    try:
        parse_mapping(config.storage_classes)
    except ValueError as exc:
        print(f"junction: bad storage_classes: {exc}", file=sys.stderr)
        return 2
    try:
        check_key_config(config.master_key, config.kms_keys)
    except ValueError as exc:
        print(f"junction: bad master_key or kms_keys: {exc}", file=sys.stderr)
        return 2
    os.umask(parse_umask(str(config.umask)))  # inherited by the workers: blobs and job files follow it
    make_private_dir(config.data_dir)
    warn_if_exposed(config.data_dir.resolve(), log)
    ssl_context = _ssl_context(config)
    scheme = "https" if ssl_context else "http"
    # The secret is shown only when Junction generated it (first run without configured
    # keys), so a configured secret never reaches the logs.
    secret = config.root_secret_key if generated_secret(config) else "(configured, not shown)"
    print(
        f"Junction listening on {scheme}://{config.host}:{config.port}\n"
        f"  data dir:   {config.data_dir.resolve()}\n"
        f"  metadata:   {redacted(config.meta_url) if config.meta_url else 'SQLite in the data dir'}\n"
        f"  access key: {config.root_access_key}\n"
        f"  secret key: {secret}",
        file=sys.stderr,
        flush=True,
    )
    try:
        if config.workers <= 1:
            serving.run(create_app(config), config, ssl_context=ssl_context)
            return 0
        return _serve_workers(config, ssl_context)
    except serving.CannotListen as exc:
        print(f"junction: {exc} (is another gateway running? choose another with --port)", file=sys.stderr)
        return 2


def _ssl_context(config: Config) -> ssl.SSLContext | None:
    if not config.tls_cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(config.tls_cert, config.tls_key or None)
    return context


def _serve_workers(config: Config, ssl_context: ssl.SSLContext | None) -> int:
    """Pre-fork: the parent binds once, each child serves the shared socket."""
    sock = socket.socket(socket.AF_INET6 if ":" in config.host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((config.host, config.port))
    except OSError as exc:
        sock.close()
        raise serving.CannotListen(config.host, config.port, exc) from exc
    sock.listen(serving.LISTEN_BACKLOG)
    sock.set_inheritable(True)
    children = []
    parent = os.getpid()
    for index in range(config.workers):
        pid = os.fork()
        if pid == 0:
            _die_with_parent(parent)
            serving.run(create_app(config, worker=index), config, sock=sock, ssl_context=ssl_context)
            os._exit(0)
        children.append(pid)

    def stop_children(signum: int, _frame: object) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop_children)
    signal.signal(signal.SIGINT, stop_children)
    for pid in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    return 0


def _die_with_parent(parent: int) -> None:
    """A worker whose parent is killed (kill -9, the OOM killer) is killed too (Linux
    PR_SET_PDEATHSIG), rather than serving on unsupervised and holding the port; a stopped
    parent stops its workers itself (SIGTERM, above)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the call: nobody would tell us
            os._exit(1)


if __name__ == "__main__":
    sys.exit(main())
