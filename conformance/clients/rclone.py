"""rclone (Debian's package), configured only by RCLONE_CONFIG_J_* environment variables.

Beyond the common scenarios: modification times (rclone keeps them in X-Amz-Meta-Mtime and
shows them with `lsl`), `rclone check`, and `rclone mount` (FUSE, --vfs-cache-mode writes)
used with plain coreutils: ls, cat, cp in and out, mkdir, mv, rm.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from conformance.framework import Driver, Failed, Listing, NotApplicable, check, clean_env, run, wait_until
from conformance.fuse import file_ops, unmount


class Rclone(Driver):
    name = "rclone"
    multipart_above = 200 * 2**20  # rclone's default --s3-upload-cutoff

    def available(self) -> str | None:
        return None if shutil.which("rclone") else "rclone is not installed"

    def setup(self) -> None:
        ep = self.ctx.endpoint
        conf = self.ctx.scratch("rclone") / "rclone.conf"
        conf.write_text("")
        # clean_env drops AWS_CA_BUNDLE: rclone fails on plain http when it is set.
        self.env = clean_env(
            RCLONE_CONFIG=str(conf),
            RCLONE_CONFIG_J_TYPE="s3",
            RCLONE_CONFIG_J_PROVIDER="Other",
            RCLONE_CONFIG_J_ENDPOINT=ep.url,
            RCLONE_CONFIG_J_ACCESS_KEY_ID=ep.access_key,
            RCLONE_CONFIG_J_SECRET_ACCESS_KEY=ep.secret_key,
            TZ="UTC",
        )

    def rc(self, *args: str, check_rc: bool = True) -> subprocess.CompletedProcess:
        """Run rclone; an ERROR line fails the scenario even when a retry later succeeded."""
        proc = run(["rclone", *args], env=self.env, check_rc=check_rc)
        errors = [line for line in (proc.stderr or "").splitlines() if " ERROR : " in line]
        if errors and check_rc:
            raise Failed(f"rclone {args[0]} logged {len(errors)} errors (then retried): {errors[:2]}")
        return proc

    def version(self) -> str:
        return self.rc("version").stdout.split()[1]

    def make_bucket(self, bucket: str) -> None:
        self.rc("mkdir", f"j:{bucket}")

    def upload(self, local: Path, bucket: str, key: str) -> None:
        self.rc("copyto", str(local), f"j:{bucket}/{key}")

    def download(self, bucket: str, key: str, local: Path) -> None:
        self.rc("copyto", f"j:{bucket}/{key}", str(local))

    def listing(self, bucket: str, prefix: str) -> Listing:
        out = Listing()
        for entry in self.rc("lsf", f"j:{bucket}/{prefix}").stdout.splitlines():
            (out.prefixes if entry.endswith("/") else out.keys).add(prefix + entry)
        return out

    def list_all(self, bucket: str, prefix: str) -> set[str]:
        out = self.rc("lsf", "-R", "--files-only", f"j:{bucket}/{prefix}").stdout.splitlines()
        return {prefix + rel for rel in out}

    def copy(self, bucket: str, src: str, dst: str) -> None:
        self.rc("copyto", f"j:{bucket}/{src}", f"j:{bucket}/{dst}")

    def delete(self, bucket: str, key: str) -> None:
        self.rc("deletefile", f"j:{bucket}/{key}")

    def sync(self, local_dir: Path, bucket: str, prefix: str) -> int:
        log = self.rc("sync", "-v", str(local_dir), f"j:{bucket}/{prefix}").stderr
        return log.count(": Copied (new)") + log.count(": Copied (replaced existing)")

    def make_folder(self, bucket: str, key: str) -> None:
        raise NotApplicable("rclone 1.60 keeps S3 directories virtual (no --s3-directory-markers)")

    def extras(self):
        return {"mtime round-trip (lsl)": self.mtimes, "rclone check": self.check_cmd, "rclone mount": self.mount}

    def mtimes(self, bucket: str) -> str | None:
        src = self.ctx.scratch("mtimes")
        want = {}
        for i in range(5):
            ns = 1_500_000_000_123_456_789 + i * 90_061_987_654_321
            path = src / f"d{i % 2}" / f"f{i}.txt"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(b"t" * i)
            os.utime(path, ns=(ns, ns))
            stamp = datetime.fromtimestamp(ns // 10**9, UTC).strftime("%Y-%m-%d %H:%M:%S")
            want[path.relative_to(src).as_posix()] = f"{stamp}.{ns % 10**9:09d}"
        self.rc("copy", str(src), f"j:{bucket}/mtimes")
        got = {}
        for line in self.rc("lsl", f"j:{bucket}/mtimes").stdout.splitlines():
            size, day, clock, name = line.split(None, 3)
            got[name] = f"{day} {clock}"
        check(got == want, f"lsl times {got} != local {want}")
        return None

    def check_cmd(self, bucket: str) -> str | None:
        named = self.ctx.data.named
        self.rc("copy", str(named), f"j:{bucket}/chk")
        ok = self.rc("check", str(named), f"j:{bucket}/chk").stderr
        check("0 differences found" in ok, f"check said: {ok[-300:]}")
        first = sorted(p for p in named.rglob("*") if p.is_file())[0]
        key = f"chk/{first.relative_to(named).as_posix()}"
        self.ctx.put(bucket, key, first.read_bytes()[:-1] + b"!")  # same size, other bytes
        bad = self.rc("check", str(named), f"j:{bucket}/chk", check_rc=False)
        check(
            bad.returncode != 0 and "1 differences found" in bad.stderr,
            f"a changed object went unnoticed: {bad.stderr[-300:]}",
        )
        return None

    def mount(self, bucket: str) -> str | None:
        mnt = self.ctx.scratch("rclone-mnt")
        cache = self.ctx.scratch("rclone-cache")
        self.ctx.put(bucket, "mnt/seed/hello.txt", b"hello from s3\n")
        log = cache / "mount.log"
        proc = subprocess.Popen(
            [
                "rclone",
                "mount",
                f"j:{bucket}",
                str(mnt),
                "--vfs-cache-mode",
                "writes",
                "--vfs-write-back",
                "0s",
                "--cache-dir",
                str(cache),
                "--dir-cache-time",
                "1s",
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(log, "wb"),
        )
        try:
            wait_until(lambda: os.path.ismount(mnt) or proc.poll() is not None, 30, "the rclone mount")
            if proc.poll() is not None:
                raise Failed(f"rclone mount exited: {log.read_text(errors='replace')[-500:]}")
            return file_ops(self.ctx, bucket, mnt / "mnt", "mnt")
        finally:
            unmount(mnt, proc)
