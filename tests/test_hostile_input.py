"""Hostile input, one table: every case is a request a hostile (or broken) client sends, the
exact answer it must get (status and error code), and proof that nothing changed: the
bucket's versions, its multipart uploads, the parts of a pending upload, its tags and the
blob files on disk are the same before and after. Never a 5xx.

Requests are signed with botocore's SigV4 and sent with http.client (or a raw socket), so
the target goes on the wire exactly as written: `%FF`, `%00`, `..` stay as they are.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import json
import re
import socket
import time
import uuid
import xml.etree.ElementTree as ElementTree
import zlib
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.auth
import pytest
import requests
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from conftest import boto_client, start_gateway, stop_gateway

from gateway.client import NativeClient

S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
CLOSED = 0  # "status" of a connection the server closed without an answer (the client aborted)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def code(self) -> str | None:
        """The error code of an S3 XML error, a native envelope or a console JSON error."""
        if self.body.startswith(b"<?xml") or self.body.startswith(b"<Error"):
            found = re.search(rb"<Code>([^<]*)</Code>", self.body)
            return found.group(1).decode() if found else None
        if self.body.startswith(b"{"):
            data = json.loads(self.body)
            return data["error"]["code"] if "error" in data else data.get("code")
        return None


@dataclass
class World:
    """What a case may refer to: the gateway, the bucket under attack and its fixtures."""

    gw: Any
    s3: Any
    bucket: str
    upload_id: str
    part_etags: list[str]
    package_id: int
    bucket_id: int
    native_object: int

    def fill(self, text: str) -> str:
        return text.replace("{b}", self.bucket).replace("{u}", self.upload_id)


# ---------------------------------------------------------------- senders


@contextmanager
def clock(when: dt.datetime | None):
    """Pin the time botocore signs with (it reads datetime inside add_auth)."""
    if when is None:
        yield
        return

    class Frozen(dt.datetime):
        @classmethod
        def utcnow(cls):  # type: ignore[override]
            return when.replace(tzinfo=None)

        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return when if tz else when.replace(tzinfo=None)

    original = botocore.auth.datetime.datetime
    botocore.auth.datetime.datetime = Frozen
    try:
        yield
    finally:
        botocore.auth.datetime.datetime = original


def signed_headers(
    w: World,
    method: str,
    target: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    service: str = "s3",
    access: str | None = None,
    when: dt.datetime | None = None,
) -> dict[str, str]:
    """botocore's SigV4 headers; service "s3-streaming" keeps the caller's x-amz-content-sha256."""
    request = AWSRequest(method=method, url=w.gw.url + target, data=body, headers=dict(headers or {}))
    creds = Credentials(access or w.gw.access_key, w.gw.secret_key)
    if service == "s3":
        signer: SigV4Auth = S3SigV4Auth(creds, "s3", "us-east-1")
    else:
        signer = SigV4Auth(creds, "s3" if service == "s3-streaming" else service, "us-east-1")
    with clock(when):
        signer.add_auth(request)
    return dict(request.headers.items())


def wire(w: World, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> Reply:
    """Send exactly this target and these headers (http.client does not rewrite the path)."""
    conn = http.client.HTTPConnection("127.0.0.1", w.gw.port, timeout=30)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", f"127.0.0.1:{w.gw.port}")
        for name, value in headers.items():
            if name.lower() not in ("host", "content-length"):
                conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


def over_socket(w: World, head: bytes, body: bytes = b"", *, shut: bool = True) -> Reply:
    """A hand-written request on a raw socket; `shut` half-closes after the body."""
    with socket.create_connection(("127.0.0.1", w.gw.port), timeout=30) as sock:
        try:
            sock.sendall(head + body)
            if shut:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer (and close) before reading everything
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    if not data:
        return Reply(CLOSED, {}, b"")
    status_line, _, rest = data.partition(b"\r\n")
    raw_headers, _, payload = rest.partition(b"\r\n\r\n")
    headers = {}
    for line in raw_headers.split(b"\r\n"):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        payload = dechunk(payload)
    return Reply(int(status_line.split()[1]), headers, payload)


def dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, data = out + data[:size], data[size + 2 :]
    return out


def head_bytes(method: str, target: str, headers: dict[str, str]) -> bytes:
    headers = {**headers, "Connection": "close"}  # so reading the answer ends
    lines = [f"{method} {target} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# ---------------------------------------------------------------- the table


@dataclass
class Case:
    name: str
    method: str = "GET"
    target: str = "/{b}"
    status: int = 400
    code: str | None = None  # S3 <Code>, native `code`, console error code; None: no body to check
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    service: str = "s3"  # s3 | jcs (native) | console | none (unsigned)
    md5: bool = False  # add the body's Content-MD5 (DeleteObjects demands one)
    send: Callable[[World, Case], Reply] | None = None  # a case that needs its own way of sending
    check: Callable[[Reply], None] | None = None  # more to assert on the answer
    creates: str | None = None  # the one key this case legitimately adds (a literal '..' key)
    signed_as: str | None = None  # the target as SigV4 canonicalises it, when it differs from the wire


def send_case(w: World, case: Case) -> Reply:
    if case.send is not None:
        return case.send(w, case)
    target, body = w.fill(case.target), case.body
    headers = {k: w.fill(v) for k, v in case.headers.items()}
    if case.md5:
        headers["Content-MD5"] = base64.b64encode(hashlib.md5(body).digest()).decode()
    if case.service == "console":
        return console_send(w, case.method, target, body)
    if case.service != "none":
        signed = w.fill(case.signed_as or case.target)
        headers = signed_headers(w, case.method, signed, body, headers, service=case.service)
    return wire(w, case.method, target, headers, body)


def console_send(w: World, method: str, target: str, body: bytes = b"") -> Reply:
    """The console's HMAC token (gateway/console/auth.py), for a target without a query."""
    now = int(time.time())
    payload = hashlib.sha256(body).hexdigest() if body else ""
    message = "\n".join([str(now), method, target, f"host:127.0.0.1:{w.gw.port}", "", payload])
    signature = hmac.new(w.gw.secret_key.encode(), message.encode(), hashlib.sha256).hexdigest()
    token = {"access_key": w.gw.access_key, "timestamp": now, "signature": signature, "version": 1}
    return wire(w, method, target, {"Authorization": base64.b64encode(json.dumps(token).encode()).decode()}, body)


