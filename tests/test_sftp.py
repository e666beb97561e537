"""SFTP into the namespace (gateway/ftp/sftp_server.py) with three clients: asyncssh, paramiko
and OpenSSH's sftp in batch mode with a key; what they write reads back through S3 and the
native API byte-identical, and a read-only login is refused every write."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import asyncssh
import paramiko
import pytest
from conftest import stop_gateway
from ftp_helpers import PASSWORD, FtpGateway, make_logins, start_ftp_gateway


@pytest.fixture(scope="module")
def fgw(tmp_path_factory) -> FtpGateway:
    tmp = tmp_path_factory.mktemp("sftp")
    gw, ftp_port, sftp_port = start_ftp_gateway(tmp)
    bucket, key_file = make_logins(gw, tmp)
    yield FtpGateway(gw, ftp_port, sftp_port, bucket, key_file)
    stop_gateway(gw)


def connect(fgw: FtpGateway, user: str = "writer", **kwargs):
    return asyncssh.connect(
        "127.0.0.1", fgw.sftp_port, username=user, password=PASSWORD, known_hosts=None, client_keys=None, **kwargs
    )


def test_asyncssh_put_list_get_rename_remove(fgw: FtpGateway, tmp_path: Path) -> None:
    data = os.urandom(1_000_000)
    (tmp_path / "up.bin").write_bytes(data)

    async def run() -> None:
        async with connect(fgw) as conn, conn.start_sftp_client() as sftp:
            await sftp.mkdir("in")
            await sftp.put(str(tmp_path / "up.bin"), "in/up.bin")
            assert await sftp.listdir("in") == ["up.bin"]
            assert (await sftp.stat("in/up.bin")).size == len(data)
            await sftp.get("in/up.bin", str(tmp_path / "down.bin"))
            async with sftp.open("in/up.bin", "rb") as fh:  # a read from an offset
                await fh.seek(500_000)
                assert await fh.read(1000) == data[500_000:501_000]
            await sftp.rename("in/up.bin", "in/moved.bin")
            await sftp.put(str(tmp_path / "up.bin"), "gone.bin")
            await sftp.remove("gone.bin")
            assert not await sftp.exists("gone.bin")

    asyncio.run(run())
    assert (tmp_path / "down.bin").read_bytes() == data
    assert fgw.s3_bytes("in/moved.bin") == data
    assert fgw.native_bytes("in/moved.bin") == data


def test_paramiko_client(fgw: FtpGateway) -> None:
    data = os.urandom(300_000)
    transport = paramiko.Transport(("127.0.0.1", fgw.sftp_port))
    transport.connect(username="writer", password=PASSWORD)
    sftp = paramiko.SFTPClient.from_transport(transport)
    assert sftp is not None
    try:
        with sftp.open("para.bin", "wb") as fh:
            fh.set_pipelined(True)
            fh.write(data)
        with sftp.open("para.bin", "rb") as fh:
            assert fh.read() == data
        assert "para.bin" in sftp.listdir(".")
    finally:
        sftp.close()
        transport.close()
    assert fgw.s3_bytes("para.bin") == data
    assert fgw.native_bytes("para.bin") == data


def openssh_batch(fgw: FtpGateway, user: str, commands: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    batch = tmp / f"batch-{user}"
    batch.write_text(commands)
    return subprocess.run(
        [
            "sftp",
            "-b",
            str(batch),
            "-i",
            str(fgw.key_file),
            "-P",
            str(fgw.sftp_port),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            f"UserKnownHostsFile={tmp / 'known_hosts'}",
            "-o",
            "BatchMode=yes",
            "-o",
            "PasswordAuthentication=no",
            f"{user}@127.0.0.1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_openssh_sftp_with_a_key(fgw: FtpGateway, tmp_path: Path) -> None:
    data = os.urandom(700_000)
    (tmp_path / "o.bin").write_bytes(data)
    done = openssh_batch(
        fgw,
        "keyed",
        f"mkdir ossh\nput {tmp_path / 'o.bin'} ossh/o.bin\nls -l ossh\nget ossh/o.bin {tmp_path / 'back.bin'}\n",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "back.bin").read_bytes() == data
    assert fgw.s3_bytes("ossh/o.bin") == data
    assert fgw.native_bytes("ossh/o.bin") == data


def test_a_key_not_on_the_login_is_refused(fgw: FtpGateway, tmp_path: Path) -> None:
    done = openssh_batch(fgw, "writer", "ls\n", tmp_path)  # writer holds no key
    assert done.returncode != 0
    assert "Permission denied" in done.stderr


def test_read_only_login_refused_writes(fgw: FtpGateway, tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_bytes(b"readable")

    async def run() -> None:
        async with connect(fgw) as conn, conn.start_sftp_client() as sftp:
            await sftp.put(str(tmp_path / "r.txt"), "ro.txt")
        async with connect(fgw, "reader") as conn, conn.start_sftp_client() as sftp:
            async with sftp.open("ro.txt", "rb") as fh:
                assert await fh.read() == b"readable"
            with pytest.raises(asyncssh.SFTPPermissionDenied):
                await sftp.put(str(tmp_path / "r.txt"), "no.txt")
            with pytest.raises(asyncssh.SFTPPermissionDenied):
                await sftp.remove("ro.txt")
            with pytest.raises(asyncssh.SFTPPermissionDenied):
                await sftp.mkdir("nodir")
            with pytest.raises(asyncssh.SFTPPermissionDenied):
                await sftp.rename("ro.txt", "moved.txt")

    asyncio.run(run())
    assert fgw.s3_bytes("ro.txt") == b"readable"


def test_wrong_password_refused(fgw: FtpGateway) -> None:
    async def run() -> None:
        with pytest.raises(asyncssh.PermissionDenied):
            async with asyncssh.connect(
                "127.0.0.1",
                fgw.sftp_port,
                username="writer",
                password="wrong-password",
                known_hosts=None,
                client_keys=None,
            ):
                pass

    asyncio.run(run())


@pytest.mark.parametrize("version", [3, 6])
def test_nothing_reaches_the_local_file_system(fgw: FtpGateway, tmp_path: Path, version: int) -> None:
    """asyncssh's SFTPServer defaults open local files (v5/v6 opens, links, statvfs): every one
    is answered from the namespace or refused."""
    (tmp_path / "v.txt").write_bytes(b"versioned open")

    async def run() -> None:
        async with connect(fgw) as conn, conn.start_sftp_client(sftp_version=version) as sftp:
            for path in ("/etc/passwd", "../../../../etc/passwd", str(fgw.gw.data_dir / "secrets.key")):
                with pytest.raises(asyncssh.SFTPNoSuchFile):
                    await sftp.open(path, "rb")
            with pytest.raises((asyncssh.SFTPOpUnsupported, asyncssh.SFTPFailure)):
                await sftp.symlink("/etc/passwd", "link")
            with pytest.raises((asyncssh.SFTPOpUnsupported, asyncssh.SFTPFailure)):
                await sftp.statvfs(".")
            await sftp.put(str(tmp_path / "v.txt"), f"v{version}.txt")
            async with sftp.open(f"v{version}.txt", "rb") as fh:
                assert await fh.read() == b"versioned open"

    asyncio.run(run())
    assert fgw.s3_bytes(f"v{version}.txt") == b"versioned open"
    assert not (Path.cwd() / "link").exists()


def test_host_key_is_private(fgw: FtpGateway) -> None:
    key = fgw.gw.data_dir / "ssh_host_ed25519_key"
    assert key.stat().st_mode & 0o777 == 0o600


def test_log_has_no_server_errors(fgw: FtpGateway) -> None:
    logs = fgw.gw.logs()
    errors = [line for line in logs.splitlines() if '"level": "error"' in line]
    assert errors == []
    assert PASSWORD not in logs  # no sign-in's secret is ever logged
