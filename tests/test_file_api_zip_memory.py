"""A folder of 300 MiB downloaded through /api/download as a zip: the archive is made while it
is sent, so the gateway's peak RSS (VmHWM) grows by far less than the folder; the archive is
checked entry by entry with zipfile against what was uploaded."""

from __future__ import annotations

import hashlib
import os
import zipfile

import pytest
from browser_helpers import admin
from conftest import boto_client, start_gateway, stop_gateway
from test_native_streaming import vm_hwm

MiB = 1024 * 1024
FILES, FILE_SIZE = 60, 5 * MiB  # 300 MiB


def reset_peak(pid: int) -> int:
    """Reset the process's peak RSS to its current RSS (Linux: clear_refs 5); return that RSS,
    so the next VmHWM is the peak of what follows, not of the uploads before."""
    with open(f"/proc/{pid}/clear_refs", "w") as refs:
        refs.write("5")
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc")
def test_300mib_folder_zip_streams_in_bounded_memory(tmp_path):
    gw = start_gateway(tmp_path / "gw", "--workers", "1")  # one process: its RSS is the one measured
    try:
        s3 = boto_client(gw)
        s3.create_bucket(Bucket="zips")
        block = os.urandom(FILE_SIZE)  # not compressible, and each file differs by its first bytes
        expected = {}
        for n in range(FILES):
            body = n.to_bytes(4, "big") + block[4:]
            s3.put_object(Bucket="zips", Key=f"big/part{n // 10}/f{n:02}.bin", Body=body)
            expected[f"part{n // 10}/f{n:02}.bin"] = hashlib.sha256(body).hexdigest()
        del body
        session = admin(gw)
        warm = session.get(f"{gw.url}/api/download", params={"file_path": "/zips/big/part0/f00.bin"})
        assert warm.status_code == 200 and len(warm.content) == FILE_SIZE
        baseline = reset_peak(gw.process.pid)

        archive_path = tmp_path / "big.zip"
        with session.get(f"{gw.url}/api/download", params={"file_path": "/zips/big"}, stream=True) as response:
            assert response.status_code == 200 and response.headers["Content-Type"] == "application/zip"
            assert "Content-Length" not in response.headers  # made while sent
            with open(archive_path, "wb") as out:
                for chunk in response.iter_content(MiB):
                    out.write(chunk)
        peak = vm_hwm(gw.process.pid)

        with zipfile.ZipFile(archive_path) as archive:
            got = {}
            for info in archive.infolist():
                digest = hashlib.sha256()
                with archive.open(info) as member:
                    while chunk := member.read(MiB):
                        digest.update(chunk)
                got[info.filename] = digest.hexdigest()
        assert got == expected
        growth = peak - baseline
        print(f"zip of {FILES * FILE_SIZE // MiB} MiB: RSS before {baseline / MiB:.1f} MiB, peak {peak / MiB:.1f} MiB")
        assert growth < 32 * MiB, f"gateway peak RSS grew by {growth / MiB:.1f} MiB for a 300 MiB folder"
    finally:
        stop_gateway(gw)
