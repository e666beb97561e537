"""Start and stop a fresh gateway process for a conformance run (plain HTTP or TLS).

The gateway runs exactly as an operator starts it (`junction serve`), with root keys from
the environment and a throwaway data dir, so the run measures the shipped entry point.
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conformance.framework import Endpoint

ROOT = Path(__file__).resolve().parent.parent
ACCESS_KEY = "CONFORMANCEKEY01"
SECRET_KEY = "conformance/secret+KEY/0123456789abcdefgh"  # / and + as real AWS secrets have


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed_cert(where: Path) -> tuple[Path, Path]:
    """A two-day certificate for 127.0.0.1/localhost, made with the openssl CLI."""
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _serve_command() -> list[str]:
    script = Path(sys.executable).parent / "junction"
    return [str(script)] if script.exists() else [sys.executable, "-m", "gateway.cli"]


def _healthy(url: str, ca_file: Path | None) -> bool:
    context = ssl.create_default_context(cafile=str(ca_file)) if ca_file else None
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=1, context=context) as resp:
            return resp.status == 200
    except OSError:
        return False


class GatewayProcess:
    """One gateway instance; ``start`` waits until /health answers."""

    def __init__(self, where: Path, tls: bool = False) -> None:
        self.where = where
        self.tls = tls
        self.process: subprocess.Popen | None = None
        self.endpoint: Endpoint | None = None

    def start(self) -> Endpoint:
        self.where.mkdir(parents=True, exist_ok=True)
        port = _free_port()
        args = [
            *_serve_command(),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(self.where / "data"),
        ]
        ca_file = None
        if self.tls:
            cert, key = self_signed_cert(self.where)
            args += ["--tls-cert", str(cert), "--tls-key", str(key)]
            ca_file = cert
        env = {**os.environ, "JUNCTION_ROOT_ACCESS_KEY": ACCESS_KEY, "JUNCTION_ROOT_SECRET_KEY": SECRET_KEY}
        log_path = self.where / "gateway.log"
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"{'https' if self.tls else 'http'}://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while not _healthy(url, ca_file):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gateway did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        self.endpoint = Endpoint(url, port, ACCESS_KEY, SECRET_KEY, log_path, ca_file)
        return self.endpoint

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
