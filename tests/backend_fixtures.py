"""Real S3 stand-ins for backend tests: moto's server as a subprocess on a loopback port.

`start_moto(tmp_path)` starts one and returns a `MotoServer` (url, stop()); the
session-scoped `moto_server` fixture shares one across a test session. Moto accepts any
credentials (it does not check signatures unless told to), so tests that need a refused
signature use another Junction instance instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config as BotoConfig
from conftest import free_port

MOTO_BIN = Path(sys.executable).parent / "moto_server"
MOTO_KEY = "motokey"
MOTO_SECRET = "motosecret"
MOTO_REGION = "us-east-1"


@dataclass
class MotoServer:
    url: str
    process: subprocess.Popen
    log_path: Path
    access_key: str = MOTO_KEY
    secret_key: str = MOTO_SECRET
    region: str = MOTO_REGION

    def client(self):
        """A boto3 S3 client for arranging test data (create buckets, inspect objects)."""
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=BotoConfig(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
        )

    def new_bucket(self) -> str:
        name = f"m-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def start_moto(tmp_path: Path) -> MotoServer:
    """Start moto_server on a free loopback port and wait until it answers."""
    if not MOTO_BIN.exists():
        pytest.skip(f"moto_server is not installed at {MOTO_BIN} (pip install 'moto[server]')")
    port = free_port()
    log_path = tmp_path / f"moto-{port}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [str(MOTO_BIN), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env
    )
    log.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited early:\n{log_path.read_text(errors='replace')}")
        try:
            requests.get(f"{url}/moto-api/", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError(f"moto_server did not start:\n{log_path.read_text(errors='replace')}")
    return MotoServer(url, process, log_path)


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory) -> MotoServer:
    server = start_moto(tmp_path_factory.mktemp("moto"))
    yield server
    server.stop()