# --- custom senders: auth tampering, clocks, broken framing, lying lengths


def tampered_signature(w: World, case: Case) -> Reply:
    headers = signed_headers(w, "PUT", f"/{w.bucket}/tamper", b"x")
    auth = headers["Authorization"]
    headers["Authorization"] = auth[:-1] + ("0" if auth[-1] != "0" else "1")
    return wire(w, "PUT", f"/{w.bucket}/tamper", headers, b"x")


def wrong_access_key(w: World, case: Case) -> Reply:
    headers = signed_headers(w, "PUT", f"/{w.bucket}/tamper", b"x", access="NOSUCHACCESSKEY0")
    return wire(w, "PUT", f"/{w.bucket}/tamper", headers, b"x")


def signed_header_changed(w: World, case: Case) -> Reply:
    headers = signed_headers(w, "PUT", f"/{w.bucket}/tamper", b"x", {"x-amz-meta-note": "signed"})
    headers["x-amz-meta-note"] = "changed"
    return wire(w, "PUT", f"/{w.bucket}/tamper", headers, b"x")


def body_changed(w: World, case: Case) -> Reply:
    headers = signed_headers(w, "PUT", f"/{w.bucket}/tamper", b"signed body")
    return wire(w, "PUT", f"/{w.bucket}/tamper", headers, b"other body!")


def skewed_clock(w: World, case: Case) -> Reply:
    when = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
    headers = signed_headers(w, "PUT", f"/{w.bucket}/tamper", b"x", when=when)
    return wire(w, "PUT", f"/{w.bucket}/tamper", headers, b"x")


def expired_presign(w: World, case: Case) -> Reply:
    request = AWSRequest(method="PUT", url=f"{w.gw.url}/{w.bucket}/tamper")
    signer = S3SigV4QueryAuth(Credentials(w.gw.access_key, w.gw.secret_key), "s3", "us-east-1", expires=60)
    with clock(dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)):
        signer.add_auth(request)
    url = request.prepare().url
    return wire(w, "PUT", url[len(w.gw.url) :], {}, b"x")


def short_body(w: World, case: Case) -> Reply:
    """Content-Length says 100; 10 bytes come, then the client half-closes: an abort, so the
    server drops the connection (a stalled body is the idle timeout's business)."""
    target = f"/{w.bucket}/short"
    headers = signed_headers(w, "PUT", target, b"0123456789" * 10)
    headers.update({"Host": f"127.0.0.1:{w.gw.port}", "Content-Length": "100"})
    return over_socket(w, head_bytes("PUT", target, headers), b"0123456789")


def streaming(w: World, body: bytes, decoded: int) -> Reply:
    target = f"/{w.bucket}/chunked"
    headers = {
        "X-Amz-Content-SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(decoded),
    }
    headers = signed_headers(w, "PUT", target, b"", headers, service="s3-streaming")
    return wire(w, "PUT", target, headers, body)


def broken_chunk_framing(w: World, case: Case) -> Reply:
    return streaming(w, b"zz;chunk-signature=" + b"0" * 64 + b"\r\nhello\r\n0;chunk-signature=" + b"0" * 64, 5)


def bad_chunk_signature(w: World, case: Case) -> Reply:
    sig = b"0" * 64
    return streaming(w, b"5;chunk-signature=" + sig + b"\r\nhello\r\n0;chunk-signature=" + sig + b"\r\n\r\n", 5)


