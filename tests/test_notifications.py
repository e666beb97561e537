"""Bucket notifications end to end: a gateway on loopback, boto3 setting the configuration,
writes through S3 (boto3), the native /v1 API and the web console, and a real webhook receiver
(an aiohttp server on 127.0.0.1) checking that AWS's event JSON arrives, filtered, retried
while the receiver is down, and still delivered after a gateway restart. Waits poll with a
generous timeout; nothing asserts how fast delivery is."""

from __future__ import annotations

import uuid

import pytest
import requests
from botocore.exceptions import ClientError
from browser_helpers import admin, make_user, signed_in
from conftest import boto_client, meta_url, start_gateway, stop_gateway
from notify_helpers import Receiver, queue_config

from gateway.client import NativeClient

ALL = ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    # two worker processes: both emit, only the holder of the "notify" lease delivers
    # (a lifecycle day of two seconds, for the expiration events)
    env = {"JUNCTION_NOTIFY_RETRY_SECONDS": "0.3", "JUNCTION_LIFECYCLE_DAY_SECONDS": "2"}
    gateway = start_gateway(tmp_path_factory.mktemp("notify"), "--workers", "2", env=env)
    yield gateway
    stop_gateway(gateway)


@pytest.fixture(scope="module")
def s3(gw):
    return boto_client(gw)


@pytest.fixture(scope="module")
def receiver():
    r = Receiver().start()
    yield r
    r.close()


@pytest.fixture(scope="module")
def webhook(gw, receiver) -> str:
    """The receiver registered as webhook target `hook`: its ARN."""
    response = admin(gw).put(f"{gw.url}/api/webhooks/hook", json={"url": receiver.url})
    assert response.status_code == 200, response.text
    assert response.json()["arn"] == "arn:junction:sqs::hook:webhook"
    return response.json()["arn"]


@pytest.fixture
def bucket(s3) -> str:
    name = f"nt-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    return name


def configure(s3, bucket: str, *configs: dict) -> None:
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"QueueConfigurations": list(configs)}
    )


def error_of(call, *args, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    err = info.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Message"]


# ------------------------------------------------------------------ configuration


def test_configuration_round_trips_through_boto3(s3, bucket, webhook):
    assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket=bucket)
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [queue_config(webhook, ["s3:ObjectCreated:*"], prefix="in/", suffix=".jpg", id="q")],
            "TopicConfigurations": [{"Id": "t", "TopicArn": webhook, "Events": ["s3:ObjectRemoved:Delete"]}],
            "LambdaFunctionConfigurations": [
                {
                    "Id": "l",
                    "LambdaFunctionArn": webhook,
                    "Events": ["s3:ObjectCreated:Put"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "other/"}]}},
                }
            ],
        },
    )
    got = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert got["QueueConfigurations"] == [
        {
            "Id": "q",
            "QueueArn": webhook,
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {
                "Key": {"FilterRules": [{"Name": "Prefix", "Value": "in/"}, {"Name": "Suffix", "Value": ".jpg"}]}
            },
        }
    ]
    assert got["TopicConfigurations"] == [{"Id": "t", "TopicArn": webhook, "Events": ["s3:ObjectRemoved:Delete"]}]
    assert got["LambdaFunctionConfigurations"][0]["Id"] == "l"
    # an empty document removes the configuration, as in S3
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    got = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert not any(k.endswith("Configurations") for k in got)


def test_a_configuration_without_id_gets_one(s3, bucket, webhook):
    configure(s3, bucket, queue_config(webhook, ["s3:ObjectCreated:Put"]))
    (config,) = s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]
    assert config["Id"]


def test_unknown_destination_is_refused(s3, bucket, webhook):
    for arn in ("arn:junction:sqs::nobody:webhook", "arn:aws:sqs:us-east-1:123456789012:queue", "garbage"):
        code, status, message = error_of(configure, s3, bucket, queue_config(arn, ALL))
        assert (code, status) == ("InvalidArgument", 400)
        assert message == "Unable to validate the following destination configurations"


