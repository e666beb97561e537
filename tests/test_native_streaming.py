"""A 50 MiB native upload and download stream through a dedicated gateway whose peak
RSS (VmHWM) must stay far below the object size."""

import hashlib
import os

import pytest
from conftest import start_gateway, stop_gateway

from gateway.client import NativeClient

MiB = 1024 * 1024
SIZE = 50 * MiB


def vm_hwm(pid: int) -> int:
    """Peak resident set size of a process, in bytes."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


class Pattern:
    """A deterministic 50 MiB file-like source, so the test process never holds it either."""

    def __init__(self, size: int) -> None:
        self.size, self.pos = size, 0
        self.block = os.urandom(MiB)

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.pos if n < 0 else min(n, self.size - self.pos)
        out = bytearray()
        while len(out) < n:
            offset = (self.pos + len(out)) % len(self.block)
            out += self.block[offset : offset + n - len(out)]
        self.pos += n
        return bytes(out)


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc")
def test_50mib_upload_and_download_stream(tmp_path):
    gw = start_gateway(tmp_path, "--workers", "1")  # one process: the one whose RSS is measured
    try:
        client = NativeClient(gw.url, gw.access_key, gw.secret_key)
        bucket = client.create_bucket("stream-test")
        package = client.create_package(bucket["bucketID"], "big")
        client.upload(package["packageID"], [("warm.bin", os.urandom(2 * MiB))])
        baseline = vm_hwm(gw.process.pid)

        source = Pattern(SIZE)
        expected = hashlib.sha256()
        check = Pattern(SIZE)
        check.block = source.block
        while chunk := check.read(4 * MiB):
            expected.update(chunk)
        uploaded = client.upload(package["packageID"], [("big.bin", source)])[0]  # type: ignore[list-item]
        assert uploaded["size"] == str(SIZE)
        assert uploaded["fileHash"] == "Full" + expected.hexdigest().upper()
        after_upload = vm_hwm(gw.process.pid)

        got = hashlib.sha256()
        received = 0
        with client.download_stream(uploaded["objectID"]) as resp:
            for chunk in resp.iter_content(MiB):
                got.update(chunk)
                received += len(chunk)
        assert received == SIZE and got.hexdigest() == expected.hexdigest()
        after_download = vm_hwm(gw.process.pid)

        growth = max(after_upload, after_download) - baseline
        print(f"baseline {baseline / MiB:.1f} MiB, growth {growth / MiB:.1f} MiB")
        assert growth < 20 * MiB, f"gateway peak RSS grew by {growth / MiB:.1f} MiB for a {SIZE // MiB} MiB object"
    finally:
        stop_gateway(gw)
