"""A Local user space's file system failing, seen through the gateway: every failure is
answered in the front end's dialect with the right side's status, nothing written before is
lost, nothing half-written is left, and no failure is a 500 with a traceback.

- A full disk (ENOSPC) is the server's: 507 InsufficientStorage. The blob store is a small
  tmpfs mounted in the gateway's own mount namespace (`unshare`), so nothing else fills up.
- A file system that refuses the gateway (EACCES) is the server's: 503 ServiceUnavailable.
  The gateway runs as an unprivileged user (root reads and writes through any mode).
- A path the space cannot hold is the client's: 400. An S3 or native key never names a
  file (objects live in blobs under random keys), so these arise where a client names a
  space's paths: exporting a package (a name too long, a file where a directory stands) and
  importing one (a name too long).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from conftest import ROOT, boto_client, start_gateway, stop_gateway
from native_helpers import expect_error
from space_helpers import client, gw, local_space, root_of  # noqa: F401  (fixtures)

from gateway.client import NativeClient

AS_ROOT = os.geteuid() == 0
NOBODY = 65534
LONG_NAME = "n" * 300  # past every common file system's 255-byte name limit
KEPT = os.urandom(10_000)


def _unshare() -> list[str]:
    user = [] if AS_ROOT else ["--user", "--map-root-user"]
    return ["unshare", *user, "--mount", "--propagation", "private"]


def _mounts_work(tmp: Path) -> bool:
    probe = tmp / "probe"
    probe.mkdir()
    script = 'mount -t tmpfs -o size=64k tmpfs "$0"'
    try:
        return subprocess.run([*_unshare(), "sh", "-c", script, str(probe)], capture_output=True).returncode == 0
    except OSError:
        return False


def _runs_unprivileged() -> list[str] | None:
    """The command prefix that runs the gateway without root's power over modes, if any."""
    if not AS_ROOT:
        return []
    prefix = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    try:
        probe = subprocess.run([*prefix, sys.executable, "-c", "import gateway.cli"], cwd=ROOT, capture_output=True)
    except OSError:
        return None
    return prefix if probe.returncode == 0 else None


def _blob_files(gw) -> list[Path]:
    """The blob store's files as the gateway sees them (in its own mount namespace, if any)."""
    blobs = Path(f"/proc/{gw.process.pid}/root") / gw.data_dir.relative_to("/") / "blobs"
    return sorted(p for p in blobs.rglob("*") if p.is_file())


def _no_tracebacks(gw) -> None:
    assert "Traceback" not in gw.logs()


# ------------------------------------------------------------------ a full disk


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("full-disk")
    if not _mounts_work(tmp):
        pytest.skip("no mount namespace here (unshare --mount, or a user namespace, is not allowed)")
    blobs = tmp / "data" / "blobs"
    blobs.mkdir(parents=True, mode=0o700)
    os.chmod(tmp / "data", 0o700)
    # the blob store is a 512 KiB file system of the gateway's own: the metadata stays on the real disk
    mount = 'mount -t tmpfs -o size="$1",mode=0700 tmpfs "$0" && shift && exec "$@"'
    gw = start_gateway(tmp, "--workers", "1", launcher=[*_unshare(), "sh", "-c", mount, str(blobs), "512k"])
    yield gw
    stop_gateway(gw)


@pytest.mark.parametrize("size", [600_000, 3 * 1024 * 1024], ids=["whole", "streamed"])
def test_s3_put_on_a_full_disk_is_507_and_loses_nothing(full, size):
    s3 = boto_client(full)
    bucket = f"full-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="kept", Body=KEPT)
    blobs_before = _blob_files(full)
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=bucket, Key="kept", Body=os.urandom(size))  # over the object: refused whole
    error = refused.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 507
    assert error["Error"]["Code"] == "InsufficientStorage"
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=bucket, Key="new", Body=os.urandom(size))
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 507
    assert s3.get_object(Bucket=bucket, Key="kept")["Body"].read() == KEPT
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])] == ["kept"]
    assert _blob_files(full) == blobs_before  # the failed writes left no partial blob behind
    s3.put_object(Bucket=bucket, Key="after", Body=b"room again")  # their bytes were given back
    assert s3.get_object(Bucket=bucket, Key="after")["Body"].read() == b"room again"
    _no_tracebacks(full)


def test_native_upload_on_a_full_disk_is_507(full):
    client = NativeClient(full.url, full.access_key, full.secret_key)
    bucket = client.create_bucket(f"nfull-{uuid.uuid4().hex[:8]}")
    package = client.create_package(bucket["bucketID"], "p")
    client.upload(package["packageID"], [("kept.bin", KEPT)])
    big = [("big.bin", os.urandom(2_000_000))]
    err = expect_error("OperationFailed", 507, client.upload, package["packageID"], big)
    assert "no room" in err.message
    assert [o["path"] for o in client.package_objects(package["packageID"])] == ["kept.bin"]
    _no_tracebacks(full)


