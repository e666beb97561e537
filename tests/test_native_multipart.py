"""Native multipart uploads, and S3 multipart seen natively."""

import hashlib
import os
import time

from botocore.exceptions import ClientError
from native_helpers import expect_error, full_hash, native, nbucket, npackage  # noqa: F401  (fixtures)

BOTH_ENGINES = True  # the gateway fixture runs on SQLite and on PostgreSQL (conftest.ENGINES)

MiB = 1024 * 1024


def s3_keys(s3, bucket):
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_native_multipart_round_trip(native, s3, nbucket, npackage):
    pending = native.new_multipart_upload(npackage["packageID"], "obj.txt")
    assert pending["redundancy"] == {"type": "multipartUpload"}
    assert pending["size"] == "0" and pending["fileHash"] == "Full" + "0" * 64
    # visible to the native query interface, invisible to S3
    assert [o["objectID"] for o in native.package_objects(npackage["packageID"])] == [pending["objectID"]]
    assert (
        native.list_by_path(npackage["packageID"], "obj.txt")["objects"][0]["redundancy"]["type"] == "multipartUpload"
    )
    assert s3_keys(s3, nbucket["name"]) == ["pkg/"]
    try:
        s3.head_object(Bucket=nbucket["name"], Key="pkg/obj.txt")
        raise AssertionError("pending upload visible through S3")
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "404"
    expect_error("BadArgument", 400, native.download, pending["objectID"])

    parts = {1: b"first-", 2: b"second-", 3: b"third-"}
    native.upload_part(pending["objectID"], 1, b"to be replaced")
    for index, data in parts.items():
        native.upload_part(pending["objectID"], index, data)
    native.upload_part(pending["objectID"], 9, b"never used")
    done = native.complete_multipart_upload(pending["objectID"], [2, 3, 1, 1])
    expected = parts[2] + parts[3] + parts[1] + parts[1]
    assert done["objectID"] == pending["objectID"] and done["redundancy"] == {"type": "none"}
    assert done["size"] == str(len(expected)) and done["fileHash"] == full_hash(expected)
    assert done["createTime"] == pending["createTime"]
    assert native.download(done["objectID"]) == expected
    got = s3.get_object(Bucket=nbucket["name"], Key="pkg/obj.txt")
    assert got["Body"].read() == expected and got["ETag"] == f'"{hashlib.md5(expected).hexdigest()}"'
    # the upload is over: more parts or another completion are refused
    expect_error("DataNotFound", 404, native.upload_part, done["objectID"], 4, b"late")
    expect_error("DataNotFound", 404, native.complete_multipart_upload, done["objectID"], [1])


def test_unsigned_payload_part(native, npackage):
    pending = native.new_multipart_upload(npackage["packageID"], "u.bin")
    native.upload_part(pending["objectID"], 0, b"zero", payload="unsigned")
    native.upload_part(pending["objectID"], 1, b"one", payload="hash")
    assert native.download(native.complete_multipart_upload(pending["objectID"], [0, 1])["objectID"]) == b"zeroone"


def test_multipart_errors(native, s3, nbucket, npackage):
    pending = native.new_multipart_upload(npackage["packageID"], "e.bin")
    native.upload_part(pending["objectID"], 1, b"x")
    expect_error("BadArgument", 400, native.complete_multipart_upload, pending["objectID"], [1, 2])
    expect_error("BadArgument", 400, native.complete_multipart_upload, pending["objectID"], [])
    expect_error("BadArgument", 400, native.upload_part, pending["objectID"], -1, b"x")
    expect_error("BadArgument", 400, native.upload_part, pending["objectID"], 10001, b"x")
    expect_error("DataNotFound", 404, native.upload_part, 987654321, 1, b"x")
    expect_error("DataNotFound", 404, native.complete_multipart_upload, 987654321, [1])
    expect_error("DataNotFound", 404, native.new_multipart_upload, 987654321, "x")
    expect_error("BadArgument", 400, native.new_multipart_upload, npackage["packageID"], "../x")
    # a committed object is never hidden by a new upload of its path
    native.upload(npackage["packageID"], [("exists.txt", b"keep")])
    expect_error("DataExists", 409, native.new_multipart_upload, npackage["packageID"], "exists.txt")
    assert s3.get_object(Bucket=nbucket["name"], Key="pkg/exists.txt")["Body"].read() == b"keep"
    # restarting a pending upload of the same path drops its old parts
    again = native.new_multipart_upload(npackage["packageID"], "e.bin")
    assert again["objectID"] == pending["objectID"]
    expect_error("BadArgument", 400, native.complete_multipart_upload, pending["objectID"], [1])
    # a part request without its file part
    resp = native.request(
        "POST",
        "/v1/object/uploadPart",
        body=(
            b'--B\r\nContent-Disposition: form-data; name="info"\r\n\r\n'
            + f'{{"objectID": {pending["objectID"]}, "index": 1}}'.encode()
            + b"\r\n--B--\r\n"
        ),
        headers={"Content-Type": "multipart/form-data; boundary=B"},
    )
    assert (resp.status_code, resp.json()["code"]) == (400, "BadArgument")


def test_delete_pending_upload(native, npackage):
    pending = native.new_multipart_upload(npackage["packageID"], "gone.bin")
    native.upload_part(pending["objectID"], 1, b"part")
    native.delete([pending["objectID"]])
    assert native.package_objects(npackage["packageID"]) == []
    expect_error("DataNotFound", 404, native.upload_part, pending["objectID"], 2, b"x")


def test_s3_overwrite_of_pending_path_wins(native, s3, nbucket, npackage):
    pending = native.new_multipart_upload(npackage["packageID"], "race.bin")
    native.upload_part(pending["objectID"], 1, b"native part")
    s3.put_object(Bucket=nbucket["name"], Key="pkg/race.bin", Body=b"s3 wins")
    expect_error("DataNotFound", 404, native.complete_multipart_upload, pending["objectID"], [1])
    assert s3.get_object(Bucket=nbucket["name"], Key="pkg/race.bin")["Body"].read() == b"s3 wins"


def test_s3_multipart_visible_natively(native, s3, nbucket, npackage):
    key = "pkg/big/s3mp.bin"
    parts = [os.urandom(5 * MiB), os.urandom(1234)]
    upload_id = s3.create_multipart_upload(Bucket=nbucket["name"], Key=key)["UploadId"]
    done = []
    for number, data in enumerate(parts, start=1):
        etag = s3.upload_part(Bucket=nbucket["name"], Key=key, UploadId=upload_id, PartNumber=number, Body=data)["ETag"]
        done.append({"PartNumber": number, "ETag": etag})
    # in progress: not an object anywhere
    assert native.package_objects(npackage["packageID"]) == []
    s3.complete_multipart_upload(Bucket=nbucket["name"], Key=key, UploadId=upload_id, MultipartUpload={"Parts": done})
    whole = b"".join(parts)
    objects = native.package_objects(npackage["packageID"])
    assert [(o["path"], o["size"]) for o in objects] == [("big/s3mp.bin", str(len(whole)))]
    # the whole-object digest is worked out right after the completion's answer (core/deferred_digest.py)
    assert objects[0]["fileHash"] in ("", full_hash(whole))
    deadline = time.monotonic() + 30
    while not objects[0]["fileHash"] and time.monotonic() < deadline:
        time.sleep(0.1)
        objects = native.package_objects(npackage["packageID"])
    assert objects[0]["fileHash"] == full_hash(whole)
    assert native.download(objects[0]["objectID"], offset=5 * MiB - 10, length=20) == whole[5 * MiB - 10 : 5 * MiB + 10]
