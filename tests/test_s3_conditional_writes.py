"""Conditional writes (If-Match / If-None-Match on PutObject, CopyObject and CompleteMultipartUpload)
and the headers of 304/412 answers to conditional reads, through boto3 against a real gateway."""

from __future__ import annotations

import http.client
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.conftest import boto_client
from tests.test_awscli import V1, run

BOTH_ENGINES = True  # the gateway fixture runs on SQLite and on PostgreSQL (conftest.ENGINES)

PART = 5 * 1024 * 1024


def status(exc: ClientError) -> int:
    return exc.response["ResponseMetadata"]["HTTPStatusCode"]


def code(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


def test_if_none_match_with_an_etag(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["ETag"]
    with pytest.raises(ClientError) as err:  # the current ETag is named: refused
        s3.put_object(Bucket=bucket, Key="k", Body=b"two", IfNoneMatch=etag)
    assert (status(err.value), code(err.value)) == (412, "PreconditionFailed")
    s3.put_object(Bucket=bucket, Key="k", Body=b"three", IfNoneMatch='"0123456789abcdef0123456789abcdef"')
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"three"
    s3.put_object(Bucket=bucket, Key="fresh", Body=b"x", IfNoneMatch=etag)  # no object: nothing matches


def test_if_match_on_an_absent_key_is_no_such_key(s3, bucket):
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="absent", Body=b"x", IfMatch='"abc"')
    assert (status(err.value), code(err.value)) == (404, "NoSuchKey")


def test_if_none_match_star_after_a_delete_marker_succeeds(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"1")
    s3.delete_object(Bucket=bucket, Key="k")
    s3.put_object(Bucket=bucket, Key="k", Body=b"2", IfNoneMatch="*")
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="k", Body=b"3", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert status(err.value) == 412


def test_copy_object_conditional_write(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"s")
    dst_etag = s3.put_object(Bucket=bucket, Key="dst", Body=b"d")["ETag"]
    source = {"Bucket": bucket, "Key": "src"}
    with pytest.raises(ClientError) as err:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource=source, IfNoneMatch="*")
    assert status(err.value) == 412
    s3.copy_object(Bucket=bucket, Key="dst", CopySource=source, IfMatch=dst_etag)
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"s"


def _upload(s3, bucket, key, body=b"p" * 10):
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=body)["ETag"]
    return upload, {"Parts": [{"PartNumber": 1, "ETag": etag}]}


def test_complete_multipart_if_match_and_if_none_match(s3, bucket):
    old = s3.put_object(Bucket=bucket, Key="mp", Body=b"old")["ETag"]
    upload, parts = _upload(s3, bucket, "mp")
    with pytest.raises(ClientError) as err:
        s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload=parts, IfNoneMatch="*")
    assert status(err.value) == 412
    with pytest.raises(ClientError) as err:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="mp",
            UploadId=upload,
            MultipartUpload=parts,
            IfMatch='"ffffffffffffffffffffffffffffffff"',
        )
    assert status(err.value) == 412
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload=parts, IfMatch=old)
    assert done["ETag"].endswith('-1"')
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"p" * 10
    upload, parts = _upload(s3, bucket, "mp-new")
    s3.complete_multipart_upload(Bucket=bucket, Key="mp-new", UploadId=upload, MultipartUpload=parts, IfNoneMatch="*")


def test_racing_if_none_match_writers_exactly_one_wins(gateway, bucket):
    clients = [boto_client(gateway) for _ in range(16)]
    start = threading.Barrier(len(clients))

    def put(index: int) -> int | str:
        start.wait()
        try:
            clients[index].put_object(Bucket=bucket, Key="race", Body=f"writer {index}".encode(), IfNoneMatch="*")
        except ClientError as exc:
            return code(exc)
        return index

    with ThreadPoolExecutor(len(clients)) as pool:
        results = list(pool.map(put, range(len(clients))))
    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == 1, results
    assert set(results) - set(winners) <= {"PreconditionFailed", "ConditionalRequestConflict"}
    body = clients[0].get_object(Bucket=bucket, Key="race")["Body"].read()
    assert body == f"writer {winners[0]}".encode()


def test_racing_if_match_writers_exactly_one_wins(gateway, bucket):
    clients = [boto_client(gateway) for _ in range(8)]
    etag = clients[0].put_object(Bucket=bucket, Key="cas", Body=b"v0")["ETag"]
    start = threading.Barrier(len(clients))

    def put(index: int) -> int | str:
        start.wait()
        try:
            clients[index].put_object(Bucket=bucket, Key="cas", Body=f"v{index + 1}".encode(), IfMatch=etag)
        except ClientError as exc:
            return code(exc)
        return index

    with ThreadPoolExecutor(len(clients)) as pool:
        results = list(pool.map(put, range(len(clients))))
    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == 1, results
    assert set(results) - set(winners) <= {"PreconditionFailed", "ConditionalRequestConflict"}


