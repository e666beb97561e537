"""s3fs-fuse (Debian's `s3fs`): the bucket mounted as a directory, used with coreutils and
rsync only, as a user of the mount would. s3fs-fuse uploads when a file is closed, keeps
mtime/mode in x-amz-meta-* headers (set by copying an object onto itself) and makes
folders as zero-byte `dir/` objects.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from conformance.framework import Driver, Failed, Listing, NotApplicable, run, wait_until
from conformance.fuse import file_ops, unmount


class S3fsFuse(Driver):
    name = "s3fs-fuse"

    def available(self) -> str | None:
        for program in ("s3fs", "fusermount3", "rsync"):
            if not shutil.which(program):
                return f"{program} is not installed"
        return None if Path("/dev/fuse").exists() else "/dev/fuse does not exist"

    def setup(self) -> None:
        ep = self.ctx.endpoint
        self.passwd = self.ctx.scratch("s3fs") / "passwd"
        self.passwd.write_text(f"{ep.access_key}:{ep.secret_key}\n")
        self.passwd.chmod(0o600)
        self.mounts: dict[str, tuple[Path, subprocess.Popen]] = {}

    def teardown(self) -> None:
        for mnt, proc in self.mounts.values():
            unmount(mnt, proc)

    def version(self) -> str:
        first = run(["s3fs", "--version"]).stdout.split("\n")[0]  # "Amazon Simple ... V1.90 (commit:...) ..."
        match = re.search(r"V(\d[\w.]*)", first)
        return match.group(1) if match else first

    def root(self, bucket: str) -> Path:
        """The bucket's mountpoint, mounting it on first use."""
        if bucket in self.mounts:
            return self.mounts[bucket][0]
        mnt = self.ctx.scratch(f"s3fs-{bucket}")
        log = open(mnt.with_name(mnt.name + ".log"), "wb")
        proc = subprocess.Popen(
            [
                "s3fs",
                bucket,
                str(mnt),
                "-f",
                "-o",
                f"url={self.ctx.endpoint.url}",
                "-o",
                "use_path_request_style",
                "-o",
                f"passwd_file={self.passwd}",
                "-o",
                "dbglevel=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.mounts[bucket] = (mnt, proc)
        wait_until(lambda: os.path.ismount(mnt) or proc.poll() is not None, 30, "the s3fs mount")
        if proc.poll() is not None:
            raise Failed(f"s3fs exited: {Path(log.name).read_text(errors='replace')[-500:]}")
        return mnt

    def make_bucket(self, bucket: str) -> None:
        raise NotApplicable("a mount cannot create buckets")

    def upload(self, local: Path, bucket: str, key: str) -> None:
        target = self.root(bucket) / key
        run(["mkdir", "-p", str(target.parent)], timeout=60)
        run(["cp", str(local), str(target)], timeout=600)

    def download(self, bucket: str, key: str, local: Path) -> None:
        run(["cp", str(self.root(bucket) / key), str(local)], timeout=600)

    def listing(self, bucket: str, prefix: str) -> Listing:
        out = Listing()
        for entry in run(["ls", "-1Ap", str(self.root(bucket) / prefix)], timeout=60).stdout.splitlines():
            (out.prefixes if entry.endswith("/") else out.keys).add(prefix + entry)
        return out

    def list_all(self, bucket: str, prefix: str) -> set[str]:
        out = run(["find", str(self.root(bucket) / prefix), "-type", "f", "-printf", "%P\\n"], timeout=300).stdout
        return {prefix + rel for rel in out.splitlines()}

    def copy(self, bucket: str, src: str, dst: str) -> None:
        raise NotApplicable("`cp` through a mount reads and writes the bytes; `mv` is server-side (file ops)")

    def delete(self, bucket: str, key: str) -> None:
        run(["rm", str(self.root(bucket) / key)], timeout=60)

    def sync(self, local_dir: Path, bucket: str, prefix: str) -> int:
        target = self.root(bucket) / prefix
        run(["mkdir", "-p", str(target)], timeout=60)
        # --inplace: without it rsync writes a temp file and renames it, and s3fs 1.90 more often
        # loses the chmod/utimes made between close() and FUSE's asynchronous release (the client
        # never sends the metadata copy; README, Compatibility). rsync.log says why each file was sent.
        cmd = ["rsync", "-rt", "--inplace", "--out-format=%i %n", f"{local_dir}/", f"{target}/"]
        files = [line for line in run(cmd, timeout=1800).stdout.splitlines() if line and not line.endswith("/")]
        with open(self.passwd.with_name("rsync.log"), "a") as log:  # why each file was sent (rsync's %i)
            log.write("\n".join(files) + "\n--\n")
        return len(files)

    def make_folder(self, bucket: str, key: str) -> None:
        run(["mkdir", "-p", str(self.root(bucket) / key)], timeout=60)

    def extras(self):
        return {"file ops (ls/cat/cp/mkdir/mv/rm)": self.file_ops}

    def file_ops(self, bucket: str) -> str | None:
        self.ctx.put(bucket, "fops/seed/hello.txt", b"hello from s3\n")
        return file_ops(self.ctx, bucket, self.root(bucket) / "fops", "fops")
