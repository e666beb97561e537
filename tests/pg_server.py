"""A throwaway PostgreSQL server for the tests: Debian's `postgresql` package, a fresh cluster in
a temporary directory, listening on a free loopback port, removed afterwards.

`initdb` refuses to run as root, so as root the cluster belongs to `nobody` (its directory is
chown'ed to it and every server command runs under `runuser`). The cluster trades durability
for speed (fsync off): it holds nothing a test needs after a crash.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

SERVER_USER = "nobody"


def find_bin() -> Path:
    """The newest installed server's bin directory (`make test` installs the package: system-deps)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not candidates:
        raise RuntimeError("PostgreSQL is not installed: run `make system-deps` (apt-get install postgresql)")
    return Path(candidates[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def remove_orphans() -> None:
    """Stop and remove the clusters of test runs that were killed before they could (their
    creating process is gone)."""
    for root in glob.glob(os.path.join(tempfile.gettempdir(), "junction-pg-*")):
        try:
            creator = int((Path(root) / "creator.pid").read_text())
            os.kill(creator, 0)
            continue  # its test run still goes on
        except (OSError, ValueError):
            pass
        server = PgServer.__new__(PgServer)
        server.bin, server.root, server.data = find_bin(), Path(root), Path(root) / "cluster"
        server.as_root = os.geteuid() == 0
        server.remove()


class PgServer:
    def __init__(self, durable: bool = False) -> None:
        """`durable`: fsync as a deployment would (benchmarks); tests run without."""
        self.durable = durable
        self.bin = find_bin()
        self.root = Path(tempfile.mkdtemp(prefix="junction-pg-"))
        (self.root / "creator.pid").write_text(str(os.getpid()))
        self.data = self.root / "cluster"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            entry = pwd.getpwnam(SERVER_USER)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.root.chmod(0o700)

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = list(argv)
        if self.as_root:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, cwd=self.root)

    def start(self) -> PgServer:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        self.start_stopped()
        return self

    def start_stopped(self) -> None:
        """Start the (initialised, stopped) cluster on its port."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=400 "
        options += "-c shared_buffers=64MB"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        result = self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start"
        )
        if result.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start: {result.stderr}")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def restart(self) -> None:
        """Stop (dropping every connection) and start again on the same port."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "restart", check=True)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "junction") -> str:
        """A new empty database; its URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


_SHARED: PgServer | None = None


def shared() -> PgServer:
    """The test session's server, started on first use and removed when the process exits."""
    global _SHARED
    if _SHARED is None:
        import atexit

        remove_orphans()
        _SHARED = PgServer().start()
        atexit.register(_SHARED.remove)
    return _SHARED


if __name__ == "__main__":  # manual use: start one and print its URL (stop it with pg_ctl)
    server = PgServer().start()
    print(server.url(), server.root)
