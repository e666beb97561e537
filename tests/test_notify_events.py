"""Which events Junction emits, against AWS's list ("Event notification types"): one event
per object for a native package delete, delete markers with their version id from native
deletes and moves, s3:ObjectAcl:Put when an object's ACL changes (not when it stays the
same), s3:LifecycleTransition and s3:LifecycleExpiration:Delete for a lifecycle rule's
expired delete marker; nothing for an aborted native upload nor a move onto itself. A real
gateway on loopback, boto3 and the native client, a real webhook receiver on 127.0.0.1."""

from __future__ import annotations

import os
import uuid

import pytest
from browser_helpers import admin
from conftest import boto_client, start_gateway, stop_gateway
from notify_helpers import Receiver, queue_config
from space_helpers import local_space
from test_s3_storage_classes import console

from gateway.client import NativeClient

REMOVED = ["s3:ObjectRemoved:*"]


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    env = {"JUNCTION_NOTIFY_RETRY_SECONDS": "0.3", "JUNCTION_LIFECYCLE_DAY_SECONDS": "2"}
    gateway = start_gateway(tmp_path_factory.mktemp("notify-events"), "--workers", "2", env=env)
    yield gateway
    stop_gateway(gateway)


@pytest.fixture(scope="module")
def s3(gw):
    return boto_client(gw)


@pytest.fixture(scope="module")
def native(gw) -> NativeClient:
    return NativeClient(gw.url, gw.access_key, gw.secret_key)


@pytest.fixture(scope="module")
def receiver():
    r = Receiver().start()
    yield r
    r.close()


@pytest.fixture(scope="module")
def webhook(gw, receiver) -> str:
    response = admin(gw).put(f"{gw.url}/api/webhooks/hook", json={"url": receiver.url})
    assert response.status_code == 200, response.text
    return response.json()["arn"]


@pytest.fixture
def bucket(s3) -> str:
    name = f"ne-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    return name


def configure(s3, bucket: str, arn: str, events: list[str]) -> None:
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [queue_config(arn, events)]}
    )


def last_marker(s3, bucket: str, key: str) -> str:
    markers = s3.list_object_versions(Bucket=bucket, Prefix=key).get("DeleteMarkers", [])
    (latest,) = [m for m in markers if m["Key"] == key and m["IsLatest"]]
    return latest["VersionId"]


def names(records) -> list[tuple[str, str, str | None]]:
    return [(r["eventName"], r["s3"]["object"]["key"], r["s3"]["object"].get("versionId")) for r in records]


def test_a_native_package_delete_emits_one_event_per_object(s3, native, bucket, webhook, receiver):
    configure(s3, bucket, webhook, REMOVED)
    package = native.create_package(native.get_bucket(bucket)["bucketID"], "pkg")
    native.upload(package["packageID"], [("a.txt", b"a"), ("b/c.txt", b"c"), ("d.txt", b"d")])
    native.delete_package(package["packageID"])
    s3.put_object(Bucket=bucket, Key="last", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="last")  # when this one is in, all are
    records = receiver.wait_records(bucket, 5)
    assert {r["userIdentity"]["principalId"] for r in records} == {s3._request_signer._credentials.access_key}
    assert sorted(names(records)) == [
        ("ObjectRemoved:Delete", "last", None),
        ("ObjectRemoved:Delete", "pkg/", None),  # the folder marker S3 clients saw
        ("ObjectRemoved:Delete", "pkg/a.txt", None),
        ("ObjectRemoved:Delete", "pkg/b/c.txt", None),
        ("ObjectRemoved:Delete", "pkg/d.txt", None),
    ]


def test_native_deletes_on_a_versioned_bucket_name_their_delete_markers(s3, native, bucket, webhook, receiver):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    configure(s3, bucket, webhook, REMOVED)
    package = native.create_package(native.get_bucket(bucket)["bucketID"], "pkg")
    one, two, three = native.upload(package["packageID"], [("one", b"1"), ("two", b"2"), ("three", b"3")])
    native.delete([one["objectID"]])
    native.move([{"objectID": two["objectID"], "packageID": package["packageID"], "path": "moved"}])
    native.move([{"objectID": three["objectID"], "packageID": package["packageID"], "path": "three"}])  # a no-op
    s3.put_object(Bucket=bucket, Key="last", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="last")
    records = receiver.wait_records(bucket, 3)
    assert names(records) == [
        ("ObjectRemoved:DeleteMarkerCreated", "pkg/one", last_marker(s3, bucket, "pkg/one")),
        ("ObjectRemoved:DeleteMarkerCreated", "pkg/two", last_marker(s3, bucket, "pkg/two")),
        ("ObjectRemoved:DeleteMarkerCreated", "last", last_marker(s3, bucket, "last")),
    ]
    # the package's delete: a marker per object, each event naming its own
    native.delete_package(package["packageID"])
    s3.put_object(Bucket=bucket, Key="end", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="end")
    records = receiver.wait_records(bucket, 7)[3:]
    assert sorted(names(records)) == sorted(
        ("ObjectRemoved:DeleteMarkerCreated", key, last_marker(s3, bucket, key))
        for key in ("pkg/", "pkg/moved", "pkg/three", "end")
    )


