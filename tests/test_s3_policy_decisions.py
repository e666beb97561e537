"""Remembered authorization decisions (gateway/core/authz.py) never answer a request they were
not made for: a policy changed by another process decides the very next request, the same user
from another address is decided by that address, and a date condition applies from its
boundary on, although each of these requests repeats one the gateway has just allowed."""

from __future__ import annotations

import http.client
import json
import time
import uuid
from datetime import UTC, datetime

import boto3
from access_helpers import admin_cli, unique
from botocore.config import Config as BotoConfig
from conftest import boto_client

ATTEMPTS = 6  # GETs per check: with several workers each has answered (and remembered) one


def _user(gw, *attach: str) -> tuple[str, str, str, str]:
    """A user of the root account made by `junction admin` (name, access key, secret, ARN)."""
    name, key, secret = unique("dec"), f"AKDEC{uuid.uuid4().hex[:12].upper()}", uuid.uuid4().hex
    args = [a for policy in attach for a in ("--attach", policy)]
    made = admin_cli(gw, "create-user", name, "--account", "root", "--access-key", key, "--secret-key", secret, *args)
    assert made.returncode == 0, made.stderr
    arn = next(line.split(": ", 1)[1] for line in made.stdout.splitlines() if line.startswith("user: "))
    return name, key, secret, arn


def _presigned(gw, key: str, secret: str, bucket: str, obj: str) -> str:
    signer = boto3.client(
        "s3",
        endpoint_url=gw.url,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=BotoConfig(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )
    url = signer.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": obj}, ExpiresIn=600)
    return url[len(gw.url) :]


def _get(gw, path: str, source: str = "127.0.0.1") -> int:
    """One GET on a new connection from `source` (127.0.0.2 reaches 127.0.0.1 on Linux)."""
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=30, source_address=(source, 0))
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _gets(gw, path: str, source: str = "127.0.0.1") -> set[int]:
    return {_get(gw, path, source) for _ in range(ATTEMPTS)}


def _bucket_with_object(gw) -> str:
    s3 = boto_client(gw)
    name = unique("dec")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"v")
    return name


def test_a_policy_detached_by_another_process_denies_the_very_next_get(gateway):
    bucket = _bucket_with_object(gateway)
    name, key, secret, _arn = _user(gateway, "read-only")
    path = _presigned(gateway, key, secret, bucket, "k")
    assert _gets(gateway, path) == {200}  # remembered by every worker
    assert admin_cli(gateway, "detach-policy", "read-only", "--user", name, "--account", "root").returncode == 0
    assert _get(gateway, path) == 403
    assert _gets(gateway, path) == {403}
    assert admin_cli(gateway, "attach-policy", "read-only", "--user", name, "--account", "root").returncode == 0
    assert _get(gateway, path) == 200


def test_the_same_user_from_another_address_is_decided_by_that_address(gateway):
    bucket = _bucket_with_object(gateway)
    _name, key, secret, arn = _user(gateway)  # no identity policy: the bucket policy alone decides
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": arn},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}},
    }
    boto_client(gateway).put_bucket_policy(
        Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )
    path = _presigned(gateway, key, secret, bucket, "k")
    assert _gets(gateway, path, "127.0.0.1") == {200}
    assert _gets(gateway, path, "127.0.0.2") == {403}
    assert _gets(gateway, path, "127.0.0.1") == {200}
    assert _gets(gateway, path, "127.0.0.2") == {403}


def test_a_date_condition_applies_from_its_boundary_on(gateway):
    bucket = _bucket_with_object(gateway)
    _name, key, secret, _arn = _user(gateway, "read-only")
    path = _presigned(gateway, key, secret, bucket, "k")
    s3 = boto_client(gateway)
    for margin in (5, 10, 20, 40):  # a loaded machine may need longer to answer the first GETs
        boundary = int(time.time()) + margin
        deny_after = {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
            "Condition": {"DateGreaterThan": {"aws:CurrentTime": _iso(boundary)}},
        }
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny_after]}))
        # a change also reaches the shared database's generation, which each worker polls once a
        # second and which renews its identities: let that pass, so the GETs after the boundary
        # ask the very identity and settings objects these GETs were decided (and remembered) with
        time.sleep(1.5)
        before = _gets(gateway, path)
        if time.time() < boundary:  # every one of them was decided before the boundary
            break
    else:
        raise AssertionError("the gateway never answered within 40 s")
    assert before == {200}
    time.sleep(boundary + 1.2 - time.time())  # past the boundary's second: now strictly after it
    assert _gets(gateway, path) == {403}


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
