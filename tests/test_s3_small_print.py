"""S3's small print: listings echo their parameters exactly, bucket location constraints,
Content-Encoding kept as sent, x-amz-tagging as a query string, no version ids on buckets that
never had versioning, presigned URL lifetimes, POST policy rules, and `?torrent`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from conftest import boto_client, start_gateway, stop_gateway
from lxml import etree

from gateway.s3.context import without_aws_chunked
from gateway.s3.torrent import PIECE_LENGTH, bencode
from tests.test_awscli import CLIS

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def creds(gw) -> Credentials:
    return Credentials(gw.access_key, gw.secret_key)


def signed_get(gw, path_and_query: str) -> requests.Response:
    url = f"{gw.url}{path_and_query}"
    req = AWSRequest("GET", url)
    S3SigV4Auth(creds(gw), "s3", "us-east-1").add_auth(req)
    return requests.get(url, headers=dict(req.headers.items()))


def texts(resp: requests.Response, *names: str) -> dict[str, str | None]:
    root = etree.fromstring(resp.content)
    return {n: root.findtext(NS + n) for n in names}


def code_of(exc_info) -> tuple[int, str]:
    response = exc_info.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


# ------------------------------------------------------------------ listings echo what was sent


def test_listing_parameters_are_echoed_as_sent_or_url_encoded(gateway, s3, bucket):
    s3.put_object(Bucket=bucket, Key="\nx", Body=b"")
    s3.put_object(Bucket=bucket, Key="a b+c", Body=b"")
    plain = signed_get(gateway, f"/{bucket}?prefix=%0A&marker=%0A&delimiter=%2B")
    assert texts(plain, "Prefix", "Marker", "Delimiter", "EncodingType") == {
        "Prefix": "\n",
        "Marker": "\n",
        "Delimiter": "+",
        "EncodingType": None,
    }
    encoded = signed_get(gateway, f"/{bucket}?prefix=%0A&marker=%0A&delimiter=%2B&encoding-type=url")
    assert texts(encoded, "Prefix", "Marker", "Delimiter", "EncodingType") == {
        "Prefix": "%0A",
        "Marker": "%0A",
        "Delimiter": "%2B",
        "EncodingType": "url",
    }
    v2 = signed_get(gateway, f"/{bucket}?list-type=2&prefix=a%20b&start-after=%0A&delimiter=%2B")
    assert texts(v2, "Prefix", "StartAfter", "Delimiter") == {"Prefix": "a b", "StartAfter": "\n", "Delimiter": "+"}
    assert [e.text for e in etree.fromstring(v2.content).iter(NS + "Prefix")] == ["a b", "a b+"]
    v2url = signed_get(gateway, f"/{bucket}?list-type=2&prefix=a%20b&start-after=%0A&delimiter=%2B&encoding-type=url")
    assert texts(v2url, "Prefix", "StartAfter", "Delimiter") == {
        "Prefix": "a%20b",
        "StartAfter": "%0A",
        "Delimiter": "%2B",
    }
    versions = signed_get(gateway, f"/{bucket}?versions&prefix=%0A&key-marker=%0A")
    assert texts(versions, "Prefix", "KeyMarker") == {"Prefix": "\n", "KeyMarker": "\n"}
    versions = signed_get(gateway, f"/{bucket}?versions&prefix=%0A&key-marker=%0A&delimiter=%2B&encoding-type=url")
    assert texts(versions, "Prefix", "KeyMarker", "Delimiter", "EncodingType") == {
        "Prefix": "%0A",
        "KeyMarker": "%0A",
        "Delimiter": "%2B",
        "EncodingType": "url",
    }
    s3.create_multipart_upload(Bucket=bucket, Key="\nupload")
    uploads = signed_get(gateway, f"/{bucket}?uploads&prefix=%0A&key-marker=%0A&delimiter=%2B")
    assert texts(uploads, "Prefix", "KeyMarker", "Delimiter", "EncodingType") == {
        "Prefix": "\n",
        "KeyMarker": "\n",
        "Delimiter": "+",
        "EncodingType": None,
    }
    uploads = signed_get(gateway, f"/{bucket}?uploads&prefix=%0A&key-marker=%0A&delimiter=%2B&encoding-type=url")
    assert texts(uploads, "Prefix", "KeyMarker", "Delimiter", "EncodingType") == {
        "Prefix": "%0A",
        "KeyMarker": "%0A",
        "Delimiter": "%2B",
        "EncodingType": "url",
    }
    assert [e.text for e in etree.fromstring(uploads.content).iter(NS + "Key")] == ["%0Aupload"]
    # boto3 asks for encoding-type=url itself and decodes: the caller sees what it sent
    assert s3.list_objects_v2(Bucket=bucket, Prefix="\n")["Prefix"] == "\n"
    assert s3.list_objects(Bucket=bucket, Prefix="a b", Marker="\n")["Marker"] == "\n"


# ------------------------------------------------------------------ bucket location


@pytest.fixture(scope="module")
def frankfurt(tmp_path_factory):
    gw = start_gateway(tmp_path_factory.mktemp("eu"), "--region", "eu-central-1")
    yield gw
    stop_gateway(gw)


def test_location_constraint_rules_in_a_region(frankfurt):
    s3 = boto_client(frankfurt)
    name = f"loc-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-central-1"
    assert s3.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "eu-central-1"
    for constraint, expected in [
        ("us-west-2", "IllegalLocationConstraintException"),
        ("moon-1", "InvalidLocationConstraint"),
    ]:
        with pytest.raises(ClientError) as exc:
            s3.create_bucket(Bucket=f"{name}-x", CreateBucketConfiguration={"LocationConstraint": constraint})
        assert code_of(exc) == (400, expected)
    assert f"{name}-x" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.create_bucket(Bucket=f"{name}-plain")  # no constraint: the gateway's region
    assert s3.get_bucket_location(Bucket=f"{name}-plain")["LocationConstraint"] == "eu-central-1"


def test_us_east_1_reports_an_empty_constraint(gateway, s3):
    name = f"loc-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket=f"{name}-eu", CreateBucketConfiguration={"LocationConstraint": "EU"})
    assert code_of(exc) == (400, "IllegalLocationConstraintException")


def test_aws_cli_location(frankfurt, tmp_path):
    name = f"cli-{uuid.uuid4().hex[:8]}"
    env = dict(frankfurt.env(), AWS_DEFAULT_REGION="eu-central-1")
    cli = ["aws", "--endpoint-url", frankfurt.url, "s3api"]
    subprocess.run(
        [*cli, "create-bucket", "--bucket", name, "--create-bucket-configuration", "LocationConstraint=eu-central-1"],
        env=env,
        check=True,
        capture_output=True,
    )
    out = subprocess.run([*cli, "get-bucket-location", "--bucket", name], env=env, check=True, capture_output=True)
    assert json.loads(out.stdout)["LocationConstraint"] == "eu-central-1"
    bad = subprocess.run(
        [
            *cli,
            "create-bucket",
            "--bucket",
            f"{name}-2",
            "--create-bucket-configuration",
            "LocationConstraint=ap-south-1",
        ],
        env=env,
        capture_output=True,
    )
    assert bad.returncode != 0 and b"IllegalLocationConstraintException" in bad.stderr


# ------------------------------------------------------------------ headers


def test_content_encoding_is_kept_as_sent_less_aws_chunked(s3, bucket):
    s3.put_object(Bucket=bucket, Key="ce", Body=b"x", ContentEncoding="deflate, gzip")
    assert s3.head_object(Bucket=bucket, Key="ce")["ContentEncoding"] == "deflate, gzip"
    assert without_aws_chunked("aws-chunked, gzip") == "gzip"
    assert without_aws_chunked("gzip,aws-chunked") == "gzip"
    assert without_aws_chunked("br, aws-chunked, gzip") == "br, gzip"
    assert without_aws_chunked("aws-chunked") == ""
    assert without_aws_chunked("deflate,  gzip") == "deflate,  gzip"


def test_tagging_header_is_a_query_string(s3, bucket):
    s3.put_object(Bucket=bucket, Key="t", Body=b"x", Tagging="a=b&c&d=e%20f&g=")
    tags = {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"]}
    assert tags == {"a": "b", "c": "", "d": "e f", "g": ""}


def test_no_version_id_on_a_bucket_that_never_had_versioning(s3, bucket):
    def headers(response):
        return response["ResponseMetadata"]["HTTPHeaders"]

    put = s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    copied = s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"})
    upload = s3.create_multipart_upload(Bucket=bucket, Key="m")["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="m", UploadId=upload, PartNumber=1, Body=b"p")
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="m", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}
    )
    answers = [put, copied, done, s3.head_object(Bucket=bucket, Key="k"), s3.get_object(Bucket=bucket, Key="k")]
    for answer in answers:
        assert "x-amz-version-id" not in headers(answer)
    assert "VersionId" not in s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ETag"])
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert not {"x-amz-version-id", "x-amz-delete-marker"} & set(headers(deleted))
    absent = s3.delete_object(Bucket=bucket, Key="never-was")
    assert absent["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert not {"x-amz-version-id", "x-amz-delete-marker"} & set(headers(absent))


# ------------------------------------------------------------------ presigned lifetimes


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_presigned_lifetimes(gateway, s3, bucket, method):
    s3.put_object(Bucket=bucket, Key="obj", Body=b"original")
    url = f"{gateway.url}/{bucket}/obj"

    def presigned(expires: int) -> str:
        req = AWSRequest(method=method, url=url)
        S3SigV4QueryAuth(creds(gateway), "s3", "us-east-1", expires=expires).add_auth(req)
        return req.url

    for expires in (0, 604801):
        resp = requests.request(method, presigned(expires), data=b"new" if method == "PUT" else None)
        assert resp.status_code == 400, resp.text
        assert b"<Code>AuthorizationQueryParametersError</Code>" in resp.content
    stale = presigned(1)
    time.sleep(2.1)
    resp = requests.request(method, stale, data=b"new" if method == "PUT" else None)
    assert resp.status_code == 403 and b"<Code>AccessDenied</Code>" in resp.content
    assert b"Request has expired" in resp.content
    assert requests.request(method, presigned(604800), data=b"week" if method == "PUT" else None).status_code == 200
    assert s3.get_object(Bucket=bucket, Key="obj")["Body"].read() == (b"week" if method == "PUT" else b"original")


def test_aws_cli_presign_lifetimes(gateway, s3, bucket):
    """`aws s3 presign` as a CLI user meets it: v2 signs SigV4 (`X-Amz-Expires` limited to 1..604800,
    else 400 AuthorizationQueryParametersError); v1 signs SigV2, whose absolute `Expires` S3 does
    not cap, and a URL already past it is 403 "Request has expired"."""
    s3.put_object(Bucket=bucket, Key="p", Body=b"presigned")

    def presign(cli: str, expires: str) -> str:
        argv = [cli, "--endpoint-url", gateway.url, "s3", "presign", f"s3://{bucket}/p", "--expires-in", expires]
        done = subprocess.run(argv, env=gateway.env(), capture_output=True, text=True, check=True)
        return done.stdout.strip()

    v1, v2 = CLIS[0].values[0], CLIS[1].values[0]
    assert requests.get(presign(v2, "60")).content == b"presigned"
    for expires in ("604801", "0"):
        resp = requests.get(presign(v2, expires))
        assert resp.status_code == 400 and b"<Code>AuthorizationQueryParametersError</Code>" in resp.content
    week_and_more = presign(v1, "604801")
    assert "Expires=" in week_and_more and "X-Amz-Expires" not in week_and_more
    assert requests.get(week_and_more).content == b"presigned"
    stale = presign(v1, "0")
    time.sleep(1.1)  # past its Expires second, whatever the clock's rounding
    resp = requests.get(stale)
    assert resp.status_code == 403 and b"Request has expired" in resp.content


# ------------------------------------------------------------------ POST policy


def signed_form(gw, bucket: str, document: bytes | list, **fields: str) -> dict[str, str]:
    """A V4 form whose policy is `document` as given (bytes: which boto3 would never write),
    or these conditions plus the ones every V4 form needs."""
    now = datetime.now(UTC)
    date = now.strftime("%Y%m%d")
    credential = f"{gw.access_key}/{date}/us-east-1/s3/aws4_request"
    if isinstance(document, list):
        signing = [
            {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
            {"x-amz-credential": credential},
            {"x-amz-date": now.strftime("%Y%m%dT%H%M%SZ")},
        ]
        document = policy_of([*document, *signing])
    policy = base64.b64encode(document).decode()
    key = ("AWS4" + gw.secret_key).encode()
    for part in (date, "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return {
        "key": "form.txt",
        "policy": policy,
        "x-amz-algorithm": "AWS4-HMAC-SHA256",
        "x-amz-credential": credential,
        "x-amz-date": now.strftime("%Y%m%dT%H%M%SZ"),
        "x-amz-signature": hmac.new(key, policy.encode(), hashlib.sha256).hexdigest(),
        **fields,
    }


def post_form(gw, bucket, fields, data=b"form data"):
    return requests.post(f"{gw.url}/{bucket}", data=fields, files={"file": ("f.txt", data)}, allow_redirects=False)


def policy_of(conditions, expiration: str | None = None) -> bytes:
    expiration = expiration or (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return json.dumps({"expiration": expiration, "conditions": conditions}).encode()


def test_post_policy_structure_errors_are_400(gateway, s3, bucket):
    base = [{"bucket": bucket}, {"key": "form.txt"}]
    for document in (
        policy_of(base, expiration="next tuesday"),
        policy_of([]),
        b'{"expiration": "2999-01-01T00:00:00Z"}',
    ):
        resp = post_form(gateway, bucket, signed_form(gateway, bucket, document))
        assert resp.status_code == 400 and b"<Code>InvalidPolicyDocument</Code>" in resp.content
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_post_success_fields_must_be_in_the_policy_and_are_honoured(gateway, s3, bucket):
    base = [{"bucket": bucket}, {"key": "form.txt"}]
    for extra in ({"success_action_status": "201"}, {"success_action_redirect": "http://example.com/done"}):
        resp = post_form(gateway, bucket, signed_form(gateway, bucket, base, **extra))
        assert resp.status_code == 403 and b"Extra input fields" in resp.content
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    created = post_form(
        gateway,
        bucket,
        signed_form(gateway, bucket, [*base, {"success_action_status": "201"}], success_action_status="201"),
    )
    assert created.status_code == 201 and b"<PostResponse>" in created.content, created.content
    plain = post_form(gateway, bucket, signed_form(gateway, bucket, base))
    assert plain.status_code == 204
    redirect = "http://example.com/done"
    moved = post_form(
        gateway,
        bucket,
        signed_form(
            gateway,
            bucket,
            [*base, ["starts-with", "$success_action_redirect", "http://example.com/"]],
            success_action_redirect=redirect,
        ),
    )
    assert moved.status_code == 303 and moved.headers["Location"].startswith(redirect + "?bucket=")


# ------------------------------------------------------------------ ?torrent


def bdecode(data: bytes, i: int = 0):
    """Just enough of a bencode reader to check the gateway's metainfo."""
    c = data[i : i + 1]
    if c == b"i":
        end = data.index(b"e", i)
        return int(data[i + 1 : end]), end + 1
    if c in (b"l", b"d"):
        items, i = [], i + 1
        while data[i : i + 1] != b"e":
            item, i = bdecode(data, i)
            items.append(item)
        return (items if c == b"l" else dict(zip(items[::2], items[1::2], strict=True))), i + 1
    colon = data.index(b":", i)
    length = int(data[i:colon])
    return data[colon + 1 : colon + 1 + length], colon + 1 + length


