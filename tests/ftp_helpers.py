"""A gateway serving FTP (FTPS with its TLS certificate) and SFTP on loopback, and the logins
the FTP/SFTP tests use, made through seed 004's /api/ftp/* routes."""

from __future__ import annotations

import ftplib
import ssl
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import requests
from browser_helpers import XRW
from conftest import Gateway, boto_client, free_port, start_gateway

from gateway.client import NativeClient

PASSWORD = "ftp-pass-123"


@dataclass
class FtpGateway:
    gw: Gateway
    ftp_port: int
    sftp_port: int
    bucket: str
    key_file: Path  # an ed25519 private key whose public half the "keyed" login holds

    def api(self) -> requests.Session:
        return admin(self.gw)

    def s3_bytes(self, key: str) -> bytes:
        return boto_client(self.gw).get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def native_bytes(self, key: str) -> bytes:
        return NativeClient(self.gw.url, self.gw.access_key, self.gw.secret_key, verify=False).download_by_path(
            f"{self.bucket}/{key}"
        )


def admin(gw: Gateway) -> requests.Session:
    """The gateway's root signed in to the console (its access key and secret), bearer token."""
    session = requests.Session()
    session.verify = False
    session.trust_env = False  # else REQUESTS_CA_BUNDLE would override verify=False
    response = session.post(f"{gw.url}/api/auth/login", json={"username": gw.access_key, "password": gw.secret_key})
    assert response.status_code == 200, response.text
    session.headers.update({**XRW, "Authorization": f"Bearer {response.json()['token']}"})
    return session


def wait_listening(port: int, timeout: float = 20) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def start_ftp_gateway(tmp: Path, *extra: str, tls: bool = True, meta: str | None = None) -> tuple[Gateway, int, int]:
    ftp_port, sftp_port = free_port(), free_port()
    gw = start_gateway(
        tmp,
        "--ftp-port",
        str(ftp_port),
        "--sftp-port",
        str(sftp_port),
        "--workers",
        "2",
        *extra,
        tls=tls,
        meta=meta,
    )
    wait_listening(ftp_port)
    wait_listening(sftp_port)
    return gw, ftp_port, sftp_port


def make_logins(gw: Gateway, tmp: Path) -> tuple[str, Path]:
    """A bucket, and logins homed in it: writer (write), reader (read), keyed (write, SSH key)."""
    bucket = f"ftp-{uuid.uuid4().hex[:10]}"
    boto_client(gw).create_bucket(Bucket=bucket)
    key_file = tmp / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key_file)], check=True)
    public = (tmp / "id_ed25519.pub").read_text().strip()
    session = admin(gw)
    for name, permissions, extra in (
        ("writer", "write", {}),
        ("reader", "read", {}),
        ("keyed", "write", {"public_keys": [public]}),
    ):
        body = {"username": name, "password": PASSWORD, "path": bucket, "permissions": permissions, **extra}
        response = session.post(f"{gw.url}/api/ftp/create_user", json=body)
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "FTP user created"}
    return bucket, key_file


def tls_client_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def ftp(port: int, user: str = "writer", password: str = PASSWORD) -> ftplib.FTP:
    client = ftplib.FTP()
    client.connect("127.0.0.1", port, timeout=30)
    client.login(user, password)
    return client


def ftps(port: int, user: str = "writer", password: str = PASSWORD) -> ftplib.FTP_TLS:
    client = ftplib.FTP_TLS(context=tls_client_context())
    client.connect("127.0.0.1", port, timeout=30)
    client.login(user, password)  # AUTH TLS first, then USER/PASS under TLS
    client.prot_p()
    return client
