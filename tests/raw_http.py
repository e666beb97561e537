"""Raw HTTP/1.1 over a socket, and SigV4/console signing over raw header bytes.

`requests` and `http.client` refuse (or re-encode) header values that are not latin-1 text,
so tests that send arbitrary bytes in headers build the request themselves. The signer here
is an independent implementation of the SigV4 rules over bytes: the canonical request is
exactly the bytes on the wire, which is what the gateway verifies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]  # lowercased names (a repeated header keeps its last value)
    body: bytes

    def xml_code(self) -> str:
        """The <Code> of an S3 error document."""
        text = self.body.decode()
        return text.split("<Code>", 1)[1].split("</Code>", 1)[0]

    def json(self) -> dict:
        return json.loads(self.body)


def send(port: int, head: bytes, body: bytes = b"", *, timeout: float = 10) -> RawResponse:
    """Send `head` (request line + header lines, no final blank line) and `body`; read the answer."""
    request = head.rstrip(b"\r\n") + b"\r\nConnection: close\r\n\r\n" + body
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    raw = b"".join(chunks)
    head_bytes, _, payload = raw.partition(b"\r\n\r\n")
    status_line, *lines = head_bytes.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        payload = _dechunk(payload)
    return RawResponse(int(status_line.split(" ")[1]), headers, payload)


def _dechunk(data: bytes) -> bytes:
    out = []
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out.append(data[:size])
        data = data[size + 2 :]
    return b"".join(out)


def amz_now() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def sigv4_authorization(
    method: bytes,
    path: bytes,
    headers: list[tuple[bytes, bytes]],
    *,
    access_key: str,
    secret_key: str,
    amz_date: str,
    payload_hash: str,
    service: str = "s3",
    region: str = "us-east-1",
    query: bytes = b"",
    signature: str | None = None,
) -> bytes:
    """The Authorization value signing every header in `headers` over their raw bytes.

    `headers` must hold lowercase names (host, x-amz-date... included); `signature`
    overrides the computed one (e.g. all zeros).
    """
    names = sorted(name for name, _ in headers)
    values = dict(headers)
    canonical = b"\n".join(
        [
            method,
            path,
            query,
            b"".join(name + b":" + values[name].strip() + b"\n" for name in names),
            b";".join(names),
            payload_hash.encode(),
        ]
    )
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical).hexdigest()]).encode()
    key = ("AWS4" + secret_key).encode()
    for part in (amz_date[:8], region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    computed = hmac.new(key, to_sign, hashlib.sha256).hexdigest()
    return (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={';'.join(n.decode() for n in names)}, "
        f"Signature={signature or computed}"
    ).encode()


def signed_head(
    method: str,
    target: str,
    port: int,
    extra: list[tuple[bytes, bytes]],
    *,
    access_key: str,
    secret_key: str,
    service: str = "s3",
    payload_hash: str = EMPTY_SHA256,
    send_payload_header: bool = True,
    signature: str | None = None,
) -> bytes:
    """A request head whose SigV4 signature covers `extra` (raw bytes, lowercase names) too."""
    amz_date = amz_now()
    path, _, query = target.partition("?")
    headers = [(b"host", f"127.0.0.1:{port}".encode()), (b"x-amz-date", amz_date.encode()), *extra]
    if send_payload_header:
        headers.append((b"x-amz-content-sha256", payload_hash.encode()))
    authorization = sigv4_authorization(
        method.encode(),
        path.encode(),
        headers,
        access_key=access_key,
        secret_key=secret_key,
        amz_date=amz_date,
        payload_hash=payload_hash,
        service=service,
        query=_canonical_query(query).encode(),
        signature=signature,
    )
    lines = [f"{method} {target} HTTP/1.1".encode(), *(n + b": " + v for n, v in headers)]
    lines.append(b"Authorization: " + authorization)
    return b"\r\n".join(lines)


def _canonical_query(query: str) -> str:
    """Sorted pairs; the tests only use already-encoded unreserved text."""
    pairs = sorted(tuple(item.partition("=")[::2]) for item in query.split("&") if item)
    return "&".join(f"{k}={v}" for k, v in pairs)


def console_token(
    access_key: str, secret_key: str, method: str, path: str, host: bytes, body: bytes = b"", timestamp: int = 0
) -> bytes:
    """A console token signed over the raw Host bytes (no query)."""
    ts = timestamp or int(time.time())
    payload_hash = hashlib.sha256(body).hexdigest() if body else ""
    message = b"\n".join(
        [str(ts).encode(), method.encode(), path.encode(), b"host:" + host, b"", payload_hash.encode()]
    )
    signature = hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()
    token = {"access_key": access_key, "timestamp": ts, "signature": signature, "version": 1}
    return base64.b64encode(json.dumps(token).encode())
