"""The data dir is private to the gateway's user, and stored access-key secrets are sealed.

Each test starts its own gateway (modes and start-up warnings are per data dir).
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError
from conftest import ROOT, SECRET_KEY, boto_client, start_gateway, stop_gateway


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def warnings(gw) -> list[dict]:
    lines = [json.loads(line) for line in gw.logs().splitlines() if line.startswith("{")]
    return [entry for entry in lines if entry["level"] == "warning" and "readable by other" in entry["msg"]]


def client_for(gw, access_key: str, secret_key: str):
    return boto3.client(
        "s3",
        endpoint_url=gw.url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name="us-east-1",
        config=BotoConfig(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


@pytest.fixture
def loose_umask():
    """The harness's own umask is irrelevant: the gateway applies its configured one (077)."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_fresh_data_dir_is_private(tmp_path, loose_umask):
    gw = start_gateway(tmp_path, env={"JUNCTION_ROOT_ACCESS_KEY": "", "JUNCTION_ROOT_SECRET_KEY": ""})
    try:
        creds = json.loads((gw.data_dir / "root-credentials.json").read_text())
        s3 = client_for(gw, creds["access_key"], creds["secret_key"])
        s3.create_bucket(Bucket="modes")
        s3.put_object(Bucket="modes", Key="dir/file.txt", Body=b"private bytes")
        data = gw.data_dir
        assert mode(data) == 0o700
        for name in ("meta.sqlite3", "meta.sqlite3-wal", "meta.sqlite3-shm", "secrets.key", "root-credentials.json"):
            assert mode(data / name) == 0o600, name
        blob_files = [p for p in (data / "blobs").rglob("*") if p.is_file()]
        blob_dirs = [p for p in (data / "blobs").rglob("*") if p.is_dir()]
        assert blob_files and blob_dirs
        assert {mode(p) for p in blob_files} == {0o600}
        assert {mode(p) for p in [data / "blobs", *blob_dirs]} == {0o700}
        assert warnings(gw) == []
    finally:
        stop_gateway(gw)


def test_stored_secrets_are_sealed(tmp_path):
    gw = start_gateway(tmp_path)
    try:
        boto_client(gw).create_bucket(Bucket="sealed")
        conn = sqlite3.connect(gw.data_dir / "meta.sqlite3")
        try:
            rows = conn.execute("SELECT access_key, secret_key FROM credentials").fetchall()
        finally:
            conn.close()
        assert [r[0] for r in rows] == [gw.access_key]
        stored = rows[0][1]
        assert stored.startswith("fernet:") and SECRET_KEY not in stored
        for name in ("meta.sqlite3", "meta.sqlite3-wal"):  # not in any page, current or old
            assert SECRET_KEY.encode() not in (gw.data_dir / name).read_bytes()
    finally:
        stop_gateway(gw)


def test_plain_secret_of_an_old_db_is_sealed_at_start_and_still_works(tmp_path):
    gw = start_gateway(tmp_path)
    stop_gateway(gw)
    access, secret = "OLDADMINKEY0001", "old/plain+secret/0123456789"
    conn = sqlite3.connect(gw.data_dir / "meta.sqlite3")
    with conn:  # what an earlier version wrote: the secret as is
        conn.execute(
            "INSERT INTO credentials (access_key, secret_key, kind, created) VALUES (?, ?, 'admin', ?)",
            (access, secret, time.time()),
        )
    conn.close()
    gw = start_gateway(tmp_path)
    try:
        conn = sqlite3.connect(gw.data_dir / "meta.sqlite3")
        try:
            (stored,) = conn.execute("SELECT secret_key FROM credentials WHERE access_key = ?", (access,)).fetchone()
        finally:
            conn.close()
        assert stored.startswith("fernet:") and secret not in stored
        s3 = client_for(gw, access, secret)
        s3.create_bucket(Bucket="migrated")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["migrated"]
        with pytest.raises(s3.exceptions.ClientError) as err:
            client_for(gw, access, "wrong-secret").list_buckets()
        assert err.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    finally:
        stop_gateway(gw)


def test_warns_once_when_the_data_dir_is_readable_by_others(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    os.chmod(data, 0o755)
    gw = start_gateway(tmp_path)
    try:
        found = warnings(gw)
        assert len(found) == 1
        assert "0755" in found[0]["msg"] and str(data) in found[0]["msg"]
        assert mode(data) == 0o755  # an operator's choice is reported, not silently changed
    finally:
        stop_gateway(gw)


def test_a_lost_secrets_key_is_reported_at_start(tmp_path):
    gw = start_gateway(tmp_path)
    out = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "admin", "--data-dir", str(gw.data_dir), "create-key"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    access, secret = out.split("access key: ")[1].split()[0], out.split("secret key: ")[1].split()[0]
    assert [b["Name"] for b in client_for(gw, access, secret).list_buckets()["Buckets"]] == []
    stop_gateway(gw)
    (gw.data_dir / "secrets.key").unlink()  # a restore that forgot the key file
    gw = start_gateway(tmp_path)
    try:
        deadline = time.monotonic() + 10  # the first worker logs it; another may have answered /health first
        while True:
            lines = [json.loads(line) for line in gw.logs().splitlines() if line.startswith("{")]
            errors = [e for e in lines if e["level"] == "error" and "cannot authenticate" in e["msg"]]
            if errors or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert len(errors) == 1 and access in errors[0]["msg"] and secret not in gw.logs()
        assert boto_client(gw).list_buckets()["Buckets"] == []  # root is re-sealed at every start
        with pytest.raises(ClientError) as err:  # the server's fault (its key is gone), said as such
            client_for(gw, access, secret).list_buckets()
        assert err.value.response["Error"]["Code"] == "InternalError"
    finally:
        stop_gateway(gw)