def test_skip_destination_validation_takes_a_webhook_registered_later(gw, s3, bucket, receiver):
    later = "arn:junction:sqs::later:webhook"
    code, status, _ = error_of(configure, s3, bucket, queue_config(later, ALL))
    assert (code, status) == ("InvalidArgument", 400)
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={"QueueConfigurations": [queue_config(later, ALL)]},
        SkipDestinationValidation=True,
    )
    # an AWS ARN is never a destination here, skipped validation or not
    code, status, _ = error_of(
        s3.put_bucket_notification_configuration,
        Bucket=bucket,
        NotificationConfiguration={"QueueConfigurations": [queue_config("arn:aws:sqs:us-east-1:1:q", ALL)]},
        SkipDestinationValidation=True,
    )
    assert (code, status) == ("InvalidArgument", 400)
    s3.put_object(Bucket=bucket, Key="early.txt", Body=b"x")  # queued for a webhook nobody registered yet
    assert admin(gw).put(f"{gw.url}/api/webhooks/later", json={"url": receiver.url}).status_code == 200
    (record,) = receiver.wait_records(bucket, 1)
    assert record["s3"]["object"]["key"] == "early.txt"


@pytest.mark.parametrize(
    "configs, message",
    [
        (
            [("a", ["s3:ObjectCreated:*"], "img/", ""), ("b", ["s3:ObjectCreated:Put"], "img/2024/", "")],
            "Configuration is ambiguously defined",
        ),
        (
            [("a", ["s3:ObjectRemoved:*"], "", ".jpg"), ("b", ["s3:ObjectRemoved:Delete"], "x/", "photo.jpg")],
            "Configuration is ambiguously defined",
        ),
        ([("a", ["s3:ObjectCreated:Put"], "", ""), ("a", ["s3:ObjectRemoved:*"], "", "")], "same Id"),
        ([("a", ["s3:ObjectExploded:*"], "", "")], "The event is not supported for notifications"),
        ([("a", [], "", "")], "at least one Event"),
    ],
)
def test_invalid_configurations_are_refused(s3, bucket, webhook, configs, message):
    items = [queue_config(webhook, events, prefix=p, suffix=s, id=i) for i, events, p, s in configs]
    code, status, text = error_of(configure, s3, bucket, *items)
    assert (code, status) == ("InvalidArgument", 400)
    assert message in text


def test_configurations_that_cannot_both_match_are_accepted(s3, bucket, webhook):
    configure(
        s3,
        bucket,
        queue_config(webhook, ["s3:ObjectCreated:*"], prefix="img/", id="images"),
        queue_config(webhook, ["s3:ObjectCreated:*"], prefix="doc/", id="docs"),
        queue_config(webhook, ["s3:ObjectRemoved:*"], prefix="img/", id="removals"),
        queue_config(webhook, ["s3:ObjectCreated:Put"], prefix="log/", suffix=".gz", id="logs"),
        queue_config(webhook, ["s3:ObjectCreated:Put"], prefix="log/", suffix=".txt", id="texts"),
    )
    assert len(s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]) == 5


def test_bad_filter_rules_and_documents(gw, s3, bucket, webhook):
    code, status, text = error_of(
        s3.put_bucket_notification_configuration,
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": webhook,
                    "Events": ALL,
                    "Filter": {"Key": {"FilterRules": [{"Name": "middle", "Value": "x"}]}},
                }
            ]
        },
    )
    assert (code, status, text) == ("InvalidArgument", 400, "filter rule name must be either prefix or suffix")
    rules = [{"Name": "prefix", "Value": "a"}, {"Name": "prefix", "Value": "b"}]
    code, status, text = error_of(
        s3.put_bucket_notification_configuration,
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": webhook, "Events": ALL, "Filter": {"Key": {"FilterRules": rules}}}]
        },
    )
    assert (code, status) == ("InvalidArgument", 400) and "more than one prefix" in text
    signed = boto_client(gw)
    signed.meta.events.register(
        "before-sign.s3.PutBucketNotificationConfiguration",
        lambda request, **_: setattr(request, "data", b"<NotificationConfiguration><Oops>"),
    )
    code, status, _ = error_of(
        signed.put_bucket_notification_configuration, Bucket=bucket, NotificationConfiguration={}
    )
    assert (code, status) == ("MalformedXML", 400)


def test_missing_bucket(s3):
    code, status, _ = error_of(s3.get_bucket_notification_configuration, Bucket="nt-no-such-bucket")
    assert (code, status) == ("NoSuchBucket", 404)


# ------------------------------------------------------------------ events


