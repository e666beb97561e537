"""A 300 MiB file up and down through FTP, FTPS and SFTP with one gateway process, whose peak
RSS (VmHWM, reset before each run) is measured: uploads stream into objects and downloads out
of them, so the peak grows by a bounded amount, not by the file. Each file is read back through
S3 and hashed against what was sent. Figures: README "FTP and SFTP". About 45 s with the
300 MiB file made: run by `make conformance` (JUNCTION_FTP_BIG=1), skipped by `make test`."""

from __future__ import annotations

import asyncio
import ftplib
import hashlib
import os
import time
from pathlib import Path

import asyncssh
import pytest
from conftest import boto_client, stop_gateway
from ftp_helpers import PASSWORD, FtpGateway, ftp, ftps, make_logins, start_ftp_gateway
from test_file_api_zip_memory import reset_peak
from test_native_streaming import vm_hwm

MiB = 1024 * 1024
SIZE = 300 * MiB
PEAK_GROWTH_LIMIT = 64 * MiB  # far below the file: what streaming means here


@pytest.fixture(scope="module")
def fgw(tmp_path_factory) -> FtpGateway:
    tmp = tmp_path_factory.mktemp("ftp-big")
    gw, ftp_port, sftp_port = start_ftp_gateway(tmp, "--workers", "1")  # one process: its RSS is measured
    bucket, key_file = make_logins(gw, tmp)
    yield FtpGateway(gw, ftp_port, sftp_port, bucket, key_file)
    stop_gateway(gw)


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("big") / "big.bin"
    digest = hashlib.sha256()
    block = os.urandom(MiB)
    with open(path, "wb") as out:
        for n in range(SIZE // MiB):
            chunk = n.to_bytes(4, "big") + block[4:]
            digest.update(chunk)
            out.write(chunk)
    return path, digest.hexdigest()


def s3_sha256(fgw: FtpGateway, key: str) -> str:
    digest = hashlib.sha256()
    body = boto_client(fgw.gw).get_object(Bucket=fgw.bucket, Key=key)["Body"]
    for chunk in iter(lambda: body.read(MiB), b""):
        digest.update(chunk)
    return digest.hexdigest()


def measured(fgw: FtpGateway, run) -> tuple[float, float]:
    """(peak RSS growth in MiB, seconds) of `run`."""
    baseline = reset_peak(fgw.gw.process.pid)
    started = time.monotonic()
    run()
    return (vm_hwm(fgw.gw.process.pid) - baseline) / MiB, time.monotonic() - started


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc")
@pytest.mark.skipif(os.environ.get("JUNCTION_FTP_BIG") != "1", reason="make conformance runs it (JUNCTION_FTP_BIG=1)")
@pytest.mark.parametrize("protocol", ["ftp", "ftps", "sftp"])
def test_300mib_through_each_protocol(fgw: FtpGateway, big_file: tuple[Path, str], protocol: str) -> None:
    path, expected = big_file
    name = f"big-{protocol}.bin"
    downloaded = hashlib.sha256()

    if protocol in ("ftp", "ftps"):
        client = ftps(fgw.ftp_port) if protocol == "ftps" else ftp(fgw.ftp_port)

        def upload() -> None:
            with open(path, "rb") as fh:
                client.storbinary(f"STOR {name}", fh, blocksize=256 * 1024)

        def download() -> None:
            client.retrbinary(f"RETR {name}", downloaded.update, blocksize=256 * 1024)

        up, down = measured(fgw, upload), measured(fgw, download)
        client.quit()
    else:

        def sftp(action: str) -> None:
            async def run() -> None:
                async with (
                    asyncssh.connect(
                        "127.0.0.1",
                        fgw.sftp_port,
                        username="writer",
                        password=PASSWORD,
                        known_hosts=None,
                        client_keys=None,
                    ) as conn,
                    conn.start_sftp_client() as client,
                ):
                    if action == "put":
                        await client.put(str(path), name)
                        return
                    async with client.open(name, "rb") as fh:
                        while chunk := await fh.read(MiB):
                            downloaded.update(chunk)

            asyncio.run(run())

        up, down = measured(fgw, lambda: sftp("put")), measured(fgw, lambda: sftp("get"))
    print(
        f"\n{protocol}: 300 MiB up in {up[1]:.1f} s (peak RSS +{up[0]:.1f} MiB), "
        f"down in {down[1]:.1f} s (peak RSS +{down[0]:.1f} MiB)"
    )
    assert downloaded.hexdigest() == expected
    assert s3_sha256(fgw, name) == expected
    assert max(up[0], down[0]) < PEAK_GROWTH_LIMIT / MiB
