"""The pieces every client module shares: the run context, the driver interface, outcomes.

A *driver* teaches the common scenarios how one client does each basic thing (make a bucket,
upload, list, ...) with the client's own commands. The scenarios then check the result
through an independent boto3 client (``ctx.admin``), so a client cannot pass by agreeing
with itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MiB = 1024 * 1024


GATEWAY_ERRORS = "no gateway errors (5xx, logged)"  # the row checked after every client, shown last


class NotApplicable(Exception):
    """The client has no such feature (e.g. boto3 has no `sync`): shown as n/a, not failed."""


class Failed(AssertionError):
    """A scenario's check did not hold; the message says what was expected and seen."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(message)


@dataclass
class Listing:
    """One level of a delimiter listing as the client shows it."""

    keys: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)


@dataclass
class Outcome:
    status: str  # "pass" | "fail" | "n/a" | "skip"
    seconds: float
    detail: str = ""


@dataclass
class Endpoint:
    """A running gateway instance as clients see it."""

    url: str
    port: int
    access_key: str
    secret_key: str
    log_path: Path
    ca_file: Path | None = None  # the self-signed certificate of a TLS instance

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def tls(self) -> bool:
        return self.url.startswith("https:")


@dataclass
class Context:
    """What a scenario gets: the endpoint, scratch space, shared test data, a checker client."""

    endpoint: Endpoint
    work: Path
    data: Any  # conformance.data.TestData
    admin: Any  # a boto3 S3 client with its own credentials path, used only to verify
    tools: Any  # conformance.install.Tools
    paged_bucket: str = ""  # read-only bucket holding PAGED_KEYS, shared by the clients of an endpoint

    def new_bucket(self, prefix: str) -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:10]}".lower()
        self.admin.create_bucket(Bucket=name)
        return name

    def scratch(self, name: str) -> Path:
        path = self.work / f"{name}-{uuid.uuid4().hex[:6]}"
        path.mkdir(parents=True)
        return path

    def keys(self, bucket: str, prefix: str = "", markers: bool = False) -> dict[str, int]:
        """Every key under prefix with its size, from the gateway (not the client); folder
        markers (`dir/`, which mounts create for every directory) only when asked for."""
        out: dict[str, int] = {}
        for page in self.admin.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            out.update({o["Key"]: o["Size"] for o in page.get("Contents", []) if markers or o["Key"][-1:] != "/"})
        return out

    def put(self, bucket: str, key: str, body: bytes = b"") -> None:
        self.admin.put_object(Bucket=bucket, Key=key, Body=body)

    def log_records(self) -> list[dict[str, Any]]:
        """The gateway's JSON log lines (access records and errors), oldest first."""
        lines = []
        for line in self.endpoint.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    continue
        return lines

    def access_log(self) -> list[dict[str, Any]]:
        return [r for r in self.log_records() if r.get("logger") == "junction.access"]

    def gateway_errors(self, since: float) -> list[str]:
        """5xx answers and logged errors since a moment: clients retry past them silently."""
        out = []
        for r in self.log_records():
            if r.get("ts", 0) < since:
                continue
            if r.get("logger") == "junction.access" and r.get("status", 0) >= 500:
                out.append(f"{r['status']} {r['method']} {r['path']}")
            elif r.get("level") in ("error", "critical"):
                out.append(f"logged {r.get('msg', '')[:120]}")
        return out

    def server_side_copy_seen(self, bucket: str, key: str, since: float, size: int) -> bool:
        """A copy is server-side when the gateway saw a body-less PUT of the target and no PUT
        carrying the object's bytes (the log has no query string, and clients may follow up
        with small sub-resource PUTs such as s3cmd's ?acl)."""
        puts = [
            r
            for r in self.access_log()
            if r["ts"] >= since - 1 and r["method"] == "PUT" and r["path"] == f"/{bucket}/{key}" and r["status"] == 200
        ]
        return any(r["bytes_in"] == 0 for r in puts) and sum(r["bytes_in"] for r in puts) < size // 2


def run(
    cmd: list[str],
    env: dict[str, str] | None = None,
    timeout: float = 900,
    check_rc: bool = True,
    stdin: Any = None,
    stdout: Any = None,
) -> subprocess.CompletedProcess:
    """Run a client command; a non-zero exit is a scenario failure showing the client's words.
    ``stdin``/``stdout`` may be open files, so piped data streams without passing through us."""
    proc = subprocess.run(
        cmd,
        env=env,
        stdin=stdin,
        stdout=stdout or subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=stdout is None,
        timeout=timeout,
    )
    if check_rc and proc.returncode != 0:
        out = "".join(_text(stream)[-1500:] for stream in (proc.stdout, proc.stderr))
        shown = " ".join(str(arg) if len(str(arg)) < 80 else str(arg)[:60] + "..." for arg in cmd)
        raise Failed(f"`{shown}` exited {proc.returncode}: {out.strip()}")
    return proc


def _text(stream: str | bytes | None) -> str:
    return stream.decode(errors="replace") if isinstance(stream, bytes) else stream or ""


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without AWS settings that would leak into a client's config
    (AWS_CA_BUNDLE in particular makes rclone refuse plain-http endpoints)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(extra)
    return env


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(MiB), b""):
            digest.update(block)
    return digest.hexdigest()


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, step: float = 0.5) -> None:
    """Poll a condition that a client makes true in the background (FUSE write-back)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise Failed(f"timed out after {timeout:.0f}s waiting for {what}")


Extra = Callable[[str], "str | None"]  # a client-specific scenario: bucket -> optional note


class Driver:
    """One client. Subclasses implement what the client can do; the rest stays n/a.

    ``name`` is the table column; ``extras`` are client-specific scenarios run after the
    common ones, each given the client's bucket. ``setup``/``teardown`` bracket the run
    (config files, mounts).
    """

    name = "client"
    multipart_above = 16 * MiB  # the client's default multipart threshold (bytes), at most
    uses_tls = False

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def available(self) -> str | None:
        """None when the client can run here, else why not (shown as skipped)."""
        return None

    def version(self) -> str:
        raise NotImplementedError

    def setup(self) -> None: ...

    def teardown(self) -> None: ...

    def make_bucket(self, bucket: str) -> None:
        raise NotApplicable("cannot create buckets")

    def upload(self, local: Path, bucket: str, key: str) -> None:
        raise NotImplementedError

    def upload_big(self, local: Path, bucket: str, key: str) -> None:
        self.upload(local, bucket, key)

    def download(self, bucket: str, key: str, local: Path) -> None:
        raise NotImplementedError

    def listing(self, bucket: str, prefix: str) -> Listing:
        raise NotImplementedError

    def copy(self, bucket: str, src: str, dst: str) -> None:
        raise NotImplementedError

    def delete(self, bucket: str, key: str) -> None:
        raise NotImplementedError

    def sync(self, local_dir: Path, bucket: str, prefix: str) -> int:
        """Sync a local tree up; return how many files the client reports it transferred."""
        raise NotApplicable("no sync command")

    def make_folder(self, bucket: str, key: str) -> None:
        """Create the folder marker ``key`` (ending in /) the way the client's users do."""
        raise NotApplicable("no way to create an empty folder marker")

    def list_all(self, bucket: str, prefix: str) -> set[str]:
        """Every key under prefix, recursively, as the client lists it (following pages)."""
        raise NotImplementedError

    def extras(self) -> dict[str, Extra]:
        return {}
