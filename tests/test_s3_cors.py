"""Bucket CORS: configuration through boto3, preflight and Origin headers through raw HTTP."""

import pytest
import requests
from botocore.exceptions import ClientError

RULES = [
    {
        "ID": "uploads",
        "AllowedOrigins": ["https://app.example.com"],
        "AllowedMethods": ["PUT", "POST"],
        "AllowedHeaders": ["Content-Type", "x-amz-meta-*"],
        "ExposeHeaders": ["ETag", "x-amz-request-id"],
        "MaxAgeSeconds": 600,
    },
    {"AllowedOrigins": ["https://*.example.org"], "AllowedMethods": ["GET", "HEAD"]},
    {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "AllowedHeaders": ["*"]},
]


def error_code(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


def status(exc: ClientError) -> int:
    return exc.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def cors_bucket(s3, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})
    s3.put_object(Bucket=bucket, Key="page.html", Body=b"<p>hi</p>", ContentType="text/html")
    return bucket


def preflight(gateway, path, origin, method, headers=None):
    sent = {"Access-Control-Request-Method": method}
    if origin is not None:
        sent["Origin"] = origin
    if headers:
        sent["Access-Control-Request-Headers"] = headers
    return requests.options(f"{gateway.url}{path}", headers=sent)


def test_put_get_delete_bucket_cors(s3, bucket):
    with pytest.raises(ClientError) as err:
        s3.get_bucket_cors(Bucket=bucket)
    assert (status(err.value), error_code(err.value)) == (404, "NoSuchCORSConfiguration")
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})
    got = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert got[0] == RULES[0]
    assert got[1] == {"AllowedOrigins": ["https://*.example.org"], "AllowedMethods": ["GET", "HEAD"]}
    assert got[2]["AllowedHeaders"] == ["*"]
    deleted = s3.delete_bucket_cors(Bucket=bucket)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as err:
        s3.get_bucket_cors(Bucket=bucket)
    assert error_code(err.value) == "NoSuchCORSConfiguration"


@pytest.mark.parametrize(
    "rule, code, message",
    [
        ({"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}, "InvalidRequest", "Unsupported method is PATCH"),
        (
            {"AllowedOrigins": ["https://*.*.example.com"], "AllowedMethods": ["GET"]},
            "InvalidRequest",
            "can not have more than one wildcard",
        ),
        (
            {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "AllowedHeaders": ["x-*-*"]},
            "InvalidRequest",
            "can not have more than one wildcard",
        ),
        (
            {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "ExposeHeaders": ["x-amz-*"]},
            "InvalidRequest",
            "wildcard",
        ),
        ({"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "MaxAgeSeconds": -1}, "MalformedXML", "MaxAgeSeconds"),
    ],
)
def test_invalid_cors_configurations(s3, bucket, rule, code, message):
    with pytest.raises(ClientError) as err:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [rule]})
    assert (status(err.value), error_code(err.value)) == (400, code)
    assert message in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        s3.get_bucket_cors(Bucket=bucket)
    assert error_code(err.value) == "NoSuchCORSConfiguration"  # nothing was stored


def _put_raw_cors(s3, bucket, body: bytes):
    def swap(request, **_):
        request.data = body
        for name in list(request.headers):
            if name.lower() == "content-md5" or name.lower().startswith("x-amz-checksum-"):
                del request.headers[name]

    s3.meta.events.register_first("before-sign.s3.PutBucketCors", swap)
    try:
        return s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})
    finally:
        s3.meta.events.unregister("before-sign.s3.PutBucketCors", swap)


@pytest.mark.parametrize(
    "body",
    [
        b"<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod>",  # not well-formed
        b"<CORSConfiguration></CORSConfiguration>",  # no rules
        b"<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",  # no origin
        b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
        b"<MaxAgeSeconds>soon</MaxAgeSeconds></CORSRule></CORSConfiguration>",
        b"<Other/>",
    ],
)
def test_malformed_cors_xml(s3, bucket, body):
    with pytest.raises(ClientError) as err:
        _put_raw_cors(s3, bucket, body)
    assert (status(err.value), error_code(err.value)) == (400, "MalformedXML")