def raw_request_line(target: bytes) -> Callable[[World, Case], Reply]:
    """Raw bytes in the request line (no percent-encoding): refused before any handler runs."""

    def send(w: World, case: Case) -> Reply:
        head = b"GET " + target.replace(b"{b}", w.bucket.encode()) + b" HTTP/1.1\r\n"
        head += f"Host: 127.0.0.1:{w.gw.port}\r\nConnection: close\r\n\r\n".encode()
        return over_socket(w, head, shut=False)

    return send


def oversized_xml(w: World, case: Case) -> Reply:
    body = b"<Delete>" + b"<Object><Key>k</Key></Object>" * (10 * 1024 * 1024 // 29) + b"</Delete>"
    headers = signed_headers(w, "POST", f"/{w.bucket}?delete", body)
    headers["Content-MD5"] = base64.b64encode(hashlib.md5(body).digest()).decode()
    headers.update({"Host": f"127.0.0.1:{w.gw.port}", "Content-Length": str(len(body))})
    return over_socket(w, head_bytes("POST", f"/{w.bucket}?delete", headers), body, shut=False)


def form_post(fields: dict[str, str], key: str = "form/upload") -> Callable[[World, Case], Reply]:
    """A browser-form upload (presigned POST) carrying `fields` in its signed policy."""

    def send(w: World, case: Case) -> Reply:
        client = boto_client(w.gw, signature_version="s3v4")
        conditions: list[Any] = [{name: value} for name, value in fields.items() if name != "key"]
        post = client.generate_presigned_post(w.bucket, key, Fields=fields, Conditions=conditions)
        resp = requests.post(post["url"], data=dict(post["fields"]), files={"file": ("f.txt", b"form body")})
        return Reply(resp.status_code, dict(resp.headers), resp.content)

    return send


def native_upload(filename: str) -> Callable[[World, Case], Reply]:
    """/v1/object/upload with a raw (already URL-encoded) filename, as a client would send it."""

    def send(w: World, case: Case) -> Reply:
        boundary = uuid.uuid4().hex
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="info"\r\nContent-Type: application/json\r\n\r\n'
            f'{{"packageID": {w.package_id}}}\r\n--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\nA\r\n--{boundary}--\r\n'
        ).encode("utf-8", "surrogateescape")  # a surrogate escape stands for a raw byte
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        headers = signed_headers(w, "POST", "/v1/object/upload", body, headers, service="jcs")
        return wire(w, "POST", "/v1/object/upload", headers, body)

    return send


def native_json(path: str, data: Callable[[World], dict[str, Any]]) -> Callable[[World, Case], Reply]:
    def send(w: World, case: Case) -> Reply:
        body = json.dumps(data(w)).encode()
        headers = signed_headers(w, "POST", path, body, {"Content-Type": "application/json"}, service="jcs")
        return wire(w, "POST", path, headers, body)

    return send


def native_moved_nothing(reply: Reply) -> None:
    """/v1/object/move reports per item: the refused move is not among the successes."""
    assert json.loads(reply.body)["data"]["successes"] == [], reply.body


# --- answers worth a closer look


def deleted_cr_key(reply: Reply) -> None:
    """A key with CR goes out as &#13;, so an XML parser reads back exactly the key sent."""
    root = ElementTree.fromstring(reply.body)
    assert root.findtext(f"{S3_NS}Deleted/{S3_NS}Key") == "a\rb", reply.body


def listing_parses_as_url(reply: Reply) -> None:
    """A listing that echoes a control character is url-encoded and says so; expat parses it."""
    root = ElementTree.fromstring(reply.body)
    assert root.findtext(f"{S3_NS}EncodingType") == "url", reply.body


def no_injected_header(reply: Reply) -> None:
    assert "set-cookie" not in reply.headers


def whole_object(reply: Reply) -> None:
    """An unparseable Range is ignored (RFC 9110), as S3 does: the whole object, 200."""
    assert reply.body == b"seed body", reply.body


