"""File operations through a FUSE-mounted bucket, shared by rclone mount and s3fs-fuse.

Every command runs as a coreutils subprocess with a timeout, so a hung mount fails the
scenario instead of hanging the run; each effect is then checked on the gateway side
(FUSE clients upload on close or later, hence the bounded waits).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from conformance.framework import Context, MiB, check, run, sha256_file, wait_until


def file_ops(ctx: Context, bucket: str, root: Path, prefix: str) -> str | None:
    """ls, cat, mkdir, cp in, cp out, mv, rm under ``root`` = the mounted ``prefix``.

    Expects the gateway to hold ``<prefix>/seed/hello.txt`` = "hello from s3\\n".
    """
    ls = run(["ls", str(root / "seed")], timeout=60).stdout.split()
    check(ls == ["hello.txt"], f"ls showed {ls}")
    cat = run(["cat", str(root / "seed" / "hello.txt")], timeout=60).stdout
    check(cat == "hello from s3\n", f"cat showed {cat!r}")
    run(["mkdir", "-p", str(root / "in")], timeout=60)
    local = ctx.scratch("fuse") / "twenty.bin"
    with open(ctx.data.big, "rb") as src, open(local, "wb") as dst:
        for _ in range(20):
            dst.write(src.read(MiB))
    run(["cp", str(local), str(root / "in" / "twenty.bin")], timeout=300)
    key = f"{prefix}/in/twenty.bin"
    wait_until(lambda: ctx.keys(bucket, key).get(key) == local.stat().st_size, 120, f"{key} on the gateway")
    got = ctx.scratch("fuse-get") / "gateway.bin"
    ctx.admin.download_file(bucket, key, str(got))
    check(sha256_file(got) == sha256_file(local), "the bytes stored on the gateway differ")
    out = local.with_name("back.bin")
    run(["cp", str(root / "in" / "twenty.bin"), str(out)], timeout=300)
    check(sha256_file(out) == sha256_file(local), "bytes read back through the mount differ")
    run(["mv", str(root / "in" / "twenty.bin"), str(root / "in" / "renamed.bin")], timeout=300)
    moved = f"{prefix}/in/renamed.bin"
    wait_until(lambda: set(ctx.keys(bucket, f"{prefix}/in/")) - {f"{prefix}/in/"} == {moved}, 120, "the rename")
    run(["rm", str(root / "seed" / "hello.txt")], timeout=60)
    wait_until(lambda: f"{prefix}/seed/hello.txt" not in ctx.keys(bucket, prefix), 60, "the delete")
    return None


def unmount(mountpoint: Path, process: subprocess.Popen | None = None) -> None:
    """Unmount cleanly, or lazily if the client hangs, and reap the client process."""
    subprocess.run(["fusermount3", "-u", str(mountpoint)], capture_output=True)
    if process is None:
        return
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        subprocess.run(["fusermount3", "-uz", str(mountpoint)], capture_output=True)