def test_s3_writes_produce_aws_event_records(s3, bucket, webhook, receiver):
    configure(s3, bucket, queue_config(webhook, ALL, id="everything"))
    s3.put_object(Bucket=bucket, Key="dir/hello world+1.txt", Body=b"hello")
    s3.copy_object(Bucket=bucket, Key="copy.txt", CopySource={"Bucket": bucket, "Key": "dir/hello world+1.txt"})
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big.bin")
    part = s3.upload_part(Bucket=bucket, Key="big.bin", UploadId=upload["UploadId"], PartNumber=1, Body=b"x" * 1000)
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="big.bin",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    s3.delete_object(Bucket=bucket, Key="copy.txt")
    records = receiver.wait_records(bucket, 4)
    names = [(r["eventName"], r["s3"]["object"]["key"]) for r in records]
    assert names == [
        ("ObjectCreated:Put", "dir/hello+world%2B1.txt"),
        ("ObjectCreated:Copy", "copy.txt"),
        ("ObjectCreated:CompleteMultipartUpload", "big.bin"),
        ("ObjectRemoved:Delete", "copy.txt"),
    ]
    first = records[0]
    assert first["eventVersion"] == "2.1" and first["eventSource"] == "aws:s3"
    assert first["awsRegion"] == "us-east-1"
    assert first["eventTime"].endswith("Z") and "T" in first["eventTime"]
    assert first["userIdentity"]["principalId"] == s3._request_signer._credentials.access_key
    assert first["requestParameters"]["sourceIPAddress"] == "127.0.0.1"
    assert first["responseElements"]["x-amz-request-id"]
    s3_part = first["s3"]
    assert s3_part["s3SchemaVersion"] == "1.0" and s3_part["configurationId"] == "everything"
    assert s3_part["bucket"]["name"] == bucket and s3_part["bucket"]["arn"] == f"arn:aws:s3:::{bucket}"
    assert s3_part["bucket"]["ownerIdentity"]["principalId"]
    assert s3_part["object"]["size"] == 5
    assert s3_part["object"]["eTag"] == "5d41402abc4b2a76b9719d911017c592"
    assert "versionId" not in s3_part["object"]  # never-versioned bucket
    assert records[2]["s3"]["object"]["eTag"].endswith("-1")
    removal = records[3]["s3"]["object"]
    assert "size" not in removal and "eTag" not in removal and removal["sequencer"]
    sequencers = [r["s3"]["object"]["sequencer"] for r in records]
    assert sequencers == sorted(sequencers)
    assert all(ua.startswith("Junction") for ua in receiver.user_agents)


def test_versioned_bucket_events_carry_version_ids(s3, bucket, webhook, receiver):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    configure(s3, bucket, queue_config(webhook, ALL))
    put = s3.put_object(Bucket=bucket, Key="v.txt", Body=b"1")
    marker = s3.delete_object(Bucket=bucket, Key="v.txt")
    s3.delete_object(Bucket=bucket, Key="v.txt", VersionId=put["VersionId"])
    records = receiver.wait_records(bucket, 3)
    assert [(r["eventName"], r["s3"]["object"].get("versionId")) for r in records] == [
        ("ObjectCreated:Put", put["VersionId"]),
        ("ObjectRemoved:DeleteMarkerCreated", marker["VersionId"]),
        ("ObjectRemoved:Delete", put["VersionId"]),
    ]