def test_an_aborted_native_upload_emits_nothing(s3, native, bucket, webhook, receiver):
    configure(s3, bucket, webhook, REMOVED)
    package = native.create_package(native.get_bucket(bucket)["bucketID"], "pkg")
    pending = native.new_multipart_upload(package["packageID"], "never.bin")
    native.upload_part(pending["objectID"], 1, b"part")
    native.delete([pending["objectID"]])  # AbortMultipartUpload: no event in S3 either
    s3.put_object(Bucket=bucket, Key="last", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="last")
    (record,) = receiver.wait_records(bucket, 1)
    assert record["s3"]["object"]["key"] == "last"


def test_an_object_acl_change_is_notified(s3, bucket, webhook, receiver):
    configure(s3, bucket, webhook, ["s3:ObjectAcl:Put"])
    s3.put_object(Bucket=bucket, Key="private", Body=b"x")
    s3.put_object_acl(Bucket=bucket, Key="private", ACL="private")  # ACLs disabled, nothing changes: no event
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.delete_public_access_block(Bucket=bucket)
    put = s3.put_object(Bucket=bucket, Key="doc", Body=b"x")
    s3.put_object_acl(Bucket=bucket, Key="doc", ACL="public-read")
    s3.put_object_acl(Bucket=bucket, Key="doc", ACL="public-read")  # the same ACL again: no event
    s3.put_object_acl(Bucket=bucket, Key="doc", ACL="private")
    records = receiver.wait_records(bucket, 2)
    assert [(r["eventName"], r["s3"]["object"]["key"]) for r in records] == [
        ("ObjectAcl:Put", "doc"),
        ("ObjectAcl:Put", "doc"),
    ]
    assert records[0]["s3"]["object"]["eTag"] == put["ETag"].strip('"')
    s3.put_object_acl(Bucket=bucket, Key="doc", ACL="authenticated-read")
    assert len(receiver.wait_records(bucket, 3)) == 3


def test_lifecycle_transitions_are_notified(gw, s3, native, bucket, webhook, receiver):
    space = local_space(native, gw.data_dir)
    resp = console(gw, "PUT", "/storage-classes", {"GLACIER": space["name"]})
    assert resp.status_code == 200, resp.text
    configure(s3, bucket, webhook, ["s3:LifecycleTransition"])
    put = s3.put_object(Bucket=bucket, Key="cold/big.bin", Body=os.urandom(200 * 1024))
    rule = {"ID": "cold", "Status": "Enabled", "Filter": {"Prefix": "cold/"}}
    rule["Transitions"] = [{"Days": 0, "StorageClass": "GLACIER"}]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule]})
    (record,) = receiver.wait_records(bucket, 1)
    assert record["eventName"] == "LifecycleTransition"
    assert record["s3"]["object"]["key"] == "cold/big.bin"
    assert record["s3"]["object"]["eTag"] == put["ETag"].strip('"') and record["s3"]["object"]["size"] == 200 * 1024
    assert s3.head_object(Bucket=bucket, Key="cold/big.bin")["StorageClass"] == "GLACIER"


def test_a_lifecycle_removal_of_an_expired_delete_marker_is_notified(s3, bucket, webhook, receiver):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    configure(s3, bucket, webhook, ["s3:LifecycleExpiration:*"])
    put = s3.put_object(Bucket=bucket, Key="gone.txt", Body=b"x")
    marker = s3.delete_object(Bucket=bucket, Key="gone.txt")["VersionId"]
    s3.delete_object(Bucket=bucket, Key="gone.txt", VersionId=put["VersionId"])  # the marker is all that is left
    rule = {"ID": "markers", "Status": "Enabled", "Filter": {}, "Expiration": {"ExpiredObjectDeleteMarker": True}}
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule]})
    (record,) = receiver.wait_records(bucket, 1)
    assert names([record]) == [("LifecycleExpiration:Delete", "gone.txt", marker)]
