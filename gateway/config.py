"""Gateway configuration: defaults < config file (TOML) < environment < command line."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .datadir import make_private_dir, write_private_file

ENV_PREFIX = "JUNCTION_"


def cores() -> int:
    """CPUs this process may run on (its affinity mask, which containers and taskset narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # no sched_getaffinity on this platform
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 9000
    data_dir: Path = Path("./data")
    # the metadata database: sqlite:///path or postgresql://user:password@host:port/db;
    # empty: SQLite in <data dir>/meta.sqlite3 (gateway/meta/db.py open_database)
    meta_url: str = ""
    workers: int = field(default_factory=cores)  # pre-forked processes sharing the port: one per core
    region: str = "us-east-1"
    domain: str = ""  # virtual-hosted-style base domain, e.g. "s3.example.com"
    root_access_key: str = ""
    root_secret_key: str = ""
    tls_cert: str = ""  # PEM certificate chain: serve HTTPS when set with tls_key
    tls_key: str = ""
    log_level: str = "INFO"
    gc_interval: float = 60.0
    orphan_grace: float = 24 * 3600.0
    secrets_key: str = ""  # seals user-space credentials at rest; default: a key file in the data dir
    local_roots: str = ""  # comma-separated directories Local user spaces may use (besides <data dir>/spaces)
    # S3 storage class -> user space (name or id): "GLACIER=archive,STANDARD_IA=2", or a TOML table
    storage_classes: str = ""
    # Encryption at rest (gateway/core/sse): master keys, newest first ("" = the data dir's master.key),
    # SSE-KMS key ids onto master keys ("ID=base64,..."), and SSE-C over plain HTTP (refused by default)
    master_key: str = ""
    kms_keys: str = ""
    sse_c_over_http: bool = False
    lifecycle_day_seconds: float = 86400.0  # how long a lifecycle "day" is (shorter only for tests)
    notify_retry_seconds: float = 2.0  # first retry delay of a failed webhook delivery; doubles each attempt
    # a failing webhook's events (README "Bucket notifications"): given up after this many attempts or
    # this long, at most notify_queue_limit waiting per webhook, the newest failed ones kept for a while
    notify_max_attempts: int = 30
    notify_max_age_seconds: float = 86400.0
    notify_queue_limit: int = 10000
    notify_failed_keep: int = 1000
    notify_failed_keep_seconds: float = 7 * 86400.0
    sse_keepalive_seconds: float = 15.0  # the console's event streams: a comment line after this much silence
    audit_retention_days: float = 90.0  # audit log entries older than this are pruned; 0 keeps them forever
    umask: str = "077"  # octal, for what the gateway creates (blobs, job files); secrets are 0600 regardless
    # Slow and oversized requests (see gateway/connection.py; README "Running" says why these defaults)
    header_timeout: float = 30.0  # seconds from a request's first byte to the end of its headers
    body_timeout: float = 20.0  # seconds a request body may go without a byte (S3's RequestTimeout)
    body_min_rate: float = 500.0  # bytes/s a body must average beyond its first body_timeout; 0: no minimum
    max_header_size: int = 16 * 1024  # bytes of request line and header section
    max_header_count: int = 128  # header lines
    # FTP and SFTP into the namespace (gateway/ftp/; README "FTP and SFTP"): 0 = off. Served by worker 0 only.
    ftp_port: int = 0
    sftp_port: int = 0
    ftp_passive_ports: str = ""  # passive data ports, "30000-30099" ("" : any free port)
    ftp_passive_address: str = ""  # the IPv4 address PASV announces (behind NAT); "" : the server's own

    def with_overrides(self, values: dict[str, Any]) -> Config:
        known = {f.name: f.type for f in fields(self)}
        clean: dict[str, Any] = {}
        for name, value in values.items():
            if name not in known or value is None:
                continue
            current = getattr(self, name)
            if isinstance(value, dict):  # a TOML table (storage_classes): kept as "KEY=value,..."
                value = ",".join(f"{k}={v}" for k, v in value.items())
            if isinstance(current, Path):
                value = Path(value)
            elif isinstance(current, bool):
                value = str(value).lower() in ("1", "true", "yes")
            elif isinstance(current, int):
                value = int(value)
            elif isinstance(current, float):
                value = float(value)
            clean[name] = value
        return replace(self, **clean)


def load_config(path: Path | None = None, cli: dict[str, Any] | None = None, *, root_keys: bool = True) -> Config:
    """The configuration; with `root_keys`, root keys too (generated in the data dir on first use)."""
    config = Config()
    file_path = path or (Path(os.environ[f"{ENV_PREFIX}CONFIG"]) if f"{ENV_PREFIX}CONFIG" in os.environ else None)
    if file_path is not None:
        with open(file_path, "rb") as fh:
            config = config.with_overrides(tomllib.load(fh))
    env = {f.name: os.environ.get(ENV_PREFIX + f.name.upper()) for f in fields(Config)}
    config = config.with_overrides(env)
    config = config.with_overrides(cli or {})
    return with_root_credentials(config) if root_keys else config


def generated_secret(config: Config) -> bool:
    """True when the root secret is the one Junction generated and stored in the data dir."""
    stored = config.data_dir / "root-credentials.json"
    return stored.exists() and json.loads(stored.read_text()).get("secret_key") == config.root_secret_key


def with_root_credentials(config: Config) -> Config:
    """Use the configured root keys, else the ones generated on first start (kept in the data dir)."""
    if config.root_access_key and config.root_secret_key:
        return config
    stored = config.data_dir / "root-credentials.json"
    if not stored.exists():
        keys = {"access_key": "JX" + secrets.token_hex(9).upper(), "secret_key": secrets.token_urlsafe(30)}
        make_private_dir(config.data_dir)
        with contextlib.suppress(FileExistsError):  # another process made them first: use theirs
            write_private_file(stored, json.dumps(keys), exclusive=True)
    keys = json.loads(stored.read_text())
    return replace(
        config,
        root_access_key=config.root_access_key or keys["access_key"],
        root_secret_key=config.root_secret_key or keys["secret_key"],
    )
