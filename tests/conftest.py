"""Shared fixtures: a real gateway process on a loopback port, and clients pointed at it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config as BotoConfig
from hypothesis import HealthCheck, settings

# Property tests (tests/fuzz/, and any @given test): bounded in `make test`; `make fuzz` runs
# the fuzzers with HYPOTHESIS_PROFILE=fuzz. No example database: runs leave nothing behind.
_RELAXED = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("test", max_examples=75, deadline=None, database=None, suppress_health_check=_RELAXED)
settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "2000")),
    deadline=None,
    database=None,
    suppress_health_check=_RELAXED,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "test"))

ROOT = Path(__file__).resolve().parent.parent
ACCESS_KEY = "JUNCTIONTESTKEY"
SECRET_KEY = "junction/test+secret/KEY0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Gateway:
    url: str
    port: int
    data_dir: Path
    access_key: str
    secret_key: str
    process: subprocess.Popen
    log_path: Path

    def env(self) -> dict[str, str]:
        """Environment for CLI clients (aws, rclone, s3cmd) talking to this gateway."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ACCESS_KEY_ID=self.access_key,
            AWS_SECRET_ACCESS_KEY=self.secret_key,
            AWS_DEFAULT_REGION="us-east-1",
            AWS_CONFIG_FILE=str(self.data_dir.parent / "aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(self.data_dir.parent / "aws-credentials"),
            AWS_EC2_METADATA_DISABLED="true",
        )
        return env

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")


def self_signed_cert(tmp: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1/localhost, made with the openssl CLI."""
    cert, key = tmp / "cert.pem", tmp / "key.pem"
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


# Which metadata engines the integration suites run on. A module that sets BOTH_ENGINES = True
# runs every test that uses the `gateway` fixture (and s3, bucket...) on SQLite and on a real
# PostgreSQL (tests/pg_server.py); README "Tests" lists those modules.
ENGINES = ("sqlite", "postgres")


def pg_server():
    """The session's PostgreSQL server (one per test process), started on first use, removed at exit."""
    from tests.pg_server import shared

    return shared()


def meta_url(engine: str) -> str | None:
    """A fresh metadata database for one gateway: None for SQLite (the data dir's default)."""
    return pg_server().create_database() if engine == "postgres" else None


def metadata_bytes(gw: Gateway) -> bytes:
    """Everything the gateway's metadata database holds, as bytes to search for a leaked secret:
    the SQLite file and its WAL, or a pg_dump of its PostgreSQL database."""
    args = list(gw.process.args)
    if "--meta" in args:
        from tests.pg_server import find_bin

        url = args[args.index("--meta") + 1]
        return subprocess.run([str(find_bin() / "pg_dump"), url], check=True, capture_output=True).stdout
    files = [gw.data_dir / "meta.sqlite3", gw.data_dir / "meta.sqlite3-wal"]
    return b"".join(f.read_bytes() for f in files if f.exists())


def pytest_generate_tests(metafunc):
    if "meta_engine" in metafunc.fixturenames and getattr(metafunc.module, "BOTH_ENGINES", False):
        metafunc.parametrize("meta_engine", ENGINES, scope="session", indirect=True)


@pytest.fixture(scope="session")
def meta_engine(request) -> str:
    return getattr(request, "param", "sqlite")


def start_gateway(
    tmp: Path,
    *extra: str,
    env: dict[str, str] | None = None,
    tls: bool = False,
    meta: str | None = None,
    data_dir: Path | None = None,
    launcher: Sequence[str] = (),
) -> Gateway:
    """A gateway process; `meta`: a metadata URL (default: SQLite in the data dir); `data_dir`:
    another instance's, to serve one namespace together (default: `tmp`/data); `launcher`: a
    command that runs the gateway's (which must exec it: the process is the gateway)."""
    if meta:
        extra = (*extra, "--meta", meta)
    port = free_port()
    if tls:
        cert, key = self_signed_cert(tmp)
        extra = (*extra, "--tls-cert", str(cert), "--tls-key", str(key))
    data_dir = data_dir or tmp / "data"
    tmp.mkdir(parents=True, exist_ok=True)
    log_path = tmp / "gateway.log"
    proc_env = dict(os.environ)
    proc_env.update(JUNCTION_ROOT_ACCESS_KEY=ACCESS_KEY, JUNCTION_ROOT_SECRET_KEY=SECRET_KEY)
    proc_env.update(env or {})
    log = open(log_path, "wb")
    command = [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port), "--data-dir", str(data_dir), *extra]
    process = subprocess.Popen(
        [*launcher, *command],
        cwd=ROOT,
        env=proc_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gateway exited early:\n{log_path.read_text()}")
        try:
            if requests.get(f"{url}/health", timeout=1, verify=False).status_code == 200:
                break
        except (requests.ConnectionError, requests.Timeout):  # workers still starting behind a bound port
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError(f"gateway did not become healthy:\n{log_path.read_text()}")
    return Gateway(url, port, data_dir, ACCESS_KEY, SECRET_KEY, process, log_path)


def stop_gateway(gateway: Gateway) -> None:
    gateway.process.terminate()
    try:
        gateway.process.wait(10)
    except subprocess.TimeoutExpired:
        gateway.process.kill()


@pytest.fixture(scope="session")
def gateway(tmp_path_factory, meta_engine) -> Gateway:
    gw = start_gateway(tmp_path_factory.mktemp(f"gateway-{meta_engine}"), meta=meta_url(meta_engine))
    yield gw
    stop_gateway(gw)


def boto_client(gw: Gateway, **config):
    return boto3.client(
        "s3",
        endpoint_url=gw.url,
        verify=False,
        aws_access_key_id=gw.access_key,
        aws_secret_access_key=gw.secret_key,
        region_name="us-east-1",
        config=BotoConfig(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config),
    )


@pytest.fixture(scope="session")
def s3(gateway):
    return boto_client(gateway)


@pytest.fixture
def bucket(s3) -> str:
    name = f"b-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name
