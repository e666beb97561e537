"""aws-cli v1 (PyPI, in its own venv: it pins botocore) and v2 (Debian's /usr/bin/aws).

Both run the high-level `aws s3` commands users type (cp, ls, sync, rm, mv, presign) with
credentials and region from the environment and the endpoint from `--endpoint-url`.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from conformance.framework import Driver, Listing, check, clean_env, run, sha256_file

LS_OBJECT = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +\d+ (.*)$")


class AwsCli(Driver):
    program = ""

    def available(self) -> str | None:
        return None if Path(self.program).exists() else f"{self.program} is missing"

    def setup(self) -> None:
        ep = self.ctx.endpoint
        conf = self.ctx.scratch("aws-config") / "config"
        conf.write_text("[default]\nregion = us-east-1\n")
        self.env = clean_env(
            AWS_ACCESS_KEY_ID=ep.access_key,
            AWS_SECRET_ACCESS_KEY=ep.secret_key,
            AWS_DEFAULT_REGION="us-east-1",
            AWS_CONFIG_FILE=str(conf),
            AWS_SHARED_CREDENTIALS_FILE=str(conf.with_name("credentials")),
            AWS_EC2_METADATA_DISABLED="true",
            AWS_PAGER="",
        )

    def aws(self, *args: str) -> subprocess.CompletedProcess:
        return run([self.program, "--endpoint-url", self.ctx.endpoint.url, *args], env=self.env)

    def version(self) -> str:
        proc = run([self.program, "--version"], env=clean_env())
        return (proc.stdout + proc.stderr).split()[0]

    def make_bucket(self, bucket: str) -> None:
        self.aws("s3", "mb", f"s3://{bucket}")

    def upload(self, local: Path, bucket: str, key: str) -> None:
        self.aws("s3", "cp", "--no-progress", str(local), f"s3://{bucket}/{key}")

    def download(self, bucket: str, key: str, local: Path) -> None:
        self.aws("s3", "cp", "--no-progress", f"s3://{bucket}/{key}", str(local))

    def listing(self, bucket: str, prefix: str) -> Listing:
        out = Listing()
        for line in self.aws("s3", "ls", f"s3://{bucket}/{prefix}").stdout.splitlines():
            if line.strip().startswith("PRE "):
                out.prefixes.add(prefix + line.strip()[4:])
            elif match := LS_OBJECT.match(line):
                out.keys.add(prefix + match.group(1))  # a folder marker shows with an empty name
        return out

    def list_all(self, bucket: str, prefix: str) -> set[str]:
        out = self.aws("s3", "ls", "--recursive", f"s3://{bucket}/{prefix}").stdout.splitlines()
        return {m.group(1) for line in out if (m := LS_OBJECT.match(line))}

    def copy(self, bucket: str, src: str, dst: str) -> None:
        self.aws("s3", "cp", f"s3://{bucket}/{src}", f"s3://{bucket}/{dst}")

    def delete(self, bucket: str, key: str) -> None:
        self.aws("s3", "rm", f"s3://{bucket}/{key}")

    def sync(self, local_dir: Path, bucket: str, prefix: str) -> int:
        out = self.aws("s3", "sync", "--no-progress", str(local_dir), f"s3://{bucket}/{prefix}").stdout
        return sum(1 for line in out.splitlines() if line.startswith("upload:"))

    def make_folder(self, bucket: str, key: str) -> None:
        self.aws("s3api", "put-object", "--bucket", bucket, "--key", key)

    def extras(self):
        return {
            "sync down + --delete": self.sync_down_delete,
            "mv": self.move,
            "presign + curl": self.presign,
            "cp - (stdin, streamed) / cp to -": self.stdin_stdout,
        }

    def sync_down_delete(self, bucket: str) -> str | None:
        for i in range(30):
            self.ctx.put(bucket, f"down/f{i}.txt", f"file {i}".encode())
        local = self.ctx.scratch("down")
        out = self.aws("s3", "sync", "--no-progress", f"s3://{bucket}/down/", str(local)).stdout
        check(out.count("download:") == 30, f"sync down reported {out.count('download:')} downloads")
        (local / "f0.txt").unlink()
        out = self.aws("s3", "sync", "--no-progress", "--delete", str(local), f"s3://{bucket}/down/").stdout
        check(out.count("delete:") == 1 and "upload:" not in out, f"sync --delete said: {out[:300]}")
        check(len(self.ctx.keys(bucket, "down/")) == 29, "sync --delete did not remove the object")
        return None

    def move(self, bucket: str) -> str | None:
        self.ctx.put(bucket, "mv/from.txt", b"moving")
        self.aws("s3", "mv", f"s3://{bucket}/mv/from.txt", f"s3://{bucket}/mv/to.txt")
        check(set(self.ctx.keys(bucket, "mv/")) == {"mv/to.txt"}, "mv left the wrong keys")
        return None

    def stdin_stdout(self, bucket: str) -> str | None:
        """Unknown length from a pipe: the CLI must stream it as a multipart upload."""
        base = [self.program, "--endpoint-url", self.ctx.endpoint.url, "s3", "cp"]
        with open(self.ctx.data.big, "rb") as src:
            run([*base, "-", f"s3://{bucket}/stdin/piped.bin"], env=self.env, stdin=src)
        head = self.ctx.admin.head_object(Bucket=bucket, Key="stdin/piped.bin")
        check(head["ContentLength"] == self.ctx.data.big_size, f"stored {head['ContentLength']} bytes")
        out = self.ctx.scratch("stdout") / "piped.bin"
        with open(out, "wb") as dst:
            run([*base, f"s3://{bucket}/stdin/piped.bin", "-"], env=self.env, stdout=dst)
        check(sha256_file(out) == self.ctx.data.big_sha, "bytes piped back differ")
        return f"ETag {head['ETag']}"

    def presign(self, bucket: str) -> str | None:
        self.upload(self.ctx.data.small, bucket, "presign/ü x+y.bin")
        url = self.aws("s3", "presign", f"s3://{bucket}/presign/ü x+y.bin").stdout.strip()
        out = self.ctx.scratch("presign") / "got"
        run(["curl", "-sS", "-f", "-o", str(out), url])
        check(sha256_file(out) == self.ctx.data.small_sha, "presigned download differs")
        return None


class AwsCliV1(AwsCli):
    name = "aws-cli v1"

    def available(self) -> str | None:
        self.program = str(self.ctx.tools.venv_bin("awscli-v1", "aws"))
        return super().available()


class AwsCliV2(AwsCli):
    name = "aws-cli v2"

    def available(self) -> str | None:
        self.program = self.ctx.tools.aws_v2
        return super().available()
