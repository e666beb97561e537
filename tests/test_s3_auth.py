"""SigV4 at the HTTP level: wrong keys, tampering, skew, presigned URLs, anonymous access."""

import datetime as dt

import pytest
import requests
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from conftest import boto_client


def signed_request(gw, method, path, *, secret=None, access=None, body=b"", headers=None, when=None):
    creds = Credentials(access or gw.access_key, secret or gw.secret_key)
    request = AWSRequest(method=method, url=gw.url + path, data=body, headers=headers or {})
    signer = S3SigV4Auth(creds, "s3", "us-east-1")
    if when is not None:
        # botocore reads the clock inside add_auth; pin it by patching the module's datetime
        import botocore.auth as auth_module

        class FrozenDatetime(dt.datetime):
            @classmethod
            def utcnow(cls):
                return when.replace(tzinfo=None)

            @classmethod
            def now(cls, tz=None):
                return when if tz else when.replace(tzinfo=None)

        original = auth_module.datetime.datetime
        auth_module.datetime.datetime = FrozenDatetime
        try:
            signer.add_auth(request)
        finally:
            auth_module.datetime.datetime = original
    else:
        signer.add_auth(request)
    prepared = request.prepare()
    return requests.request(method, prepared.url, headers=dict(prepared.headers), data=body)


def test_wrong_access_key(gateway):
    resp = signed_request(gateway, "GET", "/", access="NOSUCHKEY")
    assert resp.status_code == 403
    assert b"<Code>InvalidAccessKeyId</Code>" in resp.content


def test_wrong_secret(gateway):
    resp = signed_request(gateway, "GET", "/", secret="wrong")
    assert resp.status_code == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in resp.content
    assert b"<RequestId>" in resp.content and b"<Resource>/</Resource>" in resp.content


def test_tampered_body_hash(gateway, s3, bucket):
    creds = Credentials(gateway.access_key, gateway.secret_key)
    request = AWSRequest(method="PUT", url=f"{gateway.url}/{bucket}/t", data=b"hello")
    S3SigV4Auth(creds, "s3", "us-east-1").add_auth(request)
    prepared = request.prepare()
    resp = requests.put(prepared.url, headers=dict(prepared.headers), data=b"HELLO")
    assert resp.status_code == 400
    assert b"XAmzContentSHA256Mismatch" in resp.content
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="t")


def test_clock_skew(gateway):
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
    resp = signed_request(gateway, "GET", "/", when=old)
    assert resp.status_code == 403
    assert b"RequestTimeTooSkewed" in resp.content


def test_anonymous_is_denied(gateway, bucket):
    resp = requests.get(f"{gateway.url}/{bucket}")
    assert resp.status_code == 403
    assert b"<Code>AccessDenied</Code>" in resp.content


def test_presigned_get_and_put(gateway, bucket):
    s3 = boto_client(gateway, signature_version="s3v4")
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "pre/s.txt"}, ExpiresIn=60)
    assert requests.put(put_url, data=b"presigned!").status_code == 200
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "pre/s.txt"}, ExpiresIn=60)
    resp = requests.get(get_url)
    assert resp.status_code == 200 and resp.content == b"presigned!"
    tampered = get_url.replace("pre/s.txt", "pre/other.txt")
    assert requests.get(tampered).status_code == 403


def test_expired_presign(gateway, s3, bucket):
    s3.put_object(Bucket=bucket, Key="e", Body=b"x")
    creds = Credentials(gateway.access_key, gateway.secret_key)
    request = AWSRequest(method="GET", url=f"{gateway.url}/{bucket}/e")
    S3SigV4QueryAuth(creds, "s3", "us-east-1", expires=1).add_auth(request)
    import time

    time.sleep(2.1)
    resp = requests.get(request.prepare().url)
    assert resp.status_code == 403
    assert b"AccessDenied" in resp.content and b"expired" in resp.content.lower()


def test_malformed_xml(gateway, s3, bucket):
    resp = signed_request(
        gateway,
        "POST",
        f"/{bucket}?delete",
        body=b"<Delete><Object><Key>x</Key>",
        headers={"Content-Type": "application/xml"},
    )
    assert resp.status_code == 400
    assert b"<Code>MalformedXML</Code>" in resp.content


def test_xml_entities_are_refused(gateway, bucket):
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<Delete><Object><Key>&x;</Key></Object></Delete>"
    )
    resp = signed_request(gateway, "POST", f"/{bucket}?delete", body=evil)
    assert resp.status_code == 400
    assert b"root:" not in resp.content


def test_request_id_header_and_log_line(gateway, s3, bucket):
    resp = s3.put_object(Bucket=bucket, Key="logged", Body=b"12345")
    request_id = resp["ResponseMetadata"]["RequestId"]
    assert request_id
    import json
    import time

    for _ in range(20):
        lines = [json.loads(line) for line in gateway.logs().splitlines() if line.startswith("{")]
        mine = [entry for entry in lines if entry.get("rid") == request_id]
        if mine:
            break
        time.sleep(0.1)
    assert mine and mine[0]["method"] == "PUT" and mine[0]["status"] == 200
    assert mine[0]["bytes_in"] >= 5 and "ms" in mine[0]
    assert gateway.secret_key not in gateway.logs()


def test_virtual_hosted_style(tmp_path):
    from conftest import start_gateway, stop_gateway

    gw = start_gateway(tmp_path, "--domain", "localhost")
    try:
        path_client = boto_client(gw)
        path_client.create_bucket(Bucket="vhost-bucket")
        path_client.put_object(Bucket="vhost-bucket", Key="k", Body=b"v")
        creds = Credentials(gw.access_key, gw.secret_key)
        url = f"http://vhost-bucket.localhost:{gw.port}/k"
        request = AWSRequest(method="GET", url=url)
        S3SigV4Auth(creds, "s3", "us-east-1").add_auth(request)
        prepared = request.prepare()
        headers = {"Host": f"vhost-bucket.localhost:{gw.port}", **dict(prepared.headers)}
        resp = requests.get(f"http://127.0.0.1:{gw.port}/k", headers=headers)
        assert resp.status_code == 200 and resp.content == b"v"
    finally:
        stop_gateway(gw)
