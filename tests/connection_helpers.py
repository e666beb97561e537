"""Raw-socket helpers for the connection-limit tests: hand-signed request heads, responses
read off the wire, the gateway's JSON log lines, and what is left in the blob store."""

from __future__ import annotations

import json
import select
import socket
import time
from pathlib import Path

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def signed_head(
    gw, method: str, path: str, headers: dict[str, str], *, payload: str = "UNSIGNED-PAYLOAD", service: str = "s3"
) -> bytes:
    """A request line and headers signed with SigV4 over `payload` (UNSIGNED-PAYLOAD: the body is sent raw)."""
    request = AWSRequest(
        method=method,
        url=gw.url + path,
        headers={"Host": f"127.0.0.1:{gw.port}", "x-amz-content-sha256": payload, **headers},
    )
    SigV4Auth(Credentials(gw.access_key, gw.secret_key), service, "us-east-1").add_auth(request)
    lines = [f"{method} {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in request.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def connect(gw, timeout: float = 15.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", gw.port), timeout=timeout)
    return sock


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response (status, lower-cased headers, body by Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        if not piece:
            raise AssertionError(f"connection closed before a full response head: {data!r}")
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        piece = sock.recv(65536)
        if not piece:
            break
        body += piece
    return int(status_line.split()[1]), headers, body


def closed_by_peer(sock: socket.socket, wait: float = 5.0) -> bool:
    """True when the server closes the connection (EOF or reset) within `wait` seconds."""
    sock.settimeout(wait)
    try:
        while True:
            if not sock.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def drip(sock: socket.socket, data: bytes, every: float, limit: float) -> bool:
    """Send `data` a byte at a time, `every` seconds apart; True once the server answers."""
    deadline = time.monotonic() + limit
    for byte in data:
        if time.monotonic() > deadline:
            return False
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            return True
        readable, _, _ = select.select([sock], [], [], every)
        if readable:
            return True
    return False


def log_entries(gw, since: int = 0) -> list[dict]:
    """The gateway's JSON log lines written after byte offset `since` (the banner is skipped)."""
    entries = []
    for line in gw.logs()[since:].splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                entries.append(json.loads(line))
            except ValueError:
                pass
    return entries


def wait_for_access_line(gw, since: int, match, timeout: float = 10.0) -> list[dict]:
    """Access lines (`msg == "request"`) after `since` for which `match(entry)` holds, once any appear."""
    deadline = time.monotonic() + timeout
    while True:
        found = [e for e in log_entries(gw, since) if e.get("msg") == "request" and match(e)]
        if found or time.monotonic() > deadline:
            time.sleep(0.3)  # a second (wrong) line would be written right after the first
            return [e for e in log_entries(gw, since) if e.get("msg") == "request" and match(e)]
        time.sleep(0.1)


def leftovers(data_dir: Path) -> list[str]:
    """What failed writes left behind: files under the default user space that back no live blob
    (temporary files included), and blob records that are not live. Tests using it delete nothing,
    so a deleted object's blob (dead until the collector runs) is not mistaken for one. Unused
    `reserved` records (registrations made ahead for small writes, with no file) are not
    leftovers: a failed write's own registration is abandoned and forgotten, not left reserved."""
    import sqlite3

    conn = sqlite3.connect(f"file:{data_dir / 'meta.sqlite3'}?mode=ro", uri=True)
    try:
        live = {key for (key,) in conn.execute("SELECT key FROM blobs WHERE state = 'live'")}
        stray_rows = [
            f"{state}:{key}"
            for key, state in conn.execute("SELECT key, state FROM blobs WHERE state NOT IN ('live', 'reserved')")
        ]
    finally:
        conn.close()
    root = data_dir / "blobs"
    files = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()] if root.exists() else []
    return sorted([f for f in files if f not in live] + stray_rows)
