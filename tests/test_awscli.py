"""aws-cli v1 (pip, in the venv) and v2 (Debian's /usr/bin/aws) against a live gateway."""

import hashlib
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

MiB = 1024 * 1024
V1 = str(Path(sys.executable).parent / "aws")
V2 = "/usr/bin/aws"
CLIS = [pytest.param(V1, id="awscli-v1"), pytest.param(V2, id="awscli-v2")]


def run(gateway, cli, *args, check=True):
    if not os.path.exists(cli):
        pytest.fail(f"{cli} is missing: `make test` installs it (pip awscli / apt awscli)")
    cmd = [cli, "--endpoint-url", gateway.url, *args]
    proc = subprocess.run(cmd, env=gateway.env(), capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def sha(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(MiB), b""):
            digest.update(block)
    return digest.hexdigest()


@pytest.mark.parametrize("cli", CLIS)
def test_cli_version(gateway, cli):
    out = run(gateway, cli, "--version").stdout + run(gateway, cli, "--version").stderr
    assert ("aws-cli/1." in out) if cli == V1 else ("aws-cli/2." in out)


@pytest.mark.parametrize("cli", CLIS)
def test_mb_cp_ls_sync_rm_rb(gateway, cli, tmp_path):
    bucket = f"cli-{uuid.uuid4().hex[:10]}"
    run(gateway, cli, "s3", "mb", f"s3://{bucket}")
    src = tmp_path / "tree"
    (src / "sub dir").mkdir(parents=True)
    files = {"a.txt": b"alpha", "sub dir/b ü.bin": os.urandom(70_000), "sub dir/empty": b""}
    for name, data in files.items():
        (src / name).write_bytes(data)
    run(gateway, cli, "s3", "cp", str(src / "a.txt"), f"s3://{bucket}/single/a.txt")
    listing = run(gateway, cli, "s3", "ls", f"s3://{bucket}/single/").stdout
    assert "a.txt" in listing
    run(gateway, cli, "s3", "sync", str(src), f"s3://{bucket}/tree")
    second = run(gateway, cli, "s3", "sync", str(src), f"s3://{bucket}/tree").stdout
    assert "upload:" not in second  # nothing changed, nothing copied
    root = run(gateway, cli, "s3", "ls", f"s3://{bucket}/").stdout
    assert "PRE single/" in root and "PRE tree/" in root
    dst = tmp_path / "back"
    run(gateway, cli, "s3", "sync", f"s3://{bucket}/tree", str(dst))
    for name, data in files.items():
        assert (dst / name).read_bytes() == data
    run(gateway, cli, "s3", "rm", f"s3://{bucket}/single/a.txt")
    run(gateway, cli, "s3", "rm", "--recursive", f"s3://{bucket}/tree")
    run(gateway, cli, "s3", "rb", f"s3://{bucket}")
    assert bucket not in run(gateway, cli, "s3", "ls").stdout


@pytest.mark.parametrize("cli", CLIS)
def test_s3api_calls(gateway, cli, tmp_path):
    bucket = f"api-{uuid.uuid4().hex[:10]}"
    run(gateway, cli, "s3api", "create-bucket", "--bucket", bucket)
    body = tmp_path / "body"
    body.write_bytes(b"s3api body")
    run(gateway, cli, "s3api", "put-object", "--bucket", bucket, "--key", "k", "--body", str(body), "--metadata", "x=y")
    head = run(gateway, cli, "s3api", "head-object", "--bucket", bucket, "--key", "k").stdout
    assert '"x": "y"' in head
    out = tmp_path / "out"
    run(gateway, cli, "s3api", "get-object", "--bucket", bucket, "--key", "k", "--range", "bytes=0-4", str(out))
    assert out.read_bytes() == b"s3api"
    listing = run(gateway, cli, "s3api", "list-objects-v2", "--bucket", bucket).stdout
    assert '"Key": "k"' in listing
    missing = run(gateway, cli, "s3api", "head-object", "--bucket", bucket, "--key", "nope", check=False)
    assert missing.returncode != 0 and "404" in missing.stderr


@pytest.mark.parametrize("cli", CLIS)
def test_multipart_cp_200_mib(gateway, cli, tmp_path):
    bucket = f"big-{uuid.uuid4().hex[:10]}"
    run(gateway, cli, "s3", "mb", f"s3://{bucket}")
    src = tmp_path / "big.bin"
    with open(src, "wb") as fh:
        block = os.urandom(MiB)
        for i in range(200):
            fh.write(block[i:] + block[:i])
    run(gateway, cli, "s3", "cp", str(src), f"s3://{bucket}/big.bin")
    head = run(gateway, cli, "s3api", "head-object", "--bucket", bucket, "--key", "big.bin").stdout
    assert '"ContentLength": 209715200' in head and "-" in head.split('"ETag"')[1].split(",")[0]
    back = tmp_path / "back.bin"
    run(gateway, cli, "s3", "cp", f"s3://{bucket}/big.bin", str(back))
    assert sha(back) == sha(src)
    run(gateway, cli, "s3", "rm", f"s3://{bucket}/big.bin")
    run(gateway, cli, "s3", "rb", f"s3://{bucket}")
    src.unlink()
    back.unlink()
