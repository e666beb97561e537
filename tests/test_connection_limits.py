"""Slow, stalled and oversized requests on raw sockets, against a gateway started with short
timeouts: each gets S3's answer (`400 RequestTimeout`, `400 RequestHeaderSectionTooLarge`,
or the native/console dialect of it), the connection is closed, nothing is left behind, and
the gateway keeps serving everyone else meanwhile."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests
from botocore.exceptions import ClientError
from conftest import boto_client, start_gateway, stop_gateway
from connection_helpers import (
    closed_by_peer,
    connect,
    drip,
    leftovers,
    read_response,
    signed_head,
)

from gateway.client import NativeClient

HEADER_TIMEOUT = 1.5
BODY_TIMEOUT = 1.0
BODY_MIN_RATE = 100  # bytes/s: a byte every 0.4 s is far below it, though never idle for BODY_TIMEOUT


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    env = {
        "JUNCTION_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
        "JUNCTION_BODY_TIMEOUT": str(BODY_TIMEOUT),
        "JUNCTION_BODY_MIN_RATE": str(BODY_MIN_RATE),
    }
    gateway = start_gateway(tmp_path_factory.mktemp("limits"), env=env)
    yield gateway
    stop_gateway(gateway)


@pytest.fixture(scope="module")
def client(gw):
    return boto_client(gw)


@pytest.fixture
def bucket(client):
    name = f"cl-{uuid.uuid4().hex[:10]}"
    client.create_bucket(Bucket=name)
    return name


def assert_s3_error(status: int, body: bytes, code: str) -> None:
    assert status == 400, body
    assert f"<Code>{code}</Code>".encode() in body, body


def assert_nothing_left(gw, client, bucket: str, key: str) -> None:
    with pytest.raises(ClientError) as err:
        client.head_object(Bucket=bucket, Key=key)
    assert err.value.response["Error"]["Code"] == "404"
    listed = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert key not in listed
    assert leftovers(gw.data_dir) == []  # no temporary file, no orphaned blob or blob record


def assert_still_serving(client, bucket: str) -> None:
    key = f"other-{uuid.uuid4().hex[:6]}"
    client.put_object(Bucket=bucket, Key=key, Body=b"meanwhile")
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == b"meanwhile"  # kept: see leftovers()


def test_stalled_put_body_times_out_and_leaves_nothing(gw, client, bucket):
    sock = connect(gw)
    sock.sendall(signed_head(gw, "PUT", f"/{bucket}/stalled", {"Content-Length": "1000000"}) + b"0123456789")
    assert_still_serving(client, bucket)  # the stalled upload holds nobody else up
    status, headers, body = read_response(sock)
    assert_s3_error(status, body, "RequestTimeout")
    assert b"not read from or written to within the timeout period" in body
    assert headers.get("connection", "").lower() == "close"
    assert closed_by_peer(sock)
    sock.close()
    assert_nothing_left(gw, client, bucket, "stalled")


def test_dripping_put_body_is_cut_by_the_minimum_rate(gw, client, bucket):
    sock = connect(gw)
    sock.sendall(signed_head(gw, "PUT", f"/{bucket}/drip", {"Content-Length": "1000000"}))
    # one byte every 0.4 s: never idle for BODY_TIMEOUT, but far slower than BODY_MIN_RATE
    assert drip(sock, b"x" * 100, every=0.4, limit=20), "the dripping body was never cut"
    status, _, body = read_response(sock)
    assert_s3_error(status, body, "RequestTimeout")
    assert closed_by_peer(sock)
    sock.close()
    assert_nothing_left(gw, client, bucket, "drip")


def test_stalled_upload_part_leaves_no_part(gw, client, bucket):
    upload = client.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    sock = connect(gw)
    path = f"/{bucket}/mp?partNumber=1&uploadId={upload}"
    sock.sendall(signed_head(gw, "PUT", path, {"Content-Length": "6000000"}) + b"x" * 70000)
    status, _, body = read_response(sock)
    assert_s3_error(status, body, "RequestTimeout")
    assert closed_by_peer(sock)
    sock.close()
    assert client.list_parts(Bucket=bucket, Key="mp", UploadId=upload).get("Parts", []) == []
    assert leftovers(gw.data_dir) == []
    client.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload)


def test_stalled_aws_chunked_body_times_out(gw, client, bucket):
    sock = connect(gw)
    head = signed_head(
        gw,
        "PUT",
        f"/{bucket}/chunked",
        {"Content-Length": "1000", "Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": "900"},
        payload="STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    )
    sock.sendall(head + b"384\r\n" + b"y" * 100)  # a 900-byte chunk that stops after 100
    status, _, body = read_response(sock)
    assert_s3_error(status, body, "RequestTimeout")
    assert closed_by_peer(sock)
    sock.close()
    assert_nothing_left(gw, client, bucket, "chunked")


def test_slowloris_headers_time_out(gw, client, bucket):
    sock = connect(gw)
    sock.sendall(f"PUT /{bucket}/slow HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
    assert drip(sock, b"X-Slow: " + b"a" * 100, every=0.4, limit=20), "the slow header section was never cut"
    status, headers, body = read_response(sock)
    assert_s3_error(status, body, "RequestTimeout")
    assert headers.get("content-type", "").startswith("application/xml")
    assert closed_by_peer(sock)
    sock.close()
    assert_still_serving(client, bucket)


def test_idle_connection_is_not_answered_with_an_error(gw):
    """No byte sent at all: nothing to answer (the keep-alive timer closes it later)."""
    sock = connect(gw)
    time.sleep(HEADER_TIMEOUT + 1)
    sock.settimeout(0.5)
    try:
        data = sock.recv(1024)
    except TimeoutError:
        data = None
    assert data is None, data
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")  # and it still works
    status, _, body = read_response(sock)
    assert status == 200 and json.loads(body) == {"status": "ok"}
    sock.close()


def test_too_many_headers_get_s3_xml(gw):
    sock = connect(gw)
    extra = "".join(f"X-H{i}: v\r\n" for i in range(300))
    sock.sendall(f"GET /some-bucket HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode())
    status, headers, body = read_response(sock)
    assert_s3_error(status, body, "RequestHeaderSectionTooLarge")
    assert b"Your request header section exceeds the maximum allowed size" in body
    assert headers.get("content-type", "").startswith("application/xml")
    assert closed_by_peer(sock)
    sock.close()


def test_one_huge_header_gets_s3_xml(gw):
    sock = connect(gw)
    sock.sendall(b"GET /some-bucket HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n")
    status, _, body = read_response(sock)
    assert_s3_error(status, body, "RequestHeaderSectionTooLarge")
    assert closed_by_peer(sock)
    sock.close()


def test_many_medium_headers_over_the_total_get_s3_xml(gw):
    sock = connect(gw)
    extra = "".join(f"X-H{i}: {'v' * 1000}\r\n" for i in range(40))  # each fine, 40 KB in all
    sock.sendall(f"GET /some-bucket HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode())
    status, _, body = read_response(sock)
    assert_s3_error(status, body, "RequestHeaderSectionTooLarge")
    assert closed_by_peer(sock)
    sock.close()


def test_ordinary_requests_with_big_but_allowed_headers_pass(gw, client, bucket):
    meta = {f"k{i}": "v" * 60 for i in range(25)}  # ~1.8 KB of metadata, under S3's 2 KB
    client.put_object(Bucket=bucket, Key="meta", Body=b"m", Metadata=meta)
    assert client.head_object(Bucket=bucket, Key="meta")["Metadata"] == meta


def test_native_stalled_body_gets_the_envelope(gw):
    sock = connect(gw)
    sock.sendall(
        b"POST /v1/bucket/create HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b'Content-Length: 100\r\n\r\n{"userID": 1,'
    )
    status, _, body = read_response(sock)
    assert status == 400, body
    envelope = json.loads(body)
    assert envelope["code"] == "BadArgument" and "timeout" in envelope["message"].lower(), envelope
    assert closed_by_peer(sock)
    sock.close()


def test_native_stalled_file_upload_leaves_nothing(gw):
    native = NativeClient(gw.url, gw.access_key, gw.secret_key)
    bucket = native.create_bucket(f"nat-{uuid.uuid4().hex[:8]}")
    package = native.create_package(bucket["bucketID"], "pkg")
    boundary = "b0undary"
    head = signed_head(
        gw,
        "POST",
        "/v1/object/upload",
        {"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": "1000000"},
        service="jcs",
    )
    info = json.dumps({"packageID": package["packageID"]})
    parts = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="info"\r\n\r\n{info}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    sock = connect(gw)
    sock.sendall(head + parts.encode() + b"f" * 70000)  # the file part stops after 70 KB
    status, _, body = read_response(sock)
    assert status == 400, body
    envelope = json.loads(body)
    assert envelope["code"] == "BadArgument" and "timeout" in envelope["message"].lower(), envelope
    assert closed_by_peer(sock)
    sock.close()
    assert native.package_objects(package["packageID"]) == []
    assert leftovers(gw.data_dir) == []


def test_console_stalled_body_gets_console_json(gw):
    sock = connect(gw)
    sock.sendall(
        b"POST /api/v1/volumes/1/exports HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b'Content-Length: 100\r\n\r\n{"desc":'
    )
    status, _, body = read_response(sock)
    assert status == 400, body
    assert json.loads(body)["error"]["code"] == "RequestTimeout"
    assert closed_by_peer(sock)
    sock.close()


def test_a_slow_but_steady_upload_is_not_cut(gw, client, bucket):
    """Pauses shorter than the idle timeout at a rate above the minimum: the upload completes."""
    sock = connect(gw)
    payload = b"z" * 3000
    sock.sendall(signed_head(gw, "PUT", f"/{bucket}/steady", {"Content-Length": str(len(payload))}))
    for i in range(0, len(payload), 500):
        sock.sendall(payload[i : i + 500])
        time.sleep(0.5)  # 1000 B/s over 3 s: above BODY_MIN_RATE, never idle for BODY_TIMEOUT
    status, _, body = read_response(sock)
    assert status == 200, body
    sock.close()
    assert client.get_object(Bucket=bucket, Key="steady")["Body"].read() == payload


def test_health_still_answers(gw):
    assert requests.get(f"{gw.url}/health", timeout=5).json() == {"status": "ok"}


def test_flags_configure_the_limits_in_every_worker(tmp_path):
    """The CLI flags reach the guarded connections of pre-forked workers too."""
    gateway = start_gateway(tmp_path, "--workers", "2", "--max-header-count", "10", "--header-timeout", "1")
    try:
        for _ in range(4):  # connections land on either worker
            sock = connect(gateway)
            extra = "".join(f"X-H{i}: v\r\n" for i in range(20))
            sock.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode())
            status, _, body = read_response(sock)
            assert_s3_error(status, body, "RequestHeaderSectionTooLarge")
            sock.close()
            sock = connect(gateway)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the blank line
            status, _, body = read_response(sock)
            assert_s3_error(status, body, "RequestTimeout")
            sock.close()
    finally:
        stop_gateway(gateway)
