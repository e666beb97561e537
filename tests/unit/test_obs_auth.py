"""backends.obs_auth: Huawei's published StringToSign examples, a known HMAC-SHA1 answer,
cross-checks against Huawei's own Python SDK signer, and the verifier's refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from multidict import CIMultiDict

from backends.obs_auth import (
    ObsAuthError,
    canonical_headers,
    canonical_resource,
    parse_authorization,
    sign_obs,
    signature,
    string_to_sign,
    verify_obs,
)

AK, SK = "OBSTESTAK0000000001", "obs/test+secret/KEY0123456789abcdefghij"

# ------------------------------------------------------------------ Huawei's example tables
# "Authentication of Signature in a Header", OBS API reference, tables 2-7: the request
# headers and the StringToSign Huawei says they produce. (Host, User-Agent and
# Content-Length are in the examples and must not influence the result.)

DOC_EXAMPLES = [
    pytest.param(  # table 2: get an object
        "GET",
        "bucket",
        "object.txt",
        {},
        {"Host": "bucket.obs.cn-north-4.myhuaweicloud.com", "Date": "Sat, 12 Oct 2015 08:12:38 GMT"},
        "GET\n\n\nSat, 12 Oct 2015 08:12:38 GMT\n/bucket/object.txt",
        id="table2-get",
    ),
    pytest.param(  # table 3: temporary AK/SK with a security token; x-obs-date empties the Date line
        "PUT",
        "bucket",
        "object.txt",
        {},
        {
            "User-Agent": "curl/7.15.5",
            "Host": "bucket.obs.cn-north-4.myhuaweicloud.com",
            "x-obs-date": "Tue, 15 Oct 2015 07:20:09 GMT",
            "x-obs-security-token": " YwkaRTbdY8g7q....",
            "content-type": "text/plain",
            "Content-Length": "5913339",
        },
        "PUT\n\ntext/plain\n\nx-obs-date:Tue, 15 Oct 2015 07:20:09 GMT\n"
        "x-obs-security-token:YwkaRTbdY8g7q....\n/bucket/object.txt",
        id="table3-token",
    ),
    pytest.param(  # table 4: OBS request headers
        "PUT",
        "bucket",
        "object.txt",
        {},
        {
            "User-Agent": "curl/7.15.5",
            "Host": "bucket.obs.cn-north-4.myhuaweicloud.com",
            "Date": "Mon, 14 Oct 2015 12:08:34 GMT",
            "x-obs-acl": "public-read",
            "content-type": "text/plain",
            "Content-Length": "5913339",
        },
        "PUT\n\ntext/plain\nMon, 14 Oct 2015 12:08:34 GMT\nx-obs-acl:public-read\n/bucket/object.txt",
        id="table4-acl-header",
    ),
    pytest.param(  # table 5: a sub-resource
        "GET",
        "bucket",
        "object.txt",
        {"acl": ""},
        {"Host": "bucket.obs.cn-north-4.myhuaweicloud.com", "Date": "Sat, 12 Oct 2015 08:12:38 GMT"},
        "GET\n\n\nSat, 12 Oct 2015 08:12:38 GMT\n/bucket/object.txt?acl",
        id="table5-acl",
    ),
    pytest.param(  # table 6: Content-MD5
        "PUT",
        "bucket",
        "object.txt",
        {},
        {
            "Host": "bucket.obs.cn-north-4.myhuaweicloud.com",
            "x-obs-date": "Tue, 15 Oct 2015 07:20:09 GMT",
            "Content-MD5": "I5pU0r4+sgO9Emgl1KMQUg==",
            "Content-Length": "5913339",
        },
        "PUT\nI5pU0r4+sgO9Emgl1KMQUg==\n\n\nx-obs-date:Tue, 15 Oct 2015 07:20:09 GMT\n/bucket/object.txt",
        id="table6-md5",
    ),
    pytest.param(  # table 7: custom domain: the domain stands in for the bucket
        "PUT",
        "obs.ccc.com",
        "object.txt",
        {},
        {
            "Host": "obs.ccc.com",
            "x-obs-date": "Tue, 15 Oct 2015 07:20:09 GMT",
            "Content-MD5": "I5pU0r4+sgO9Emgl1KMQUg==",
            "Content-Length": "5913339",
        },
        "PUT\nI5pU0r4+sgO9Emgl1KMQUg==\n\n\nx-obs-date:Tue, 15 Oct 2015 07:20:09 GMT\n/obs.ccc.com/object.txt",
        id="table7-custom-domain",
    ),
]


@pytest.mark.parametrize("method, bucket, key, query, headers, expected", DOC_EXAMPLES)
def test_documented_string_to_sign(method, bucket, key, query, headers, expected):
    assert string_to_sign(method, bucket, key, query, headers) == expected


def test_documented_subresource_order():
    # The doc's GetObject example: version and Content-Type override, sorted by name;
    # parameters that are not sub-resources (prefix, max-keys, x-id...) stay out.
    query = {"versionId": "xxx", "response-content-type": "text/plain", "prefix": "p", "max-keys": "3"}
    assert canonical_resource("bucket-test", "object-test", query) == (
        "/bucket-test/object-test?response-content-type=text/plain&versionId=xxx"
    )


def test_documented_resource_without_key_or_bucket():
    assert canonical_resource("bucket", "", {}) == "/bucket/"
    assert canonical_resource("", "", {}) == "/"
    assert canonical_resource("bucket", "", {"uploads": ""}) == "/bucket/?uploads"


def test_documented_header_rules():
    # keys lower-cased, values trimmed and case kept, repeats joined with ',', sorted
    headers = CIMultiDict(
        [
            ("X-OBS-Meta-Name", "name1"),
            ("x-obs-storage-class", "STANDARD"),
            ("x-obs-meta-name", " name2"),
            ("Content-Type", "a/b"),
            ("x-amz-date", "ignored"),
        ]
    )
    assert canonical_headers(headers) == "x-obs-meta-name:name1,name2\nx-obs-storage-class:STANDARD\n"


def test_key_encoding_matches_the_wire():
    text = string_to_sign("GET", "b", "dir/a b+c~d%.bin", {}, {"Date": "Sat, 12 Oct 2015 08:12:38 GMT"})
    assert text.endswith("\n/b/dir/a%20b%2Bc~d%25.bin")


def test_hmac_sha1_known_answer():
    # Same primitive as AWS Signature V2, so AWS's published example answer applies.
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    text = string_to_sign(
        "GET", "awsexamplebucket1", "photos/puppy.jpg", {}, {"Date": "Tue, 27 Mar 2007 19:36:42 +0000"}
    )
    assert signature(secret, text) == "qgk2+6Sv9/oM7G3qLEjTH1a1l1g="
    assert (
        sign_obs(
            "GET",
            "awsexamplebucket1",
            "photos/puppy.jpg",
            {},
            {"Date": "Tue, 27 Mar 2007 19:36:42 +0000"},
            "AKIAIOSFODNN7EXAMPLE",
            secret,
        )
        == "OBS AKIAIOSFODNN7EXAMPLE:qgk2+6Sv9/oM7G3qLEjTH1a1l1g="
    )


# ------------------------------------------------------------------ Huawei's SDK agrees


@pytest.mark.parametrize(
    "method, bucket, key, query, headers",
    [
        ("GET", "bucket", "object.txt", {}, {"Date": "Sat, 12 Oct 2015 08:12:38 GMT"}),
        (
            "PUT",
            "bucket",
            "dir/a b.txt",
            {},
            {
                "x-obs-date": "Tue, 15 Oct 2015 07:20:09 GMT",
                "Content-Type": "text/plain",
                "x-obs-meta-k": "v",
                "x-obs-acl": "private",
            },
        ),
        ("PUT", "bucket", "big.bin", {"partNumber": "3", "uploadId": "abc"}, {"Date": "Sat, 12 Oct 2015 08:12:38 GMT"}),
        (
            "GET",
            "bucket",
            "o",
            {"response-content-type": "text/plain", "versionId": "v1"},
            {"Date": "Sat, 12 Oct 2015 08:12:38 GMT", "Content-MD5": "I5pU0r4+sgO9Emgl1KMQUg=="},
        ),
    ],
)
def test_huawei_sdk_signs_the_same(method, bucket, key, query, headers):
    auth = pytest.importorskip("obs.auth")
    convertor = pytest.importorskip("obs.convertor")
    signer = auth.Authentication(AK, SK, False, convertor.Adapter("obs"), "obs.example.com", False)
    theirs = signer.doAuth(method, bucket, key, dict(query), dict(headers))["Authorization"]
    assert sign_obs(method, bucket, key, query, headers, AK, SK) == theirs


# ------------------------------------------------------------------ verification

NOW = datetime(2015, 10, 12, 8, 12, 38, tzinfo=UTC)
DATE = "Sat, 12 Oct 2015 08:12:38 GMT"


def signed(method="PUT", key="k", query=None, **headers) -> CIMultiDict:
    h = CIMultiDict({"Date": DATE, **headers})
    h["Authorization"] = sign_obs(method, "b", key, query or {}, h, AK, SK)
    return h


def test_verify_accepts_and_returns_the_key():
    headers = signed(**{"x-obs-meta-a": "1", "Content-Type": "text/plain"})
    assert verify_obs("PUT", "b", "k", {}, headers, {AK: SK}, now=NOW) == AK


def test_verify_refuses_a_wrong_secret():
    headers = signed()
    with pytest.raises(ObsAuthError) as err:
        verify_obs("PUT", "b", "k", {}, headers, {AK: SK + "x"}, now=NOW)
    assert err.value.code == "SignatureDoesNotMatch"
    assert SK not in str(err.value) and SK not in err.value.string_to_sign


@pytest.mark.parametrize("change", ["key", "header", "subresource", "method"])
def test_verify_refuses_tampering(change):
    headers = signed(**{"x-obs-acl": "private"})
    method, key, query = "PUT", "k", {}
    if change == "key":
        key = "other"
    elif change == "header":
        headers["x-obs-acl"] = "public-read"
    elif change == "subresource":
        query = {"acl": ""}
    else:
        method = "DELETE"
    with pytest.raises(ObsAuthError) as err:
        verify_obs(method, "b", key, query, headers, {AK: SK}, now=NOW)
    assert err.value.code == "SignatureDoesNotMatch"


def test_verify_ignores_non_subresource_query():
    headers = signed(method="GET", key="")
    assert verify_obs("GET", "b", "", {"prefix": "a/", "max-keys": "5"}, headers, {AK: SK}, now=NOW) == AK


def test_verify_unknown_access_key():
    with pytest.raises(ObsAuthError) as err:
        verify_obs("PUT", "b", "k", {}, signed(), {"SOMEONEELSE": SK}, now=NOW)
    assert err.value.code == "InvalidAccessKeyId"


def test_verify_request_time_skew():
    with pytest.raises(ObsAuthError) as err:
        verify_obs("PUT", "b", "k", {}, signed(), {AK: SK}, now=NOW + timedelta(minutes=16))
    assert err.value.code == "RequestTimeTooSkewed"
    assert verify_obs("PUT", "b", "k", {}, signed(), {AK: SK}, now=NOW + timedelta(minutes=14)) == AK


@pytest.mark.parametrize("value", ["", "AWS AK:sig", "OBS nocolon", "OBS :sig", "OBS AK:"])
def test_verify_refuses_missing_or_foreign_authorization(value):
    headers = CIMultiDict({"Date": DATE, "Authorization": value})
    with pytest.raises(ObsAuthError) as err:
        verify_obs("GET", "b", "k", {}, headers, {AK: SK}, now=NOW)
    assert err.value.code == "AccessDenied"


def test_parse_authorization():
    assert parse_authorization("OBS AK:abc+/=") == ("AK", "abc+/=")
    assert parse_authorization("AWS AK:abc") is None


def test_verify_accepts_the_client_spellings_of_key_and_bare_bucket():
    # Huawei's Java demo form-encodes the key; the Python SDK in path style signs '/bucket'.
    java = CIMultiDict({"Date": DATE})
    java["Authorization"] = f"OBS {AK}:" + signature(SK, f"GET\n\n\n{DATE}\n/b/a+b.txt")
    assert verify_obs("GET", "b", "a b.txt", {}, java, {AK: SK}, now=NOW) == AK
    sdk = CIMultiDict({"Date": DATE})
    sdk["Authorization"] = f"OBS {AK}:" + signature(SK, f"GET\n\n\n{DATE}\n/b")
    assert verify_obs("GET", "b", "", {}, sdk, {AK: SK}, now=NOW) == AK
