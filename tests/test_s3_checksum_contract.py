"""The checksum contract of multipart uploads and browser forms, as the S3 user guide's
"Checking object integrity" states it: which algorithm takes which checksum type, full-object
CRCs combined from the parts, composite `-N` checksums of the part checksums, and the checksum
type reported by every read."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import zlib

import pytest
import requests
from awscrt import checksums as crt
from botocore.exceptions import ClientError
from conftest import boto_client
from test_awscli import V1, run

MiB = 1024 * 1024


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def whole(alg: str, data: bytes) -> bytes:
    """The checksum of the whole object, computed here without the gateway's code."""
    if alg == "CRC32":
        return zlib.crc32(data).to_bytes(4, "big")
    if alg == "CRC32C":
        return crt.crc32c(data).to_bytes(4, "big")
    if alg == "CRC64NVME":
        return crt.crc64nvme(data).to_bytes(8, "big")
    return hashlib.new(alg.lower(), data).digest()


def code_of(exc_info) -> tuple[int, str]:
    response = exc_info.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


@pytest.mark.parametrize(
    ("algorithm", "kind", "allowed"),
    [
        ("CRC32", "FULL_OBJECT", True),
        ("CRC32", "COMPOSITE", True),
        ("CRC32C", "FULL_OBJECT", True),
        ("CRC32C", "COMPOSITE", True),
        ("CRC64NVME", "FULL_OBJECT", True),
        ("CRC64NVME", "COMPOSITE", False),
        ("SHA1", "COMPOSITE", True),
        ("SHA1", "FULL_OBJECT", False),
        ("SHA256", "COMPOSITE", True),
        ("SHA256", "FULL_OBJECT", False),
    ],
)
def test_which_algorithm_takes_which_type(s3, bucket, algorithm, kind, allowed):
    if not allowed:
        with pytest.raises(ClientError) as exc:
            s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm=algorithm, ChecksumType=kind)
        assert code_of(exc) == (400, "InvalidRequest")
        assert kind in exc.value.response["Error"]["Message"]
        assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)
        return
    made = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm=algorithm, ChecksumType=kind)
    assert (made["ChecksumAlgorithm"], made["ChecksumType"]) == (algorithm, kind)


@pytest.mark.parametrize(
    ("algorithm", "default"), [("CRC64NVME", "FULL_OBJECT"), ("CRC32", "COMPOSITE"), ("SHA256", "COMPOSITE")]
)
def test_the_type_defaults_per_algorithm(s3, bucket, algorithm, default):
    made = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm=algorithm)
    assert made["ChecksumType"] == default


def test_a_type_without_an_algorithm_is_refused(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumType="FULL_OBJECT")
    assert code_of(exc) == (400, "InvalidRequest")


def _upload(s3, bucket, key, pieces, algorithm, kind):
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm=algorithm, ChecksumType=kind)
    listed = []
    for number, piece in enumerate(pieces, 1):
        part = s3.upload_part(
            Bucket=bucket,
            Key=key,
            UploadId=upload["UploadId"],
            PartNumber=number,
            Body=piece,
            ChecksumAlgorithm=algorithm,
        )
        listed.append(
            {"PartNumber": number, "ETag": part["ETag"], f"Checksum{algorithm}": part[f"Checksum{algorithm}"]}
        )
    return upload["UploadId"], listed


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME"])
def test_full_object_crcs_are_the_crc_of_the_whole_object(s3, bucket, algorithm):
    pieces = [os.urandom(5 * MiB), os.urandom(5 * MiB + 17), os.urandom(1234)]
    expected = b64(whole(algorithm, b"".join(pieces)))
    upload, listed = _upload(s3, bucket, "full", pieces, algorithm, "FULL_OBJECT")
    field = f"Checksum{algorithm}"
    with pytest.raises(ClientError) as exc:  # a wrong whole-object value is refused, the upload kept
        s3.complete_multipart_upload(
            Bucket=bucket, Key="full", UploadId=upload, MultipartUpload={"Parts": listed}, **{field: b64(b"\0" * 4)}
        )
    assert code_of(exc) == (400, "BadDigest")
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="full",
        UploadId=upload,
        MultipartUpload={"Parts": listed},
        ChecksumType="FULL_OBJECT",
        **{field: expected},
    )
    assert (done[field], done["ChecksumType"]) == (expected, "FULL_OBJECT")
    head = s3.head_object(Bucket=bucket, Key="full", ChecksumMode="ENABLED")
    assert (head[field], head["ChecksumType"]) == (expected, "FULL_OBJECT")
    got = s3.get_object(Bucket=bucket, Key="full", ChecksumMode="ENABLED")
    assert (got[field], got["ChecksumType"]) == (expected, "FULL_OBJECT")
    assert got["Body"].read() == b"".join(pieces)
    attrs = s3.get_object_attributes(Bucket=bucket, Key="full", ObjectAttributes=["Checksum", "ObjectParts"])
    assert attrs["Checksum"] == {field: expected, "ChecksumType": "FULL_OBJECT"}
    assert [p[field] for p in attrs["ObjectParts"]["Parts"]] == [b64(whole(algorithm, p)) for p in pieces]