def test_racing_completions_with_if_none_match_exactly_one_wins(gateway, bucket):
    """Several multipart uploads of one key completed at once, each with `If-None-Match: *`:
    one object is made, every other completion is refused and its upload left to abort."""
    clients = [boto_client(gateway) for _ in range(6)]
    uploads = [_upload(client, bucket, "mp-race", f"upload {n}".encode()) for n, client in enumerate(clients)]
    start = threading.Barrier(len(clients))

    def complete(index: int) -> int | str:
        upload, parts = uploads[index]
        start.wait()
        try:
            clients[index].complete_multipart_upload(
                Bucket=bucket, Key="mp-race", UploadId=upload, MultipartUpload=parts, IfNoneMatch="*"
            )
        except ClientError as exc:
            return code(exc)
        return index

    with ThreadPoolExecutor(len(clients)) as pool:
        results = list(pool.map(complete, range(len(clients))))
    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == 1, results
    assert set(results) - set(winners) <= {"PreconditionFailed", "ConditionalRequestConflict"}
    body = clients[0].get_object(Bucket=bucket, Key="mp-race")["Body"].read()
    assert body == f"upload {winners[0]}".encode()
    left = {u["UploadId"] for u in clients[0].list_multipart_uploads(Bucket=bucket).get("Uploads", [])}
    assert left == {uploads[i][0] for i in range(len(clients)) if i != winners[0]}


def test_not_modified_and_precondition_failed_carry_etag_and_last_modified(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="c", Body=b"x")
    head = s3.head_object(Bucket=bucket, Key="c")
    for call in (s3.get_object, s3.head_object):
        with pytest.raises(ClientError) as err:
            call(Bucket=bucket, Key="c", IfNoneMatch=put["ETag"])
        headers = err.value.response["ResponseMetadata"]["HTTPHeaders"]
        assert status(err.value) == 304
        assert headers["etag"] == put["ETag"]
        assert headers["last-modified"] == head["ResponseMetadata"]["HTTPHeaders"]["last-modified"]
        with pytest.raises(ClientError) as err:
            call(Bucket=bucket, Key="c", IfMatch='"0123456789abcdef0123456789abcdef"')
        headers = err.value.response["ResponseMetadata"]["HTTPHeaders"]
        assert status(err.value) == 412
        assert headers["etag"] == put["ETag"]
        assert "last-modified" in headers


def _signed_headers(gateway, method: str, url: str, headers: dict[str, str]) -> dict[str, str]:
    request = AWSRequest(method, url, headers={**headers, "x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    SigV4Auth(Credentials(gateway.access_key, gateway.secret_key), "s3", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def test_condition_lost_while_streaming_is_a_conflict(gateway, s3, bucket):
    """The condition held when the PUT began; a racing writer committed while it streamed: 409."""
    data = b"s" * 100_000
    path = f"/{bucket}/k"
    headers = _signed_headers(
        gateway, "PUT", gateway.url + path, {"If-None-Match": "*", "Content-Length": str(len(data))}
    )
    conn = http.client.HTTPConnection("127.0.0.1", urlsplit(gateway.url).port, timeout=30)
    conn.putrequest("PUT", path, skip_accept_encoding=True)
    for name, value in headers.items():
        conn.putheader(name, value)
    conn.endheaders()
    conn.send(data[:1000])  # the precheck passes: no object yet
    time.sleep(0.5)
    s3.put_object(Bucket=bucket, Key="k", Body=b"fast", IfNoneMatch="*")
    conn.send(data[1000:])
    response = conn.getresponse()
    body = response.read().decode()
    assert response.status == 409, body
    assert "<Code>ConditionalRequestConflict</Code>" in body
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"fast"


def test_awscli_conditional_writes_and_reads(gateway, bucket, tmp_path):
    """`aws s3api put-object --if-none-match/--if-match` (aws-cli v1 in the venv; Debian's v2.9
    predates the flags) and a conditional get-object, as a CLI user meets them."""
    body = tmp_path / "body.txt"
    body.write_text("first")
    create = ("s3api", "put-object", "--bucket", bucket, "--key", "k", "--body", str(body))
    put = json.loads(run(gateway, V1, *create, "--if-none-match", "*").stdout)
    again = run(gateway, V1, *create, "--if-none-match", "*", check=False)
    assert again.returncode != 0 and "PreconditionFailed" in again.stderr
    stale = run(gateway, V1, *create, "--if-match", '"0123456789abcdef0123456789abcdef"', check=False)
    assert stale.returncode != 0 and "PreconditionFailed" in stale.stderr
    body.write_text("second")
    run(gateway, V1, *create, "--if-match", put["ETag"])
    out = tmp_path / "out.txt"
    got = run(
        gateway, V1, "s3api", "get-object", "--bucket", bucket, "--key", "k", "--if-none-match", put["ETag"], str(out)
    )
    assert got.returncode == 0 and out.read_text() == "second"  # the ETag changed: the object is sent
    current = json.loads(got.stdout)["ETag"]
    unchanged = run(
        gateway,
        V1,
        "s3api",
        "get-object",
        "--bucket",
        bucket,
        "--key",
        "k",
        "--if-none-match",
        current,
        str(out),
        check=False,
    )
    assert unchanged.returncode != 0 and "304" in unchanged.stderr
