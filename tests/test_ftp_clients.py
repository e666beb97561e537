"""Command-line clients against the FTP and SFTP servers: lftp (FTP and FTPS) and rclone's
ftp and sftp backends doing copy, sync and check of a 1,000-file tree. Everything they write
reads back through S3 byte-identical."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest
from client_helpers import require_program
from conftest import boto_client, stop_gateway
from ftp_helpers import PASSWORD, FtpGateway, make_logins, start_ftp_gateway

TREE_FILES = 1000


@pytest.fixture(scope="module")
def fgw(tmp_path_factory) -> FtpGateway:
    tmp = tmp_path_factory.mktemp("ftp-clients")
    gw, ftp_port, sftp_port = start_ftp_gateway(tmp, "--ftp-passive-ports", passive_range())
    bucket, key_file = make_logins(gw, tmp)
    yield FtpGateway(gw, ftp_port, sftp_port, bucket, key_file)
    stop_gateway(gw)


def passive_range() -> str:
    """40 ports somewhere in the upper range (the server skips any another process holds)."""
    base = 40000 + (os.getpid() * 97) % 20000
    return f"{base}-{base + 39}"


def lftp(fgw: FtpGateway, script: str, *, tls: bool) -> subprocess.CompletedProcess[str]:
    settings = (
        "set ftp:ssl-force true; set ftp:ssl-protect-data true; set ssl:verify-certificate no;"
        if tls
        else "set ftp:ssl-allow no;"
    )
    return subprocess.run(
        [
            require_program("lftp"),
            "-u",
            f"writer,{PASSWORD}",
            "-p",
            str(fgw.ftp_port),
            "-e",
            f"set net:max-retries 1; set net:timeout 20; {settings} {script}; bye",
            "127.0.0.1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("tls", [False, True], ids=["ftp", "ftps"])
def test_lftp_put_mirror_get(fgw: FtpGateway, tmp_path: Path, tls: bool) -> None:
    name = "lftps" if tls else "lftp"
    data = os.urandom(1_500_000)
    (tmp_path / "one.bin").write_bytes(data)
    tree = tmp_path / "tree"
    for i in range(5):
        (tree / f"d{i % 2}").mkdir(parents=True, exist_ok=True)
        (tree / f"d{i % 2}" / f"f{i}.txt").write_text(f"file {i}\n" * (i + 1))
    done = lftp(
        fgw,
        f"mkdir {name}; put {tmp_path / 'one.bin'} -o {name}/one.bin; mirror -R {tree} {name}/tree; "
        f"cls -l {name}; get {name}/one.bin -o {tmp_path / 'back.bin'}",
        tls=tls,
    )
    assert done.returncode == 0, done.stderr
    assert "one.bin" in done.stdout
    assert (tmp_path / "back.bin").read_bytes() == data
    s3 = boto_client(fgw.gw)
    assert s3.get_object(Bucket=fgw.bucket, Key=f"{name}/one.bin")["Body"].read() == data
    for path in tree.rglob("*.txt"):
        key = f"{name}/tree/{path.relative_to(tree).as_posix()}"
        assert s3.get_object(Bucket=fgw.bucket, Key=key)["Body"].read() == path.read_bytes()


def make_tree(root: Path, count: int) -> None:
    for i in range(count):
        folder = root / f"dir{i % 10}" / f"sub{i % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"file-{i:04d}.txt").write_bytes(hashlib.sha256(str(i).encode()).hexdigest().encode() * (1 + i % 5))


def rclone(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([require_program("rclone"), *args], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"rclone {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    assert " ERROR : " not in proc.stderr, proc.stderr
    return proc


@pytest.fixture(scope="module")
def rclone_env(fgw: FtpGateway, tmp_path_factory) -> dict[str, str]:
    config = tmp_path_factory.mktemp("rclone") / "rclone.conf"
    config.write_text("")
    obscured = subprocess.run(
        [require_program("rclone"), "obscure", PASSWORD], capture_output=True, text=True, check=True
    ).stdout.strip()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RCLONE_")}
    env.update(
        RCLONE_CONFIG=str(config),
        RCLONE_CONFIG_F_TYPE="ftp",
        RCLONE_CONFIG_F_HOST="127.0.0.1",
        RCLONE_CONFIG_F_PORT=str(fgw.ftp_port),
        RCLONE_CONFIG_F_USER="writer",
        RCLONE_CONFIG_F_PASS=obscured,
        RCLONE_CONFIG_F_CONCURRENCY="4",
        RCLONE_CONFIG_S_TYPE="sftp",
        RCLONE_CONFIG_S_HOST="127.0.0.1",
        RCLONE_CONFIG_S_PORT=str(fgw.sftp_port),
        RCLONE_CONFIG_S_USER="keyed",
        RCLONE_CONFIG_S_KEY_FILE=str(fgw.key_file),
        RCLONE_CONFIG_S_KNOWN_HOSTS_FILE="",
        RCLONE_CONFIG_S_DISABLE_HASHCHECK="true",
        RCLONE_CONFIG_S_SHELL_TYPE="none",
    )
    return env


@pytest.mark.parametrize("remote", ["F", "S"], ids=["ftp", "sftp"])
def test_rclone_copy_sync_check_a_tree(
    fgw: FtpGateway, rclone_env: dict[str, str], tmp_path: Path, remote: str
) -> None:
    tree = tmp_path / "tree"
    make_tree(tree, TREE_FILES)
    target = f"{remote}:rc-{remote.lower()}"
    rclone(rclone_env, "copy", str(tree), target, "--transfers", "8", "--checkers", "8")
    rclone(rclone_env, "check", str(tree), target, "--download", "--checkers", "8")
    # change the tree: one file grows, one is deleted, one is new; sync makes the remote match
    (tree / "dir0" / "sub0" / "file-0000.txt").write_bytes(b"changed and longer than before" * 10)
    (tree / "dir1" / "sub1" / "file-0001.txt").unlink()
    (tree / "dir9" / "new.txt").write_bytes(b"new")
    rclone(rclone_env, "sync", str(tree), target, "--transfers", "8", "--checkers", "8")
    rclone(rclone_env, "check", str(tree), target, "--download", "--checkers", "8")
    # the modification times rclone set (MFMT, SFTP setstat) are kept: a second sync copies nothing
    again = rclone(rclone_env, "sync", str(tree), target, "-v", "--checkers", "8")
    assert "Copied" not in again.stderr, again.stderr
    s3 = boto_client(fgw.gw)
    prefix = f"rc-{remote.lower()}/"
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=fgw.bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", []) if not o["Key"].endswith("/")]
    local = sorted(f"{prefix}{p.relative_to(tree).as_posix()}" for p in tree.rglob("*") if p.is_file())
    assert sorted(keys) == local
    for key in (f"{prefix}dir0/sub0/file-0000.txt", f"{prefix}dir9/new.txt", f"{prefix}dir3/sub3/file-0003.txt"):
        path = tree / key[len(prefix) :]
        assert s3.get_object(Bucket=fgw.bucket, Key=key)["Body"].read() == path.read_bytes()


def test_log_has_no_server_errors(fgw: FtpGateway) -> None:
    errors = [line for line in fgw.gw.logs().splitlines() if '"level": "error"' in line]
    assert errors == []
