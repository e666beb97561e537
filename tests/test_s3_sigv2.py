"""Signature Version 2: AWS's documented examples, botocore's HmacV1 signers, boto3's default
presigned URLs (with requests and curl), a signature_version="s3" client end to end, and the
errors for tampered, expired and unknown-key requests."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import shutil
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from urllib.parse import unquote, urlsplit

import pytest
import requests
from botocore.auth import HmacV1Auth, HmacV1QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from conftest import boto_client
from multidict import CIMultiDict

from gateway.auth import sigv2
from gateway.auth.types import AuthError, PayloadMode, SignedRequest

DOC_KEY = "AKIAIOSFODNN7EXAMPLE"
DOC_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _query(raw: str) -> list[tuple[str, str]]:
    pairs = []
    for item in raw.split("&"):
        if item:
            name, _, value = item.partition("=")
            pairs.append((unquote(name), unquote(value)))
    return pairs


def signed(method: str, path: str, headers: dict[str, str] | None = None, query: str = "") -> SignedRequest:
    return SignedRequest(method=method, raw_path=path, query=_query(query), headers=CIMultiDict(headers or {}))


def verify(req: SignedRequest, *, now: datetime | None = None, prefix: str = "", secret: str = DOC_SECRET):
    async def lookup(access_key: str) -> str | None:
        return secret if access_key == DOC_KEY else None

    return asyncio.run(sigv2.verify(req, lookup, bucket_prefix=prefix, now=now))


# ------------------------------------------------------------------ unit: the string to sign


@pytest.mark.parametrize(
    "string_to_sign, signature",
    [
        # AWS "Signing and authenticating REST requests" (Signature Version 2) examples
        (
            "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg",
            "qgk2+6Sv9/oM7G3qLEjTH1a1l1g=",
        ),
        (
            "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/awsexamplebucket1/photos/puppy.jpg",
            "iqRzw+ileNPu1fhspnRs8nOjjIA=",
        ),
        ("GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/awsexamplebucket1/", "m0WP8eCtspQl5Ahe6L1SozdX9YA="),
        ("GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/awsexamplebucket1/?acl", "82ZHiFIjc+WbcwFKGUVEQspPn+0="),
        ("GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/", "qGdzdERIC03wnaRNKh6OqZehG9s="),
        (
            "GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
            "DNEZGsoieTZ92F3bUfSPQcbGmlM=",
        ),
        ("GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg", "NpgCjnDzrM+WFzoENXmpNDUsSn8="),
    ],
)
def test_documented_signatures(string_to_sign, signature):
    assert sigv2.sign(DOC_SECRET, string_to_sign) == signature


def test_string_to_sign_documented_get():
    req = signed(
        "GET",
        "/photos/puppy.jpg",
        {"Host": "awsexamplebucket1.us-west-1.s3.amazonaws.com", "Date": "Tue, 27 Mar 2007 19:36:42 +0000"},
    )
    prefix = sigv2.virtual_host_prefix("awsexamplebucket1.us-west-1.s3.amazonaws.com", "us-west-1.s3.amazonaws.com")
    assert prefix == "/awsexamplebucket1"
    first = sigv2.strings_to_sign(req, prefix + req.raw_path)[0]
    assert first == "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg"


def test_string_to_sign_amz_headers_and_md5():
    """The documented upload: x-amz-* lowercased, sorted, repeated values joined by ','."""
    headers = CIMultiDict(
        [
            ("Content-MD5", "4gJE4saaMU4BqNR0kLY+lw=="),
            ("Content-Type", "application/x-download"),
            ("Date", "Tue, 27 Mar 2007 21:06:08 +0000"),
            ("x-amz-acl", "public-read"),
            ("X-Amz-Meta-ReviewedBy", "joe@johnsmith.net"),
            ("X-Amz-Meta-ReviewedBy", "jane@johnsmith.net"),
            ("X-Amz-Meta-FileChecksum", "0x02661779"),
            ("X-Amz-Meta-ChecksumAlgorithm", " crc32 "),
        ]
    )
    req = SignedRequest("PUT", "/db-backup.dat.gz", [], headers)
    first = sigv2.strings_to_sign(req, "/static.johnsmith.net" + req.raw_path)[0]
    assert first == (
        "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\n"
        "x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\n"
        "x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n/static.johnsmith.net/db-backup.dat.gz"
    )
    assert sigv2.sign(DOC_SECRET, first) == "ilyl83RwaSoYIEdixDQcA4OnAnc="


def test_canonical_resource_subresources():
    query = [
        ("versionId", "v1"),
        ("acl", ""),
        ("prefix", "x"),
        ("response-content-type", "text/plain; a=b"),
        ("max-keys", "3"),
    ]
    assert sigv2.canonical_resource("/b/k", query) == "/b/k?acl&response-content-type=text/plain; a=b&versionId=v1"
    assert sigv2.canonical_resource("/b", [("list-type", "2")]) == "/b"
    assert sigv2.canonical_resource("/b", [("uploads", "")]) == "/b?uploads"


def test_x_amz_date_variants_are_accepted():
    """With x-amz-date the documented rule empties the Date line; AWS's own DELETE example puts
    the x-amz-date value there instead (signature XbyTlbQdu9Xw5o8P4iMwPktxQd8=)."""
    when = datetime(2007, 3, 27, 21, 20, 26, tzinfo=UTC)
    headers = {
        "Date": "Tue, 27 Mar 2007 21:20:27 +0000",
        "x-amz-date": "Tue, 27 Mar 2007 21:20:26 +0000",
        "Authorization": f"AWS {DOC_KEY}:XbyTlbQdu9Xw5o8P4iMwPktxQd8=",
    }
    req = signed("DELETE", "/awsexamplebucket1/photos/puppy.jpg", headers)
    assert verify(req, now=when).access_key == DOC_KEY
    rule = "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n/awsexamplebucket1/photos/puppy.jpg"
    assert sigv2.strings_to_sign(req, req.raw_path)[0] == rule
    headers["Authorization"] = f"AWS {DOC_KEY}:{sigv2.sign(DOC_SECRET, rule)}"
    assert verify(signed("DELETE", req.raw_path, headers), now=when).access_key == DOC_KEY


def _botocore(signer, method: str, url: str, headers: dict[str, str] | None = None, body: bytes = b"") -> SignedRequest:
    request = AWSRequest(method=method, url=url, headers=headers or {}, data=body)
    signer.add_auth(request)
    prepared = request.prepare()
    split = urlsplit(prepared.url)
    return SignedRequest(method, split.path, _query(split.query), CIMultiDict(prepared.headers))


@pytest.mark.parametrize(
    "method, url, headers",
    [
        ("GET", "http://h/bucket/photos/puppy%20one+two.jpg", {}),
        ("GET", "http://h/bucket/k?versionId=abc&response-content-disposition=attachment%3B%20filename%3D%22x%22", {}),
        ("PUT", "http://h/bucket/k", {"Content-Type": "text/plain", "x-amz-meta-a": " one ", "Content-MD5": "abc=="}),
        ("POST", "http://h/bucket/k?uploads", {}),
        ("PUT", "http://h/bucket/k?partNumber=2&uploadId=XyZ", {}),
        ("POST", "http://h/bucket?delete", {"Content-Type": "application/xml"}),
        ("GET", "http://h/bucket?list-type=2&prefix=a%2Fb&max-keys=3", {}),
    ],
)
def test_botocore_hmacv1_header_auth_verifies(method, url, headers):
    req = _botocore(HmacV1Auth(Credentials(DOC_KEY, DOC_SECRET)), method, url, headers)
    auth = verify(req)
    assert auth.access_key == DOC_KEY and not auth.presigned
    assert auth.payload_mode is PayloadMode.UNSIGNED and auth.signing_key == b""


def test_botocore_hmacv1_query_auth_verifies():
    req = _botocore(
        HmacV1QueryAuth(Credentials(DOC_KEY, DOC_SECRET), expires=60),
        "PUT",
        "http://h/bucket/k",
        {"Content-Type": "text/plain", "x-amz-meta-who": "me"},
    )
    # the client of a presigned URL typically sends none of the signed headers: they are in the query
    bare = SignedRequest(req.method, req.raw_path, req.query, CIMultiDict())
    auth = verify(bare)
    assert auth.presigned and auth.access_key == DOC_KEY


def test_virtual_hosted_resource_includes_bucket():
    request = AWSRequest(method="GET", url="http://bkt.s3.example.test/some/key", headers={})
    request.auth_path = "/bkt/some/key"
    HmacV1Auth(Credentials(DOC_KEY, DOC_SECRET)).add_auth(request)
    prepared = request.prepare()
    req = SignedRequest("GET", "/some/key", [], CIMultiDict(prepared.headers))
    assert verify(req, prefix=sigv2.virtual_host_prefix("bkt.s3.example.test:80", "s3.example.test")).access_key
    with pytest.raises(AuthError) as err:
        verify(req)
    assert err.value.code == "SignatureDoesNotMatch"


def test_unit_errors():
    good = _botocore(HmacV1Auth(Credentials(DOC_KEY, DOC_SECRET)), "GET", "http://h/bucket/k")
    tampered = SignedRequest("GET", "/bucket/other", good.query, good.headers)
    cases = [
        (tampered, "SignatureDoesNotMatch"),
        (signed("GET", "/b", {"Authorization": "AWS nocolon", "Date": good.headers["Date"]}), "InvalidArgument"),
        (signed("GET", "/b", {"Authorization": f"AWS {DOC_KEY}:x"}), "AccessDenied"),  # no date at all
        (
            signed(
                "GET",
                "/b",
                {
                    "Authorization": f"AWS {DOC_KEY}:x",
                    "Date": format_datetime(datetime.now(UTC) - timedelta(minutes=20), usegmt=True),
                },
            ),
            "RequestTimeTooSkewed",
        ),
        (
            signed("GET", "/b", query=f"AWSAccessKeyId={DOC_KEY}&Signature=x&Expires={int(time.time()) - 1}"),
            "AccessDenied",
        ),
        (signed("GET", "/b", query=f"AWSAccessKeyId={DOC_KEY}&Signature=x"), "AccessDenied"),
        (signed("GET", "/b", query=f"AWSAccessKeyId={DOC_KEY}&Signature=x&Expires=soon"), "AccessDenied"),
        (signed("GET", "/b", {"Authorization": f"AWS {DOC_KEY}:x"}, query="Signature=x"), "InvalidArgument"),
    ]
    for req, code in cases:
        with pytest.raises(AuthError) as err:
            verify(req)
        assert err.value.code == code, (req, err.value.message)
    with pytest.raises(AuthError) as err:
        verify(good, secret="wrong")
    assert err.value.code == "SignatureDoesNotMatch"


def test_signed_sha256_header_is_honoured():
    digest = hashlib.sha256(b"x").hexdigest()
    req = _botocore(
        HmacV1Auth(Credentials(DOC_KEY, DOC_SECRET)), "PUT", "http://h/b/k", {"x-amz-content-sha256": digest}
    )
    auth = verify(req)
    assert auth.payload_mode is PayloadMode.SIGNED and auth.payload_sha256 == digest


# ------------------------------------------------------------------ against the gateway


@pytest.fixture(scope="module")
def v2(gateway):
    return boto_client(gateway, signature_version="s3")


def test_default_presigned_get_and_put_with_requests(gateway, s3, bucket):
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "dir/a b+c.txt"})
    assert "AWSAccessKeyId=" in put_url and "X-Amz-" not in put_url
    resp = requests.put(put_url, data=b"hello v2")
    assert resp.status_code == 200, resp.text
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "dir/a b+c.txt"})
    resp = requests.get(get_url)
    assert resp.status_code == 200 and resp.content == b"hello v2"
    assert s3.get_object(Bucket=bucket, Key="dir/a b+c.txt")["Body"].read() == b"hello v2"


def test_default_presigned_put_with_content_type_and_override(gateway, s3, bucket):
    url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "t.txt", "ContentType": "text/plain"}
    )
    resp = requests.put(url, data=b"typed", headers={"Content-Type": "text/plain"})
    assert resp.status_code == 200, resp.text
    wrong = requests.put(url, data=b"typed", headers={"Content-Type": "image/png"})
    assert wrong.status_code == 403 and b"SignatureDoesNotMatch" in wrong.content
    url = s3.generate_presigned_url(
        "get_object",
        Params={"Bucket": bucket, "Key": "t.txt", "ResponseContentDisposition": 'attachment; filename="x y.txt"'},
    )
    resp = requests.get(url)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Disposition"] == 'attachment; filename="x y.txt"'
    assert resp.headers["Content-Type"] == "text/plain"


def test_default_presigned_urls_with_curl(gateway, s3, bucket, tmp_path):
    source = tmp_path / "upload.bin"
    source.write_bytes(bytes(range(256)) * 100)
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "curl/obj.bin"})
    out = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-T", str(source), put_url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout == "200", out.stderr
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "curl/obj.bin"})
    target = tmp_path / "download.bin"
    out = subprocess.run(
        ["curl", "-sS", "-o", str(target), "-w", "%{http_code}", get_url], capture_output=True, text=True, timeout=60
    )
    assert out.stdout == "200", out.stderr
    assert target.read_bytes() == source.read_bytes()


def test_presigned_expired_tampered_and_unknown_key(gateway, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    expired = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=1)
    time.sleep(2.1)
    resp = requests.get(expired)
    assert resp.status_code == 403 and b"<Code>AccessDenied</Code>" in resp.content
    assert b"Request has expired" in resp.content
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
    resp = requests.get(url.replace("/k?", "/other?"))
    assert resp.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in resp.content
    resp = requests.get(url.replace(f"AWSAccessKeyId={gateway.access_key}", "AWSAccessKeyId=NOSUCHKEY"))
    assert resp.status_code == 403 and b"<Code>InvalidAccessKeyId</Code>" in resp.content
    expires = dict(_query(urlsplit(url).query))["Expires"]  # extending the expiry breaks the signature
    resp = requests.get(url.replace(f"Expires={expires}", f"Expires={int(expires) + 100}"))
    assert resp.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in resp.content


def test_put_with_tampered_signature_stores_nothing(gateway, s3, bucket):
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "never"})
    resp = requests.put(url.replace("Signature=", "Signature=A"), data=b"x")
    assert resp.status_code == 403 and b"SignatureDoesNotMatch" in resp.content
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_header_auth_client_put_get_list_delete(v2, bucket):
    v2.put_object(Bucket=bucket, Key="a/b c+d.txt", Body=b"one", ContentType="text/plain", Metadata={"Who": "v2"})
    v2.put_object(Bucket=bucket, Key="z.txt", Body=b"two")
    head = v2.head_object(Bucket=bucket, Key="a/b c+d.txt")
    assert head["ContentType"] == "text/plain" and head["Metadata"] == {"who": "v2"}
    assert v2.get_object(Bucket=bucket, Key="a/b c+d.txt", Range="bytes=1-2")["Body"].read() == b"ne"
    listed = v2.list_objects_v2(Bucket=bucket, Prefix="a/")
    assert [o["Key"] for o in listed["Contents"]] == ["a/b c+d.txt"]
    assert [o["Key"] for o in v2.list_objects(Bucket=bucket)["Contents"]] == ["a/b c+d.txt", "z.txt"]
    assert v2.get_bucket_location(Bucket=bucket)["LocationConstraint"] in (None, "")
    v2.delete_object(Bucket=bucket, Key="z.txt")
    deleted = v2.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a/b c+d.txt"}]})
    assert len(deleted["Deleted"]) == 1
    assert v2.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert any(b["Name"] == bucket for b in v2.list_buckets()["Buckets"])


def test_header_auth_client_multipart(v2, bucket):
    upload = v2.create_multipart_upload(Bucket=bucket, Key="big/file", ContentType="application/x-test")
    uid = upload["UploadId"]
    part1 = b"a" * (5 * 1024 * 1024)
    part2 = b"tail"
    etags = [
        v2.upload_part(Bucket=bucket, Key="big/file", UploadId=uid, PartNumber=n, Body=data)["ETag"]
        for n, data in ((1, part1), (2, part2))
    ]
    parts = v2.list_parts(Bucket=bucket, Key="big/file", UploadId=uid)["Parts"]
    assert [p["PartNumber"] for p in parts] == [1, 2]
    assert v2.list_multipart_uploads(Bucket=bucket)["Uploads"][0]["UploadId"] == uid
    v2.complete_multipart_upload(
        Bucket=bucket,
        Key="big/file",
        UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in zip((1, 2), etags, strict=True)]},
    )
    body = v2.get_object(Bucket=bucket, Key="big/file")["Body"].read()
    assert body == part1 + part2
    other = v2.create_multipart_upload(Bucket=bucket, Key="big/aborted")["UploadId"]
    v2.abort_multipart_upload(Bucket=bucket, Key="big/aborted", UploadId=other)


def test_header_auth_bucket_lifecycle(v2):
    name = f"v2-{uuid.uuid4().hex[:10]}"
    v2.create_bucket(Bucket=name)
    v2.head_bucket(Bucket=name)
    v2.delete_bucket(Bucket=name)


def test_header_auth_errors_over_http(gateway, bucket):
    date = format_datetime(datetime.now(UTC), usegmt=True)
    resource = f"/{bucket}/k"
    good = sigv2.sign(gateway.secret_key, f"PUT\n\n\n{date}\n{resource}")
    resp = requests.put(
        gateway.url + resource, data=b"x", headers={"Date": date, "Authorization": f"AWS {gateway.access_key}:{good}"}
    )
    assert resp.status_code == 200, resp.text
    resp = requests.put(
        gateway.url + resource,
        data=b"x",
        headers={"Date": date, "Authorization": f"AWS {gateway.access_key}:{sigv2.sign('wrong', 'x')}"},
    )
    assert resp.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in resp.content
    resp = requests.get(gateway.url + resource, headers={"Date": date, "Authorization": f"AWS NOSUCH:{good}"})
    assert resp.status_code == 403 and b"<Code>InvalidAccessKeyId</Code>" in resp.content
    old = format_datetime(datetime.now(UTC) - timedelta(minutes=16), usegmt=True)
    stale = sigv2.sign(gateway.secret_key, f"GET\n\n\n{old}\n{resource}")
    resp = requests.get(
        gateway.url + resource, headers={"Date": old, "Authorization": f"AWS {gateway.access_key}:{stale}"}
    )
    assert resp.status_code == 403 and b"<Code>RequestTimeTooSkewed</Code>" in resp.content
    # Content-MD5 is signed but the core still checks it against the body
    md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    sig = sigv2.sign(gateway.secret_key, f"PUT\n{md5}\n\n{date}\n{resource}")
    resp = requests.put(
        gateway.url + resource,
        data=b"x",
        headers={"Date": date, "Content-MD5": md5, "Authorization": f"AWS {gateway.access_key}:{sig}"},
    )
    assert resp.status_code == 400 and b"<Code>BadDigest</Code>" in resp.content


@pytest.mark.skipif(shutil.which("s3cmd") is None, reason="s3cmd is not installed")
def test_s3cmd_signature_v2(gateway, s3, bucket, tmp_path):
    """s3cmd with signature_v2 = True signs `AWS key:sig` with an x-amz-date header."""
    host = gateway.url.split("://", 1)[1]
    config = tmp_path / "s3cfg"
    config.write_text(
        f"[default]\naccess_key = {gateway.access_key}\nsecret_key = {gateway.secret_key}\n"
        f"host_base = {host}\nhost_bucket = {host}\nuse_https = False\nsignature_v2 = True\n"
        "check_ssl_certificate = False\n"
    )
    source = tmp_path / "up.txt"
    source.write_bytes(b"from s3cmd v2")

    def s3cmd(*args: str) -> str:
        out = subprocess.run(
            ["s3cmd", "-c", str(config), *args], capture_output=True, text=True, timeout=60, env=gateway.env()
        )
        assert out.returncode == 0, out.stdout + out.stderr
        return out.stdout

    s3cmd("put", str(source), f"s3://{bucket}/dir/up file.txt")
    assert "dir/up file.txt" in s3cmd("ls", "-r", f"s3://{bucket}")
    target = tmp_path / "down.txt"
    s3cmd("get", f"s3://{bucket}/dir/up file.txt", str(target))
    assert target.read_bytes() == b"from s3cmd v2"
    s3cmd("del", f"s3://{bucket}/dir/up file.txt")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
