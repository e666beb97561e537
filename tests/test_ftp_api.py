"""Seed 004's /api/ftp/*: create, list, edit, delete FTP logins (admin only, passwords never
returned) and start/stop the servers, checked with real FTP and SFTP sign-ins."""

from __future__ import annotations

import ftplib
import io
import time
import uuid

import pytest
from browser_helpers import make_user
from conftest import boto_client, meta_url, stop_gateway
from ftp_helpers import PASSWORD, FtpGateway, admin, ftp, make_logins, start_ftp_gateway

from gateway.client import NativeClient

BOTH_ENGINES = True  # ftp_users and the on/off switch are SQL of both engines


@pytest.fixture(scope="module")
def fgw(tmp_path_factory, meta_engine) -> FtpGateway:
    tmp = tmp_path_factory.mktemp(f"ftp-api-{meta_engine}")
    gw, ftp_port, sftp_port = start_ftp_gateway(tmp, tls=False, meta=meta_url(meta_engine))
    bucket, key_file = make_logins(gw, tmp)
    yield FtpGateway(gw, ftp_port, sftp_port, bucket, key_file)
    stop_gateway(gw)


def post(fgw: FtpGateway, route: str, body: dict | None = None):
    return admin(fgw.gw).post(f"{fgw.gw.url}/api/ftp/{route}", json=body or {})


def test_get_users_never_shows_a_password(fgw: FtpGateway) -> None:
    response = admin(fgw.gw).get(f"{fgw.gw.url}/api/ftp/get_users")
    assert response.status_code == 200
    users = {u["username"]: u for u in response.json()}
    assert {"writer", "reader", "keyed"} <= set(users)
    assert users["reader"]["permissions"] == "read" and users["reader"]["path"] == fgw.bucket
    assert len(users["keyed"]["public_keys"]) == 1
    assert all("password" not in u for u in users.values())
    assert PASSWORD not in response.text


def test_passwords_are_hashed_at_rest(fgw: FtpGateway) -> None:
    from conftest import metadata_bytes

    assert PASSWORD.encode() not in metadata_bytes(fgw.gw)


def test_create_refusals_in_the_documents_shapes(fgw: FtpGateway) -> None:
    missing = post(fgw, "create_user", {"username": "x1"})
    assert missing.status_code == 400
    assert missing.json()["error"] == "No username, password or permissions provided"
    nowhere = post(
        fgw, "create_user", {"username": "x2", "password": PASSWORD, "path": "no-such-bucket-x", "permissions": "read"}
    )
    assert nowhere.status_code == 404 and nowhere.json()["error"] == "Path does not exist"
    twice = post(
        fgw, "create_user", {"username": "writer", "password": PASSWORD, "path": fgw.bucket, "permissions": "r"}
    )
    assert twice.status_code == 409


def test_edit_password_and_permissions_then_delete(fgw: FtpGateway) -> None:
    name = f"e{uuid.uuid4().hex[:8]}"
    body = {"username": name, "password": PASSWORD, "path": f"{fgw.bucket}/sub", "permissions": "read"}
    assert post(fgw, "create_user", body).json() == {"status": "FTP user created"}
    with ftp(fgw.ftp_port, name) as client, pytest.raises(ftplib.error_perm, match="^550"):
        client.storbinary("STOR a.txt", io.BytesIO(b"a"))
    edited = post(fgw, "edit_user", {"username": name, "password": "new-password-1", "permissions": "write"})
    assert edited.json() == {"status": "FTP user edited"}
    with pytest.raises(ftplib.error_perm, match="^530"):
        ftp(fgw.ftp_port, name, PASSWORD)
    with ftp(fgw.ftp_port, name, "new-password-1") as client:
        client.storbinary("STOR a.txt", io.BytesIO(b"in the home"))
    assert boto_client(fgw.gw).get_object(Bucket=fgw.bucket, Key="sub/a.txt")["Body"].read() == b"in the home"
    assert post(fgw, "edit_user", {"username": "no-such-login"}).status_code == 404
    assert post(fgw, "edit_user", {}).json()["error"] == "No username provided"
    assert post(fgw, "delete_user", {"username": name}).json() == {"status": "FTP user deleted"}
    with pytest.raises(ftplib.error_perm, match="^530"):
        ftp(fgw.ftp_port, name, "new-password-1")


