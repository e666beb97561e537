"""Fixtures and helpers shared by the native API tests (imported by tests/test_native_*.py)."""

from __future__ import annotations

import hashlib
import sqlite3
import time
import uuid
from typing import Any

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from gateway.client import NativeClient, NativeError


@pytest.fixture(scope="session")
def native(gateway) -> NativeClient:
    return NativeClient(gateway.url, gateway.access_key, gateway.secret_key)


@pytest.fixture
def nbucket(native) -> dict[str, Any]:
    """A fresh bucket created through the native API."""
    return native.create_bucket(f"n-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def npackage(native, nbucket) -> dict[str, Any]:
    return native.create_package(nbucket["bucketID"], "pkg")


def full_hash(data: bytes) -> str:
    return "Full" + hashlib.sha256(data).hexdigest().upper()


def expect_error(code: str, status: int, fn, *args, **kwargs) -> NativeError:
    with pytest.raises(NativeError) as info:
        fn(*args, **kwargs)
    assert (info.value.code, info.value.status) == (code, status), info.value
    return info.value


def raw_request(
    gw,
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    query: str = "",
    service: str = "jcs",
    secret: str | None = None,
    access: str | None = None,
    sign: bool = True,
) -> requests.Response:
    """A hand-built request, signed like botocore's SigV4Auth would (or not at all)."""
    url = gw.url + path + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    if sign:
        creds = Credentials(access or gw.access_key, secret or gw.secret_key)
        SigV4Auth(creds, service, "us-east-1").add_auth(request)
    return requests.request(method, url, headers=dict(request.headers.items()), data=body)


def add_export_key(gw, bucket_id: int, *, readonly: bool = False, appendonly: bool = False) -> tuple[str, str]:
    """Register an export key confined to one bucket, straight in the metadata store (the
    console API that manages exports is another front end)."""
    access, secret = f"EXP{uuid.uuid4().hex[:12].upper()}", uuid.uuid4().hex
    conn = sqlite3.connect(gw.data_dir / "meta.sqlite3", timeout=10)
    try:
        with conn:
            conn.execute(
                "INSERT INTO credentials (access_key, secret_key, kind, bucket_id, readonly, appendonly, created) "
                "VALUES (?, ?, 'export', ?, ?, ?, ?)",
                (access, secret, bucket_id, int(readonly), int(appendonly), time.time()),
            )
    finally:
        conn.close()
    return access, secret