def test_preflight_matches_the_first_rule(gateway, cors_bucket):
    response = preflight(
        gateway, f"/{cors_bucket}/uploads/new.bin", "https://app.example.com", "PUT", "Content-Type, X-Amz-Meta-Owner"
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert response.headers["Access-Control-Allow-Methods"] == "PUT, POST"
    assert response.headers["Access-Control-Allow-Headers"] == "content-type, x-amz-meta-owner"
    assert response.headers["Access-Control-Expose-Headers"] == "ETag, x-amz-request-id"
    assert response.headers["Access-Control-Max-Age"] == "600"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in response.headers["Vary"]


def test_preflight_wildcards(gateway, cors_bucket):
    sub = preflight(gateway, f"/{cors_bucket}/page.html", "https://cdn.example.org", "HEAD")
    assert sub.status_code == 200
    assert sub.headers["Access-Control-Allow-Origin"] == "https://cdn.example.org"
    anyone = preflight(gateway, f"/{cors_bucket}/page.html", "http://elsewhere.test", "GET", "X-Custom")
    assert anyone.status_code == 200
    assert anyone.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in anyone.headers
    bucket_level = preflight(gateway, f"/{cors_bucket}", "http://elsewhere.test", "GET")
    assert bucket_level.status_code == 200


@pytest.mark.parametrize(
    "origin, method, headers",
    [
        ("http://elsewhere.test", "PUT", None),  # only the specific origin may PUT
        ("https://app.example.com", "DELETE", None),  # method not allowed by any rule for it
        ("https://app.example.com", "PUT", "Authorization"),  # header not allowed
        ("https://example.org.evil.test", "HEAD", None),  # wildcard does not match
    ],
)
def test_preflight_without_matching_rule_is_403(gateway, cors_bucket, origin, method, headers):
    response = preflight(gateway, f"/{cors_bucket}/page.html", origin, method, headers)
    assert response.status_code == 403
    assert "<Code>CORSResponse</Code>" in response.text
    assert "This CORS request is not allowed" in response.text
    assert "Access-Control-Allow-Origin" not in response.headers


def test_preflight_on_bucket_without_cors_and_bad_preflights(gateway, s3, bucket):
    response = preflight(gateway, f"/{bucket}/k", "https://app.example.com", "GET")
    assert response.status_code == 403
    assert "<Code>CORSResponse</Code>" in response.text
    no_origin = preflight(gateway, f"/{bucket}/k", None, "GET")
    assert no_origin.status_code == 400
    no_method = requests.options(f"{gateway.url}/{bucket}/k", headers={"Origin": "https://a.test"})
    assert no_method.status_code == 400
    missing = preflight(gateway, "/no-such-bucket-h5/k", "https://app.example.com", "GET")
    assert missing.status_code == 404


def test_actual_requests_get_cors_headers(gateway, s3, cors_bucket):
    url = s3.generate_presigned_url("get_object", Params={"Bucket": cors_bucket, "Key": "page.html"})
    got = requests.get(url, headers={"Origin": "https://cdn.example.org"})
    assert got.status_code == 200 and got.content == b"<p>hi</p>"  # streamed GET
    assert got.headers["Access-Control-Allow-Origin"] == "https://cdn.example.org"
    assert "Origin" in got.headers["Vary"]
    plain = requests.get(url)
    assert "Access-Control-Allow-Origin" not in plain.headers
    stranger = requests.get(url, headers={"Origin": "https://app.example.com"})  # its own rule is PUT/POST only
    assert stranger.headers["Access-Control-Allow-Origin"] == "*"  # so the catch-all GET rule answers
    s3.put_object(Bucket=cors_bucket, Key="scratch", Body=b"x")
    delete = s3.generate_presigned_url("delete_object", Params={"Bucket": cors_bucket, "Key": "scratch"})
    refused = requests.delete(delete, headers={"Origin": "https://cdn.example.org"})  # no rule allows DELETE
    assert refused.status_code == 204
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_error_responses_carry_cors_headers(gateway, s3, cors_bucket):
    anonymous = requests.get(f"{gateway.url}/{cors_bucket}/page.html", headers={"Origin": "https://x.example.org"})
    assert anonymous.status_code == 403  # unsigned: refused, but the browser may read why
    assert anonymous.headers["Access-Control-Allow-Origin"] == "https://x.example.org"
    url = s3.generate_presigned_url("get_object", Params={"Bucket": cors_bucket, "Key": "absent"})
    missing = requests.get(url, headers={"Origin": "https://x.example.org"})
    assert missing.status_code == 404
    assert missing.headers["Access-Control-Allow-Origin"] == "https://x.example.org"


def test_cors_configuration_goes_with_the_bucket(gateway, s3, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})
    s3.delete_bucket(Bucket=bucket)
    s3.create_bucket(Bucket=bucket)
    with pytest.raises(ClientError) as err:
        s3.get_bucket_cors(Bucket=bucket)
    assert error_code(err.value) == "NoSuchCORSConfiguration"
    assert preflight(gateway, f"/{bucket}/k", "http://elsewhere.test", "GET").status_code == 403


def test_put_bucket_cors_needs_a_signature(gateway, bucket):
    body = (
        b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
        b"</CORSRule></CORSConfiguration>"
    )
    assert requests.put(f"{gateway.url}/{bucket}?cors", data=body).status_code == 403