def test_a_login_linked_to_a_user_has_that_users_rules(fgw: FtpGateway) -> None:
    """The per-path rules of the identity engine decide, exactly as for the user's S3 keys."""
    user = f"u{uuid.uuid4().hex[:8]}"
    rules = [
        {"bucket": fgw.bucket, "prefix": "open/", "access": "read"},
        {"bucket": fgw.bucket, "prefix": "open/", "access": "write"},
        {"bucket": fgw.bucket, "prefix": "shut/", "access": "read"},
    ]
    make_user(fgw.gw, user, "user-password-1", rules=rules)
    login = f"l{uuid.uuid4().hex[:8]}"
    created = post(fgw, "create_user", {"username": login, "password": PASSWORD, "permissions": "write", "user": user})
    assert created.status_code == 200, created.text
    with ftp(fgw.ftp_port, login) as client:
        client.cwd(f"/{fgw.bucket}/open")
        client.storbinary("STOR ok.txt", io.BytesIO(b"ok"))
        with pytest.raises(ftplib.error_perm, match="^550"):
            client.storbinary(f"STOR /{fgw.bucket}/shut/no.txt", io.BytesIO(b"no"))
        assert fgw.bucket in client.nlst("/")
    key = NativeClient(fgw.gw.url, fgw.gw.access_key, fgw.gw.secret_key).download_by_path(f"{fgw.bucket}/open/ok.txt")
    assert key == b"ok"


def test_not_for_non_admins(fgw: FtpGateway) -> None:
    import requests

    make_user(fgw.gw, "plain-user", "plain-password-1")
    session = requests.Session()
    token = session.post(
        f"{fgw.gw.url}/api/auth/login", json={"username": "plain-user", "password": "plain-password-1"}
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert session.get(f"{fgw.gw.url}/api/ftp/get_users", headers=headers).status_code == 403
    assert session.post(f"{fgw.gw.url}/api/ftp/stop", headers=headers).status_code == 403
    assert requests.get(f"{fgw.gw.url}/api/ftp/get_users").status_code == 401


def test_stop_and_start(fgw: FtpGateway) -> None:
    assert post(fgw, "stop").json() == {"status": "FTP server stopped"}
    with pytest.raises(OSError):
        ftp(fgw.ftp_port)
    again = post(fgw, "stop")
    assert again.status_code == 400 and again.json()["error"] == "FTP server is not running"
    assert post(fgw, "start").json() == {"status": "FTP server started"}
    deadline = time.monotonic() + 10
    while True:
        try:
            with ftp(fgw.ftp_port) as client:
                assert client.pwd() == "/"
            break
        except OSError:
            assert time.monotonic() < deadline
            time.sleep(0.2)


def test_hostile_command_lines_close_the_session_quietly(fgw: FtpGateway) -> None:
    import socket

    for line in (b"USER " + b"x" * 200_000 + b"\r\n", b"USER \xff\xfe\r\n"):
        with socket.create_connection(("127.0.0.1", fgw.ftp_port), timeout=10) as sock:
            assert sock.recv(100).startswith(b"220")
            sock.sendall(line)
            sock.settimeout(10)
            try:
                while sock.recv(65536):
                    pass
            except ConnectionResetError:
                pass
    with ftp(fgw.ftp_port) as client:  # the server goes on
        assert client.pwd() == "/"


def test_failed_sign_ins_are_limited(fgw: FtpGateway) -> None:
    """Runs late in this module: its gateway refuses this address's sign-ins for a minute after."""
    for _ in range(5):
        with pytest.raises(ftplib.error_perm, match="^530"):
            ftp(fgw.ftp_port, "writer", "wrong-password-x")
    with pytest.raises(ftplib.error_perm, match="^530"):
        ftp(fgw.ftp_port, "writer", PASSWORD)  # the right password, refused while the address waits


def test_log_has_no_server_errors(fgw: FtpGateway) -> None:
    logs = fgw.gw.logs()
    errors = [line for line in logs.splitlines() if '"level": "error"' in line]
    assert errors == []
    assert PASSWORD not in logs  # no sign-in's secret is ever logged