# ------------------------------------------------------------------ a file system that refuses the gateway


@pytest.fixture(scope="module")
def unprivileged():
    prefix = _runs_unprivileged()
    if prefix is None:
        pytest.skip("cannot run the gateway as an unprivileged user here (setpriv, or a readable checkout)")
    tmp = Path(tempfile.mkdtemp(prefix="junction-eacces-"))
    if AS_ROOT:
        os.chown(tmp, NOBODY, NOBODY)
    gw = start_gateway(tmp, "--workers", "1", launcher=prefix)
    yield gw
    stop_gateway(gw)
    for path in [tmp, *tmp.rglob("*")]:  # modes a failed test left refused
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o700)
    shutil.rmtree(tmp, ignore_errors=True)


def _refuse(paths: list[Path], mode: int) -> dict[Path, int]:
    before = {p: p.stat().st_mode & 0o777 for p in paths}
    for path in paths:
        path.chmod(mode)
    return before


def _restore(modes: dict[Path, int]) -> None:
    for path, mode in modes.items():
        path.chmod(mode)


def test_s3_get_of_an_unreadable_blob_is_503_and_reads_again_once_allowed(unprivileged):
    s3 = boto_client(unprivileged)
    bucket = f"perm-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="kept", Body=KEPT)
    modes = _refuse(_blob_files(unprivileged), 0)
    try:
        with pytest.raises(ClientError) as refused:
            s3.get_object(Bucket=bucket, Key="kept")["Body"].read()
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        assert refused.value.response["Error"]["Code"] == "ServiceUnavailable"
    finally:
        _restore(modes)
    assert s3.get_object(Bucket=bucket, Key="kept")["Body"].read() == KEPT
    _no_tracebacks(unprivileged)


def test_s3_put_into_an_unwritable_blob_store_is_503_and_loses_nothing(unprivileged):
    s3 = boto_client(unprivileged)
    bucket = f"ro-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="kept", Body=KEPT)
    blobs = unprivileged.data_dir / "blobs"
    directories = [blobs, *(p for p in blobs.rglob("*") if p.is_dir())]
    modes = _refuse(directories, 0o500)
    try:
        for key in ("kept", "new"):
            with pytest.raises(ClientError) as refused:
                s3.put_object(Bucket=bucket, Key=key, Body=os.urandom(50_000))
            assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503, key
            assert refused.value.response["Error"]["Code"] == "ServiceUnavailable"
    finally:
        _restore(modes)
    assert s3.get_object(Bucket=bucket, Key="kept")["Body"].read() == KEPT
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])] == ["kept"]
    _no_tracebacks(unprivileged)


# ------------------------------------------------------------------ paths a space cannot hold


def test_export_over_a_directory_or_with_a_long_name_is_400_and_writes_the_rest(gw, client):
    bucket = client.create_bucket(f"exp-{uuid.uuid4().hex[:8]}")
    package = client.create_package(bucket["bucketID"], "p")
    files = {"ok.txt": b"fine", "taken.txt": b"a directory stands there", f"{LONG_NAME}.txt": b"too long a name"}
    client.upload(package["packageID"], list(files.items()))
    space = local_space(client, gw.data_dir)
    taken = root_of(space) / "out" / "taken.txt"
    taken.mkdir(parents=True)
    (taken / "inside").write_bytes(b"the directory's own file")
    err = expect_error("BadArgument", 400, client.export_package, space["userSpaceID"], package["packageID"], "out")
    assert "2 objects could not be exported" in err.message
    assert "taken.txt" in err.message and "collides with a directory" in err.message
    assert "longer than the file system accepts" in err.message
    out = root_of(space) / "out"
    assert (out / "ok.txt").read_bytes() == b"fine"  # the others were written
    assert (taken / "inside").read_bytes() == b"the directory's own file"  # the directory untouched
    assert sorted(p.name for p in out.iterdir()) == ["ok.txt", "taken.txt"]  # no temporary left
    _no_tracebacks(gw)


def test_import_of_a_path_with_a_long_name_is_400(gw, client):
    space = local_space(client, gw.data_dir)
    (root_of(space) / "d").mkdir()  # the name itself, not a missing folder, is what is refused
    bucket = client.create_bucket(f"imp-{uuid.uuid4().hex[:8]}")
    err = expect_error(
        "BadArgument", 400, client.import_package, space["userSpaceID"], f"d/{LONG_NAME}", bucket["bucketID"], "p"
    )
    assert "longer than the file system accepts" in err.message
    assert "p" not in [p["name"] for p in client.list_packages(bucket["bucketID"])]  # no package left behind
    _no_tracebacks(gw)