@pytest.mark.parametrize("algorithm", ["SHA1", "SHA256", "CRC32", "CRC32C"])
def test_composite_checksums_are_the_checksum_of_the_part_checksums(s3, bucket, algorithm):
    pieces = [os.urandom(5 * MiB), os.urandom(999)]
    part_digests = [whole(algorithm, p) for p in pieces]
    expected = f"{b64(whole(algorithm, b''.join(part_digests)))}-{len(pieces)}"
    upload, listed = _upload(s3, bucket, "comp", pieces, algorithm, "COMPOSITE")
    field = f"Checksum{algorithm}"
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="comp", UploadId=upload, MultipartUpload={"Parts": listed}, **{field: expected[1:]}
        )
    assert code_of(exc) == (400, "BadDigest")
    done = s3.complete_multipart_upload(  # the composite value is accepted without its "-N" too
        Bucket=bucket, Key="comp", UploadId=upload, MultipartUpload={"Parts": listed}, **{field: expected.split("-")[0]}
    )
    assert (done[field], done["ChecksumType"]) == (expected, "COMPOSITE")
    head = s3.head_object(Bucket=bucket, Key="comp", ChecksumMode="ENABLED")
    assert (head[field], head["ChecksumType"]) == (expected, "COMPOSITE")
    attrs = s3.get_object_attributes(Bucket=bucket, Key="comp", ObjectAttributes=["Checksum", "ObjectParts"])
    assert attrs["Checksum"] == {field: expected, "ChecksumType": "COMPOSITE"}
    assert attrs["ObjectParts"]["TotalPartsCount"] == 2


def test_complete_with_another_checksum_type_is_bad_digest(s3, bucket):
    upload, listed = _upload(s3, bucket, "t", [os.urandom(100)], "CRC32", "COMPOSITE")
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="t", UploadId=upload, MultipartUpload={"Parts": listed}, ChecksumType="FULL_OBJECT"
        )
    assert code_of(exc) == (400, "BadDigest")
    s3.complete_multipart_upload(Bucket=bucket, Key="t", UploadId=upload, MultipartUpload={"Parts": listed})


def test_put_object_checksums_are_full_object(s3, bucket):
    for algorithm in ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"):
        data = os.urandom(1000)
        put = s3.put_object(Bucket=bucket, Key=algorithm, Body=data, ChecksumAlgorithm=algorithm)
        expected = b64(whole(algorithm, data))
        assert (put[f"Checksum{algorithm}"], put["ChecksumType"]) == (expected, "FULL_OBJECT")
        attrs = s3.get_object_attributes(Bucket=bucket, Key=algorithm, ObjectAttributes=["Checksum"])
        assert attrs["Checksum"] == {f"Checksum{algorithm}": expected, "ChecksumType": "FULL_OBJECT"}