def test_filters_and_event_types_select_what_is_sent(s3, bucket, webhook, receiver):
    configure(
        s3,
        bucket,
        queue_config(webhook, ["s3:ObjectCreated:Put"], prefix="img/", suffix=".jpg", id="jpegs"),
        queue_config(webhook, ["s3:ObjectRemoved:*"], prefix="logs/", id="log-removals"),
    )
    for key in ("img/a.jpg", "img/a.png", "other/b.jpg", "logs/x.txt", "img/"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    s3.copy_object(Bucket=bucket, Key="img/copy.jpg", CopySource={"Bucket": bucket, "Key": "img/a.jpg"})  # Copy: no
    s3.delete_object(Bucket=bucket, Key="img/a.jpg")  # no removal rule for img/
    s3.delete_object(Bucket=bucket, Key="logs/x.txt")
    s3.put_object(Bucket=bucket, Key="img/last.jpg", Body=b"x")  # the last one: when it is in, all are
    records = receiver.wait_records(bucket, 3)
    assert [(r["eventName"], r["s3"]["object"]["key"], r["s3"]["configurationId"]) for r in records] == [
        ("ObjectCreated:Put", "img/a.jpg", "jpegs"),
        ("ObjectRemoved:Delete", "logs/x.txt", "log-removals"),
        ("ObjectCreated:Put", "img/last.jpg", "jpegs"),
    ]


def test_browser_form_upload_is_a_post_event(s3, bucket, webhook, receiver):
    configure(s3, bucket, queue_config(webhook, ["s3:ObjectCreated:Post"]))
    s3.put_object(Bucket=bucket, Key="not-a-post.txt", Body=b"x")
    form = s3.generate_presigned_post(bucket, "form.txt")
    response = requests.post(form["url"], data=form["fields"], files={"file": ("form.txt", b"posted")})
    assert response.status_code == 204, response.text
    (record,) = receiver.wait_records(bucket, 1)
    assert record["eventName"] == "ObjectCreated:Post" and record["s3"]["object"]["key"] == "form.txt"


def test_native_api_writes_produce_events(gw, s3, bucket, webhook, receiver):
    configure(s3, bucket, queue_config(webhook, ALL))
    native = NativeClient(gw.url, gw.access_key, gw.secret_key)
    bucket_id = native.get_bucket(bucket)["bucketID"]
    package = native.create_package(bucket_id, "pkg")
    (uploaded,) = native.upload(package["packageID"], [("a.txt", b"native")])
    (cloned,) = native.clone(
        [{"objectID": uploaded["objectID"], "newPackageID": package["packageID"], "newPath": "b.txt"}]
    )
    native.move([{"objectID": uploaded["objectID"], "packageID": package["packageID"], "path": "c.txt"}])
    pending = native.new_multipart_upload(package["packageID"], "m.bin")
    native.upload_part(pending["objectID"], 1, b"part")
    native.complete_multipart_upload(pending["objectID"], [1])
    native.delete([cloned["objectID"]])
    records = receiver.wait_records(bucket, 7)
    assert [(r["eventName"], r["s3"]["object"]["key"]) for r in records] == [
        ("ObjectCreated:Put", "pkg/"),  # the package's folder marker, which S3 clients list
        ("ObjectCreated:Put", "pkg/a.txt"),
        ("ObjectCreated:Copy", "pkg/b.txt"),
        ("ObjectCreated:Copy", "pkg/c.txt"),  # a move: a copy, then a delete
        ("ObjectRemoved:Delete", "pkg/a.txt"),
        ("ObjectCreated:CompleteMultipartUpload", "pkg/m.bin"),
        ("ObjectRemoved:Delete", "pkg/b.txt"),
    ]
    assert records[1]["s3"]["object"]["size"] == 6


def test_a_dead_webhook_never_fails_a_write_and_gets_the_event_later(gw, s3, bucket, webhook, receiver):
    configure(s3, bucket, queue_config(webhook, ALL))
    receiver.status = 503
    try:
        s3.put_object(Bucket=bucket, Key="while-failing.txt", Body=b"x")
        receiver.wait_for(lambda: receiver.attempts > 0, "a failed attempt")
    finally:
        receiver.status = 200
    receiver.stop()  # now refused at the TCP level
    try:
        s3.put_object(Bucket=bucket, Key="while-down.txt", Body=b"y")  # answered at once, whatever the webhook
        listing = admin(gw).get(f"{gw.url}/api/webhooks").json()
        (hook,) = [w for w in listing["webhooks"] if w["id"] == "hook"]
        assert hook["queued"] >= 1
    finally:
        receiver.start()
    records = receiver.wait_records(bucket, 2)
    assert sorted(r["s3"]["object"]["key"] for r in records) == ["while-down.txt", "while-failing.txt"]


def test_lifecycle_expirations_are_notified(s3, bucket, webhook, receiver):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    configure(s3, bucket, queue_config(webhook, ["s3:LifecycleExpiration:*"]))
    first = s3.put_object(Bucket=bucket, Key="old/a.txt", Body=b"1")
    s3.put_object(Bucket=bucket, Key="old/a.txt", Body=b"2")
    rule = {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": "old/"}, "Expiration": {"Days": 1}}
    noncurrent = {"ID": "history", "Status": "Enabled", "Filter": {"Prefix": "old/"}}
    noncurrent["NoncurrentVersionExpiration"] = {"NoncurrentDays": 1}
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule, noncurrent]})
    records = receiver.wait_records(bucket, 2)
    names = {(r["eventName"], r["s3"]["object"].get("versionId")) for r in records}
    (marker,) = [v for name, v in names if name == "LifecycleExpiration:DeleteMarkerCreated"]
    assert marker and marker != first["VersionId"]  # the current version expired behind a marker
    assert ("LifecycleExpiration:Delete", first["VersionId"]) in names  # the noncurrent one removed
    assert all(r["s3"]["object"]["key"] == "old/a.txt" for r in records)


