"""A client's fault is logged as the client's: one access line at info level (499 for a
client that hung up, 4xx for a bad request), no traceback, no error-level line."""

from __future__ import annotations

import socket
import struct
import time
import uuid

import pytest
from conftest import boto_client, start_gateway, stop_gateway
from connection_helpers import closed_by_peer, connect, log_entries, read_response, signed_head, wait_for_access_line

SERVER_FAULT_LEVELS = ("error", "critical")


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    gateway = start_gateway(tmp_path_factory.mktemp("loghygiene"))
    yield gateway
    stop_gateway(gateway)


@pytest.fixture(scope="module")
def client(gw):
    return boto_client(gw)


def assert_clean(gw, since: int) -> None:
    """Nothing after `since` looks like a server fault."""
    text = gw.logs()[since:]
    assert "Traceback" not in text, text
    entries = log_entries(gw, since)
    assert not [e for e in entries if e.get("level") in SERVER_FAULT_LEVELS or "exc" in e], entries


def abort(sock: socket.socket) -> None:
    """Hang up with a TCP reset, as a killed client does."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@pytest.mark.parametrize("hang_up", ["reset", "close"])
def test_aborted_s3_upload_is_one_499_line_at_info(gw, client, hang_up):
    bucket = f"lh-{uuid.uuid4().hex[:10]}"
    client.create_bucket(Bucket=bucket)
    since = len(gw.logs())
    sock = connect(gw)
    sock.sendall(signed_head(gw, "PUT", f"/{bucket}/aborted", {"Content-Length": "1000000"}) + b"a" * 5000)
    time.sleep(0.3)  # let the handler start streaming the body
    if hang_up == "reset":
        abort(sock)
    else:
        sock.shutdown(socket.SHUT_RDWR)
        sock.close()
    lines = wait_for_access_line(gw, since, lambda e: e.get("path") == f"/{bucket}/aborted")
    assert len(lines) == 1, lines
    [line] = lines
    assert line["status"] == 499 and line["level"] == "info" and line["method"] == "PUT", line
    assert "exc" not in line
    assert_clean(gw, since)
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0


def test_aborted_native_upload_is_one_499_line_at_info(gw):
    since = len(gw.logs())
    sock = connect(gw)
    boundary = "b0undary"
    head = signed_head(
        gw,
        "POST",
        "/v1/object/upload",
        {"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": "1000000"},
        service="jcs",
    )
    part = f'--{boundary}\r\nContent-Disposition: form-data; name="info"\r\n\r\n{{"packageID": 1}}\r\n'
    sock.sendall(head + part.encode() + b"x" * 100)
    time.sleep(0.3)
    abort(sock)
    lines = wait_for_access_line(gw, since, lambda e: e.get("path") == "/v1/object/upload")
    assert len(lines) == 1, lines
    assert lines[0]["status"] == 499 and lines[0]["level"] == "info", lines
    assert_clean(gw, since)


def test_aborted_console_request_is_one_499_line_at_info(gw):
    since = len(gw.logs())
    sock = connect(gw)
    sock.sendall(
        b"POST /api/v1/volumes/1/exports HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b'Content-Length: 1000\r\n\r\n{"desc":'
    )
    time.sleep(0.3)
    abort(sock)
    lines = wait_for_access_line(gw, since, lambda e: e.get("path") == "/api/v1/volumes/1/exports")
    assert len(lines) == 1, lines
    assert lines[0]["status"] == 499 and lines[0]["level"] == "info", lines
    assert_clean(gw, since)


GARBAGE = {
    "tls-hello": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n",
    "not-http": b"HELLO WORLD\r\n\r\n",
    "binary": b"\x00\xff\xfe\r\n\r\n",
    "bad-version": b"GET / HTTP/9.Z\r\nHost: x\r\n\r\n",
    "header-without-colon": b"GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
}


@pytest.mark.parametrize("garbage", GARBAGE.values(), ids=GARBAGE.keys())
@pytest.mark.parametrize("after_a_good_request", [False, True], ids=["first", "second"])
def test_malformed_request_is_one_400_line_at_info(gw, garbage, after_a_good_request):
    since = len(gw.logs())
    sock = connect(gw)
    if after_a_good_request:  # aiohttp treats a bad request on a used connection differently
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert read_response(sock)[0] == 200
    sock.sendall(garbage)
    status, headers, body = read_response(sock)
    assert status == 400, body
    assert headers.get("content-type", "").startswith("application/xml"), headers
    assert b"<Error><Code>" in body, body
    assert closed_by_peer(sock)
    sock.close()
    lines = wait_for_access_line(gw, since, lambda e: e.get("status") == 400)
    assert len(lines) == 1, lines
    assert lines[0]["level"] == "info" and "exc" not in lines[0], lines
    assert_clean(gw, since)


def test_hanging_up_mid_download_is_not_a_server_fault(gw, client):
    bucket = f"lh-{uuid.uuid4().hex[:10]}"
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key="big", Body=b"d" * (8 * 1024 * 1024))
    since = len(gw.logs())
    sock = connect(gw)
    sock.sendall(signed_head(gw, "GET", f"/{bucket}/big", {}))
    sock.recv(1024)
    abort(sock)
    lines = wait_for_access_line(gw, since, lambda e: e.get("path") == f"/{bucket}/big")
    assert len(lines) == 1 and lines[0]["level"] == "info", lines
    assert lines[0]["status"] in (200, 499), lines
    assert_clean(gw, since)
