"""The console API document's example client, adapted only in URL and keys.

Transcription gaps of the seed text are filled as in the original JuiceFS example
(`sorted_headers.append(...)`, the `hmac.new(...).hexdigest()` call, closing braces and
the `data=` arguments); `request` returns the response so tests can check it.
"""

import base64
import hashlib
import hmac
import json
import time
from typing import Dict, List, Literal, Optional, Union
from urllib.parse import quote, urlencode, urlsplit

import requests

access_key = "ac7418402ce0ce838ba87eb3a6be72af313cd7028e18007799c0d5651c326925"
secret_key = "5f0c5a5d51515947788fa7b8244acebe166aedd9de28b26ef716888a613c3d92"


def sign(
    secret_key: str,
    timestamp: int,
    method: Literal["GET", "POST", "PATCH", "PUT", "DELETE"],
    path: str,
    headers: dict[str, str],
    query_params: dict[str, str | list[str]] | None,
    body: bytes | None,
) -> str:
    sorted_headers = []
    for h in ["Host"]:
        v = headers.get(h, "")
        if not v:
            raise ValueError(f"header {h} is required")
        sorted_headers.append(f"{h.lower()}:{v}")
    sorted_headers = "\n".join(sorted_headers)
    sorted_qs = ""
    if query_params:
        sorted_qs = sorted(query_params.items(), key=lambda item: item[0])
        for i, (k, values) in enumerate(sorted_qs):
            if not isinstance(values, list):
                values = [values]
            sorted_qs[i] = (k, sorted(values))
        sorted_qs = urlencode(sorted_qs, doseq=True, quote_via=quote)

    payload_hash = hashlib.sha256(body).hexdigest() if body else ""
    parts = [str(timestamp), method, path, sorted_headers, sorted_qs, payload_hash]
    data = "\n".join(parts)
    signature = hmac.new(secret_key.encode("utf-8"), data.encode("utf-8"), hashlib.sha256).hexdigest()
    return signature


def request(
    method: Literal["GET", "POST", "PATCH", "PUT", "DELETE"],
    url: str,
    query_params: dict | None = None,
    data: dict | None = None,
):
    timestamp = int(time.time())
    parts = urlsplit(url)
    path = parts.path
    headers = {"Host": parts.netloc}

    req = requests.Request(method, url, params=query_params, json=data).prepare()
    body = req.body or b""

    print(f"secret_key: {secret_key[:10]}...{secret_key[-10:]}")
    print(f"timestamp: {timestamp}")
    print(f"method: {method}")
    print(f"path: {path}")
    print(f"headers: {headers}")
    print(f"query_params: {query_params if query_params else 'empty'}")
    print(f"body: {body if body else 'empty'}")

    signature = sign(secret_key, timestamp, method, path, headers, query_params, body)
    print(f"signature: {signature}")

    auth = {
        "access_key": access_key,
        "timestamp": timestamp,
        "signature": signature,
        "version": 1,
    }
    token = base64.b64encode(json.dumps(auth).encode()).decode()
    print(f"token: {token}")

    req.headers["Authorization"] = token
    resp = requests.Session().send(req)

    print(json.dumps(resp.json(), indent=2) if resp.content else resp.status_code)
    return resp


# API schema doc:

API_URL = "http://localhost:8080/api/v1"


def get_volumes():
    url = f"{API_URL}/volumes"
    return request("GET", url)


def delete_volume():
    url = f"{API_URL}/volumes/1"
    return request("DELETE", url)


def get_volume_exports():
    url = f"{API_URL}/volumes/1/exports"
    return request("GET", url)


def create_volume_export():
    url = f"{API_URL}/volumes/1/exports"
    return request(
        "POST",
        url,
        data={
            "desc": "for mount",
            "iprange": "",
            "apionly": False,
            "readonly": False,
            "appendonly": False,
        },
    )


def update_volume_export():
    url = f"{API_URL}/volumes/1/exports/1"
    return request("PUT", url, data={"desc": "for mount", "iprange": ""})


def get_volume_quotas():
    url = f"{API_URL}/volumes/1/quotas"
    return request("GET", url)


def create_volume_quota():
    url = f"{API_URL}/volumes/1/quotas"
    return request(
        "POST",
        url,
        data={"path": "/path/to/subdir", "inodes": 1 << 20, "size": 1 << 30},
    )


def update_volume_quota():
    url = f"{API_URL}/volumes/1/quotas/9"
    return request("PUT", url, data={"path": "/foo", "size": 10 << 30})