def test_object_tagging_is_notified(s3, bucket, webhook, receiver):
    configure(s3, bucket, queue_config(webhook, ["s3:ObjectTagging:*"]))
    put = s3.put_object(Bucket=bucket, Key="tagged.txt", Body=b"t")
    s3.put_object_tagging(Bucket=bucket, Key="tagged.txt", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    s3.delete_object_tagging(Bucket=bucket, Key="tagged.txt")
    records = receiver.wait_records(bucket, 2)
    assert [r["eventName"] for r in records] == ["ObjectTagging:Put", "ObjectTagging:Delete"]
    assert records[0]["s3"]["object"]["eTag"] == put["ETag"].strip('"') and "size" not in records[0]["s3"]["object"]


def test_each_event_is_delivered_once_by_one_worker(s3, bucket, webhook, receiver):
    configure(s3, bucket, queue_config(webhook, ["s3:ObjectCreated:*"]))
    keys = [f"k{i:02d}" for i in range(20)]
    for key in [*keys, "zz-last"]:  # the requests spread over both workers
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    # one holder sends a healthy webhook's events in queue order: when the last is in, all are
    receiver.wait_for(lambda: any(r["s3"]["object"]["key"] == "zz-last" for r in receiver.records(bucket)), "last")
    received = sorted(r["s3"]["object"]["key"] for r in receiver.records(bucket))
    assert received == [*keys, "zz-last"]


# ------------------------------------------------------------------ the console


def test_console_notifications_api(gw, s3, bucket, webhook, receiver):
    session = admin(gw)
    url = f"{gw.url}/api/notifications/{bucket}"
    assert session.get(url).json() == {"bucket": bucket, "notifications": []}
    body = {
        "notifications": [
            {"id": "by-url", "endpoint": receiver.url, "events": ["s3:ObjectCreated:*"], "prefix": "up/"},
            {"id": "by-id", "targetId": "hook", "events": ["s3:ObjectRemoved:*"], "suffix": ".tmp"},
        ]
    }
    response = session.put(url, json=body)
    assert response.status_code == 200, response.text
    shown = {n["id"]: n for n in response.json()["notifications"]}
    assert shown["by-url"]["targetId"] == "hook"  # the URL was already registered as `hook`
    assert shown["by-url"]["endpoint"] == receiver.url and shown["by-url"]["prefix"] == "up/"
    assert shown["by-id"]["arn"] == webhook and shown["by-id"]["suffix"] == ".tmp"
    # the same configuration S3 sees
    got = s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]
    assert {c["Id"] for c in got} == {"by-url", "by-id"}
    # an upload through the console emits like any other write
    upload = session.post(f"{gw.url}/api/objects/upload/{bucket}/dXAvZmlsZS50eHQ", files={"file": ("f", b"abc")})
    assert upload.status_code == 200, upload.text
    (record,) = receiver.wait_records(bucket, 1)
    assert record["s3"]["object"]["key"] == "up/file.txt" and record["eventName"] == "ObjectCreated:Put"
    # remove one by id; an unknown id is 404
    assert session.delete(f"{url}/by-id").status_code == 200
    assert [n["id"] for n in session.get(url).json()["notifications"]] == ["by-url"]
    missing = session.delete(f"{url}/by-id")
    assert missing.status_code == 404 and missing.json()["error"] == "NotFound"
    # the console's errors are S3's checks, as JSON
    bad = session.put(url, json={"notifications": [{"targetId": "nobody", "events": ["s3:ObjectCreated:*"]}]})
    assert bad.status_code == 400 and bad.json()["error"] == "InvalidArgument"


