"""A GET reads the object's row on the event loop's own SQLite connection and the blob's bytes
from the page cache on the loop (gateway/meta/db.py point_read, backends/local.py): nothing is
cached between requests, so with two workers an acknowledged PUT or DELETE through one
connection is what every connection reads next, whichever worker serves it."""

from __future__ import annotations

import os

import pytest
from botocore.exceptions import ClientError
from conftest import boto_client, start_gateway, stop_gateway


def test_every_worker_reads_what_was_just_acknowledged(tmp_path):
    gw = start_gateway(tmp_path, "--workers", "2")
    try:
        s3s = [boto_client(gw) for _ in range(6)]  # separate connection pools: spread over the workers
        s3s[0].create_bucket(Bucket="fresh")
        for round_ in range(12):
            body = os.urandom(4096 + round_)
            writer = s3s[round_ % len(s3s)]
            writer.put_object(Bucket="fresh", Key="small", Body=body)
            for s3 in s3s:
                assert s3.get_object(Bucket="fresh", Key="small")["Body"].read() == body
                ranged = s3.get_object(Bucket="fresh", Key="small", Range="bytes=100-199")["Body"].read()
                assert ranged == body[100:200]
            if round_ % 3 == 2:
                writer.delete_object(Bucket="fresh", Key="small")
                for s3 in s3s:
                    with pytest.raises(ClientError) as err:
                        s3.get_object(Bucket="fresh", Key="small")
                    assert err.value.response["Error"]["Code"] == "NoSuchKey"
    finally:
        stop_gateway(gw)
