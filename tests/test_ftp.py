"""FTP and FTPS into the namespace (gateway/ftp/): Python's ftplib against a real gateway on
loopback; what is written over FTP reads back through S3 and the native API byte-identical."""

from __future__ import annotations

import ftplib
import io
import os
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from conftest import boto_client, stop_gateway
from ftp_helpers import PASSWORD, FtpGateway, ftp, ftps, make_logins, start_ftp_gateway


@pytest.fixture(scope="module")
def fgw(tmp_path_factory) -> FtpGateway:
    tmp = tmp_path_factory.mktemp("ftp")
    gw, ftp_port, sftp_port = start_ftp_gateway(tmp)
    bucket, key_file = make_logins(gw, tmp)
    yield FtpGateway(gw, ftp_port, sftp_port, bucket, key_file)
    stop_gateway(gw)


def stor(client: ftplib.FTP, name: str, data: bytes, rest: int | None = None) -> None:
    client.storbinary(f"STOR {name}", io.BytesIO(data), rest=rest)


def retr(client: ftplib.FTP, name: str, rest: int | None = None) -> bytes:
    out = io.BytesIO()
    client.retrbinary(f"RETR {name}", out.write, rest=rest)
    return out.getvalue()


def test_store_list_read_back_everywhere(fgw: FtpGateway) -> None:
    data = os.urandom(300_000)
    with ftp(fgw.ftp_port) as client:
        client.mkd("docs")
        client.cwd("docs")
        stor(client, "a.bin", data)
        assert client.nlst() == ["a.bin"]
        assert client.size("a.bin") == len(data)
        assert retr(client, "a.bin") == data
        assert client.sendcmd("MDTM a.bin").startswith("213 ")
    assert fgw.s3_bytes("docs/a.bin") == data
    assert fgw.native_bytes("docs/a.bin") == data


def test_ftps_explicit_tls(fgw: FtpGateway) -> None:
    data = b"under TLS\n" * 5000
    with ftps(fgw.ftp_port) as client:
        stor(client, "tls.txt", data)
        assert retr(client, "tls.txt") == data
        assert "tls.txt" in client.nlst()
    assert fgw.s3_bytes("tls.txt") == data
    assert fgw.native_bytes("tls.txt") == data


def test_rest_resumes_download_and_upload(fgw: FtpGateway) -> None:
    data = os.urandom(200_000)
    with ftp(fgw.ftp_port) as client:
        stor(client, "resume.bin", data[:70_000])
        assert retr(client, "resume.bin", rest=1000) == data[1000:70_000]
        stor(client, "resume.bin", data[70_000:], rest=70_000)  # REST 70000 + STOR: the rest of it
        assert client.size("resume.bin") == len(data)
        client.storbinary("APPE resume.bin", io.BytesIO(b"tail"))
    assert fgw.s3_bytes("resume.bin") == data + b"tail"


def test_rename_is_a_move_and_delete(fgw: FtpGateway) -> None:
    with ftp(fgw.ftp_port) as client:
        client.mkd("old")
        stor(client, "old/x.txt", b"x")
        stor(client, "old/y.txt", b"y")
        client.rename("old", "new")
        assert sorted(client.nlst("new")) == ["x.txt", "y.txt"]
        client.rename("new/x.txt", "z.txt")
        client.delete("new/y.txt")
        client.rmd("new")
        with pytest.raises(ftplib.error_perm):
            client.size("old/x.txt")
    assert fgw.s3_bytes("z.txt") == b"x"


def test_read_only_login_refused_writes(fgw: FtpGateway) -> None:
    with ftp(fgw.ftp_port) as client:
        stor(client, "seen.txt", b"visible")
    with ftp(fgw.ftp_port, "reader") as client:
        assert retr(client, "seen.txt") == b"visible"
        with pytest.raises(ftplib.error_perm, match="^550"):
            stor(client, "nope.txt", b"no")
        with pytest.raises(ftplib.error_perm, match="^550"):
            client.delete("seen.txt")
        with pytest.raises(ftplib.error_perm, match="^550"):
            client.mkd("nodir")
    with pytest.raises(ClientError, match="NoSuchKey"):
        fgw.s3_bytes("nope.txt")
    assert fgw.s3_bytes("seen.txt") == b"visible"