def test_console_test_endpoint(gw, receiver, webhook):
    session = admin(gw)
    before = len(receiver.bodies)
    ok = session.post(f"{gw.url}/api/notifications/test-endpoint", json={"endpoint": receiver.url})
    assert ok.status_code == 200 and ok.json()["success"] is True and ok.json()["statusCode"] == 200
    body = receiver.wait_for(lambda: receiver.bodies[before:], "the test event")[0]
    assert body["Event"] == "s3:TestEvent" and body["Service"] == "Amazon S3"
    by_id = session.post(f"{gw.url}/api/notifications/test-endpoint", json={"targetId": "hook"})
    assert by_id.json()["success"] is True
    dead = session.post(f"{gw.url}/api/notifications/test-endpoint", json={"endpoint": "http://127.0.0.1:9/x"})
    assert dead.status_code == 200 and dead.json()["success"] is False and dead.json()["statusCode"] is None
    bad = session.post(f"{gw.url}/api/notifications/test-endpoint", json={"endpoint": "file:///etc/passwd"})
    assert bad.status_code == 400


def test_only_administrators_choose_webhook_urls(gw, s3, webhook, receiver):
    make_user(gw, "notify-user", "notify-pass-1234")
    user = signed_in(gw, "notify-user", "notify-pass-1234")
    assert user.get(f"{gw.url}/api/webhooks").status_code == 403
    assert user.put(f"{gw.url}/api/webhooks/mine", json={"url": "http://127.0.0.1:1/"}).status_code == 403
    probe = user.post(f"{gw.url}/api/notifications/test-endpoint", json={"endpoint": "http://127.0.0.1:1/"})
    assert probe.status_code == 403


def test_webhook_registry(gw, s3, bucket, webhook):
    session = admin(gw)
    assert session.put(f"{gw.url}/api/webhooks/bad id", json={"url": "http://127.0.0.1:1/"}).status_code == 400
    assert session.put(f"{gw.url}/api/webhooks/ftp", json={"url": "ftp://127.0.0.1/"}).status_code == 400
    assert session.put(f"{gw.url}/api/webhooks/spare", json={"url": "http://127.0.0.1:1/spare"}).status_code == 200
    configure(s3, bucket, queue_config("arn:junction:sqs::spare:webhook", ALL))
    in_use = session.delete(f"{gw.url}/api/webhooks/spare")
    assert in_use.status_code == 400 and bucket in in_use.json()["message"]
    listed = {w["id"]: w for w in session.get(f"{gw.url}/api/webhooks").json()["webhooks"]}
    assert listed["spare"]["usedBy"] == [bucket] and listed["spare"]["arn"] == "arn:junction:sqs::spare:webhook"
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    assert session.delete(f"{gw.url}/api/webhooks/spare").status_code == 200
    assert session.delete(f"{gw.url}/api/webhooks/spare").status_code == 404


# ------------------------------------------------------------------ restarts


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_queued_events_survive_a_gateway_restart(tmp_path, engine):
    """Events queued while the webhook is down outlive a killed gateway, on either engine."""
    receiver = Receiver()  # not listening yet: every delivery fails
    env = {"JUNCTION_NOTIFY_RETRY_SECONDS": "0.3"}
    meta = meta_url(engine)
    first = start_gateway(tmp_path / "one", env=env, meta=meta)
    try:
        session = admin(first)
        assert session.put(f"{first.url}/api/webhooks/hook", json={"url": receiver.url}).status_code == 200
        s3 = boto_client(first)
        s3.create_bucket(Bucket="restart")
        configure(s3, "restart", queue_config("arn:junction:sqs::hook:webhook", ALL))
        for i in range(5):
            s3.put_object(Bucket="restart", Key=f"k{i}", Body=b"x")
    finally:
        first.process.kill()  # no clean stop: the queue is all there is
        first.process.wait(10)
    receiver.start()
    second = start_gateway(tmp_path / "two", env=env, data_dir=first.data_dir, meta=meta)
    try:
        records = receiver.wait_records("restart", 5)
        assert sorted(r["s3"]["object"]["key"] for r in records) == [f"k{i}" for i in range(5)]
    finally:
        stop_gateway(second)
        receiver.close()
