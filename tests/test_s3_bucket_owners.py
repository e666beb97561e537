"""Buckets belong to accounts: CreateBucket of another account's name, re-creating your own
(us-east-1's legacy 200 vs BucketAlreadyOwnedByYou elsewhere), ListBuckets per account with
its paging parameters, and aws:SecureTransport over the TLS gateway."""

from __future__ import annotations

import json

import pytest
from access_helpers import client, code_of, new_account, unique
from conftest import start_gateway, stop_gateway


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    gateway = start_gateway(tmp_path_factory.mktemp("owners"))
    yield gateway
    stop_gateway(gateway)


def test_bucket_names_are_global_across_accounts(gw):
    first, second = client(gw, new_account(gw)), client(gw, new_account(gw))
    name = unique("taken")
    first.create_bucket(Bucket=name)
    first.put_object(Bucket=name, Key="k", Body=b"1")
    assert code_of(second.create_bucket, Bucket=name) == (409, "BucketAlreadyExists")
    first.create_bucket(Bucket=name)  # us-east-1: your own bucket again is a 200 that changes nothing
    assert first.get_object(Bucket=name, Key="k")["Body"].read() == b"1"


def test_recreating_your_own_bucket_elsewhere_is_owned_by_you(tmp_path):
    gateway = start_gateway(tmp_path, "--region", "eu-west-1")
    try:
        owner = new_account(gateway)
        s3 = _regional(gateway, owner)
        name = unique("eu")
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        again = code_of(s3.create_bucket, Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        assert again == (409, "BucketAlreadyOwnedByYou")
    finally:
        stop_gateway(gateway)


def _regional(gw, who):
    import boto3
    from botocore.config import Config as BotoConfig

    return boto3.client(
        "s3",
        endpoint_url=gw.url,
        aws_access_key_id=who.access_key,
        aws_secret_access_key=who.secret_key,
        region_name="eu-west-1",
        config=BotoConfig(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


def test_list_buckets_shows_the_callers_account_with_paging(gw):
    alice, bob = new_account(gw, "alice"), new_account(gw, "bob")
    a, b = client(gw, alice), client(gw, bob)
    mine = sorted(unique("al") for _ in range(3))
    for name in mine:
        a.create_bucket(Bucket=name)
    b.create_bucket(Bucket=unique("bo"))
    listed = a.list_buckets()
    assert [x["Name"] for x in listed["Buckets"]] == mine
    assert listed["Owner"] == {"ID": alice.canonical_id, "DisplayName": alice.account}
    page = a.list_buckets(MaxBuckets=2)
    assert [x["Name"] for x in page["Buckets"]] == mine[:2]
    assert all(x["BucketRegion"] == "us-east-1" for x in page["Buckets"])
    rest = a.list_buckets(MaxBuckets=2, ContinuationToken=page["ContinuationToken"])
    assert [x["Name"] for x in rest["Buckets"]] == mine[2:] and "ContinuationToken" not in rest
    assert [x["Name"] for x in a.list_buckets(Prefix=mine[1])["Buckets"]] == [mine[1]]
    assert a.list_buckets(BucketRegion="eu-west-1")["Buckets"] == []
    assert code_of(client(gw, None).list_buckets) == (403, "AccessDenied")


def test_secure_transport_over_tls(tmp_path):
    """A policy allowing reads only over TLS: the same request is allowed on the TLS gateway
    and refused on a plain one."""
    results = {}
    for tls in (True, False):
        home = tmp_path / ("tls" if tls else "plain")
        home.mkdir()
        gateway = start_gateway(home, tls=tls)
        try:
            owner = new_account(gateway)
            s3 = client(gateway, owner)
            name = unique("tls")
            s3.create_bucket(Bucket=name)
            s3.delete_public_access_block(Bucket=name)
            s3.put_object(Bucket=name, Key="k", Body=b"secret")
            statement = {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{name}/*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            }
            s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
            anon = client(gateway, None)
            try:
                results[tls] = anon.get_object(Bucket=name, Key="k")["Body"].read()
            except Exception as exc:  # noqa: BLE001 - the refusal is the result
                results[tls] = type(exc).__name__ + str(exc)
        finally:
            stop_gateway(gateway)
    assert results[True] == b"secret"
    assert "AccessDenied" in str(results[False])
