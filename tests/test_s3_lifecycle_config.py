"""Put/Get/DeleteBucketLifecycleConfiguration through boto3 and aws-cli: AWS's rule language
round-trips, invalid rules get AWS's 400s, and `x-amz-expiration` names the rule and the day
boundary an object expires at (a gateway with the real 86400-second day, so no rule runs)."""

from __future__ import annotations

import json
import math
import subprocess
import time
import uuid
from datetime import UTC, datetime

import pytest
import requests
from botocore.exceptions import ClientError

DAY = 86400


def error(exc_info) -> tuple[int, str, str]:
    response = exc_info.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"].get("Message", ""),
    )


def put(s3, bucket, rules, **kwargs):
    return s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules}, **kwargs)


def refused(s3, bucket, rules) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as exc:
        put(s3, bucket, rules)
    return error(exc)


def test_no_configuration_is_404_and_delete_is_idempotent(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert error(exc)[:2] == (404, "NoSuchLifecycleConfiguration")
    assert s3.delete_bucket_lifecycle(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_lifecycle_configuration(Bucket="no-such-bucket-" + uuid.uuid4().hex[:8])
    assert error(exc)[:2] == (404, "NoSuchBucket")


def test_every_rule_element_round_trips(s3, bucket):
    rules = [
        {"ID": "expire-logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 30}},
        {
            "ID": "dated",
            "Status": "Disabled",
            "Filter": {"Tag": {"Key": "temp", "Value": "yes"}},
            "Expiration": {"Date": datetime(2030, 1, 1, tzinfo=UTC)},
        },
        {"ID": "markers", "Status": "Enabled", "Filter": {"Prefix": ""},
         "Expiration": {"ExpiredObjectDeleteMarker": True}},
        {
            "ID": "versions",
            "Status": "Enabled",
            "Filter": {
                "And": {
                    "Prefix": "data/",
                    "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}],
                    "ObjectSizeGreaterThan": 10,
                    "ObjectSizeLessThan": 1000,
                }
            },
            "NoncurrentVersionExpiration": {"NoncurrentDays": 7, "NewerNoncurrentVersions": 3},
            "NoncurrentVersionTransitions": [{"NoncurrentDays": 1, "StorageClass": "GLACIER"}],
        },
        {"ID": "uploads", "Status": "Enabled", "Filter": {"Prefix": "up/"},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}},
        {
            "ID": "cold",
            "Status": "Enabled",
            "Filter": {"ObjectSizeGreaterThan": 1024},
            "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 90, "StorageClass": "GLACIER"}],
            "Expiration": {"Days": 365},
        },
        {"ID": "small", "Status": "Enabled", "Filter": {"ObjectSizeLessThan": 512}, "Expiration": {"Days": 1}},
    ]  # fmt: skip
    answer = put(s3, bucket, rules)
    assert answer["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert got["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    assert got["Rules"] == rules


def test_a_rule_without_id_gets_one_and_the_legacy_prefix_is_kept(s3, bucket):
    put(s3, bucket, [{"Status": "Enabled", "Prefix": "old/", "Expiration": {"Days": 3}}])
    [rule] = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rule["ID"] and len(rule["ID"]) <= 255
    assert rule["Prefix"] == "old/" and "Filter" not in rule


def test_put_replaces_and_delete_removes(s3, bucket):
    put(s3, bucket, [{"ID": "a", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}}])
    put(s3, bucket, [{"ID": "b", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 2}}])
    assert [r["ID"] for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]] == ["b"]
    s3.delete_bucket_lifecycle(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert error(exc)[:2] == (404, "NoSuchLifecycleConfiguration")


def test_the_minimum_object_size_header(s3, bucket):
    rule = {"ID": "a", "Status": "Enabled", "Filter": {}, "Transitions": [{"Days": 0, "StorageClass": "GLACIER"}]}
    answer = put(s3, bucket, [rule], TransitionDefaultMinimumObjectSize="varies_by_storage_class")
    assert answer["TransitionDefaultMinimumObjectSize"] == "varies_by_storage_class"
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert got["TransitionDefaultMinimumObjectSize"] == "varies_by_storage_class"


RULE = {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": "p/"}}

INVALID = [
    # (what, rules, status, code, message or None)
    ("Days zero", [{**RULE, "Expiration": {"Days": 0}}], 400, "InvalidArgument",
     "'Days' for Expiration action must be a positive integer"),
    ("Days negative", [{**RULE, "Expiration": {"Days": -3}}], 400, "InvalidArgument",
     "'Days' for Expiration action must be a positive integer"),
    ("Date not midnight", [{**RULE, "Expiration": {"Date": datetime(2030, 1, 1, 12, tzinfo=UTC)}}], 400,
     "InvalidArgument", "'Date' must be at midnight GMT"),
    ("duplicate IDs", [{**RULE, "Expiration": {"Days": 1}}, {**RULE, "Expiration": {"Days": 2}}], 400,
     "InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule"),
    ("ID too long", [{**RULE, "ID": "x" * 256, "Expiration": {"Days": 1}}], 400, "InvalidArgument",
     "ID length should not exceed allowed limit of 255"),
    ("transition to STANDARD", [{**RULE, "Transitions": [{"Days": 1, "StorageClass": "STANDARD"}]}], 400,
     "MalformedXML", None),
    ("transition to IA before 30 days", [{**RULE, "Transitions": [{"Days": 5, "StorageClass": "STANDARD_IA"}]}],
     400, "InvalidArgument",
     "'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'"),
    ("two transitions to one class", [{**RULE, "Transitions": [{"Days": 1, "StorageClass": "GLACIER"},
                                                               {"Days": 5, "StorageClass": "GLACIER"}]}],
     400, "InvalidRequest",
     "'StorageClass' must be different for 'Transition' actions in same 'Rule' with filter '(prefix=p/)'"),
    ("transitions up the waterfall", [{**RULE, "Transitions": [{"Days": 100, "StorageClass": "STANDARD_IA"},
                                                               {"Days": 50, "StorageClass": "GLACIER"}]}],
     400, "InvalidArgument", None),
    ("expiration before transition", [{**RULE, "Expiration": {"Days": 10},
                                       "Transitions": [{"Days": 10, "StorageClass": "GLACIER"}]}],
     400, "InvalidArgument",
     "'Days' in the Expiration action for filter '(prefix=p/)' must be greater than 'Days' in the Transition action"),
    ("Days and Date mixed", [{**RULE, "Expiration": {"Date": datetime(2031, 1, 1, tzinfo=UTC)},
                              "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]}], 400, "InvalidRequest",
     "Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle rule for "
     "filter '(prefix=p/)'"),
    ("Days and Date in one Expiration", [{**RULE, "Expiration": {"Days": 1, "Date": datetime(2031, 1, 1, tzinfo=UTC)}}],
     400, "MalformedXML", None),
    ("marker with Days", [{**RULE, "Expiration": {"Days": 1, "ExpiredObjectDeleteMarker": True}}], 400,
     "MalformedXML", None),
    ("marker with a tag filter", [{"ID": "r", "Status": "Enabled", "Filter": {"Tag": {"Key": "k", "Value": "v"}},
                                   "Expiration": {"ExpiredObjectDeleteMarker": True}}], 400, "InvalidRequest",
     "ExpiredObjectDeleteMarker cannot be specified with Tags."),
    ("abort with a size filter", [{"ID": "r", "Status": "Enabled", "Filter": {"ObjectSizeGreaterThan": 5},
                                   "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}], 400,
     "InvalidRequest", "AbortIncompleteMultipartUpload cannot be specified with Object Size."),
    ("abort after zero days", [{**RULE, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 0}}], 400,
     "InvalidArgument", "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer"),
    ("noncurrent zero days", [{**RULE, "NoncurrentVersionExpiration": {"NoncurrentDays": 0}}], 400,
     "InvalidArgument", "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"),
    ("newer versions over 100", [{**RULE, "NoncurrentVersionExpiration": {"NoncurrentDays": 1,
                                                                          "NewerNoncurrentVersions": 101}}],
     400, "InvalidArgument", None),
    ("size bounds crossed", [{"ID": "r", "Status": "Enabled", "Expiration": {"Days": 1},
                              "Filter": {"And": {"ObjectSizeGreaterThan": 100, "ObjectSizeLessThan": 50}}}],
     400, "InvalidRequest", "'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'."),
    ("duplicate tag keys", [{"ID": "r", "Status": "Enabled", "Expiration": {"Days": 1},
                             "Filter": {"And": {"Tags": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]}}}],
     400, "InvalidRequest", "Duplicate Tag Keys are not allowed."),
    ("no action", [RULE], 400, "InvalidRequest", "At least one action needs to be specified in a Rule"),
    ("bad status", [{**RULE, "Status": "On", "Expiration": {"Days": 1}}], 400, "MalformedXML", None),
    ("neither Filter nor Prefix", [{"ID": "r", "Status": "Enabled", "Expiration": {"Days": 1}}], 400,
     "MalformedXML", None),
    ("legacy and V2 rules mixed", [{"ID": "a", "Status": "Enabled", "Prefix": "x/", "Expiration": {"Days": 1}},
                                   {**RULE, "Expiration": {"Days": 1}}], 400, "InvalidRequest",
     "Base level prefix cannot be used in Lifecycle V2, prefixes are only supported in the Filter."),
    ("1001 rules", [{**RULE, "ID": f"r{i}", "Expiration": {"Days": 1}} for i in range(1001)], 400,
     "InvalidArgument", "Lifecycle configuration allows a maximum of 1000 rules"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "rules", "status", "code", "message"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_rules_get_aws_errors_and_change_nothing(s3, bucket, what, rules, status, code, message):
    kept = [{"ID": "kept", "Status": "Enabled", "Filter": {"Prefix": "k/"}, "Expiration": {"Days": 9}}]
    put(s3, bucket, kept)
    got = refused(s3, bucket, rules)
    assert got[:2] == (status, code), got
    if message is not None:
        assert got[2] == message
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == kept


def raw_put(gateway, bucket: str, body: bytes, headers: dict[str, str] | None = None) -> requests.Response:
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = f"{gateway.url}/{bucket}?lifecycle"
    req = AWSRequest("PUT", url, data=body, headers=headers or {})
    S3SigV4Auth(Credentials(gateway.access_key, gateway.secret_key), "s3", "us-east-1").add_auth(req)
    return requests.put(url, data=body, headers=dict(req.headers.items()), timeout=10)


@pytest.mark.parametrize(
    "body",
    [
        b"not xml",
        b"<LifecycleConfiguration/>",
        b"<WrongRoot><Rule/></WrongRoot>",
        b"<LifecycleConfiguration><Rule><ID>a</ID><Status>Enabled</Status><Filter/><Expiration><Days>x</Days>"
        b"</Expiration></Rule></LifecycleConfiguration>",
        b"<LifecycleConfiguration><Rule><Status>Enabled</Status><Filter/><Expiration><Days>1</Days></Expiration>"
        b"<Bogus/></Rule></LifecycleConfiguration>",
        b"<LifecycleConfiguration><Rule><Status>Enabled</Status><Filter/><Expiration><Date>2030-13-01</Date>"
        b"</Expiration></Rule></LifecycleConfiguration>",
        b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><LifecycleConfiguration>&x;</LifecycleConfiguration>',
    ],
)
def test_malformed_documents_are_malformed_xml(gateway, bucket, body):
    response = raw_put(gateway, bucket, body)
    assert response.status_code == 400, response.text
    assert "<Code>MalformedXML</Code>" in response.text


def test_a_bad_minimum_size_header_is_invalid_argument(gateway, bucket):
    body = (
        b"<LifecycleConfiguration><Rule><ID>a</ID><Status>Enabled</Status><Filter/><Expiration><Days>1</Days>"
        b"</Expiration></Rule></LifecycleConfiguration>"
    )
    response = raw_put(gateway, bucket, body, {"x-amz-transition-default-minimum-object-size": "tiny"})
    assert response.status_code == 400 and "<Code>InvalidArgument</Code>" in response.text


def expected_expiry(modified: float, days: int) -> str:
    """S3's rule: the midnight UTC after creation, plus the rule's days."""
    boundary = (math.floor(modified / DAY) + days + 1) * DAY
    return datetime.fromtimestamp(boundary, tz=UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


def test_x_amz_expiration_on_put_get_and_head(s3, bucket):
    put(
        s3,
        bucket,
        [
            {"ID": "month", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 30}},
            {"ID": "week", "Status": "Enabled", "Filter": {"Prefix": "logs/tmp/"}, "Expiration": {"Days": 7}},
            {"ID": "off", "Status": "Disabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}},
            {
                "ID": "tagged",
                "Status": "Enabled",
                "Filter": {"Tag": {"Key": "class", "Value": "scratch"}},
                "Expiration": {"Days": 2},
            },
        ],
    )
    written = s3.put_object(Bucket=bucket, Key="logs/tmp/a", Body=b"x")
    modified = s3.head_object(Bucket=bucket, Key="logs/tmp/a")["LastModified"].timestamp()
    want = f'expiry-date="{expected_expiry(modified, 7)}", rule-id="week"'  # the earliest rule wins
    assert written["Expiration"] == want
    assert s3.head_object(Bucket=bucket, Key="logs/tmp/a")["Expiration"] == want
    assert s3.get_object(Bucket=bucket, Key="logs/tmp/a")["Expiration"] == want
    s3.put_object(Bucket=bucket, Key="logs/b", Body=b"x")
    assert 'rule-id="month"' in s3.head_object(Bucket=bucket, Key="logs/b")["Expiration"]
    s3.put_object(Bucket=bucket, Key="other", Body=b"x")  # only the disabled rule covers it
    assert "Expiration" not in s3.head_object(Bucket=bucket, Key="other")
    s3.put_object(Bucket=bucket, Key="scratch", Body=b"x", Tagging="class=scratch")
    assert 'rule-id="tagged"' in s3.head_object(Bucket=bucket, Key="scratch")["Expiration"]


def test_x_amz_expiration_by_date(s3, bucket):
    put(
        s3,
        bucket,
        [{"ID": "eoy", "Status": "Enabled", "Filter": {}, "Expiration": {"Date": datetime(2099, 1, 1, tzinfo=UTC)}}],
    )
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert s3.head_object(Bucket=bucket, Key="k")["Expiration"] == (
        'expiry-date="Thu, 01 Jan 2099 00:00:00 GMT", rule-id="eoy"'
    )


def test_aws_cli_lifecycle_round_trip(gateway, bucket, tmp_path):
    config = {
        "Rules": [
            {"ID": "cli", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 3}},
            {
                "ID": "cli-mpu",
                "Status": "Enabled",
                "Filter": {"Prefix": ""},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
            },
        ]
    }
    path = tmp_path / "lifecycle.json"
    path.write_text(json.dumps(config))
    aws = ["aws", "--endpoint-url", gateway.url, "s3api"]
    subprocess.run(
        [*aws, "put-bucket-lifecycle-configuration", "--bucket", bucket, "--lifecycle-configuration", f"file://{path}"],
        env=gateway.env(),
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        [*aws, "get-bucket-lifecycle-configuration", "--bucket", bucket],
        env=gateway.env(),
        check=True,
        capture_output=True,
        text=True,
    )
    assert json.loads(out.stdout)["Rules"] == config["Rules"]
    bad = dict(config, Rules=[{**config["Rules"][0], "Expiration": {"Days": 0}}])
    path.write_text(json.dumps(bad))
    failed = subprocess.run(
        [*aws, "put-bucket-lifecycle-configuration", "--bucket", bucket, "--lifecycle-configuration", f"file://{path}"],
        env=gateway.env(),
        capture_output=True,
        text=True,
    )
    assert failed.returncode != 0 and "InvalidArgument" in failed.stderr
    subprocess.run([*aws, "delete-bucket-lifecycle", "--bucket", bucket], env=gateway.env(), check=True)


def test_abort_date_on_create_multipart_upload(s3, bucket):
    put(
        s3,
        bucket,
        [
            {
                "ID": "a3",
                "Status": "Enabled",
                "Filter": {"Prefix": "up/"},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 3},
            },
            {
                "ID": "a1",
                "Status": "Enabled",
                "Filter": {"Prefix": "up/fast/"},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
            },
        ],
    )
    started = time.time()
    created = s3.create_multipart_upload(Bucket=bucket, Key="up/fast/x")
    possible = {expected_expiry(t, 1) for t in (started, time.time())}
    assert created["AbortRuleId"] == "a1"
    assert created["AbortDate"].strftime("%a, %d %b %Y %H:%M:%S GMT") in possible
    assert s3.create_multipart_upload(Bucket=bucket, Key="up/slow")["AbortRuleId"] == "a3"
    assert "AbortRuleId" not in s3.create_multipart_upload(Bucket=bucket, Key="other")


def test_x_amz_expiration_on_copy_object(s3, bucket):
    put(s3, bucket, [{"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 2}}])
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    copied = s3.copy_object(Bucket=bucket, Key="tmp/copy", CopySource={"Bucket": bucket, "Key": "src"})
    assert 'rule-id="tmp"' in copied["Expiration"]
    assert "Expiration" not in s3.copy_object(Bucket=bucket, Key="kept", CopySource={"Bucket": bucket, "Key": "src"})


def test_every_worker_sees_a_change_at_once(tmp_path):
    """Workers cache configurations for x-amz-expiration; a change in one reaches every other at once."""
    from conftest import boto_client, start_gateway, stop_gateway

    gateway = start_gateway(tmp_path, "--workers", "2")
    try:
        client = boto_client(gateway)
        client.create_bucket(Bucket="workers")
        client.put_object(Bucket="workers", Key="k", Body=b"x")
        for _ in range(10):  # both workers have cached "no configuration"
            assert "Expiration" not in client.head_object(Bucket="workers", Key="k")
        put(client, "workers", [{"ID": "w", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 5}}])
        for _ in range(20):
            assert 'rule-id="w"' in client.head_object(Bucket="workers", Key="k")["Expiration"]
        client.delete_bucket_lifecycle(Bucket="workers")
        for _ in range(20):
            assert "Expiration" not in client.head_object(Bucket="workers", Key="k")
    finally:
        stop_gateway(gateway)
