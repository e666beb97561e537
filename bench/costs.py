"""What a feature costs a request, as ratios within one run: Junction (1 worker, so its one
process is the limit) against itself, the loads interleaved so a noisy moment of the machine
hits every variant, best of the rounds.

- Authorization: 4 KiB GETs signed by the gateway's root key (an administrator: no policy is
  evaluated) against the same GETs by a user of the root account with an attached managed
  policy (read-only) while the bucket has a bucket policy (an Allow naming the user with an
  aws:SourceIp condition, and a Deny of deletes): the policy engine's whole GET path.
- Encryption at rest: 4 KiB PUTs and GETs (wrk, presigned) and one large object up and down
  (boto3, one streamed request each way, as bench/sse.py) plain, SSE-S3 (the bucket's default
  encryption) and SSE-C (the key in the request's headers), each as a ratio to plain.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from botocore.config import Config

from . import latency, sse
from .servers import ROOT, Server, junction, tree_cpu_seconds

READER_KEY, READER_SECRET = "BENCHREADERKEY", "bench-reader-secret-0123456789"
CUSTOMER_KEY = os.urandom(32)
SSE_C_PARAMS = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": CUSTOMER_KEY}
SSE_C_HEADERS = {
    "x-amz-server-side-encryption-customer-algorithm": "AES256",
    "x-amz-server-side-encryption-customer-key": base64.b64encode(CUSTOMER_KEY).decode(),
    "x-amz-server-side-encryption-customer-key-md5": base64.b64encode(hashlib.md5(CUSTOMER_KEY).digest()).decode(),
}
CONNECTIONS = 32
MiB = 1024 * 1024


@dataclass
class Costs:
    """Best requests/s (and that load's p50/p99 ms) per load, and MB/s of the large object per mode."""

    loads: dict[str, dict] = field(default_factory=dict)
    every: dict[str, list[float]] = field(default_factory=dict)  # requests/s of each round, per load
    cpu: dict[str, list[float]] = field(default_factory=dict)  # the server's CPU µs per request, each round
    large: dict[str, tuple[float, float]] = field(default_factory=dict)
    keys: int = 0
    seconds: int = 0
    large_mib: int = 0


def client(server: Server, key: str, secret: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        "s3",
        endpoint_url=server.url,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path", "payload_signing_enabled": False}, retries={"max_attempts": 2}),
    )


def reader_user(server: Server) -> str:
    """A user of the root account with the read-only managed policy and a key (junction admin,
    beside the running gateway); its ARN."""
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "admin", "--data-dir", str(server.data_dir), "create-user"]
        + ["bench-reader", "--account", "root", "--attach", "read-only"]
        + ["--access-key", READER_KEY, "--secret-key", READER_SECRET],
        capture_output=True,
        text=True,
        env={**os.environ, **server.env},
        cwd=ROOT,
        check=True,
    )
    return next(line.split(": ", 1)[1] for line in done.stdout.splitlines() if line.startswith("user: "))


def bucket_policy(bucket: str, reader_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ReadersOnLoopback",
                    "Effect": "Allow",
                    "Principal": {"AWS": [reader_arn]},
                    "Action": ["s3:GetObject"],
                    "Resource": [f"arn:aws:s3:::{bucket}/*"],
                    "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}},
                },
                {
                    "Sid": "NoDeletes",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:DeleteObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                },
            ],
        }
    )


def store(s3, bucket: str, keys: list[str], params: dict) -> None:  # type: ignore[no-untyped-def]
    body = os.urandom(4096)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda key: s3.put_object(Bucket=bucket, Key=key, Body=body, **params), keys))


