"""Hostile bytes in authentication: headers that are not UTF-8 (or not even text), broken
credentials and hand-made tokens, on the S3 (XML), native (/v1 envelope) and console
(/api/v1 JSON) front ends. Every case is a clean 4xx in that front end's error format —
never a 500 — and a signature over the raw header bytes sent is honoured as such.

Raw sockets throughout: `requests` refuses header values that are not latin-1 text."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import pytest
from conftest import boto_client, start_gateway, stop_gateway
from native_helpers import raw_request
from raw_http import EMPTY_SHA256, amz_now, console_token, send, signed_head

ZEROS = "0" * 64


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    """A gateway of this module's own, so its log holds only these cases."""
    gw = start_gateway(tmp_path_factory.mktemp("hostile-auth"))
    yield gw
    stop_gateway(gw)


@pytest.fixture(scope="module")
def s3(gateway):
    return boto_client(gateway)


@pytest.fixture
def obj(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"0123456789")
    return bucket


def s3_head(gw, method, target, extra, **kw):
    return signed_head(method, target, gw.port, extra, access_key=gw.access_key, secret_key=gw.secret_key, **kw)


def assert_s3_error(resp, status, code):
    assert (resp.status, resp.xml_code()) == (status, code), resp.body
    assert resp.headers["content-type"].startswith("application/xml")


def assert_native_error(resp, status, code):
    assert resp.status == status, resp.body
    body = resp.json()
    assert body["code"] == code and body["data"] is None and body["message"]


def assert_console_error(resp, status, code):
    assert resp.status == status, resp.body
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.json()["error"]["code"] == code


# ------------------------------------------------------------------ S3, SigV4 header


def test_signed_range_with_a_non_utf8_byte_is_served_whole_like_any_invalid_range(gateway, obj):
    resp = send(gateway.port, s3_head(gateway, "GET", f"/{obj}/k", [(b"range", b"bytes=\xa0")]))
    assert (resp.status, resp.body) == (200, b"0123456789")
    garbage = send(gateway.port, s3_head(gateway, "GET", f"/{obj}/k", [(b"range", b"bytes=abc")]))
    assert (garbage.status, garbage.body) == (200, b"0123456789")


def test_unicode_digits_in_a_range_are_not_a_range(gateway, obj):
    arabic = "bytes=\u0661-\u0663".encode()  # ARABIC-INDIC ONE - THREE, UTF-8 encoded
    resp = send(gateway.port, s3_head(gateway, "GET", f"/{obj}/k", [(b"range", arabic)]))
    assert (resp.status, resp.body) == (200, b"0123456789")
    underscored = send(gateway.port, s3_head(gateway, "GET", f"/{obj}/k", [(b"range", b"bytes=0_1-2")]))
    assert (underscored.status, underscored.body) == (200, b"0123456789")


def test_zero_signature_with_a_non_utf8_signed_header(gateway, obj):
    resp = send(gateway.port, s3_head(gateway, "GET", f"/{obj}/k", [(b"x-foo", b"\xff")], signature=ZEROS))
    assert_s3_error(resp, 403, "SignatureDoesNotMatch")


def test_a_signature_over_the_raw_bytes_sent_verifies(gateway, obj):
    resp = send(gateway.port, s3_head(gateway, "GET", f"/{obj}/k", [(b"x-foo", b"\xff\xfe caf\xc3\xa9")]))
    assert (resp.status, resp.body) == (200, b"0123456789")


def test_an_unsigned_non_utf8_header_does_not_matter(gateway, obj):
    head = s3_head(gateway, "GET", f"/{obj}/k", []) + b"\r\nx-unsigned: \xff\x80"
    resp = send(gateway.port, head)
    assert (resp.status, resp.body) == (200, b"0123456789")


