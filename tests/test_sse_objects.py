"""Encryption at rest through boto3 and aws-cli: SSE-S3, SSE-C and bucket default encryption on
PUT, GET, HEAD, ranged reads, copies, multipart uploads and versions; S3's answers to missing,
wrong and malformed keys; a tampered or truncated blob reported as corrupt."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import uuid

import pytest
import requests
from botocore.exceptions import ClientError
from conftest import boto_client, meta_url, metadata_bytes, start_gateway, stop_gateway
from sse_helpers import customer_key, error, local_blobs, sealed_size, ssec, ssec_headers

from gateway.core.sse.packages import PACKAGE, SEALED_PACKAGE

MIB = 1024 * 1024
KMS_KEY = base64.b64encode(b"k" * 32).decode()
BOTH_ENGINES = True  # salts are BLOB/BYTEA: the gateway runs on SQLite and on PostgreSQL (conftest.ENGINES)


@pytest.fixture(scope="module")
def gw(tmp_path_factory, meta_engine):
    env = {"JUNCTION_SSE_C_OVER_HTTP": "true", "JUNCTION_KMS_KEYS": f"test-kms-key={KMS_KEY}"}
    gateway = start_gateway(tmp_path_factory.mktemp(f"sse-{meta_engine}"), env=env, meta=meta_url(meta_engine))
    yield gateway
    stop_gateway(gateway)


@pytest.fixture(scope="module")
def s3(gw):
    return boto_client(gw)


@pytest.fixture
def bucket(s3):
    name = f"sse-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    return name


def blob_root(gw):
    return gw.data_dir / "blobs"


def new_blobs(gw, before: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in local_blobs(blob_root(gw)).items() if k not in before}


def test_sse_s3_put_get_head_store_only_ciphertext(gw, s3, bucket):
    data = os.urandom(3 * PACKAGE + 123)
    before = local_blobs(blob_root(gw))
    put = s3.put_object(Bucket=bucket, Key="a", Body=data, ServerSideEncryption="AES256")
    assert put["ServerSideEncryption"] == "AES256"
    assert put["ETag"].strip('"') == hashlib.md5(data).hexdigest()  # SSE-S3 keeps the MD5 ETag
    [stored] = new_blobs(gw, before).values()
    assert len(stored) == sealed_size(len(data))
    assert data[:64] not in stored and data[-64:] not in stored
    got = s3.get_object(Bucket=bucket, Key="a")
    assert got["Body"].read() == data and got["ServerSideEncryption"] == "AES256"
    head = s3.head_object(Bucket=bucket, Key="a")
    assert head["ContentLength"] == len(data) and head["ServerSideEncryption"] == "AES256"
    plain = s3.put_object(Bucket=bucket, Key="p", Body=b"plain")
    assert "ServerSideEncryption" not in plain and "ServerSideEncryption" not in s3.head_object(Bucket=bucket, Key="p")


def test_sse_c_round_trip_never_stores_the_key_and_answers_as_s3(gw, s3, bucket):
    key, data = customer_key(), os.urandom(100_000)
    before = local_blobs(blob_root(gw))
    put = s3.put_object(Bucket=bucket, Key="c", Body=data, **ssec(key))
    md5 = base64.b64encode(hashlib.md5(key).digest()).decode()
    assert (put["SSECustomerAlgorithm"], put["SSECustomerKeyMD5"]) == ("AES256", md5)
    assert "ServerSideEncryption" not in put
    assert put["ETag"].strip('"') != hashlib.md5(data).hexdigest()  # SSE-C: not the MD5 of the data
    [stored] = new_blobs(gw, before).values()
    assert data[:64] not in stored
    db = metadata_bytes(gw)
    assert key not in db and base64.b64encode(key) not in db and md5.encode() not in db
    got = s3.get_object(Bucket=bucket, Key="c", **ssec(key))
    assert got["Body"].read() == data and got["SSECustomerKeyMD5"] == md5
    head = s3.head_object(Bucket=bucket, Key="c", **ssec(key))
    assert head["ContentLength"] == len(data) and head["ETag"] == put["ETag"]
    for call in (lambda: s3.get_object(Bucket=bucket, Key="c"), lambda: s3.head_object(Bucket=bucket, Key="c")):
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc)[0] == 400  # InvalidRequest (HEAD has no body to name it)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="c")
    assert error(exc) == (400, "InvalidRequest")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="c", **ssec(customer_key()))
    assert error(exc) == (403, "AccessDenied")
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="c", **ssec(customer_key()))
    assert error(exc)[0] == 403
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="plain", **ssec(key))
    assert error(exc) == (400, "InvalidRequest")


CUSTOMER = "x-amz-server-side-encryption-customer-"


@pytest.mark.parametrize(
    "change, expected",
    [
        ({CUSTOMER + "key-MD5": base64.b64encode(b"0" * 16).decode()}, "InvalidArgument"),
        ({CUSTOMER + "algorithm": "AES128"}, "InvalidEncryptionAlgorithmError"),
        ({CUSTOMER + "key": base64.b64encode(b"short").decode()}, "InvalidArgument"),
        ({CUSTOMER + "key": "not base64!"}, "InvalidArgument"),
        ({CUSTOMER + "key-MD5": None}, "InvalidArgument"),
        ({CUSTOMER + "algorithm": None}, "InvalidArgument"),
        ({"x-amz-server-side-encryption": "AES256"}, "InvalidArgument"),  # SSE-C and SSE-S3 at once
    ],
)
def test_malformed_sse_c_headers_are_refused(gw, s3, bucket, change, expected):
    headers = ssec_headers(customer_key())
    for name, value in change.items():
        if value is None:
            headers.pop(name)
        else:
            headers[name] = value
    response = signed(gw, "PUT", f"{gw.url}/{bucket}/bad", headers, b"data")
    assert response.status_code == 400 and f"<Code>{expected}</Code>".encode() in response.content
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="bad")


def test_bad_sse_header_values(gw, s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="AES512")
    assert error(exc) == (400, "InvalidArgument")
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="AES256")
    url = f"{gw.url}/{bucket}/k"  # S3 refuses x-amz-server-side-encryption on a GET
    response = signed(gw, "GET", url, {"x-amz-server-side-encryption": "AES256"})
    assert response.status_code == 400 and b"<Code>InvalidArgument</Code>" in response.content


def signed(gw, method: str, url: str, headers: dict[str, str], body: bytes = b"") -> requests.Response:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method, url, data=body, headers={**headers, "x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    SigV4Auth(Credentials(gw.access_key, gw.secret_key), "s3", "us-east-1").add_auth(request)
    return requests.request(method, url, headers=dict(request.headers), data=body, stream=True, timeout=30)


@pytest.mark.parametrize("mode", ["sse-s3", "sse-c"])
def test_ranged_reads_open_only_what_they_cover(s3, bucket, mode):
    key = customer_key()
    extra = ssec(key) if mode == "sse-c" else {"ServerSideEncryption": "AES256"}
    read = ssec(key) if mode == "sse-c" else {}
    data = os.urandom(5 * PACKAGE + 999)
    s3.put_object(Bucket=bucket, Key="r", Body=data, **extra)
    for start, end in [(0, 0), (PACKAGE - 1, PACKAGE), (100, 3 * PACKAGE + 5), (len(data) - 1, len(data) - 1)]:
        got = s3.get_object(Bucket=bucket, Key="r", Range=f"bytes={start}-{end}", **read)
        assert got["Body"].read() == data[start : end + 1]
        assert got["ContentRange"] == f"bytes {start}-{end}/{len(data)}"
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=-10", **read)["Body"].read() == data[-10:]


def test_empty_objects_encrypt_too(s3, bucket):
    key = customer_key()
    s3.put_object(Bucket=bucket, Key="e1", Body=b"", ServerSideEncryption="AES256")
    s3.put_object(Bucket=bucket, Key="e2", Body=b"", **ssec(key))
    assert s3.get_object(Bucket=bucket, Key="e1")["Body"].read() == b""
    assert s3.get_object(Bucket=bucket, Key="e2", **ssec(key))["Body"].read() == b""


def upload(s3, bucket, key, pieces, create=None, part=None):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, **(create or {}))["UploadId"]
    parts = []
    for number, piece in enumerate(pieces, 1):
        answer = s3.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=piece, **(part or {})
        )
        parts.append({"PartNumber": number, "ETag": answer["ETag"]})
    return upload_id, parts


def test_multipart_sse_c_every_part_needs_the_same_key(s3, bucket):
    key = customer_key()
    pieces = [os.urandom(5 * MIB), os.urandom(70_000)]
    created = s3.create_multipart_upload(Bucket=bucket, Key="m", **ssec(key))
    assert created["SSECustomerAlgorithm"] == "AES256"
    upload_id = created["UploadId"]
    with pytest.raises(ClientError) as exc:
        s3.upload_part(Bucket=bucket, Key="m", UploadId=upload_id, PartNumber=1, Body=pieces[0])
    assert error(exc) == (400, "InvalidRequest")
    with pytest.raises(ClientError) as exc:
        s3.upload_part(Bucket=bucket, Key="m", UploadId=upload_id, PartNumber=1, Body=pieces[0], **ssec(customer_key()))
    assert error(exc) == (400, "InvalidRequest")
    parts = []
    for number, piece in enumerate(pieces, 1):
        answer = s3.upload_part(Bucket=bucket, Key="m", UploadId=upload_id, PartNumber=number, Body=piece, **ssec(key))
        assert answer["ETag"].strip('"') != hashlib.md5(piece).hexdigest()
        assert answer["SSECustomerAlgorithm"] == "AES256"
        parts.append({"PartNumber": number, "ETag": answer["ETag"]})
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="m", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )  # no key needed to complete, as in S3
    assert done["ETag"].endswith('-2"')
    assert s3.get_object(Bucket=bucket, Key="m", **ssec(key))["Body"].read() == b"".join(pieces)
    second = s3.get_object(Bucket=bucket, Key="m", PartNumber=2, **ssec(key))
    assert second["Body"].read() == pieces[1]
    ranged = s3.get_object(Bucket=bucket, Key="m", Range=f"bytes={5 * MIB - 10}-{5 * MIB + 10}", **ssec(key))
    assert ranged["Body"].read() == b"".join(pieces)[5 * MIB - 10 : 5 * MIB + 11]
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="m")
    assert error(exc) == (400, "InvalidRequest")


def test_multipart_sse_s3_with_an_upload_part_copy_from_an_sse_c_source(s3, bucket):
    source_key = customer_key()
    source = os.urandom(6 * MIB)
    s3.put_object(Bucket=bucket, Key="src", Body=source, **ssec(source_key))
    created = s3.create_multipart_upload(Bucket=bucket, Key="m", ServerSideEncryption="AES256")
    assert created["ServerSideEncryption"] == "AES256"
    upload_id = created["UploadId"]
    with pytest.raises(ClientError) as exc:  # the source's key is required
        s3.upload_part_copy(
            Bucket=bucket, Key="m", UploadId=upload_id, PartNumber=1, CopySource={"Bucket": bucket, "Key": "src"}
        )
    assert error(exc) == (400, "InvalidRequest")
    copied = s3.upload_part_copy(
        Bucket=bucket,
        Key="m",
        UploadId=upload_id,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "src"},
        CopySourceRange=f"bytes=0-{5 * MIB - 1}",
        **ssec(source_key, copy_source=True),
    )
    tail = os.urandom(1000)
    last = s3.upload_part(Bucket=bucket, Key="m", UploadId=upload_id, PartNumber=2, Body=tail)
    parts = [{"PartNumber": 1, "ETag": copied["CopyPartResult"]["ETag"]}, {"PartNumber": 2, "ETag": last["ETag"]}]
    assert copied["CopyPartResult"]["ETag"].strip('"') == hashlib.md5(source[: 5 * MIB]).hexdigest()
    s3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=upload_id, MultipartUpload={"Parts": parts})
    got = s3.get_object(Bucket=bucket, Key="m")
    assert got["ServerSideEncryption"] == "AES256"
    assert got["Body"].read() == source[: 5 * MIB] + tail


def test_copies_between_encryptions(gw, s3, bucket):
    one, two, data = customer_key(), customer_key(), os.urandom(200_000)
    s3.put_object(Bucket=bucket, Key="c1", Body=data, **ssec(one))
    src = {"Bucket": bucket, "Key": "c1"}
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="x", CopySource=src)
    assert error(exc) == (400, "InvalidRequest")
    # SSE-C -> SSE-C under another key: encrypted again; the old key opens nothing there
    copy = s3.copy_object(Bucket=bucket, Key="c2", CopySource=src, **ssec(one, copy_source=True), **ssec(two))
    assert copy["SSECustomerKeyMD5"] == base64.b64encode(hashlib.md5(two).digest()).decode()
    assert s3.get_object(Bucket=bucket, Key="c2", **ssec(two))["Body"].read() == data
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="c2", **ssec(one))
    assert error(exc) == (403, "AccessDenied")
    # SSE-C -> SSE-S3: the MD5 ETag again; SSE-S3 -> none: plain bytes, same ETag
    managed = s3.copy_object(
        Bucket=bucket, Key="s", CopySource=src, ServerSideEncryption="AES256", **ssec(one, copy_source=True)
    )
    assert managed["ServerSideEncryption"] == "AES256"
    assert managed["CopyObjectResult"]["ETag"].strip('"') == hashlib.md5(data).hexdigest()
    plain = s3.copy_object(Bucket=bucket, Key="p", CopySource={"Bucket": bucket, "Key": "s"})
    assert "ServerSideEncryption" not in plain
    assert s3.get_object(Bucket=bucket, Key="p")["Body"].read() == data
    # SSE-S3 -> SSE-S3 shares the blocks: no new blob
    before = local_blobs(blob_root(gw))
    s3.copy_object(Bucket=bucket, Key="s2", CopySource={"Bucket": bucket, "Key": "s"}, ServerSideEncryption="AES256")
    assert new_blobs(gw, before) == {}
    assert s3.get_object(Bucket=bucket, Key="s2")["Body"].read() == data
    # none -> SSE-C, and a copy onto itself that changes only the encryption is allowed
    s3.copy_object(Bucket=bucket, Key="p", CopySource={"Bucket": bucket, "Key": "p"}, **ssec(two))
    assert s3.get_object(Bucket=bucket, Key="p", **ssec(two))["Body"].read() == data


def test_bucket_default_encryption(gw, s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_encryption(Bucket=bucket)
    assert error(exc) == (404, "ServerSideEncryptionConfigurationNotFoundError")
    rule = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=rule)
    got = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert got["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    data = os.urandom(80_000)
    before = local_blobs(blob_root(gw))
    put = s3.put_object(Bucket=bucket, Key="d", Body=data)
    assert put["ServerSideEncryption"] == "AES256"
    [stored] = new_blobs(gw, before).values()
    assert data[:64] not in stored
    assert s3.get_object(Bucket=bucket, Key="d")["Body"].read() == data
    upload_id, parts = upload(s3, bucket, "md", [b"q" * 100])
    s3.complete_multipart_upload(Bucket=bucket, Key="md", UploadId=upload_id, MultipartUpload={"Parts": parts})
    assert s3.head_object(Bucket=bucket, Key="md")["ServerSideEncryption"] == "AES256"
    key = customer_key()  # an explicit SSE-C key wins over the default
    s3.put_object(Bucket=bucket, Key="c", Body=b"c", **ssec(key))
    assert s3.get_object(Bucket=bucket, Key="c", **ssec(key))["Body"].read() == b"c"
    s3.delete_bucket_encryption(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_encryption(Bucket=bucket)
    assert error(exc)[0] == 404
    assert "ServerSideEncryption" not in s3.put_object(Bucket=bucket, Key="after", Body=b"x")
    assert s3.get_object(Bucket=bucket, Key="d")["Body"].read() == data  # still readable


def test_sse_kms_needs_a_configured_key_id(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId="unknown")
    assert error(exc) == (501, "NotImplemented")
    rule = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "nope"}}]}
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=rule)
    assert error(exc) == (501, "NotImplemented")
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"kms", ServerSideEncryption="aws:kms", SSEKMSKeyId="test-kms-key")
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == ("aws:kms", "test-kms-key")
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"kms" and got["SSEKMSKeyId"] == "test-kms-key"


def test_versions_keep_their_encryption(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    key = customer_key()
    v1 = s3.put_object(Bucket=bucket, Key="v", Body=b"secret one", **ssec(key))["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="v", Body=b"plain two")["VersionId"]
    assert s3.get_object(Bucket=bucket, Key="v")["Body"].read() == b"plain two"
    assert s3.get_object(Bucket=bucket, Key="v", VersionId=v1, **ssec(key))["Body"].read() == b"secret one"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="v", VersionId=v1)
    assert error(exc) == (400, "InvalidRequest")
    s3.delete_object(Bucket=bucket, Key="v", VersionId=v2)  # v1 becomes current again, still SSE-C
    assert s3.get_object(Bucket=bucket, Key="v", **ssec(key))["Body"].read() == b"secret one"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="v")
    assert error(exc) == (400, "InvalidRequest")


def corrupt_blob(gw, before, action) -> None:
    [(name, stored)] = new_blobs(gw, before).items()
    path = blob_root(gw) / name
    path.write_bytes(action(bytearray(stored)))


def test_a_tampered_blob_is_reported_corrupt_before_headers_and_cut_after(gw, s3, bucket):
    data = os.urandom(4 * PACKAGE)
    before = local_blobs(blob_root(gw))
    s3.put_object(Bucket=bucket, Key="t", Body=data, ServerSideEncryption="AES256")

    def flip(at: int):
        def action(raw: bytearray) -> bytes:
            raw[at] ^= 0x01
            return bytes(raw)

        return action

    corrupt_blob(gw, before, flip(10))  # first package: known before the status line
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="t")
    assert error(exc) == (502, "CorruptedObject")
    assert (
        s3.get_object(Bucket=bucket, Key="t", Range=f"bytes={PACKAGE}-{PACKAGE + 9}")["Body"].read()
        == (
            data[PACKAGE : PACKAGE + 10]  # a range that avoids the damaged package still reads
        )
    )
    log_before = corrupt_lines(gw)
    before2 = local_blobs(blob_root(gw))
    s3.put_object(Bucket=bucket, Key="t2", Body=data, ServerSideEncryption="AES256")
    corrupt_blob(gw, before2, flip(3 * SEALED_PACKAGE + 5))  # a later package: after the headers
    response = signed(gw, "GET", f"{gw.url}/{bucket}/t2", {})
    assert response.status_code == 200
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        response.content  # noqa: B018  (the connection is cut short of Content-Length)
    assert corrupt_lines(gw) == log_before + 1  # logged once
    assert "connection cut" not in gw.log_path.read_text()


def corrupt_lines(gw) -> int:
    return sum('"logger": "junction.blobs"' in line and "integrity" in line for line in gw.log_path.open())


def test_a_truncated_blob_is_reported_corrupt(gw, s3, bucket):
    data = os.urandom(2 * PACKAGE + 10)
    before = local_blobs(blob_root(gw))
    s3.put_object(Bucket=bucket, Key="t", Body=data, ServerSideEncryption="AES256")
    corrupt_blob(gw, before, lambda raw: bytes(raw[: 2 * SEALED_PACKAGE]))
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="t", Range=f"bytes={2 * PACKAGE}-{2 * PACKAGE + 5}")
    assert error(exc) == (502, "CorruptedObject")
    intact = s3.get_object(Bucket=bucket, Key="t", Range=f"bytes={PACKAGE}-{PACKAGE + 5}")["Body"].read()
    assert intact == data[PACKAGE : PACKAGE + 6]  # what is left intact still reads
    response = signed(gw, "GET", f"{gw.url}/{bucket}/t", {})
    assert response.status_code == 200  # the first package opened: the status was sent
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        response.content  # noqa: B018


def test_aws_cli_sse_and_sse_c(gw, bucket, tmp_path):
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": gw.access_key,
        "AWS_SECRET_ACCESS_KEY": gw.secret_key,
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    aws = ["aws", "--endpoint-url", gw.url, "s3"]
    source, key_file = tmp_path / "in.bin", tmp_path / "key.bin"
    source.write_bytes(os.urandom(300_000))
    key_file.write_bytes(os.urandom(32))
    ssec_args = ["--sse-c", "AES256", "--sse-c-key", f"fileb://{key_file}"]
    run = lambda *args: subprocess.run([*aws, *args], env=env, capture_output=True, text=True, check=True)  # noqa: E731
    run("cp", str(source), f"s3://{bucket}/managed", "--sse", "AES256")
    run("cp", str(source), f"s3://{bucket}/customer", *ssec_args)
    run("cp", f"s3://{bucket}/managed", str(tmp_path / "m.out"))
    run("cp", f"s3://{bucket}/customer", str(tmp_path / "c.out"), *ssec_args)
    assert (tmp_path / "m.out").read_bytes() == source.read_bytes() == (tmp_path / "c.out").read_bytes()
    api = ["aws", "--endpoint-url", gw.url, "s3api", "head-object", "--bucket", bucket, "--key", "managed"]
    head = json.loads(subprocess.run(api, env=env, capture_output=True, text=True, check=True).stdout)
    assert head["ServerSideEncryption"] == "AES256"
    failed = subprocess.run([*aws, "cp", f"s3://{bucket}/customer", str(tmp_path / "x")], env=env, capture_output=True)
    assert failed.returncode != 0


def test_sse_kms_etags_are_not_the_md5_of_the_data(s3, bucket):
    """S3: objects PUT, POSTed or copied under SSE-C or SSE-KMS have ETags that are not the MD5 of
    their data (under SSE-S3 or in clear they are); the part ETags of an SSE-KMS upload neither."""
    data = os.urandom(70_000)
    md5 = hashlib.md5(data).hexdigest()
    kms = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "test-kms-key"}
    put = s3.put_object(Bucket=bucket, Key="k", Body=data, **kms)
    etag = put["ETag"].strip('"')
    assert len(etag) == 32 and etag != md5
    assert s3.head_object(Bucket=bucket, Key="k")["ETag"] == put["ETag"]
    assert s3.list_objects_v2(Bucket=bucket)["Contents"][0]["ETag"] == put["ETag"]
    s3.put_object(Bucket=bucket, Key="plain", Body=data)
    into_kms = s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "plain"}, **kms)
    assert into_kms["CopyObjectResult"]["ETag"].strip('"') not in (md5, etag)
    out_of_kms = s3.copy_object(
        Bucket=bucket, Key="d", CopySource={"Bucket": bucket, "Key": "k"}, ServerSideEncryption="AES256"
    )
    assert out_of_kms["CopyObjectResult"]["ETag"].strip('"') == md5  # SSE-S3: the MD5 again
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="m", **kms)["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="m", UploadId=upload_id, PartNumber=1, Body=data)
    assert part["ETag"].strip('"') != md5
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="m", UploadId=upload_id, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}
    )
    assert done["ETag"].endswith('-1"')
    assert s3.get_object(Bucket=bucket, Key="m")["Body"].read() == data
    rule = {
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "test-kms-key"}}]
    }
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=rule)
    by_default = s3.put_object(Bucket=bucket, Key="default", Body=data)
    assert by_default["ServerSideEncryption"] == "aws:kms" and by_default["ETag"].strip('"') != md5


def test_get_object_attributes_of_an_sse_c_object_needs_its_key(s3, bucket):
    """GetObjectAttributes of an SSE-C object takes the same three headers as GetObject."""
    key = customer_key()

    def as_sent(raw: bytes) -> dict[str, str]:  # boto3 leaves this operation's key for the caller to encode
        headers = ssec_headers(raw)
        return {
            "SSECustomerAlgorithm": "AES256",
            "SSECustomerKey": headers["x-amz-server-side-encryption-customer-key"],
            "SSECustomerKeyMD5": headers["x-amz-server-side-encryption-customer-key-MD5"],
        }

    put = s3.put_object(Bucket=bucket, Key="a", Body=b"secret bytes", **ssec(key))
    with pytest.raises(ClientError) as exc:
        s3.get_object_attributes(Bucket=bucket, Key="a", ObjectAttributes=["ETag", "ObjectSize"])
    assert error(exc) == (400, "InvalidRequest")
    with pytest.raises(ClientError) as exc:
        s3.get_object_attributes(Bucket=bucket, Key="a", ObjectAttributes=["ETag"], **as_sent(customer_key()))
    assert error(exc) == (403, "AccessDenied")
    got = s3.get_object_attributes(Bucket=bucket, Key="a", ObjectAttributes=["ETag", "ObjectSize"], **as_sent(key))
    assert (got["ETag"], got["ObjectSize"]) == (put["ETag"].strip('"'), 12)
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    with pytest.raises(ClientError) as exc:  # a key for an object stored without one: as GetObject answers
        s3.get_object_attributes(Bucket=bucket, Key="plain", ObjectAttributes=["ETag"], **as_sent(key))
    assert error(exc) == (400, "InvalidRequest")


def test_torrents_of_encrypted_objects(s3, bucket):
    """GetObjectTorrent hashes the plaintext of an SSE-S3 object; S3 makes no torrent of an
    SSE-C object (it would need the customer's key)."""
    data = os.urandom(300_000)
    s3.put_object(Bucket=bucket, Key="managed", Body=data, ServerSideEncryption="AES256")
    torrent = s3.get_object_torrent(Bucket=bucket, Key="managed")["Body"].read()
    first_piece = hashlib.sha1(data[: 256 * 1024]).digest()
    assert first_piece in torrent
    s3.put_object(Bucket=bucket, Key="customer", Body=data, **ssec(customer_key()))
    with pytest.raises(ClientError) as exc:
        s3.get_object_torrent(Bucket=bucket, Key="customer")
    assert error(exc) == (400, "InvalidRequest")


def test_browser_form_encryption_fields(gw, s3, bucket):
    """A POST form's x-amz-server-side-encryption(-aws-kms-key-id) and SSE-C fields encrypt the
    upload as the same headers of a PUT do (S3's POST Object); bad values store nothing."""
    s3v4 = boto_client(gw, signature_version="s3v4")
    key = customer_key()

    def post(name: str, fields: dict[str, str]) -> requests.Response:
        conditions = [{field: value} for field, value in fields.items()]
        form = s3v4.generate_presigned_post(bucket, name, Fields=fields, Conditions=conditions, ExpiresIn=300)
        return requests.post(form["url"], data=form["fields"], files={"file": ("f", b"form secret")})

    managed = post("managed", {"x-amz-server-side-encryption": "AES256"})
    assert managed.status_code == 204, managed.text
    assert managed.headers["x-amz-server-side-encryption"] == "AES256"
    assert s3.head_object(Bucket=bucket, Key="managed")["ServerSideEncryption"] == "AES256"
    kms = post(
        "kms",
        {"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": "test-kms-key"},
    )
    assert kms.status_code == 204, kms.text
    head = s3.head_object(Bucket=bucket, Key="kms")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", "test-kms-key")
    customer = post("customer", {name: value for name, value in ssec_headers(key).items()})
    assert customer.status_code == 204, customer.text
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="customer")
    assert error(exc)[0] == 400  # stored under the form's key: no read without it
    assert s3.get_object(Bucket=bucket, Key="customer", **ssec(key))["Body"].read() == b"form secret"
    bad = post("bad", {"x-amz-server-side-encryption": "AES128"})
    assert bad.status_code == 400 and "<Code>InvalidArgument</Code>" in bad.text
    assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]) == ["customer", "kms", "managed"]
    assert base64.b64encode(key).decode() not in gw.log_path.read_text()  # the form's key is never logged


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ([{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES128"}}], (400, "MalformedXML")),
        (
            [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": "test-kms-key"}}],
            (400, "InvalidArgument"),
        ),
        ([], (400, "MalformedXML")),
        ([{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}] * 2, (400, "MalformedXML")),
        ([{"BucketKeyEnabled": True}], (400, "MalformedXML")),
    ],
    ids=["unknown-algorithm", "kms-key-without-kms", "no-rule", "two-rules", "rule-without-default"],
)
def test_invalid_bucket_encryption_is_refused_and_changes_nothing(s3, bucket, rules, expected):
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": rules})
    assert error(exc) == expected
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_encryption(Bucket=bucket)
    assert error(exc) == (404, "ServerSideEncryptionConfigurationNotFoundError")