def test_torrent_is_a_bencoded_metainfo_with_the_object_as_web_seed(gateway, s3, bucket):
    data = bytes(range(256)) * (PIECE_LENGTH // 256) * 2 + b"tail"
    s3.put_object(Bucket=bucket, Key="dir/movie.bin", Body=data)
    resp = signed_get(gateway, f"/{bucket}/dir/movie.bin?torrent")
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/x-bittorrent"
    meta, end = bdecode(resp.content)
    assert end == len(resp.content)
    info = meta[b"info"]
    assert (info[b"name"], info[b"length"], info[b"piece length"]) == (b"movie.bin", len(data), PIECE_LENGTH)
    pieces = [data[i : i + PIECE_LENGTH] for i in range(0, len(data), PIECE_LENGTH)]
    assert info[b"pieces"] == b"".join(hashlib.sha1(p).digest() for p in pieces)
    assert meta[b"url-list"] == [f"{gateway.url}/{bucket}/dir/movie.bin".encode()]
    body = s3.get_object_torrent(Bucket=bucket, Key="dir/movie.bin")["Body"].read()
    assert bdecode(body)[0][b"info"] == info
    with pytest.raises(ClientError) as exc:
        s3.get_object_torrent(Bucket=bucket, Key="missing")
    assert code_of(exc) == (404, "NoSuchKey")
    assert bencode({"b": [1, "x"], "a": b""}) == b"d1:a0:1:bli1e1:xee"
