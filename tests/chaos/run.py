"""Chaos: `kill -9` the gateway under concurrent writers, restart, and prove nothing acknowledged was lost.

`python -m tests.chaos.run --rounds 20` (or `make chaos`). Each round: a fresh gateway process
on the same data dir, `--writers` threads (default 50) writing single PUTs and two-part
multipart uploads over their own keys, several versions per key; after a random interval the
gateway gets SIGKILL mid-writes; it is restarted (restart time measured) and every key is
checked against the ledger:

- the ledger is exact because each key has a single writer issuing writes one after another:
  a key's state must be its last acknowledged version, or one of the versions sent after it
  whose outcome the kill made unknown (in flight: committed or not, both are right);
- every listed object is byte-identical (SHA-256) to an allowed version, its size and ETag
  agree between the listing, HEAD and the ledger, and no object the ledger does not know is
  listed (a partial or phantom object);
- an object whose acknowledged version is missing or older is *lost*; bytes that match no
  version ever written are *corrupted*.

Then, with the gateway stopped, `junction admin gc --grace 0` reclaims what the kills left
(after aborting the multipart uploads the kills interrupted, as a client would).
Prints `N rounds, A acknowledged, L lost, C corrupted` and exits 1 unless all checks held.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import hashlib
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parents[2]
ACCESS_KEY, SECRET_KEY = "CHAOSACCESSKEY", "chaos/secret+key/0123456789abcdef"
BUCKET = "chaos"
MiB = 1024 * 1024
PART_SIZE = 5 * MiB  # S3's (and Junction's) minimum size of a part that is not the last


@dataclass(frozen=True)
class Version:
    sha256: str
    size: int
    etag: str


@dataclass
class KeyLedger:
    """One key's truth: its last acknowledged version and the versions sent after it whose
    outcome is unknown. A single writer owns the key, so no other state is possible."""

    acked: Version | None = None
    uncertain: list[Version] = field(default_factory=list)
    history: set[str] = field(default_factory=set)  # every version ever sent (sha256)

    def allowed(self) -> list[Version]:
        return [v for v in [self.acked, *self.uncertain] if v is not None]


@dataclass
class Totals:
    acknowledged: int = 0
    single: int = 0
    multipart: int = 0
    lost: int = 0
    corrupted: int = 0
    mismatched: int = 0  # HEAD, listing and ledger disagree on size or ETag
    phantom: int = 0  # listed but never written
    server_errors: int = 0  # 5xx while the gateway was up
    problems: list[str] = field(default_factory=list)
    restart_seconds: list[float] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if len(self.problems) < 20:
            self.problems.append(text)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def body_for(size: int) -> bytes:
    """Distinct content per write, cheap to make: a random token repeated."""
    token = os.urandom(16)
    return (token * (size // 16 + 1))[:size]


def version_of_put(body: bytes) -> Version:
    return Version(hashlib.sha256(body).hexdigest(), len(body), f'"{hashlib.md5(body).hexdigest()}"')


def version_of_multipart(parts: list[bytes]) -> Version:
    whole = hashlib.sha256()
    digests = b""
    for part in parts:
        whole.update(part)
        digests += hashlib.md5(part).digest()
    etag = f'"{hashlib.md5(digests).hexdigest()}-{len(parts)}"'
    return Version(whole.hexdigest(), sum(map(len, parts)), etag)


class Gateway:
    def __init__(self, data_dir: Path, port: int, log_path: Path) -> None:
        self.data_dir, self.port, self.log_path = data_dir, port, log_path
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        """Start and wait until healthy; return the seconds that took."""
        env = {**os.environ, "JUNCTION_ROOT_ACCESS_KEY": ACCESS_KEY, "JUNCTION_ROOT_SECRET_KEY": SECRET_KEY}
        argv = [
            sys.executable,
            "-m",
            "gateway.cli",
            "serve",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
        ]
        started = time.monotonic()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        while time.monotonic() - started < 60:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gateway exited with {self.proc.returncode}; see {self.log_path}")
            try:
                if requests.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return time.monotonic() - started
            except requests.RequestException:
                time.sleep(0.02)
        raise RuntimeError(f"gateway not healthy after 60 s; see {self.log_path}")

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def client(url: str, pool: int = 2) -> object:
    config = Config(
        s3={"addressing_style": "path"},
        retries={"max_attempts": 1},
        connect_timeout=5,
        read_timeout=120,
        max_pool_connections=pool,
    )
    return boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
        config=config,
    )


class Writers:
    """`count` threads, each owning `keys_each` keys, writing until the round is stopped."""

    def __init__(self, url: str, count: int, keys_each: int, max_size: int, multipart_share: float) -> None:
        self.count, self.max_size, self.multipart_share = count, max_size, multipart_share
        self.keys = {w: [f"w{w:02d}/key-{i}" for i in range(keys_each)] for w in range(count)}
        self.ledger = {key: KeyLedger() for keys in self.keys.values() for key in keys}
        self.clients = [client(url) for _ in range(count)]
        self.lock = threading.Lock()
        self.totals = Totals()
        self.stop = threading.Event()

    def run_round(self, seconds: float, kill: Callable[[], None]) -> None:
        """Write for `seconds`, then `kill` the gateway under the writers and wait for them."""
        self.stop.clear()
        with cf.ThreadPoolExecutor(self.count) as pool:
            futures = [pool.submit(self._write_until_stopped, w) for w in range(self.count)]
            time.sleep(seconds)
            kill()
            self.stop.set()
            for future in futures:
                future.result()

    def _write_until_stopped(self, writer: int) -> None:
        rng = random.Random()
        s3 = self.clients[writer]
        while not self.stop.is_set():
            key = rng.choice(self.keys[writer])
            if rng.random() < self.multipart_share:
                self._multipart(s3, key, rng)
            else:
                self._put(s3, key, rng)

    def _put(self, s3: object, key: str, rng: random.Random) -> None:
        body = body_for(rng.randint(0, self.max_size))
        version = version_of_put(body)
        self._sending(key, version)
        try:
            answer = s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        except Exception as exc:
            self._failed(key, exc)
            return
        self._acknowledged(key, version, answer["ETag"], multipart=False)

    def _multipart(self, s3: object, key: str, rng: random.Random) -> None:
        parts = [body_for(PART_SIZE), body_for(rng.randint(1, self.max_size))]
        version = version_of_multipart(parts)
        self._sending(key, version)
        try:
            upload = s3.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
            done = []
            for number, part in enumerate(parts, start=1):
                etag = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=upload, PartNumber=number, Body=part)["ETag"]
                done.append({"PartNumber": number, "ETag": etag})
            answer = s3.complete_multipart_upload(
                Bucket=BUCKET, Key=key, UploadId=upload, MultipartUpload={"Parts": done}
            )
        except Exception as exc:
            self._failed(key, exc)
            return
        self._acknowledged(key, version, answer["ETag"], multipart=True)

    def _sending(self, key: str, version: Version) -> None:
        with self.lock:
            entry = self.ledger[key]
            entry.uncertain.append(version)  # from now on it may be committed
            entry.history.add(version.sha256)

    def _acknowledged(self, key: str, version: Version, etag: str, *, multipart: bool) -> None:
        with self.lock:
            entry = self.ledger[key]
            entry.acked, entry.uncertain = version, []  # later than anything before: last writer wins
            self.totals.acknowledged += 1
            self.totals.multipart += multipart
            self.totals.single += not multipart
            if etag != version.etag:
                self.totals.mismatched += 1
                self.totals.problem(f"{key}: acknowledged ETag {etag}, expected {version.etag}")

    def _failed(self, key: str, exc: Exception) -> None:
        """The outcome is unknown (the version stays uncertain); a 5xx while alive is a defect."""
        if isinstance(exc, ClientError) and not self.stop.is_set():
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if status >= 500:
                with self.lock:
                    self.totals.server_errors += 1
                    self.totals.problem(f"{key}: {status} {exc}")
        if not self.stop.is_set():
            time.sleep(0.01)  # the gateway is going away: do not spin


def verify(url: str, writers: Writers, totals: Totals, threads: int = 8) -> int:
    """Check every key against the ledger, then settle the ledger on what is there; return
    how many objects were checked."""
    s3 = client(url, pool=threads)
    listed: dict[str, tuple[int, str]] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            listed[item["Key"]] = (item["Size"], item["ETag"])
    for key in listed.keys() - writers.ledger.keys():
        totals.phantom += 1
        totals.problem(f"{key}: listed but never written")

    def check(key: str) -> Version | None:
        entry = writers.ledger[key]
        allowed = entry.allowed()
        if key not in listed:
            try:
                s3.head_object(Bucket=BUCKET, Key=key)
            except ClientError as exc:
                if exc.response["Error"]["Code"] not in ("404", "NoSuchKey", "NotFound"):
                    raise
            else:
                totals.mismatched += 1
                totals.problem(f"{key}: HEAD finds it, the listing does not")
            if entry.acked is not None:
                totals.lost += 1
                totals.problem(f"{key}: acknowledged version {entry.acked.sha256[:12]} missing")
            return None
        size, etag = listed[key]
        head = s3.head_object(Bucket=BUCKET, Key=key)
        digest = hashlib.sha256()
        got = s3.get_object(Bucket=BUCKET, Key=key)["Body"]
        for chunk in iter(lambda: got.read(MiB), b""):
            digest.update(chunk)
        sha = digest.hexdigest()
        match = next((v for v in allowed if v.sha256 == sha), None)
        if match is None:
            if sha in entry.history:
                totals.lost += 1
                totals.problem(f"{key}: an older version came back instead of {[v.sha256[:12] for v in allowed]}")
            else:
                totals.corrupted += 1
                totals.problem(f"{key}: {sha[:12]} matches no version ever written")
            return Version(sha, size, etag)  # counted once: what is there becomes the key's state
        if not (size == head["ContentLength"] == match.size and etag == head["ETag"] == match.etag):
            totals.mismatched += 1
            totals.problem(
                f"{key}: list {size}/{etag}, HEAD {head['ContentLength']}/{head['ETag']}, "
                f"written {match.size}/{match.etag}"
            )
        return match

    with cf.ThreadPoolExecutor(threads) as pool:
        found = dict(zip(writers.ledger, pool.map(check, writers.ledger), strict=True))
    for key, version in found.items():  # what is there now is the key's settled state
        writers.ledger[key].acked, writers.ledger[key].uncertain = version, []
    return len(listed)


def blob_bytes(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in (data_dir / "blobs").rglob("*") if p.is_file())


def finish(gateway: Gateway, totals: Totals) -> str:
    """Abort the uploads the kills interrupted, stop the gateway and run `admin gc --grace 0`."""
    orphans = admin_gc(gateway.data_dir, "--dry-run")  # no writer is running: what the kills left
    s3 = client(gateway.url)
    aborted = 0
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=BUCKET):
        for upload in page.get("Uploads", []):
            s3.abort_multipart_upload(Bucket=BUCKET, Key=upload["Key"], UploadId=upload["UploadId"])
            aborted += 1
    listed = sum(
        item["Size"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
        for item in page.get("Contents", [])
    )
    gateway.stop()
    before = blob_bytes(gateway.data_dir)
    reclaimed = admin_gc(gateway.data_dir)
    after = blob_bytes(gateway.data_dir)
    if after != listed:
        totals.problem(f"after gc {after} bytes on disk, {listed} bytes listed")
    extra = 100 * (before - listed) / listed if listed else 0.0
    return (
        f"gc: reclaimable after the last round (dry run beside the gateway, grace 0: the kills' pending blobs "
        f"and temporaries, overwritten blobs the collector has not reached yet): {orphans}; "
        f"then {aborted} interrupted multipart uploads "
        f"aborted; on disk {before} bytes for {listed} listed (+{extra:.1f} %); gateway stopped, "
        f"`admin gc --grace 0`: {reclaimed}; on disk after: {after} bytes"
    )


def admin_gc(data_dir: Path, *extra: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "admin", "--data-dir", str(data_dir), "gc", "--grace", "0", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def run_chaos(
    rounds: int = 20,
    writers: int = 50,
    keys_each: int = 4,
    max_size: int = 256 * 1024,
    multipart_share: float = 0.1,
    min_seconds: float = 1.5,
    max_seconds: float = 4.0,
    work_dir: Path | None = None,
    keep: bool = False,
) -> tuple[Totals, list[str]]:
    """The whole run; returns the totals and the lines it printed."""
    base = Path(tempfile.mkdtemp(prefix="junction-chaos-", dir=work_dir))
    gateway = Gateway(base / "data", free_port(), base / "gateway.log")
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        print(line, flush=True)

    try:
        gateway.start()
        client(gateway.url).create_bucket(Bucket=BUCKET)
        crowd = Writers(gateway.url, writers, keys_each, max_size, multipart_share)
        totals = crowd.totals
        rng = random.Random()
        for number in range(1, rounds + 1):
            before = totals.acknowledged
            crowd.run_round(rng.uniform(min_seconds, max_seconds), gateway.kill)
            restart = gateway.start()
            totals.restart_seconds.append(restart)
            checked = verify(gateway.url, crowd, totals)
            say(
                f"round {number}: {totals.acknowledged - before} acknowledged, killed, restarted in "
                f"{restart:.2f} s, {checked} objects verified; lost {totals.lost}, corrupted {totals.corrupted}, "
                f"mismatched {totals.mismatched}, phantom {totals.phantom}, 5xx {totals.server_errors}"
            )
        say(finish(gateway, totals))
        times = totals.restart_seconds
        say(
            f"{rounds} rounds, {totals.acknowledged} acknowledged ({totals.single} PUT, {totals.multipart} multipart), "
            f"{totals.lost} lost, {totals.corrupted} corrupted; restart {min(times):.2f}/"
            f"{statistics.median(times):.2f}/{max(times):.2f} s (min/median/max)"
        )
        for problem in totals.problems:
            say(f"  problem: {problem}")
        return totals, lines
    finally:
        gateway.stop()
        if not keep:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"kept {base}")


def held(totals: Totals) -> bool:
    return not (
        totals.lost
        or totals.corrupted
        or totals.mismatched
        or totals.phantom
        or totals.server_errors
        or totals.problems
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--writers", type=int, default=50, help="concurrent writer threads (each owns its keys)")
    parser.add_argument("--keys-each", type=int, default=4, help="keys per writer (several versions each)")
    parser.add_argument("--max-size", type=int, default=256 * 1024, help="largest single PUT / last part, bytes")
    parser.add_argument("--multipart-share", type=float, default=0.1, help="share of writes that are multipart")
    parser.add_argument("--work-dir", type=Path, help="where the data dir goes (default: the system temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the data dir and log")
    args = parser.parse_args()
    totals, _ = run_chaos(
        args.rounds,
        args.writers,
        args.keys_each,
        args.max_size,
        args.multipart_share,
        work_dir=args.work_dir,
        keep=args.keep,
    )
    return 0 if held(totals) else 1


if __name__ == "__main__":
    sys.exit(main())
