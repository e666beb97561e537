"""STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER) uploads over HTTP, as aws-sdk-java and
minio-go send them: the header is signed by botocore, each chunk is signed in a chain
starting from that seed signature."""

import base64
import hashlib
import hmac
import os
import zlib

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

EMPTY = hashlib.sha256(b"").hexdigest()


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(secret: str, date: str) -> bytes:
    key = _hmac(("AWS4" + secret).encode(), date)
    for part in ("us-east-1", "s3", "aws4_request"):
        key = _hmac(key, part)
    return key


def streaming_put(gw, bucket, key, chunks, *, trailer=False, tamper=None):
    decoded = sum(map(len, chunks))
    mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" if trailer else "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    headers = {
        "X-Amz-Content-SHA256": mode,
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(decoded),
    }
    if trailer:
        headers["x-amz-trailer"] = "x-amz-checksum-crc32"
    request = AWSRequest(method="PUT", url=f"{gw.url}/{bucket}/{key}", headers=headers)
    SigV4Auth(Credentials(gw.access_key, gw.secret_key), "s3", "us-east-1").add_auth(request)
    prepared = dict(request.prepare().headers)
    seed = prepared["Authorization"].rsplit("Signature=", 1)[1]
    amz_date = prepared["X-Amz-Date"]
    scope = f"{amz_date[:8]}/us-east-1/s3/aws4_request"
    key_bytes = signing_key(gw.secret_key, amz_date[:8])
    previous, body = seed, b""
    for chunk in [*chunks, b""]:
        to_sign = "\n".join(
            ["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, EMPTY, hashlib.sha256(chunk).hexdigest()]
        )
        previous = hmac.new(key_bytes, to_sign.encode(), hashlib.sha256).hexdigest()
        sent = tamper(chunk) if tamper and chunk else chunk
        body += f"{len(chunk):x};chunk-signature={previous}\r\n".encode() + sent + (b"\r\n" if chunk else b"")
    if trailer:
        crc = base64.b64encode(zlib.crc32(b"".join(chunks)).to_bytes(4, "big")).decode()
        canonical = f"x-amz-checksum-crc32:{crc}\n"
        to_sign = "\n".join(
            ["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, previous, hashlib.sha256(canonical.encode()).hexdigest()]
        )
        signature = hmac.new(key_bytes, to_sign.encode(), hashlib.sha256).hexdigest()
        body += canonical.replace("\n", "\r\n").encode() + f"x-amz-trailer-signature:{signature}\r\n".encode()
    body += b"\r\n"
    prepared["Content-Length"] = str(len(body))
    return requests.put(f"{gw.url}/{bucket}/{key}", data=body, headers=prepared)


@pytest.mark.parametrize("trailer", [False, True])
def test_signed_streaming_upload(gateway, s3, bucket, trailer):
    chunks = [os.urandom(64 * 1024), os.urandom(64 * 1024), os.urandom(1000)]
    resp = streaming_put(gateway, bucket, "streamed", chunks, trailer=trailer)
    assert resp.status_code == 200, resp.text
    assert s3.get_object(Bucket=bucket, Key="streamed")["Body"].read() == b"".join(chunks)


def test_tampered_chunk_is_refused_and_nothing_stored(gateway, s3, bucket):
    chunks = [os.urandom(64 * 1024), os.urandom(500)]
    resp = streaming_put(gateway, bucket, "tampered", chunks, tamper=lambda c: bytes([c[0] ^ 1]) + c[1:])
    assert resp.status_code == 403
    assert b"SignatureDoesNotMatch" in resp.content
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="tampered")
