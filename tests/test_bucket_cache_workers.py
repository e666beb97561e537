"""Buckets are looked up by name from a per-process cache (gateway/meta/buckets_store.py);
a bucket deleted through one worker must be gone for every worker at once, and a new bucket
of the same name must never reach the old one's objects."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from conftest import boto_client, start_gateway, stop_gateway


def clients(gw, n):
    return [boto_client(gw) for _ in range(n)]  # separate connection pools: spread over the workers


def test_deleted_and_recreated_bucket_is_seen_by_every_worker(tmp_path):
    gw = start_gateway(tmp_path, "--workers", "2")
    try:
        s3s = clients(gw, 6)
        s3s[0].create_bucket(Bucket="cached")
        s3s[0].put_object(Bucket="cached", Key="old", Body=b"old bytes")
        for s3 in s3s * 3:  # every worker has the bucket cached by now
            assert s3.get_object(Bucket="cached", Key="old")["Body"].read() == b"old bytes"
        s3s[0].delete_object(Bucket="cached", Key="old")
        s3s[1].delete_bucket(Bucket="cached")
        for s3 in s3s:
            with pytest.raises(ClientError) as err:
                s3.put_object(Bucket="cached", Key="new", Body=b"x")
            assert err.value.response["Error"]["Code"] == "NoSuchBucket"
        s3s[2].create_bucket(Bucket="cached")
        for i, s3 in enumerate(s3s):
            s3.put_object(Bucket="cached", Key=f"new{i}", Body=b"x")
        for s3 in s3s:
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket="cached")["Contents"]]
            assert keys == [f"new{i}" for i in range(6)]
            with pytest.raises(ClientError) as err:
                s3.head_object(Bucket="cached", Key="old")
            assert err.value.response["Error"]["Code"] == "404"
    finally:
        stop_gateway(gw)