def measure(
    tmp: Path,
    *,
    count: int,
    seconds: int,
    large_mib: int,
    rounds: int = 2,
    encryption: bool = True,
    source: Path | None = None,
) -> Costs:
    """`encryption` False: the authorization loads alone (`--skip sse`); `source`: run Junction
    from that checkout (`--junction-src`, e.g. the figures before a change)."""
    server = junction(tmp / "costs", 1, source)
    server.name = "Junction costs, 1 worker"
    server.env["JUNCTION_SSE_C_OVER_HTTP"] = "true"  # loopback bench
    count = min(count, 500)
    keys = [f"small/{i:06d}" for i in range(count)]
    server.start()
    try:
        root = client(server, server.key, server.secret)
        for bucket in ("plain", "encrypted"):
            root.create_bucket(Bucket=bucket)
        root.put_bucket_encryption(
            Bucket="encrypted",
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        )
        root.put_bucket_policy(Bucket="plain", Policy=bucket_policy("plain", reader_user(server)))
        store(root, "plain", keys, {})
        store(root, "encrypted", keys, {})
        store(root, "plain", [f"ssec/{k}" for k in keys], SSE_C_PARAMS)
        reader = Server(server.name, server.argv, server.data_dir, server.env, server.port, READER_KEY, READER_SECRET)
        fresh = [f"put/{i:06d}" for i in range(count)]
        plans = {  # load -> (signer, method, bucket, keys, presign params, headers wrk sends)
            "GET root key": (server, "GET", "plain", keys, {}, {}),
            "GET user + policies": (reader, "GET", "plain", keys, {}, {}),
            "GET SSE-S3": (server, "GET", "encrypted", keys, {}, {}),
            "GET SSE-C": (server, "GET", "plain", [f"ssec/{k}" for k in keys], SSE_C_PARAMS, SSE_C_HEADERS),
            "PUT plain": (server, "PUT", "plain", fresh, {}, {}),
            "PUT SSE-S3": (server, "PUT", "encrypted", fresh, {}, {}),
            "PUT SSE-C": (server, "PUT", "plain", [f"ssec/{k}" for k in fresh], SSE_C_PARAMS, SSE_C_HEADERS),
        }
        if not encryption:
            plans = {name: plan for name, plan in plans.items() if name.startswith("GET root") or "user" in name}
        script = tmp / "costs.lua"
        script.write_text(latency.LUA)
        files = {}
        for name, (signer, method, bucket, load_keys, params, _headers) in plans.items():
            files[name] = tmp / f"costs-{len(files)}.txt"
            paths = latency.presigned_paths(signer, method, load_keys, bucket=bucket, params=params)
            files[name].write_text("\n".join(paths) + "\n")
        costs = Costs(keys=count, seconds=seconds, large_mib=large_mib)
        for _ in range(rounds):
            for name, (_signer, method, _bucket, _keys, _params, headers) in plans.items():
                assert server.proc is not None
                used = tree_cpu_seconds(server.proc.pid)
                got = latency.run_wrk(server, method, files[name], script, CONNECTIONS, seconds, headers)
                used = tree_cpu_seconds(server.proc.pid) - used
                costs.cpu.setdefault(name, []).append(1e6 * used / max(got["requests"], 1))
                if got["non2xx"] or got["socket_errors"]:
                    raise RuntimeError(f"{name}: {got['non2xx']} error answers, {got['socket_errors']} socket errors")
                costs.every.setdefault(name, []).append(got["rps"])
                if got["rps"] > costs.loads.get(name, {}).get("rps", 0.0):
                    costs.loads[name] = got
        large = {"plain": {}, "SSE-S3": {"ServerSideEncryption": "AES256"}, "SSE-C": SSE_C_PARAMS}
        for _ in range(rounds if encryption else 0):
            for mode, params in large.items():
                put, get = sse.put_get_in(root, "plain", f"large-{mode}", large_mib * MiB, params)
                best = costs.large.get(mode, (0.0, 0.0))
                costs.large[mode] = (max(best[0], put), max(best[1], get))
                root.delete_object(Bucket="plain", Key=f"large-{mode}")
        return costs
    finally:
        server.stop()


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _ratio(value: float, base: float) -> str:
    return f"(×{value / base:.2f})" if base else ""


def render(costs: Costs) -> list[str]:
    loads, large = costs.loads, costs.large
    head = (
        f"wrk, {CONNECTIONS} connections, {costs.seconds} s per load over {costs.keys} keys, presigned; "
        "best of the interleaved rounds; Junction with 1 worker."
    )
    parts = [
        "## Authorization cost (GET 4 KiB)",
        "",
        head + " `(×r)`: the ratio to the root key's GETs.",
        "",
        "| caller | GET/s | p50 ms | p99 ms |",
        "|---|---|---|---|",
    ]
    root = loads.get("GET root key", {}).get("rps", 0.0)
    for name, label in (
        ("GET root key", "root key (administrator)"),
        ("GET user + policies", "user: managed policy attached, bucket policy"),
    ):
        if name in loads:
            got = loads[name]
            parts.append(
                f"| {label} | {got['rps']:,.0f} {_ratio(got['rps'], root)} | {got['p50_us'] / 1000:.1f} | "
                f"{got['p99_us'] / 1000:.1f} |"
            )
    if "GET user + policies" in costs.every and root:
        pairs = zip(costs.every["GET user + policies"], costs.every["GET root key"], strict=True)
        parts += ["", "Each round's ratio (user / root key): " + ", ".join(f"×{u / r:.2f}" for u, r in pairs) + "."]
        user_cpu, root_cpu = costs.cpu["GET user + policies"], costs.cpu["GET root key"]
        parts += [
            "",
            "The server's CPU per GET (user + system µs, all its threads; less sensitive to what else "
            f"the machine runs): root key {_median(root_cpu):.0f} µs, user {_median(user_cpu):.0f} µs "
            f"(medians of the rounds), so the user's GETs at ×{_median(root_cpu) / _median(user_cpu):.2f} "
            "of the root key's rate where CPU is the limit; each round: "
            + ", ".join(f"×{r / u:.2f}" for u, r in zip(user_cpu, root_cpu, strict=True))
            + ".",
        ]
    if "PUT plain" not in loads:
        return parts + [""]
    parts += [
        "",
        "## Encryption at rest vs plain",
        "",
        head + f" The large object: {costs.large_mib} MiB, one streamed request each way (boto3). "
        "`(×r)`: the ratio to plain.",
        "",
        f"| mode | PUT 4 KiB/s | GET 4 KiB/s | PUT {costs.large_mib} MiB MB/s | GET {costs.large_mib} MiB MB/s |",
        "|---|---|---|---|---|",
    ]
    plain_put, plain_get = loads.get("PUT plain", {}).get("rps", 0.0), loads.get("GET root key", {}).get("rps", 0.0)
    big_put, big_get = large.get("plain", (0.0, 0.0))
    for mode in ("plain", "SSE-S3", "SSE-C"):
        put = loads.get(f"PUT {mode}", {}).get("rps", 0.0)
        get = loads.get("GET root key" if mode == "plain" else f"GET {mode}", {}).get("rps", 0.0)
        up, down = large.get(mode, (0.0, 0.0))
        parts.append(
            f"| {mode} | {put:,.0f} {_ratio(put, plain_put)} | {get:,.0f} {_ratio(get, plain_get)} | "
            f"{up:,.0f} {_ratio(up, big_put)} | {down:,.0f} {_ratio(down, big_get)} |"
        )
    return parts + [""]
