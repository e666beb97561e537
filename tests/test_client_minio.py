"""minio-py (the MinIO Python SDK) against a live gateway, used the way its users call it.

minio-py asks GetBucketLocation before its first request to a bucket, signs every request
with SigV4 over the real payload hash, uploads in parts once a file exceeds ``part_size``
and batches deletes through DeleteObjects: each is a path the other clients do not take.
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from pathlib import Path

import pytest
import requests

minio = pytest.importorskip("minio", reason="minio-py is in the `test` extras: pip install -e '.[test]'")
from minio import Minio  # noqa: E402
from minio.commonconfig import REPLACE, CopySource  # noqa: E402
from minio.deleteobjects import DeleteObject  # noqa: E402
from minio.error import S3Error  # noqa: E402

MiB = 1024 * 1024
SPECIAL_KEYS = ["ünï côde/naïve file.txt", "odd/a+b %25 c#d?e.txt", "top level with space", "sp/ ", "deep/a/b/c/d.txt"]


@pytest.fixture(scope="module")
def mc(gateway) -> Minio:
    return Minio(
        f"127.0.0.1:{gateway.port}", access_key=gateway.access_key, secret_key=gateway.secret_key, secure=False
    )


@pytest.fixture
def mbucket(mc) -> str:
    name = f"mn-{uuid.uuid4().hex[:12]}"
    mc.make_bucket(name)
    return name


def file_sha(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(MiB), b""):
            digest.update(block)
    return digest.hexdigest()


def random_file(path: Path, size: int) -> Path:
    """Written a MiB at a time so the test never holds the whole file."""
    with open(path, "wb") as fh:
        left = size
        while left:
            step = min(MiB, left)
            fh.write(os.urandom(step))
            left -= step
    return path


def put_bytes(mc: Minio, bucket: str, key: str, data: bytes, **kw):
    return mc.put_object(bucket, key, io.BytesIO(data), len(data), **kw)


def read(mc: Minio, bucket: str, key: str, **kw) -> bytes:
    resp = mc.get_object(bucket, key, **kw)
    try:
        return resp.read()
    finally:
        resp.close()
        resp.release_conn()


def test_make_bucket_exists_list_remove(mc):
    name = f"mn-{uuid.uuid4().hex[:12]}"
    assert not mc.bucket_exists(name)
    mc.make_bucket(name)
    assert mc.bucket_exists(name)
    assert name in [b.name for b in mc.list_buckets()]
    mc.make_bucket(name)  # us-east-1: re-creating your own bucket is a 200 that changes nothing (as S3)
    assert mc.bucket_exists(name)
    mc.remove_bucket(name)
    assert not mc.bucket_exists(name)


def test_fput_fget_multipart(mc, mbucket, tmp_path):
    src = random_file(tmp_path / "big.bin", 12 * MiB + 12345)
    result = mc.fput_object(
        mbucket, "dir/big.bin", str(src), part_size=5 * MiB, metadata={"x-amz-meta-origin": "minio"}
    )
    assert result.etag.endswith("-3")  # 5 + 5 + 2 MiB parts
    stat = mc.stat_object(mbucket, "dir/big.bin")
    assert stat.size == src.stat().st_size
    assert stat.metadata.get("x-amz-meta-origin") == "minio"
    out = tmp_path / "out.bin"
    mc.fget_object(mbucket, "dir/big.bin", str(out))
    assert file_sha(out) == file_sha(src)
    part = read(mc, mbucket, "dir/big.bin", offset=5 * MiB - 3, length=10)
    with open(src, "rb") as fh:
        fh.seek(5 * MiB - 3)
        assert part == fh.read(10)


def test_list_recursive_and_not(mc, mbucket):
    for key in ["a.txt", "d1/x.txt", "d1/sub/y.txt", "d2/z.txt", "d2/"]:
        put_bytes(mc, mbucket, key, b"" if key.endswith("/") else key.encode())
    top = {(o.object_name, o.is_dir) for o in mc.list_objects(mbucket)}
    assert top == {("a.txt", False), ("d1/", True), ("d2/", True)}
    d1 = {(o.object_name, o.is_dir) for o in mc.list_objects(mbucket, prefix="d1/")}
    assert d1 == {("d1/x.txt", False), ("d1/sub/", True)}
    every = [o.object_name for o in mc.list_objects(mbucket, recursive=True)]
    assert every == sorted(["a.txt", "d1/x.txt", "d1/sub/y.txt", "d2/z.txt", "d2/"])
    v1 = [o.object_name for o in mc.list_objects(mbucket, recursive=True, use_api_v1=True)]
    assert v1 == every
    sizes = {o.object_name: o.size for o in mc.list_objects(mbucket, prefix="d2/", recursive=True)}
    assert sizes == {"d2/": 0, "d2/z.txt": 8}


def test_special_keys_empty_and_folder_marker(mc, mbucket):
    for key in SPECIAL_KEYS:
        put_bytes(mc, mbucket, key, key.encode())
    put_bytes(mc, mbucket, "empty.bin", b"")
    put_bytes(mc, mbucket, "folder/", b"")
    names = {o.object_name for o in mc.list_objects(mbucket, recursive=True)}
    assert names == {*SPECIAL_KEYS, "empty.bin", "folder/"}
    for key in SPECIAL_KEYS:
        assert read(mc, mbucket, key) == key.encode()
    assert read(mc, mbucket, "empty.bin") == b""
    assert mc.stat_object(mbucket, "folder/").size == 0


def test_copy_object_and_metadata_replace(mc, mbucket):
    put_bytes(mc, mbucket, "src/ü +%.txt", b"copy me", metadata={"x-amz-meta-k": "v"}, content_type="text/plain")
    mc.copy_object(mbucket, "dst/copy.txt", CopySource(mbucket, "src/ü +%.txt"))
    assert read(mc, mbucket, "dst/copy.txt") == b"copy me"
    stat = mc.stat_object(mbucket, "dst/copy.txt")
    assert stat.content_type == "text/plain" and stat.metadata.get("x-amz-meta-k") == "v"
    mc.copy_object(
        mbucket,
        "dst/replaced.txt",
        CopySource(mbucket, "src/ü +%.txt"),
        metadata={"x-amz-meta-k": "new"},
        metadata_directive=REPLACE,
    )
    assert mc.stat_object(mbucket, "dst/replaced.txt").metadata.get("x-amz-meta-k") == "new"


def test_remove_object_and_remove_objects(mc, mbucket):
    keys = [f"batch/{i}.txt" for i in range(25)] + ["batch/ü #?.txt"]
    for key in keys:
        put_bytes(mc, mbucket, key, b"x")
    mc.remove_object(mbucket, keys[0])
    errors = list(mc.remove_objects(mbucket, [DeleteObject(k) for k in keys[1:]] + [DeleteObject("never/was")]))
    assert errors == []
    assert list(mc.list_objects(mbucket, recursive=True)) == []
    with pytest.raises(S3Error) as err:
        mc.stat_object(mbucket, keys[5])
    assert err.value.code == "NoSuchKey"


def test_presigned_get_and_put(mc, mbucket):
    key = "pre signed/ü+%.txt"
    put_url = mc.presigned_put_object(mbucket, key)
    assert requests.put(put_url, data=b"via presigned put").status_code == 200
    get_url = mc.presigned_get_object(mbucket, key)
    resp = requests.get(get_url)
    assert resp.status_code == 200 and resp.content == b"via presigned put"
    tampered = get_url[:-1] + ("0" if get_url[-1] != "0" else "1")  # flip the signature's last digit
    assert requests.get(tampered).status_code == 403


def test_missing_bucket_and_key_errors(mc, mbucket):
    with pytest.raises(S3Error) as err:
        read(mc, mbucket, "no/such/key")
    assert err.value.code == "NoSuchKey"
    with pytest.raises(S3Error) as err:
        list(mc.list_objects(f"nope-{uuid.uuid4().hex[:8]}"))
    assert err.value.code == "NoSuchBucket"