# ------------------------------------------------------------------ browser forms


@pytest.fixture(scope="module")
def s3v4(gateway):
    return boto_client(gateway, signature_version="s3v4")


def _form(s3v4, bucket, key, fields):
    conditions = [{name: value} for name, value in fields.items()]
    return s3v4.generate_presigned_post(bucket, key, Fields=fields, Conditions=conditions, ExpiresIn=300)


def test_browser_form_checksum_fields(s3v4, s3, bucket):
    data = b"form bytes with a checksum"
    crc = b64(whole("CRC32", data))
    form = _form(s3v4, bucket, "crc.txt", {"x-amz-checksum-crc32": crc})
    assert requests.post(form["url"], data=form["fields"], files={"file": ("f", data)}).status_code == 204
    head = s3.head_object(Bucket=bucket, Key="crc.txt", ChecksumMode="ENABLED")
    assert (head["ChecksumCRC32"], head["ChecksumType"]) == (crc, "FULL_OBJECT")

    form = _form(s3v4, bucket, "wrong.txt", {"x-amz-checksum-crc32": b64(b"\0\0\0\0")})
    resp = requests.post(form["url"], data=form["fields"], files={"file": ("f", data)})
    assert resp.status_code == 400 and b"<Code>BadDigest</Code>" in resp.content

    form = _form(s3v4, bucket, "sha.txt", {"x-amz-checksum-algorithm": "SHA256"})
    assert requests.post(form["url"], data=form["fields"], files={"file": ("f", data)}).status_code == 204
    head = s3.head_object(Bucket=bucket, Key="sha.txt", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == b64(hashlib.sha256(data).digest())

    form = _form(s3v4, bucket, "sneaky.txt", {})  # a checksum field the policy does not name
    fields = dict(form["fields"], **{"x-amz-checksum-crc32": crc})
    resp = requests.post(form["url"], data=fields, files={"file": ("f", data)})
    assert resp.status_code == 403 and b"Extra input fields: x-amz-checksum-crc32" in resp.content
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["crc.txt", "sha.txt"]


def test_aws_cli_checksum_types(gateway, bucket, tmp_path):
    """`aws s3api` with --checksum-algorithm/--checksum-type and head-object --checksum-mode, as a
    CLI user meets the contract (aws-cli v1 in the venv; Debian's v2.9 predates CRC64NVME)."""
    data = os.urandom(1000)
    body = tmp_path / "body.bin"
    body.write_bytes(data)
    crc = b64(whole("CRC64NVME", data))
    put = json.loads(
        run(
            gateway,
            V1,
            "s3api",
            "put-object",
            "--bucket",
            bucket,
            "--key",
            "k",
            "--body",
            str(body),
            "--checksum-algorithm",
            "CRC64NVME",
        ).stdout
    )
    assert (put["ChecksumCRC64NVME"], put["ChecksumType"]) == (crc, "FULL_OBJECT")
    head = json.loads(
        run(gateway, V1, "s3api", "head-object", "--bucket", bucket, "--key", "k", "--checksum-mode", "ENABLED").stdout
    )
    assert (head["ChecksumCRC64NVME"], head["ChecksumType"]) == (crc, "FULL_OBJECT")
    made = json.loads(
        run(
            gateway,
            V1,
            "s3api",
            "create-multipart-upload",
            "--bucket",
            bucket,
            "--key",
            "m",
            "--checksum-algorithm",
            "CRC32",
            "--checksum-type",
            "FULL_OBJECT",
        ).stdout
    )
    assert (made["ChecksumAlgorithm"], made["ChecksumType"]) == ("CRC32", "FULL_OBJECT")
    refused = run(
        gateway,
        V1,
        "s3api",
        "create-multipart-upload",
        "--bucket",
        bucket,
        "--key",
        "m",
        "--checksum-algorithm",
        "SHA256",
        "--checksum-type",
        "FULL_OBJECT",
        check=False,
    )
    assert refused.returncode != 0 and "InvalidRequest" in refused.stderr