# --- XML payloads

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Delete><Object><Key>&lol9;</Key></Object></Delete>"""
XXE_LIFECYCLE = (
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<LifecycleConfiguration><Rule><ID>&x;</ID><Status>Enabled</Status><Filter/><Expiration><Days>1</Days>"
    b"</Expiration></Rule></LifecycleConfiguration>"
)
LIFECYCLE_DAYS = (
    b"<LifecycleConfiguration><Rule><ID>r</ID><Status>Enabled</Status><Filter/><Expiration><Days>%s</Days>"
    b"</Expiration></Rule></LifecycleConfiguration>"
)
XXE_DELETE = (
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<Delete><Object><Key>&xxe;</Key></Object></Delete>"
)
XXE_COMPLETE = (
    b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&xxe;</ETag></Part></CompleteMultipartUpload>"
)
XXE_TAGGING = (
    b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<Tagging><TagSet><Tag><Key>k</Key><Value>&xxe;</Value></Tag></TagSet></Tagging>"
)
XXE_LOCK = (
    b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<ObjectLockConfiguration><ObjectLockEnabled>&xxe;</ObjectLockEnabled></ObjectLockConfiguration>"
)
CORS_CRLF = (
    b"<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin>"
    b"<ExposeHeader>x-a&#13;&#10;Set-Cookie: a=b</ExposeHeader></CORSRule></CORSConfiguration>"
)


def complete_body(parts: list[tuple[int, str]]) -> bytes:
    inner = "".join(f"<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>" for n, etag in parts)
    return f"<CompleteMultipartUpload>{inner}</CompleteMultipartUpload>".encode()


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


BAD_KEY = "InvalidArgument"
PUT_BAD = {"method": "PUT", "body": b"A"}

CASES: list[Case] = [
    # 1. control characters: in keys (refused on write), in listings' parameters (url-encoded page)
    Case("nul in key", **PUT_BAD, target="/{b}/a%00b", code=BAD_KEY),
    Case("nul in package segment", **PUT_BAD, target="/{b}/p%00q/x", code=BAD_KEY),
    Case("nul in bucket name", method="PUT", target="/ab%00c", code="InvalidBucketName"),
    Case("U+0001 in key", **PUT_BAD, target="/{b}/c%01d", code=BAD_KEY),
    Case("U+001F in key", **PUT_BAD, target="/{b}/c%1Fd", code=BAD_KEY),
    Case("vertical tab in key", **PUT_BAD, target="/{b}/c%0Bd", code=BAD_KEY),
    Case("form feed in key", **PUT_BAD, target="/{b}/c%0Cd", code=BAD_KEY),
    Case("U+FFFE in key", **PUT_BAD, target="/{b}/c%EF%BF%BEd", code=BAD_KEY),
    Case("U+FFFF in key", **PUT_BAD, target="/{b}/c%EF%BF%BFd", code=BAD_KEY),
    Case("U+0001 in multipart key", method="POST", target="/{b}/c%01d?uploads", code=BAD_KEY),
    Case(
        "U+0001 in copy destination",
        method="PUT",
        target="/{b}/c%01d",
        headers={"x-amz-copy-source": "/{b}/seed.txt"},
        code=BAD_KEY,
    ),
    Case("U+0001 key read", target="/{b}/c%01d", status=404, code="NoSuchKey"),
    Case("U+0001 key head", method="HEAD", target="/{b}/c%01d", status=404),
    Case("listing v1, prefix U+0001", target="/{b}?prefix=%01", status=200, check=listing_parses_as_url),
    Case("listing v1, delimiter U+0001", target="/{b}?delimiter=%01", status=200, check=listing_parses_as_url),
    Case("listing v1, marker U+0001", target="/{b}?marker=%01", status=200, check=listing_parses_as_url),
    Case(
        "listing v2, start-after U+0001",
        target="/{b}?list-type=2&start-after=%01",
        status=200,
        check=listing_parses_as_url,
    ),
    Case("listing v2, prefix U+001B", target="/{b}?list-type=2&prefix=%1B", status=200, check=listing_parses_as_url),
    Case(
        "listing v2, continuation-token U+0001",
        target="/{b}?list-type=2&continuation-token=%01",
        code="InvalidArgument",
    ),
    Case(
        "listing v2, continuation-token not base64",
        target="/{b}?list-type=2&continuation-token=%21%21",
        code="InvalidArgument",
    ),
    Case("versions, prefix U+0001", target="/{b}?versions&prefix=%01", status=200, check=listing_parses_as_url),
    Case("versions, key-marker U+0002", target="/{b}?versions&key-marker=%02", status=200, check=listing_parses_as_url),
    Case("uploads, prefix U+0001", target="/{b}?uploads&prefix=%01", status=200, check=listing_parses_as_url),
    Case("uploads, key-marker U+0001", target="/{b}?uploads&key-marker=%01", status=200, check=listing_parses_as_url),
    Case("uploadId NUL on ListParts", target="/{b}/x?uploadId=%00", status=404, code="NoSuchUpload"),
    Case("uploadId NUL on abort", method="DELETE", target="/{b}/x?uploadId=%00", status=404, code="NoSuchUpload"),
    Case("versionId U+0001", target="/{b}/seed.txt?versionId=%01", code="InvalidArgument"),
    Case("key of 1025 bytes", **PUT_BAD, target="/{b}/" + "k" * 1025, code="KeyTooLongError"),
    Case(
        "form upload, key with U+0001",
        send=form_post({"key": "form/\u0001x"}, key="form/\u0001x"),
        code=BAD_KEY,
    ),
    Case(
        "native move to a path with U+0001",
        send=native_json(
            "/v1/object/move",
            lambda w: {"movings": [{"objectID": w.native_object, "packageID": w.package_id, "path": "m\u0001v"}]},
        ),
        status=200,
        check=native_moved_nothing,
    ),
    Case(
        "x-amz-tagging with U+0001",
        **PUT_BAD,
        target="/{b}/tagged",
        headers={"x-amz-tagging": "k=%01"},
        code="InvalidTag",
    ),
    Case(
        "x-amz-storage-class S3 does not know",
        **PUT_BAD,
        target="/{b}/classy",
        headers={"x-amz-storage-class": "STANDARD, GLACIER"},
        code="InvalidStorageClass",
    ),
    Case(
        "x-amz-storage-class on a multipart upload, lower case",
        method="POST",
        target="/{b}/classy?uploads",
        headers={"x-amz-storage-class": "glacier"},
        code="InvalidStorageClass",
    ),
    Case(
        "x-amz-tagging not UTF-8",
        **PUT_BAD,
        target="/{b}/tagged",
        headers={"x-amz-tagging": "k=%FF"},
        code="InvalidTag",
    ),
    Case(
        "DeleteObjects key &#1;",
        method="POST",
        target="/{b}?delete",
        md5=True,
        body=b"<Delete><Object><Key>a&#1;b</Key></Object></Delete>",
        code="MalformedXML",
    ),
    Case(
        "DeleteObjects key with CR",
        method="POST",
        target="/{b}?delete",
        md5=True,
        body=b"<Delete><Object><Key>a&#13;b</Key></Object></Delete>",
        status=200,
        check=deleted_cr_key,
    ),
    # 3. bytes that are not UTF-8: refused (InvalidURI), never aliased onto U+FFFD
    Case("invalid UTF-8 key (alias of U+FFFD U+FFFD)", **PUT_BAD, target="/{b}/alias%FF%FE", code="InvalidURI"),
    Case("invalid UTF-8 key read", target="/{b}/alias%FF%FE", code="InvalidURI"),
    Case("invalid UTF-8 key delete", method="DELETE", target="/{b}/alias%FF%FE", code="InvalidURI"),
    Case("overlong '/'", **PUT_BAD, target="/{b}/o%C0%AF", code="InvalidURI"),
    Case("UTF-16 surrogate", **PUT_BAD, target="/{b}/s%ED%A0%80", code="InvalidURI"),
    Case("truncated sequence", **PUT_BAD, target="/{b}/t%E2%82", code="InvalidURI"),
    Case("beyond U+10FFFF", **PUT_BAD, target="/{b}/u%F4%90%80%80", code="InvalidURI"),
    Case("lone continuation byte", **PUT_BAD, target="/{b}/v%80", code="InvalidURI"),
    Case("invalid UTF-8 bucket", method="PUT", target="/b%FFb", code="InvalidURI"),
    Case("invalid UTF-8 prefix", target="/{b}?prefix=%FF", code="InvalidURI"),
    Case("invalid UTF-8 multipart key", method="POST", target="/{b}/alias%FF%FE?uploads", code="InvalidURI"),
    Case(
        "invalid UTF-8 copy source",
        method="PUT",
        target="/{b}/copy-dest",
        headers={"x-amz-copy-source": "/{b}/alias%FF%FE"},
        code="InvalidArgument",
    ),
    Case(
        "UploadPartCopy from an invalid UTF-8 source",
        method="PUT",
        target="/{b}/mp/obj?partNumber=1&uploadId={u}",
        headers={"x-amz-copy-source": "/{b}/alias%FF%FE"},
        code="InvalidArgument",
    ),
    Case("raw 0xFF byte in request line", target="", send=raw_request_line(b"/{b}/alias\xff\xfe")),
    Case(
        "native download, invalid UTF-8 path",
        target="/v1/object/downloadByPath?path={b}/alias%FF%FE",
        service="jcs",
        code="BadArgument",
    ),
    Case("native upload, invalid UTF-8 filename", send=native_upload("alias%FF%FE"), code="BadArgument"),
    Case("native upload, overlong filename", send=native_upload("o%C0%AF"), code="BadArgument"),
    Case("native upload, U+0001 in path", send=native_upload("c%01d"), code="BadArgument"),
    Case("native upload, NUL in path", send=native_upload("a%00b"), code="BadArgument"),
    Case("native upload, '..' segment", send=native_upload("..%2Fescape"), code="BadArgument"),
    Case(
        "native package name with U+0001",
        send=native_json("/v1/package/create", lambda w: {"bucketID": w.bucket_id, "name": "p\u0001q"}),
        code="BadArgument",
    ),
    Case(
        "native package name with a lone surrogate (JSON \\ud800)",
        send=native_json("/v1/package/create", lambda w: {"bucketID": w.bucket_id, "name": "p\ud800q"}),
        code="BadArgument",
    ),
    Case(
        "native upload path with a lone surrogate (raw \\xed\\xa0\\x80)",
        send=native_upload("s\udced\udca0\udc80"),
        code="BadArgument",
    ),
    Case("console, invalid UTF-8 volume", target="/api/v1/volumes/v%FF", service="console", code="InvalidURI"),
    # 4. client input bound for a response header
    Case(
        "response-content-type with CRLF",
        target="/{b}/seed.txt?response-content-type=text%2Fhtml%0D%0ASet-Cookie%3A%20a%3Db",
        code="InvalidArgument",
        check=no_injected_header,
    ),
    Case(
        "response-content-disposition with LF",
        target="/{b}/seed.txt?response-content-disposition=a%0AX-Evil%3A%201",
        code="InvalidArgument",
    ),
    Case("response-expires with NUL", target="/{b}/seed.txt?response-expires=%00", code="InvalidArgument"),
    Case("response-cache-control CR on HEAD", method="HEAD", target="/{b}/seed.txt?response-cache-control=a%0Db"),
    Case(
        "form upload, success_action_redirect with CRLF",
        send=form_post({"success_action_redirect": "http://example.com/\r\nSet-Cookie: a=b"}),
        code="InvalidArgument",
        check=no_injected_header,
    ),
    Case(
        "form upload, x-amz-meta value with CRLF",
        send=form_post({"x-amz-meta-note": "a\r\nSet-Cookie: a=b"}),
        code="InvalidArgument",
    ),
    Case(
        "CORS ExposeHeader with CRLF", method="PUT", target="/{b}?cors", body=CORS_CRLF, md5=True, code="InvalidRequest"
    ),
    # XML bodies: bombs, external entities, size
    Case(
        "billion laughs (DeleteObjects)", method="POST", target="/{b}?delete", body=BOMB, md5=True, code="MalformedXML"
    ),
    Case("XXE in DeleteObjects", method="POST", target="/{b}?delete", body=XXE_DELETE, md5=True, code="MalformedXML"),
    Case(
        "XXE in CompleteMultipartUpload",
        method="POST",
        target="/{b}/mp/obj?uploadId={u}",
        body=XXE_COMPLETE,
        code="MalformedXML",
    ),
    Case(
        "XXE in PutBucketTagging", method="PUT", target="/{b}?tagging", body=XXE_TAGGING, md5=True, code="MalformedXML"
    ),
    Case(
        "XXE in PutObjectLockConfiguration", method="PUT", target="/{b}?object-lock", body=XXE_LOCK, code="MalformedXML"
    ),
    Case("billion laughs (PutBucketLifecycle)", method="PUT", target="/{b}?lifecycle", body=BOMB, code="MalformedXML"),
    Case(
        "XXE in PutBucketLifecycleConfiguration",
        method="PUT",
        target="/{b}?lifecycle",
        body=XXE_LIFECYCLE,
        md5=True,
        code="MalformedXML",
    ),
    Case(
        "PutBucketLifecycleConfiguration Days 1_0",
        method="PUT",
        target="/{b}?lifecycle",
        body=LIFECYCLE_DAYS % b"1_0",
        md5=True,
        code="MalformedXML",
    ),
    Case(
        "PutBucketLifecycleConfiguration Days in Arabic-Indic digits",
        method="PUT",
        target="/{b}?lifecycle",
        body=LIFECYCLE_DAYS % "\u0663".encode(),
        md5=True,
        code="MalformedXML",
    ),
    Case(
        "PutBucketLifecycleConfiguration Days 0",
        method="PUT",
        target="/{b}?lifecycle",
        body=LIFECYCLE_DAYS % b"0",
        md5=True,
        code="InvalidArgument",
    ),
    Case(
        "PutObjectRetention with a date that is not one",
        method="PUT",
        target="/{b}/seed.txt?retention",
        body=b"<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>soon</RetainUntilDate></Retention>",
        code="MalformedXML",
    ),
    Case(
        "PutObjectLockConfiguration Days 1_0",
        method="PUT",
        target="/{b}?object-lock",
        body=b"<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>"
        b"<Mode>GOVERNANCE</Mode><Days>1_0</Days></DefaultRetention></Rule></ObjectLockConfiguration>",
        code="MalformedXML",
    ),
    Case(
        "object lock headers on a bucket without Object Lock",
        method="PUT",
        target="/{b}/locked",
        body=b"x",
        md5=True,
        headers={"x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": "2999-01-01T00:00:00Z"},
        code="InvalidRequest",
    ),
    Case("10 MB XML body", send=oversized_xml, code="MalformedXML"),
    Case(
        "DeleteObjects not XML",
        method="POST",
        target="/{b}?delete",
        body=b"<Delete><Object>",
        md5=True,
        code="MalformedXML",
    ),
    # traversal: '..' is a literal key, nothing outside the bucket
    Case("'../' key stays literal", method="PUT", target="/{b}/../escape", body=b"t", status=200, creates="../escape"),
    Case(
        "'%2e%2e/' key stays literal",
        method="PUT",
        target="/{b}/%2E%2E/escape2",
        body=b"t",
        status=200,
        creates="../escape2",
        signed_as="/{b}/../escape2",
    ),
    Case("'..' read of another bucket's key", target="/{b}/../other-bucket/x", status=404, code="NoSuchKey"),
    # lying bodies and framing
    Case("Content-Length longer than the body", send=short_body, status=CLOSED),
    Case("broken aws-chunked framing", send=broken_chunk_framing, code="InvalidRequest"),
    Case("wrong chunk signature", send=bad_chunk_signature, status=403, code="SignatureDoesNotMatch"),
    Case(
        "Content-MD5 mismatch",
        method="PUT",
        target="/{b}/md5",
        body=b"real body",
        headers={"Content-MD5": base64.b64encode(hashlib.md5(b"other").digest()).decode()},
        code="BadDigest",
    ),
    Case(
        "Content-MD5 not base64",
        method="PUT",
        target="/{b}/md5",
        body=b"x",
        headers={"Content-MD5": "!!"},
        code="InvalidDigest",
    ),
    Case(
        "x-amz-checksum-crc32 mismatch",
        method="PUT",
        target="/{b}/crc",
        body=b"real body",
        headers={"x-amz-checksum-crc32": crc32_b64(b"other")},
        code="BadDigest",
    ),
    # ranges and part numbers
    Case("Range bytes=abc", target="/{b}/seed.txt", headers={"Range": "bytes=abc"}, status=200, check=whole_object),
    Case("Range bytes=5-1", target="/{b}/seed.txt", headers={"Range": "bytes=5-1"}, status=200, check=whole_object),
    Case(
        "Range beyond the end",
        target="/{b}/seed.txt",
        headers={"Range": "bytes=500-600"},
        status=416,
        code="InvalidRange",
    ),
    Case("GET partNumber=0", target="/{b}/seed.txt?partNumber=0", code="InvalidArgument"),
    Case("GET partNumber=abc", target="/{b}/seed.txt?partNumber=abc", code="InvalidArgument"),
    Case(
        "UploadPart partNumber=0",
        method="PUT",
        target="/{b}/mp/obj?partNumber=0&uploadId={u}",
        body=b"p",
        code="InvalidArgument",
    ),
    Case(
        "UploadPart partNumber=-1",
        method="PUT",
        target="/{b}/mp/obj?partNumber=-1&uploadId={u}",
        body=b"p",
        code="InvalidArgument",
    ),
    Case(
        "UploadPart partNumber=10001",
        method="PUT",
        target="/{b}/mp/obj?partNumber=10001&uploadId={u}",
        body=b"p",
        code="InvalidArgument",
    ),
    Case(
        "UploadPart partNumber=abc",
        method="PUT",
        target="/{b}/mp/obj?partNumber=abc&uploadId={u}",
        body=b"p",
        code="InvalidArgument",
    ),
    # multipart misuse
    Case(
        "complete with no parts",
        method="POST",
        target="/{b}/mp/obj?uploadId={u}",
        body=b"<CompleteMultipartUpload></CompleteMultipartUpload>",
        code="MalformedXML",
    ),
    Case(
        "complete with parts out of order",
        method="POST",
        target="/{b}/mp/obj?uploadId={u}",
        body=b"ORDER",
        code="InvalidPartOrder",
    ),
    Case(
        "complete with an unknown part",
        method="POST",
        target="/{b}/mp/obj?uploadId={u}",
        body=complete_body([(1, '"00000000000000000000000000000000"')]),
        code="InvalidPart",
    ),
    Case(
        "complete an unknown uploadId",
        method="POST",
        target="/{b}/mp/obj?uploadId=nosuchupload",
        body=complete_body([(1, '"00000000000000000000000000000000"')]),
        status=404,
        code="NoSuchUpload",
    ),
    Case(
        "UploadPart to an unknown uploadId",
        method="PUT",
        target="/{b}/mp/obj?partNumber=1&uploadId=nosuch",
        body=b"p",
        status=404,
        code="NoSuchUpload",
    ),
    Case(
        "uploadId of another key",
        method="PUT",
        target="/{b}/other/key?partNumber=1&uploadId={u}",
        body=b"p",
        status=404,
        code="NoSuchUpload",
    ),
    # authentication
    Case(
        "anonymous write", method="PUT", target="/{b}/anon", body=b"x", service="none", status=403, code="AccessDenied"
    ),
    Case("signature byte changed", send=tampered_signature, status=403, code="SignatureDoesNotMatch"),
    Case("unknown access key", send=wrong_access_key, status=403, code="InvalidAccessKeyId"),
    Case("signed header changed", send=signed_header_changed, status=403, code="SignatureDoesNotMatch"),
    Case("body changed after signing", send=body_changed, code="XAmzContentSHA256Mismatch"),
    Case("clock 20 minutes behind", send=skewed_clock, status=403, code="RequestTimeTooSkewed"),
    Case("presigned URL expired", send=expired_presign, status=403, code="AccessDenied"),
    Case(
        "user metadata over 2 KB",
        **PUT_BAD,
        target="/{b}/meta",
        headers={"x-amz-meta-big": "v" * 2100},
        code="MetadataTooLarge",
    ),
    Case("bucket '..' through %2F", method="PUT", target="/..%2Fetc", body=b"x", status=404, code="NoSuchBucket"),
    Case("create bucket '..'", method="PUT", target="/..", code="InvalidBucketName", signed_as="/.."),
]


# ---------------------------------------------------------------- before / after


def blob_files(gw) -> set[str]:
    root = gw.data_dir / "blobs"
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def snapshot(w: World) -> dict[str, Any]:
    versions = w.s3.list_object_versions(Bucket=w.bucket)  # botocore asks for encoding-type=url
    try:
        tags = w.s3.get_bucket_tagging(Bucket=w.bucket)["TagSet"]
    except ClientError:
        tags = None
    try:
        cors = w.s3.get_bucket_cors(Bucket=w.bucket)["CORSRules"]
    except ClientError:
        cors = None
    try:
        lifecycle = w.s3.get_bucket_lifecycle_configuration(Bucket=w.bucket)["Rules"]
    except ClientError:
        lifecycle = None
    return {
        "versions": sorted((v["Key"], v["VersionId"], v["ETag"], v["Size"]) for v in versions.get("Versions", [])),
        "markers": sorted((m["Key"], m["VersionId"]) for m in versions.get("DeleteMarkers", [])),
        "uploads": sorted(
            (u["Key"], u["UploadId"]) for u in w.s3.list_multipart_uploads(Bucket=w.bucket).get("Uploads", [])
        ),
        "parts": [
            (p["PartNumber"], p["ETag"])
            for p in w.s3.list_parts(Bucket=w.bucket, Key="mp/obj", UploadId=w.upload_id).get("Parts", [])
        ],
        "tags": tags,
        "cors": cors,
        "lifecycle": lifecycle,
        "blobs": blob_files(w.gw),
    }


@pytest.fixture(scope="module")
def hostile_gateway(tmp_path_factory):
    """A gateway of its own, with no background collection: the table compares the blob files on
    disk before and after each case, so nothing else may write or reclaim blobs meanwhile."""
    gw = start_gateway(tmp_path_factory.mktemp("hostile"), env={"JUNCTION_GC_INTERVAL": "0"})
    yield gw
    stop_gateway(gw)


@pytest.fixture(scope="module")
def world(hostile_gateway) -> World:
    gateway = hostile_gateway
    s3 = boto_client(gateway)
    bucket = f"hostile-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="seed.txt", Body=b"seed body")
    s3.put_object(Bucket=bucket, Key="alias\ufffd\ufffd", Body=b"B")  # the key %FF%FE used to alias
    s3.put_object(Bucket=bucket, Key="dir/file", Body=b"f")
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp/obj")["UploadId"]
    etags = [
        s3.upload_part(Bucket=bucket, Key="mp/obj", UploadId=upload_id, PartNumber=n, Body=f"part {n}".encode())["ETag"]
        for n in (1, 2)
    ]
    native = NativeClient(gateway.url, gateway.access_key, gateway.secret_key)
    bucket_id = native.get_bucket(bucket)["bucketID"]
    package_id = native.create_package(bucket_id, "np")["packageID"]
    native_object = native.upload(package_id, [("native-seed", b"n")])[0]["objectID"]
    return World(gateway, s3, bucket, upload_id, etags, package_id, bucket_id, native_object)


def test_table_size():
    """The table is the proof; say how big it is."""
    print(f"\nhostile-input table: {len(CASES)} cases")
    assert len(CASES) >= 90


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(world: World, case: Case) -> None:
    if case.body == b"ORDER":
        case = Case(**{**case.__dict__, "body": complete_body([(2, world.part_etags[1]), (1, world.part_etags[0])])})
    before = snapshot(world)
    reply = send_case(world, case)
    assert reply.status < 500, (reply.status, reply.body[:300])
    assert reply.status == case.status, (reply.status, reply.body[:300])
    if case.code is not None:
        assert reply.code() == case.code, reply.body[:300]
    if case.check is not None:
        case.check(reply)
    after = snapshot(world)
    if case.creates is not None:
        added = [v for v in after["versions"] if v not in before["versions"]]
        assert [v[0] for v in added] == [case.creates], added  # one literal key, in this bucket
        world.s3.delete_object(Bucket=world.bucket, Key=case.creates)
        assert snapshot(world)["versions"] == before["versions"]
        return
    assert after == before