def test_wrong_password_refused(fgw: FtpGateway) -> None:
    with pytest.raises(ftplib.error_perm, match="^530"):
        ftp(fgw.ftp_port, "writer", PASSWORD + "x")
    with pytest.raises(ftplib.error_perm, match="^530"):
        ftp(fgw.ftp_port, "nobody", PASSWORD)


def test_home_is_the_root(fgw: FtpGateway) -> None:
    """A login homed in a bucket sees that bucket as `/` and cannot climb out of it."""
    with ftp(fgw.ftp_port) as client:
        stor(client, "top.txt", b"top")
        client.cwd("/../..")
        assert client.pwd() == "/"
        assert "top.txt" in client.nlst()


def test_changes_are_in_the_audit_log(fgw: FtpGateway) -> None:
    """One entry per change, as for HTTP requests: front end, who, what, where, the outcome."""
    with ftp(fgw.ftp_port) as client:
        stor(client, "audited.txt", b"12345")
    with ftp(fgw.ftp_port, "reader") as client, pytest.raises(ftplib.error_perm):
        stor(client, "refused.txt", b"no")
    deadline = time.monotonic() + 10
    while True:
        entries = fgw.api().get(f"{fgw.gw.url}/api/logs", params={"frontEnd": "ftp", "limit": 100}).json()["logs"]
        stored = [e for e in entries if e["method"] == "STOR" and e["resource"].endswith("audited.txt")]
        refused = [e for e in entries if e["resource"].endswith("refused.txt")]
        if (stored and refused) or time.monotonic() > deadline:  # entries are written in batches
            break
        time.sleep(0.3)
    assert stored, entries
    assert stored[0]["user"] == "writer" and stored[0]["result"] == 200 and stored[0]["size"] == 5
    assert "s3:PutObject" in stored[0]["action"]
    assert stored[0]["accessKey"] == "ftp:writer"
    assert refused and refused[0]["result"] == 403 and refused[0]["user"] == "reader"


def test_writes_are_object_writes_versions_apply(fgw: FtpGateway) -> None:
    """Each STOR is one object write: in a versioned bucket, overwrites keep the old version and
    DELE leaves a delete marker, exactly as S3 PUT and DELETE do."""
    bucket = f"ver-{uuid.uuid4().hex[:10]}"
    s3 = boto_client(fgw.gw)
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    body = {"username": f"v{bucket[4:]}", "password": PASSWORD, "path": bucket, "permissions": "write"}
    assert fgw.api().post(f"{fgw.gw.url}/api/ftp/create_user", json=body).status_code == 200
    with ftp(fgw.ftp_port, body["username"]) as client:
        stor(client, "a.txt", b"first")
        stor(client, "a.txt", b"second")
        client.delete("a.txt")
    listed = s3.list_object_versions(Bucket=bucket, Prefix="a.txt")
    assert sorted(v["Size"] for v in listed["Versions"]) == [5, 6]
    assert len(listed["DeleteMarkers"]) == 1 and listed["DeleteMarkers"][0]["IsLatest"]
    older = [v for v in listed["Versions"] if v["Size"] == 6][0]
    assert s3.get_object(Bucket=bucket, Key="a.txt", VersionId=older["VersionId"])["Body"].read() == b"second"


def test_log_has_no_server_errors(fgw: FtpGateway) -> None:
    """Everything above (refusals, hang-ups, wrong passwords) is the client's: no error lines."""
    logs = fgw.gw.logs()
    errors = [line for line in logs.splitlines() if '"level": "error"' in line]
    assert errors == []
    assert PASSWORD not in logs  # no sign-in's secret is ever logged
