"""Install the clients a run needs, each where it cannot disturb the others.

- Debian packages (apt): aws-cli v2 (`awscli`), rclone, s3cmd, s3fs-fuse (`s3fs`), fuse3,
  rsync (drives the s3fs-fuse sync), curl and openssl (presigned URLs, certificates).
- Private venvs under ``.conformance/venvs/<name>`` for clients that pin their own botocore
  or dependencies: aws-cli v1, s3cmd from PyPI (the current release, next to Debian's), and
  s3fs (fsspec, which pins aiobotocore/botocore).
- minio-py goes into the project venv (it is a test dependency too); boto3 is already there.

Anything that cannot be installed is recorded with the reason, and its client is reported
as skipped with that reason rather than silently left out.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENVS = ROOT / ".conformance" / "venvs"
APT = {
    "aws": "awscli",
    "rclone": "rclone",
    "s3cmd": "s3cmd",
    "s3fs": "s3fs",
    "fusermount3": "fuse3",
    "rsync": "rsync",
    "curl": "curl",
    "openssl": "openssl",
}
PIP_VENVS = {"awscli-v1": ["awscli"], "s3cmd": ["s3cmd"], "s3fs": ["s3fs"]}


@dataclass
class Tools:
    aws_v2: str = "/usr/bin/aws"
    problems: dict[str, str] = field(default_factory=dict)  # tool -> why it is missing

    def venv_bin(self, venv: str, program: str) -> Path:
        return VENVS / venv / "bin" / program

    def which(self, program: str) -> str | None:
        return shutil.which(program)


def _sudo() -> list[str]:
    return [] if os.geteuid() == 0 else ["sudo", "-n"]


def _apt_install(packages: list[str], log) -> str | None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
        proc = subprocess.run([*_sudo(), *cmd], env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            return f"`{' '.join(cmd)}` failed: {proc.stderr.strip()[-300:]}"
    log(f"apt installed: {' '.join(packages)}")
    return None


def _ensure_venv(name: str, packages: list[str], upgrade: bool, log) -> str | None:
    venv = VENVS / name
    stamp = venv / ".installed"
    if stamp.exists() and not upgrade:
        return None
    if not (venv / "bin" / "python").exists():
        proc = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True)
        if proc.returncode != 0:
            return f"venv {venv} failed: {proc.stderr.strip()[-300:]}"
    proc = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--upgrade", *packages], capture_output=True, text=True
    )
    if proc.returncode != 0:
        return f"pip install {' '.join(packages)} failed: {proc.stderr.strip()[-300:]}"
    stamp.write_text(" ".join(packages) + "\n")
    log(f"venv {name}: installed {' '.join(packages)}")
    return None


def ensure(upgrade: bool = False, log=print) -> Tools:
    tools = Tools()
    missing = sorted(
        {
            pkg
            for program, pkg in APT.items()
            if not (Path(tools.aws_v2).exists() if program == "aws" else shutil.which(program))
        }
    )
    if missing:
        problem = _apt_install(missing, log)
        if problem:
            for pkg in missing:
                tools.problems[pkg] = problem
    for name, packages in PIP_VENVS.items():
        problem = _ensure_venv(name, packages, upgrade, log)
        if problem:
            tools.problems[name] = problem
    if importlib.util.find_spec("minio") is None or upgrade:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--upgrade", "minio"], capture_output=True, text=True
        )
        if proc.returncode != 0:
            tools.problems["minio"] = f"pip install minio failed: {proc.stderr.strip()[-300:]}"
        importlib.invalidate_caches()
    if not Path("/dev/fuse").exists():
        tools.problems["fuse"] = "/dev/fuse does not exist (FUSE mounts need it)"
    return tools
