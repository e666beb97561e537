"""Shared by the encryption tests: SSE-C keys, error codes, and the raw blobs a space holds."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from gateway.core.sse.packages import sealed_size

__all__ = ["customer_key", "error", "local_blobs", "sealed_size", "ssec"]


def customer_key() -> bytes:
    return os.urandom(32)


def ssec(key: bytes, *, copy_source: bool = False) -> dict[str, object]:
    """boto3 parameters naming an SSE-C key (boto3 adds the base64 and the MD5)."""
    prefix = "CopySource" if copy_source else ""
    return {f"{prefix}SSECustomerAlgorithm": "AES256", f"{prefix}SSECustomerKey": key}


def ssec_headers(key: bytes) -> dict[str, str]:
    return {
        "x-amz-server-side-encryption-customer-algorithm": "AES256",
        "x-amz-server-side-encryption-customer-key": base64.b64encode(key).decode(),
        "x-amz-server-side-encryption-customer-key-MD5": base64.b64encode(hashlib.md5(key).digest()).decode(),
    }


def error(exc_info) -> tuple[int, str]:
    response = exc_info.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def local_blobs(root: Path) -> dict[str, bytes]:
    """Every blob file under a Local space's root (temporaries excluded)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and "junction-tmp" not in p.name
    }


def console(gw, method: str, path: str, data=None):
    """A console API call signed as the console document's example client signs it."""
    import json
    import time

    import console_example
    import requests

    url = f"{gw.url}/api/v1{path}"
    req = requests.Request(method, url, json=data).prepare()
    ts = int(time.time())
    host = url.split("/")[2]
    signature = console_example.sign(gw.secret_key, ts, method, f"/api/v1{path}", {"Host": host}, None, req.body)
    token = {"access_key": gw.access_key, "timestamp": ts, "signature": signature, "version": 1}
    req.headers["Authorization"] = base64.b64encode(json.dumps(token).encode()).decode()
    return requests.Session().send(req, verify=False)
