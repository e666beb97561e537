"""docker-compose.yml and deploy/nginx.conf describe one namespace served by several instances
(README "Metadata on PostgreSQL"): checked statically, since the tests cannot pull images.
tests/test_multi_instance.py runs the same topology on loopback (three processes, one
PostgreSQL, one data dir, a round-robin balancer)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from gateway.config import Config

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def gateways(doc: dict) -> dict[str, dict]:
    return {name: svc for name, svc in doc["services"].items() if name.startswith("gateway")}


def test_every_gateway_shares_the_database_the_data_and_the_secrets() -> None:
    doc = compose()
    found = gateways(doc)
    assert len(found) >= 2
    environments = [svc["environment"] for svc in found.values()]
    for env in environments:
        assert env == environments[0]  # one namespace: same metadata URL, root keys, secrets key
        assert env["JUNCTION_META_URL"].startswith("postgresql://") and "@postgres:5432/" in env["JUNCTION_META_URL"]
        assert env["JUNCTION_SECRETS_KEY"]
        for variable in env:  # every variable names a real config field
            assert variable.removeprefix("JUNCTION_").lower() in Config.__dataclass_fields__, variable
    for svc in found.values():
        assert "junction-data:/data" in svc["volumes"]  # the Dockerfile's data dir, shared
        assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "junction-data" in doc["volumes"] and "junction-meta" in doc["volumes"]


def test_the_balancer_spreads_over_every_gateway_and_keeps_the_signed_host() -> None:
    doc = compose()
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    upstreams = re.findall(r"^\s*server\s+(\w+):9000", conf, re.M)
    assert sorted(upstreams) == sorted(gateways(doc))
    assert "proxy_set_header Host $http_host;" in conf  # SigV4 signs the Host header
    assert "client_max_body_size 0;" in conf and "proxy_request_buffering off;" in conf  # streamed, any size
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in doc["services"]["balancer"]["volumes"]