@pytest.mark.parametrize(
    "field, value, status, code",
    [
        ("access key", b"KEY\xff", 403, "InvalidAccessKeyId"),
        ("access key", b"\xed\xa0\x80", 403, "InvalidAccessKeyId"),
        ("region", b"us-\xff", 400, "AuthorizationHeaderMalformed"),
        ("service", b"s\xff", 400, "AuthorizationHeaderMalformed"),
        ("signature", b"\xff" * 64, 403, "SignatureDoesNotMatch"),
        ("signed headers", b"host;x-\xff", 403, "SignatureDoesNotMatch"),
    ],
)
def test_non_utf8_bytes_in_the_authorization_header(gateway, obj, field, value, status, code):
    amz_date = amz_now()
    parts = {
        "access key": gateway.access_key.encode(),
        "region": b"us-east-1",
        "service": b"s3",
        "signature": ZEROS.encode(),
        "signed headers": b"host;x-amz-content-sha256;x-amz-date",
    }
    parts[field] = value
    credential = b"/".join([parts["access key"], amz_date[:8].encode(), parts["region"], parts["service"]])
    authorization = (
        (b"AWS4-HMAC-SHA256 Credential=" + credential + b"/aws4_request, SignedHeaders=" + parts["signed headers"])
        + b", Signature="
        + parts["signature"]
    )
    head = b"\r\n".join(
        [
            f"GET /{obj}/k HTTP/1.1".encode(),
            f"Host: 127.0.0.1:{gateway.port}".encode(),
            b"x-amz-date: " + amz_date.encode(),
            b"x-amz-content-sha256: " + EMPTY_SHA256.encode(),
            b"Authorization: " + authorization,
        ]
    )
    assert_s3_error(send(gateway.port, head), status, code)


def test_non_utf8_date_and_payload_hash(gateway, obj):
    target = f"/{obj}/k"
    bad_date = s3_head(gateway, "GET", target, []).replace(b"x-amz-date: ", b"x-amz-date: \xff", 1)
    assert_s3_error(send(gateway.port, bad_date), 403, "AccessDenied")
    bad_hash = s3_head(gateway, "GET", target, []).replace(
        b"x-amz-content-sha256: " + EMPTY_SHA256.encode(), b"x-amz-content-sha256: \xff\xff"
    )
    assert_s3_error(send(gateway.port, bad_hash), 400, "InvalidArgument")


def test_presigned_expires_in_unicode_digits(gateway, obj):
    amz_date = amz_now()
    credential = f"{gateway.access_key}%2F{amz_date[:8]}%2Fus-east-1%2Fs3%2Faws4_request"
    for expires in ("%C2%B2", "%D9%A3", "1_0"):  # SUPERSCRIPT TWO, ARABIC-INDIC THREE, an underscore
        query = (
            f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={credential}&X-Amz-Date={amz_date}"
            f"&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature={ZEROS}"
        )
        head = f"GET /{obj}/k?{query} HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}".encode()
        assert_s3_error(send(gateway.port, head), 400, "AuthorizationQueryParametersError")


# ------------------------------------------------------------------ S3, SigV2 and POST policy


def v2_head(gw, target, extra: list[bytes], authorization: bytes) -> bytes:
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()).encode()
    lines = [f"GET {target} HTTP/1.1".encode(), f"Host: 127.0.0.1:{gw.port}".encode(), b"Date: " + date, *extra]
    return b"\r\n".join([*lines, b"Authorization: " + authorization])


def test_sigv2_with_non_utf8_amz_header(gateway, obj):
    zero = base64.b64encode(b"\0" * 20)
    resp = send(
        gateway.port,
        v2_head(
            gateway, f"/{obj}/k", [b"x-amz-meta-a: \xff"], b"AWS " + b"%s:%s" % (gateway.access_key.encode(), zero)
        ),
    )
    assert_s3_error(resp, 403, "SignatureDoesNotMatch")
    content_type = v2_head(
        gateway, f"/{obj}/k", [b"Content-Type: \xfe"], b"AWS %s:%s" % (gateway.access_key.encode(), zero)
    )
    assert_s3_error(send(gateway.port, content_type), 403, "SignatureDoesNotMatch")
    bad_signature = v2_head(gateway, f"/{obj}/k", [], b"AWS %s:\xff\xfe" % gateway.access_key.encode())
    assert_s3_error(send(gateway.port, bad_signature), 403, "SignatureDoesNotMatch")
    bad_key = v2_head(gateway, f"/{obj}/k", [], b"AWS KEY\xff:" + zero)
    assert_s3_error(send(gateway.port, bad_key), 403, "InvalidAccessKeyId")


def test_sigv2_signed_over_raw_bytes_verifies(gateway, obj):
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()).encode()
    to_sign = b"GET\n\n\n" + date + b"\nx-amz-meta-a:\xff\n/" + obj.encode() + b"/k"
    signature = base64.b64encode(hmac.new(gateway.secret_key.encode(), to_sign, hashlib.sha1).digest())
    head = b"\r\n".join(
        [
            f"GET /{obj}/k HTTP/1.1".encode(),
            f"Host: 127.0.0.1:{gateway.port}".encode(),
            b"Date: " + date,
            b"x-amz-meta-a: \xff",
            b"Authorization: AWS " + gateway.access_key.encode() + b":" + signature,
        ]
    )
    resp = send(gateway.port, head)
    assert (resp.status, resp.body) == (200, b"0123456789")


