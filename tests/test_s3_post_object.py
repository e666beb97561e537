"""Browser-form uploads (POST Object): boto3's generate_presigned_post (V4 and V2) used with
requests, success_action_status/redirect, and every policy violation rejected with nothing
stored; plus unit tests of the policy evaluation."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from botocore.exceptions import ClientError
from conftest import boto_client
from lxml import etree

from gateway.domain.errors import JunctionError
from gateway.s3 import post_policy


@pytest.fixture(scope="module")
def s3v4(gateway):
    return boto_client(gateway, signature_version="s3v4")


def presign(client, bucket, key="uploads/${filename}", fields=None, conditions=None, expires=300):
    conditions = list(conditions or [])
    if key.endswith("${filename}"):
        conditions.append(["starts-with", "$key", key[: -len("${filename}")]])
    return client.generate_presigned_post(bucket, key, Fields=fields, Conditions=conditions, ExpiresIn=expires)


def post(post, content=b"hello form", filename="hello.txt", extra=None, **kw):
    data = dict(post["fields"], **(extra or {}))
    return requests.post(post["url"], data=data, files={"file": (filename, content)}, **kw)


def keys(s3, bucket):
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def error_code(resp) -> str:
    return etree.fromstring(resp.content).findtext("Code")


# ------------------------------------------------------------------ end to end


def test_v4_presigned_post_201_and_get(s3v4, s3, bucket):
    form = presign(
        s3v4,
        bucket,
        fields={"success_action_status": "201", "Content-Type": "text/plain", "x-amz-meta-origin": "browser"},
        conditions=[
            ["content-length-range", 1, 1024],
            {"success_action_status": "201"},
            ["starts-with", "$Content-Type", "text/"],
            {"x-amz-meta-origin": "browser"},
        ],
    )
    resp = post(form, b"form bytes", filename="notes.txt")
    assert resp.status_code == 201, resp.text
    doc = etree.fromstring(resp.content)
    assert doc.tag == "PostResponse"
    assert doc.findtext("Bucket") == bucket and doc.findtext("Key") == "uploads/notes.txt"
    assert doc.findtext("ETag") == '"{}"'.format(hashlib.md5(b"form bytes").hexdigest())
    assert doc.findtext("Location").endswith(f"/{bucket}/uploads/notes.txt")
    got = s3.get_object(Bucket=bucket, Key="uploads/notes.txt")
    assert got["Body"].read() == b"form bytes"
    assert got["ContentType"] == "text/plain" and got["Metadata"] == {"origin": "browser"}


TAGGING = "<Tagging><TagSet><Tag><Key>team</Key><Value>web</Value></Tag></TagSet></Tagging>"


def test_tagging_and_private_acl_fields(s3v4, s3, bucket):
    form = presign(
        s3v4,
        bucket,
        key="tagged/${filename}",
        fields={"tagging": TAGGING, "acl": "private"},
        conditions=[{"tagging": TAGGING}, {"acl": "private"}],
    )
    resp = post(form, b"tagged bytes", filename="t.txt")
    assert resp.status_code == 204, resp.text
    tags = s3.get_object_tagging(Bucket=bucket, Key="tagged/t.txt")["TagSet"]
    assert tags == [{"Key": "team", "Value": "web"}]


@pytest.mark.parametrize(
    "field, value, code, status",
    [
        ("acl", "public-read", "AccessControlListNotSupported", 400),  # new buckets disable ACLs
        ("tagging", "<Tagging><TagSet>", "MalformedXML", 400),
        (
            "tagging",
            "<Tagging><TagSet>" + "<Tag><Key>k</Key><Value>1</Value></Tag>" * 2 + "</TagSet></Tagging>",
            "InvalidTag",
            400,
        ),
    ],
)
def test_bad_acl_and_tagging_fields_store_nothing(s3v4, s3, bucket, field, value, code, status):
    form = presign(s3v4, bucket, key="bad/${filename}", fields={field: value}, conditions=[{field: value}])
    resp = post(form)
    assert (resp.status_code, error_code(resp)) == (status, code), resp.text
    assert keys(s3, bucket) == []


def test_default_status_is_204_and_200_on_request(s3v4, s3, bucket):
    resp = post(presign(s3v4, bucket, key="plain.bin"))
    assert resp.status_code == 204 and resp.headers["ETag"]
    form = presign(
        s3v4,
        bucket,
        key="ok.bin",
        fields={"success_action_status": "200"},
        conditions=[{"success_action_status": "200"}],
    )
    assert post(form).status_code == 200
    assert sorted(keys(s3, bucket)) == ["ok.bin", "plain.bin"]


def test_success_action_redirect(s3v4, bucket):
    target = "https://example.test/done?from=form"
    form = presign(
        s3v4,
        bucket,
        key="r.txt",
        fields={"success_action_redirect": target},
        conditions=[{"success_action_redirect": target}],
    )
    resp = post(form, allow_redirects=False)
    assert resp.status_code == 303
    location = urlsplit(resp.headers["Location"])
    assert location.netloc == "example.test"
    query = parse_qs(location.query)
    assert query["from"] == ["form"] and query["bucket"] == [bucket] and query["key"] == ["r.txt"]
    assert query["etag"] == ['"{}"'.format(hashlib.md5(b"hello form").hexdigest())]


def test_v2_presigned_post(s3, bucket):
    form = s3.generate_presigned_post(bucket, "v2/${filename}", Conditions=[["starts-with", "$key", "v2/"]])
    assert "AWSAccessKeyId" in form["fields"] and "signature" in form["fields"]
    resp = post(form, b"legacy", filename="a.bin")
    assert resp.status_code == 204, resp.text
    assert s3.get_object(Bucket=bucket, Key="v2/a.bin")["Body"].read() == b"legacy"
    form["fields"]["signature"] = base64.b64encode(b"0" * 20).decode()
    resp = post(form, b"forged", filename="b.bin")
    assert resp.status_code == 403 and error_code(resp) == "SignatureDoesNotMatch"
    assert keys(s3, bucket) == ["v2/a.bin"]


def test_larger_file_streams_through(s3v4, s3, bucket):
    content = bytes(range(256)) * (40 * 1024)  # 10 MiB, many read pieces
    form = presign(s3v4, bucket, key="big.bin", conditions=[["content-length-range", 0, 20 * 1024 * 1024]])
    resp = post(form, content, filename="big.bin")
    assert resp.status_code == 204, resp.text
    assert s3.head_object(Bucket=bucket, Key="big.bin")["ContentLength"] == len(content)
    assert (
        hashlib.sha256(s3.get_object(Bucket=bucket, Key="big.bin")["Body"].read()).digest()
        == hashlib.sha256(content).digest()
    )


def test_checksum_field_is_verified(s3v4, s3, bucket):
    good = base64.b64encode(hashlib.sha256(b"hello form").digest()).decode()
    form = presign(
        s3v4,
        bucket,
        key="c.txt",
        fields={"x-amz-checksum-sha256": good},
        conditions=[["starts-with", "$x-amz-checksum-sha256", ""]],
    )
    assert post(form).status_code == 204
    resp = post(form, b"other bytes")
    assert resp.status_code == 400 and error_code(resp) == "BadDigest"
    assert s3.get_object(Bucket=bucket, Key="c.txt")["Body"].read() == b"hello form"


# ------------------------------------------------------------------ violations: nothing stored


def test_extra_field_not_in_policy(s3v4, s3, bucket):
    resp = post(presign(s3v4, bucket, key="x.txt"), extra={"x-amz-meta-sneaky": "1"})
    assert resp.status_code == 403 and error_code(resp) == "AccessDenied"
    assert b"Extra input fields: x-amz-meta-sneaky" in resp.content
    assert keys(s3, bucket) == []


def test_wrong_key_prefix(s3v4, s3, bucket):
    form = presign(s3v4, bucket)
    form["fields"]["key"] = "elsewhere/${filename}"
    resp = post(form)
    assert resp.status_code == 403 and error_code(resp) == "AccessDenied"
    assert b"starts-with" in resp.content
    assert keys(s3, bucket) == []


def test_too_large_and_too_small(s3v4, s3, bucket):
    form = presign(s3v4, bucket, key="sized.bin", conditions=[["content-length-range", 5, 1000]])
    resp = post(form, b"x" * 300_000)
    assert resp.status_code == 400 and error_code(resp) == "EntityTooLarge"
    resp = post(form, b"abc")
    assert resp.status_code == 400 and error_code(resp) == "EntityTooSmall"
    assert keys(s3, bucket) == []
    assert post(form, b"just right").status_code == 204


def test_expired_policy(s3v4, s3, bucket):
    form = presign(s3v4, bucket, key="late.txt", expires=-10)
    resp = post(form)
    assert resp.status_code == 403 and error_code(resp) == "AccessDenied"
    assert b"Policy expired" in resp.content
    assert keys(s3, bucket) == []


def test_bad_signature_and_unknown_key(s3v4, s3, bucket):
    form = presign(s3v4, bucket, key="s.txt")
    forged = dict(form, fields=dict(form["fields"], **{"x-amz-signature": "0" * 64}))
    resp = post(forged)
    assert resp.status_code == 403 and error_code(resp) == "SignatureDoesNotMatch"
    credential = form["fields"]["x-amz-credential"].split("/", 1)[1]
    unknown = dict(form, fields=dict(form["fields"], **{"x-amz-credential": "NOSUCHKEY/" + credential}))
    resp = post(unknown)
    assert resp.status_code == 403 and error_code(resp) == "InvalidAccessKeyId"
    # a policy edited after signing (here: a bigger size limit) no longer matches its signature
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    policy["conditions"].append(["content-length-range", 0, 10**9])
    edited = dict(form, fields=dict(form["fields"], policy=base64.b64encode(json.dumps(policy).encode()).decode()))
    resp = post(edited)
    assert resp.status_code == 403 and error_code(resp) == "SignatureDoesNotMatch"
    assert keys(s3, bucket) == []


def test_wrong_bucket_in_policy(s3v4, s3, bucket):
    other = f"{bucket}-other"
    s3.create_bucket(Bucket=other)
    form = presign(s3v4, other, key="b.txt")
    form["url"] = form["url"].rsplit("/", 1)[0] + f"/{bucket}"
    resp = post(form)
    assert resp.status_code == 403 and error_code(resp) == "AccessDenied"
    assert keys(s3, bucket) == [] and keys(s3, other) == []


def test_malformed_forms(gateway, s3v4, s3, bucket):
    form = presign(s3v4, bucket, key="m.txt")
    resp = requests.post(form["url"], files={k: (None, v) for k, v in form["fields"].items()})
    assert resp.status_code == 400 and error_code(resp) == "IncorrectNumberOfFilesInPostRequest"
    resp = requests.post(form["url"], files={"file": ("a", b"x")})  # no policy: anonymous
    assert resp.status_code == 403 and error_code(resp) == "AccessDenied"
    no_key = {k: v for k, v in form["fields"].items() if k != "key"}
    resp = requests.post(form["url"], data=no_key, files={"file": ("a", b"x")})
    assert resp.status_code == 400 and error_code(resp) == "InvalidArgument"
    resp = requests.post(form["url"], data=dict(form["fields"], policy="not base64!"), files={"file": ("a", b"x")})
    assert resp.status_code == 403 and error_code(resp) == "SignatureDoesNotMatch"
    resp = requests.post(form["url"], data=dict(form["fields"], pad="y" * 70_000), files={"file": ("a", b"x")})
    assert resp.status_code == 400 and error_code(resp) == "MaxPostPreDataLengthExceededError"
    resp = requests.post(f"{gateway.url}/no-such-bucket-{bucket}", data=form["fields"], files={"file": ("a", b"x")})
    assert resp.status_code in (403, 404)
    assert keys(s3, bucket) == []


def test_fields_after_file_are_ignored(s3v4, s3, bucket):
    form = presign(s3v4, bucket, key="order.txt")
    boundary = "----junctionboundary"
    parts = [(name, value) for name, value in form["fields"].items()]
    body = b""
    for name, value in parts:
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    body += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + b"payload\r\n--z\r\n"
    body += (
        f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="x-late"\r\n\r\nlate\r\n--{boundary}--\r\n'.encode()
    )
    resp = requests.post(form["url"], data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert resp.status_code == 204, resp.text
    assert s3.get_object(Bucket=bucket, Key="order.txt")["Body"].read() == b"payload\r\n--z\r\n"


def test_header_signed_post_on_bucket_still_works(s3, bucket):
    """POST ?delete (SigV4 header) must not be mistaken for a form upload."""
    s3.put_object(Bucket=bucket, Key="d", Body=b"1")
    assert len(s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "d"}]})["Deleted"]) == 1
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="d")


# ------------------------------------------------------------------ unit: the policy


def _policy(conditions, expires_in=60) -> post_policy.Policy:
    expiration = (datetime.now(UTC) + timedelta(seconds=expires_in)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    doc = {"expiration": expiration, "conditions": conditions}
    return post_policy.parse_policy(base64.b64encode(json.dumps(doc).encode()).decode())


def test_policy_conditions_unit():
    policy = _policy(
        [
            {"bucket": "b"},
            ["eq", "$Key", "k"],
            ["starts-with", "$Content-Type", "image/"],
            ["content-length-range", "1", "10"],
            {"acl": "private"},
            ["starts-with", "$x-amz-meta-a", ""],
        ]
    )
    base = {"key": "k", "content-type": "image/png, image/gif", "acl": "private", "policy": "p", "x-amz-signature": "s"}
    post_policy.check_form(policy, base, bucket="b")
    post_policy.check_form(policy, dict(base, **{"x-amz-meta-a": "anything", "x-ignore-me": "1"}), bucket="b")
    for bad, where in [
        (dict(base, key="k2"), "b"),
        (dict(base, **{"content-type": "image/png, text/html"}), "b"),
        (dict(base, acl="public-read"), "b"),
        (base, "other"),
        (dict(base, extra="1"), "b"),
    ]:
        with pytest.raises(JunctionError) as err:
            post_policy.check_form(policy, bad, bucket=where)
        assert err.value.code == "AccessDenied"
    post_policy.check_length(policy, 10, final=True)
    for size, final, code in [(11, False, "EntityTooLarge"), (0, True, "EntityTooSmall")]:
        with pytest.raises(JunctionError) as err:
            post_policy.check_length(policy, size, final=final)
        assert err.value.code == code
    post_policy.check_length(policy, 0, final=False)  # still streaming: not yet too small


@pytest.mark.parametrize(
    "document",
    [
        b"not json",
        b"[]",
        b'{"conditions": []}',
        b'{"expiration": "tomorrow", "conditions": []}',
        b'{"expiration": "2030-01-01T00:00:00Z"}',
        b'{"expiration": "2030-01-01T00:00:00Z", "conditions": [["in", "$a", "b"]]}',
        b'{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", "a", 2]]}',
        b'{"expiration": "2030-01-01T00:00:00Z", "conditions": [["eq", "a", "b"]]}',
    ],
)
def test_malformed_policy_documents(document):
    with pytest.raises(JunctionError) as err:
        post_policy.parse_policy(base64.b64encode(document).decode())
    assert err.value.code == "InvalidPolicyDocument"


def test_expired_policy_unit():
    with pytest.raises(JunctionError) as err:
        post_policy.check_form(_policy([{"bucket": "b"}], expires_in=-1), {}, bucket="b")
    assert "Policy expired" in err.value.message
