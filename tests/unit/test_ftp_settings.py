"""FTP/SFTP settings (config fields, env, flags, the passive range) and the login fields'
parsing (gateway/core/ftp_logins.py), without a gateway."""

from __future__ import annotations

import pytest

from gateway.cli import _serve_args
from gateway.config import load_config
from gateway.core.ftp_logins import home_of, keys_of, permission_of
from gateway.domain.errors import JunctionError
from gateway.ftp.servers import parse_port_range


def test_off_by_default_and_on_from_env_or_flags(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(None, {"data_dir": str(tmp_path)}, root_keys=False)
    assert (config.ftp_port, config.sftp_port, config.ftp_passive_ports) == (0, 0, "")
    monkeypatch.setenv("JUNCTION_FTP_PORT", "2121")
    monkeypatch.setenv("JUNCTION_SFTP_PORT", "2222")
    config = load_config(None, {"data_dir": str(tmp_path)}, root_keys=False)
    assert (config.ftp_port, config.sftp_port) == (2121, 2222)
    import argparse

    parser = argparse.ArgumentParser()
    _serve_args(parser)
    args = parser.parse_args(["--ftp-port", "21", "--sftp-port", "22", "--ftp-passive-ports", "30000-30009"])
    config = load_config(None, {**vars(args), "data_dir": str(tmp_path)}, root_keys=False)
    assert (config.ftp_port, config.sftp_port, config.ftp_passive_ports) == (21, 22, "30000-30009")


def test_passive_port_ranges() -> None:
    assert parse_port_range("") is None
    assert parse_port_range("30000-30002") == (30000, 30001, 30002)
    assert parse_port_range("5000, 6000-6001") == (5000, 6000, 6001)
    for bad in ("0-10", "70000", "10-5", "a-b"):
        with pytest.raises(ValueError):
            parse_port_range(bad)


def test_permissions_homes_and_keys() -> None:
    assert permission_of("read") == "read" and permission_of("elr") == "read"
    assert permission_of("elradfmw") == "write" and permission_of("RW") == "write"
    with pytest.raises(JunctionError):
        permission_of("everything")
    assert home_of("/bucket/a/b/") == ("bucket", "a/b/")
    assert home_of("bucket") == ("bucket", "")
    assert home_of(None) == ("", "")
    with pytest.raises(JunctionError):
        home_of("bucket/../other")
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@host"
    assert keys_of([key]) == key
    assert keys_of(key + "\n\n") == key
    with pytest.raises(JunctionError):
        keys_of(["not a key"])
    with pytest.raises(JunctionError):
        keys_of([key + "\nssh-rsa AAAA"])  # one entry, two lines: refused, not split