def test_sigv2_presigned_expires_in_unicode_digits(gateway, obj):
    target = f"/{obj}/k?AWSAccessKeyId={gateway.access_key}&Signature=AAAA&Expires=%C2%B2"
    head = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}".encode()
    assert_s3_error(send(gateway.port, head), 403, "AccessDenied")


def _form(fields: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in [*fields, ("file", b"data")]:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value)
    body = b"\r\n".join(parts) + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _post_form(gw, bucket, fields):
    body, ctype = _form(fields)
    head = (
        f"POST /{bucket} HTTP/1.1\r\nHost: 127.0.0.1:{gw.port}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}"
    ).encode()
    return send(gw.port, head, body)


def _v4_form_fields(gw, policy: bytes) -> list[tuple[str, bytes]]:
    amz_date = amz_now()
    encoded = base64.b64encode(policy)
    key = ("AWS4" + gw.secret_key).encode()
    for part in (amz_date[:8], "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, encoded, hashlib.sha256).hexdigest()
    return [
        ("key", b"k"),
        ("policy", encoded),
        ("x-amz-algorithm", b"AWS4-HMAC-SHA256"),
        ("x-amz-credential", f"{gw.access_key}/{amz_date[:8]}/us-east-1/s3/aws4_request".encode()),
        ("x-amz-date", amz_date.encode()),
        ("x-amz-signature", signature.encode()),
    ]


@pytest.mark.parametrize(
    "policy",
    [
        b'{"expiration": "2999-01-01T00:00:00Z", "conditions": [["content-length-range", 1e999, 5]]}',
        b'{"expiration": "2999-01-01T00:00:00Z", "conditions": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"expiration": "2999-01-01T00:00:00\xff", "conditions": []}',
        b'{"expiration": "\\udcff", "conditions": [{"key": "\\udcff"}]}',
    ],
    ids=["infinite-length", "deeply-nested", "non-utf8", "lone-surrogate"],
)
def test_hostile_signed_post_policies(gateway, bucket, policy):
    resp = _post_form(gateway, bucket, _v4_form_fields(gateway, policy))
    assert_s3_error(resp, 400, "InvalidPolicyDocument")


def test_post_policy_with_non_ascii_credentials(gateway, bucket):
    fields = _v4_form_fields(gateway, b'{"expiration": "2999-01-01T00:00:00Z", "conditions": []}')
    fields = [(n, v.replace(b"us-east-1", "us-\u00e9".encode())) for n, v in fields]
    assert_s3_error(_post_form(gateway, bucket, fields), 400, "InvalidArgument")
    signature_bad = [(n, "\u00e9".encode() * 64 if n == "x-amz-signature" else v) for n, v in fields]
    assert _post_form(gateway, bucket, signature_bad).status in (400, 403)


# ------------------------------------------------------------------ native /v1


def native_head(gw, extra, **kw):
    return signed_head(
        "GET",
        "/v1/bucket/listAll",
        gw.port,
        extra,
        access_key=gw.access_key,
        secret_key=gw.secret_key,
        service="jcs",
        payload_hash=EMPTY_SHA256,
        send_payload_header=False,
        **kw,
    )


def test_native_zero_signature_with_a_non_utf8_signed_header(gateway):
    resp = send(gateway.port, native_head(gateway, [(b"x-foo", b"\xff")], signature=ZEROS))
    assert_native_error(resp, 401, "Unauthorized")


def test_native_signature_over_raw_bytes_verifies(gateway):
    resp = send(gateway.port, native_head(gateway, [(b"x-foo", b"\xff")]))
    assert resp.status == 200 and resp.json()["code"] == "OK"


def test_native_non_utf8_credential(gateway):
    head = native_head(gateway, [], signature=ZEROS).replace(
        f"Credential={gateway.access_key}".encode(), b"Credential=\xff\xfe"
    )
    assert_native_error(send(gateway.port, head), 401, "Unauthorized")
    region = native_head(gateway, [], signature=ZEROS).replace(b"/us-east-1/", b"/us-\xff/")
    assert_native_error(send(gateway.port, region), 401, "Unauthorized")


# ------------------------------------------------------------------ console /api/v1


def console_head(gw, host: bytes, token: bytes) -> bytes:
    return b"GET /api/v1/volumes HTTP/1.1\r\nHost: " + host + b"\r\nAuthorization: " + token


def test_console_non_utf8_host(gateway):
    token = console_token(gateway.access_key, gateway.secret_key, "GET", "/api/v1/volumes", b"elsewhere")
    assert_console_error(send(gateway.port, console_head(gateway, b"\xff", token)), 401, "Unauthorized")
    raw = console_token(gateway.access_key, gateway.secret_key, "GET", "/api/v1/volumes", b"\xff")
    resp = send(gateway.port, console_head(gateway, b"\xff", raw))
    assert resp.status == 200 and isinstance(resp.json(), list)


@pytest.mark.parametrize(
    "token",
    [
        base64.b64encode(b'{"access_key": "\\udcff", "timestamp": %d, "signature": "00"}' % int(time.time())),
        base64.b64encode(b'{"access_key": "K\\u0000", "timestamp": %d, "signature": "\\udcff"}' % int(time.time())),
        base64.b64encode(b"[" * 3000 + b"]" * 3000),
        base64.b64encode(b'{"access_key": "k", "timestamp": 1e999, "signature": "00"}'),
        base64.b64encode(b"\xff\xfe{}"),
        b"\xff\xfe==",
    ],
    ids=["surrogate-key", "surrogate-signature", "deeply-nested", "infinite-time", "non-utf8-json", "non-ascii"],
)
def test_console_hostile_tokens(gateway, token):
    assert_console_error(
        send(gateway.port, console_head(gateway, f"127.0.0.1:{gateway.port}".encode(), token)), 401, "Unauthorized"
    )


def test_console_token_with_a_known_key_and_surrogates(gateway):
    token = {"access_key": gateway.access_key, "timestamp": int(time.time()), "signature": "\udcff" * 64}
    encoded = base64.b64encode(json.dumps(token).encode())
    resp = send(gateway.port, console_head(gateway, f"127.0.0.1:{gateway.port}".encode(), encoded))
    assert_console_error(resp, 401, "Unauthorized")


# ------------------------------------------------------------------ JSON bodies nested deeper than the parser goes


def test_deeply_nested_json_bodies(gateway):
    deep = b"[" * 100_000 + b"]" * 100_000
    resp = raw_request(gateway, "POST", "/v1/bucket/create", body=deep, headers={"Content-Type": "application/json"})
    assert (resp.status_code, resp.json()["code"]) == (400, "BadArgument")
    token = console_token(
        gateway.access_key,
        gateway.secret_key,
        "POST",
        "/api/v1/volumes/1/quotas",
        f"127.0.0.1:{gateway.port}".encode(),
        deep,
    )
    head = (
        f"POST /api/v1/volumes/1/quotas HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(deep)}\r\nAuthorization: "
    ).encode() + token
    boto_client(gateway).create_bucket(Bucket="deep-json")
    resp = send(gateway.port, head, deep)
    assert_console_error(resp, 400, "MalformedJSON")


def test_control_characters_in_an_aws_chunked_trailer_name(gateway, bucket):
    """Found by tests/fuzz/test_fuzz_chunked.py: the error message echoed the NUL and the XML
    error document could not be written (500)."""
    body = b"1\r\nx\r\n0\r\n\x00-amz-checksum-crc32:AAAAAA==\r\n\r\n"
    extra = [
        (b"content-encoding", b"aws-chunked"),
        (b"x-amz-decoded-content-length", b"1"),
        (b"content-length", str(len(body)).encode()),
    ]
    head = s3_head(gateway, "PUT", f"/{bucket}/t", extra, payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    assert_s3_error(send(gateway.port, head, body), 400, "InvalidRequest")


# ------------------------------------------------------------------ stored headers: bytes that are not UTF-8


@pytest.mark.parametrize(
    "name", [b"x-amz-meta-a", b"content-type", b"cache-control", b"content-disposition", b"expires"]
)
def test_a_stored_header_must_be_utf8(gateway, bucket, s3, name):
    """A signature over raw bytes verifies, but the value would be stored and sent back on
    every GET: bytes that are not UTF-8 are refused (400), and nothing is written."""
    body = b"y"
    head = s3_head(gateway, "PUT", f"/{bucket}/stored", [(name, b"a\xff\xfe")], payload_hash=_sha(body))
    resp = send(gateway.port, head + f"\r\nContent-Length: {len(body)}".encode(), body)
    assert_s3_error(resp, 400, "InvalidArgument")
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_the_gateway_logged_no_traceback(gateway):
    """Runs last in this module: none of the cases above reached the unhandled-error path."""
    assert "Traceback" not in gateway.logs()
