"""s3cmd, twice: Debian's package and the current PyPI release (in its own venv).

Configured by a config file as its users do (path style: host_bucket = host_base), default
SigV4. s3cmd lists with ListObjects v1, decides what `sync` uploads by comparing MD5s, and
stores its own attributes (MD5, mtime, mode) in x-amz-meta-s3cmd-attrs.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from conformance.framework import Driver, Failed, Listing, check, clean_env, run


class S3cmd(Driver):
    program = ""

    def available(self) -> str | None:
        return None if self.program and Path(self.program).exists() else "s3cmd is not installed"

    def setup(self) -> None:
        ep = self.ctx.endpoint
        self.config = self.ctx.scratch("s3cmd") / "s3cfg"
        self.config.write_text(
            "[default]\n"
            f"access_key = {ep.access_key}\nsecret_key = {ep.secret_key}\n"
            f"host_base = {ep.host_port}\nhost_bucket = {ep.host_port}\n"
            "use_https = False\nsignature_v2 = False\nbucket_location = us-east-1\n"
        )

    def s3cmd(self, *args: str) -> subprocess.CompletedProcess:
        """Run s3cmd; a retried failure ("WARNING: ... failed") fails the scenario too."""
        proc = run([self.program, "-c", str(self.config), *args], env=clean_env())
        retried = [line for line in proc.stderr.splitlines() if line.startswith("WARNING") and "fail" in line.lower()]
        if retried:
            raise Failed(f"s3cmd {args[0]} warned (then retried): {retried[:2]}")
        return proc

    def version(self) -> str:
        return self.s3cmd("--version").stdout.split()[-1]

    def make_bucket(self, bucket: str) -> None:
        self.s3cmd("mb", f"s3://{bucket}")

    def upload(self, local: Path, bucket: str, key: str) -> None:
        self.s3cmd("put", str(local), f"s3://{bucket}/{key}")

    def download(self, bucket: str, key: str, local: Path) -> None:
        self.s3cmd("get", "--force", f"s3://{bucket}/{key}", str(local))

    def listing(self, bucket: str, prefix: str) -> Listing:
        out = Listing()
        for line in self.s3cmd("ls", f"s3://{bucket}/{prefix}").stdout.splitlines():
            if "s3://" not in line:
                continue
            key = line[line.index("s3://") + len(f"s3://{bucket}/") :]
            (out.prefixes if line.split()[0] == "DIR" else out.keys).add(key)
        return out

    def list_all(self, bucket: str, prefix: str) -> set[str]:
        out = self.s3cmd("ls", "-r", f"s3://{bucket}/{prefix}").stdout.splitlines()
        return {line[line.index("s3://") + len(f"s3://{bucket}/") :] for line in out if "s3://" in line}

    def copy(self, bucket: str, src: str, dst: str) -> None:
        self.s3cmd("cp", f"s3://{bucket}/{src}", f"s3://{bucket}/{dst}")

    def delete(self, bucket: str, key: str) -> None:
        self.s3cmd("del", f"s3://{bucket}/{key}")

    def sync(self, local_dir: Path, bucket: str, prefix: str) -> int:
        out = self.s3cmd("sync", f"{local_dir}/", f"s3://{bucket}/{prefix}").stdout
        return sum(1 for line in out.splitlines() if line.startswith("upload:"))

    def extras(self):
        return {
            "signature v2 put/get/ls": self.signature_v2,
            "info / du / mv": self.info_du_mv,
            "modify (copy onto itself)": self.modify,
            "signurl + curl": self.signurl,
        }

    def signature_v2(self, bucket: str) -> str | None:
        small = self.ctx.data.small
        v2 = ["--signature-v2"]
        self.s3cmd(*v2, "put", str(small), f"s3://{bucket}/v2/ü x+y%#?.bin")
        out = self.ctx.scratch("v2") / "got"
        self.s3cmd(*v2, "get", f"s3://{bucket}/v2/ü x+y%#?.bin", str(out))
        check(out.read_bytes() == small.read_bytes(), "V2 round trip changed the bytes")
        listed = self.s3cmd(*v2, "ls", f"s3://{bucket}/v2/").stdout
        check("ü x+y%#?.bin" in listed, f"V2 listing: {listed[:200]}")
        return None

    def info_du_mv(self, bucket: str) -> str | None:
        self.ctx.put(bucket, "info/a.txt", b"12345")
        info = self.s3cmd("info", f"s3://{bucket}/info/a.txt").stdout
        check("File size: 5" in info and "827ccb0eea8a706c4c34a16891f84e7b" in info, f"info: {info[:300]}")
        du = self.s3cmd("du", f"s3://{bucket}/info/").stdout
        check(du.split()[:2] == ["5", "1"], f"du: {du}")
        self.s3cmd("mv", f"s3://{bucket}/info/a.txt", f"s3://{bucket}/info/b.txt")
        check(set(self.ctx.keys(bucket, "info/")) == {"info/b.txt"}, "mv left the wrong keys")
        return None

    def modify(self, bucket: str) -> str | None:
        self.upload(self.ctx.data.small, bucket, "modify/a.bin")
        self.s3cmd(
            "modify",
            "--add-header=x-amz-meta-color:blue",
            "--add-header=Content-Type:text/x-test",
            f"s3://{bucket}/modify/a.bin",
        )
        head = self.ctx.admin.head_object(Bucket=bucket, Key="modify/a.bin")
        check(
            head["Metadata"].get("color") == "blue" and head["ContentType"] == "text/x-test",
            f"after modify: {head['Metadata']} {head['ContentType']}",
        )
        check(head["ContentLength"] == self.ctx.data.small.stat().st_size, "modify changed the body")
        return None

    def signurl(self, bucket: str) -> str | None:
        self.upload(self.ctx.data.small, bucket, "signurl/a b.bin")
        url = self.s3cmd("signurl", f"s3://{bucket}/signurl/a b.bin", "+300").stdout.strip()
        out = self.ctx.scratch("signurl") / "got"
        run(["curl", "-sS", "-f", "-o", str(out), url])
        check(out.read_bytes() == self.ctx.data.small.read_bytes(), "signed URL download differs")
        return None


class S3cmdDebian(S3cmd):
    name = "s3cmd (apt)"

    def available(self) -> str | None:
        self.program = "/usr/bin/s3cmd"  # Debian's, not whatever else is on PATH
        return super().available()


class S3cmdPip(S3cmd):
    name = "s3cmd (pip)"

    def available(self) -> str | None:
        self.program = str(self.ctx.tools.venv_bin("s3cmd", "s3cmd"))
        return super().available()
