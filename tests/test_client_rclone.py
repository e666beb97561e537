"""rclone (Debian's package) against a live gateway: copy, sync and re-sync, check, lsl
modification times, multipart and server-side copies, awkward key names.

rclone is configured only through ``RCLONE_CONFIG_J_*`` environment variables, as in CI
scripts. It stores each file's modification time in ``X-Amz-Meta-Mtime`` and, for multipart
uploads, the MD5 in ``X-Amz-Meta-Md5chksum``: both must round-trip for ``lsl`` and
``check`` to agree with the local tree.
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from datetime import UTC, datetime, timezone

import pytest
from client_helpers import SPECIAL_NAMES, MiB, file_md5, make_tree, require_program
from conftest import boto_client

LSL = re.compile(r"^\s*(\d+) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9}) (.+)$")


@pytest.fixture(scope="module")
def rclone_bin() -> str:
    return require_program("rclone")


@pytest.fixture(scope="module")
def rclone_env(gateway, tmp_path_factory) -> dict[str, str]:
    env = gateway.env()  # already without AWS_CA_BUNDLE, which rclone refuses for plain http
    empty_config = tmp_path_factory.mktemp("rclone") / "rclone.conf"
    empty_config.write_text("")
    env.update(
        RCLONE_CONFIG=str(empty_config),
        RCLONE_CONFIG_J_TYPE="s3",
        RCLONE_CONFIG_J_PROVIDER="Other",
        RCLONE_CONFIG_J_ENDPOINT=gateway.url,
        RCLONE_CONFIG_J_ACCESS_KEY_ID=gateway.access_key,
        RCLONE_CONFIG_J_SECRET_ACCESS_KEY=gateway.secret_key,
        TZ="UTC",
    )
    return env


@pytest.fixture
def rc(rclone_bin, rclone_env):
    def run(*args: str, check: bool = True, text: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([rclone_bin, *args], env=rclone_env, capture_output=True, text=text, timeout=300)
        if check and proc.returncode != 0:
            raise AssertionError(f"rclone {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        if check and text:  # rclone retries quietly: an ERROR line is a failure even if a retry worked
            assert " ERROR : " not in proc.stderr, proc.stderr
        return proc

    return run


@pytest.fixture
def remote(rc) -> str:
    name = f"rc-{uuid.uuid4().hex[:12]}"
    rc("mkdir", f"j:{name}")
    return name


def lsl(rc, target: str) -> dict[str, tuple[int, str]]:
    out = {}
    for line in rc("lsl", target).stdout.splitlines():
        match = LSL.match(line)
        assert match, f"unexpected lsl line {line!r}"
        out[match.group(3)] = (int(match.group(1)), match.group(2))
    return out


def test_copy_keeps_mtimes_and_check_agrees(rc, remote, gateway, tmp_path):
    src = tmp_path / "src"
    files = make_tree(src, ["a.txt", "dir/b.txt", "dir/sub/c.txt", "empty.bin"])
    stamps = {}
    for i, name in enumerate(sorted(files)):
        ns = 1_600_000_000_123_456_789 + i * 86_400_987_654_321  # distinct days, sub-second digits
        os.utime(src / name, ns=(ns, ns))
        stamps[name] = datetime.fromtimestamp(ns // 10**9, UTC).strftime("%Y-%m-%d %H:%M:%S") + f".{ns % 10**9:09d}"
    rc("copy", str(src), f"j:{remote}/tree")
    listed = lsl(rc, f"j:{remote}/tree")
    assert listed == {name: (len(data), stamps[name]) for name, data in files.items()}

    check = rc("check", str(src), f"j:{remote}/tree")
    assert "0 differences found" in check.stderr
    # A changed remote byte (same size) must be reported: check really compares hashes.
    boto_client(gateway).put_object(Bucket=remote, Key="tree/dir/b.txt", Body=files["dir/b.txt"][:-1] + b"!")
    changed = rc("check", str(src), f"j:{remote}/tree", check=False)
    assert changed.returncode != 0 and "1 differences found" in changed.stderr


def test_sync_then_resync_copies_nothing(rc, remote, tmp_path):
    src = tmp_path / "src"
    names = [f"d{i % 8}/f{i:03d}.txt" for i in range(150)]
    make_tree(src, names)
    first = rc("sync", "-v", "--transfers", "8", str(src), f"j:{remote}/s")
    assert first.stderr.count("Copied (new)") == 150
    second = rc("sync", "-v", str(src), f"j:{remote}/s")
    assert ": Copied" not in second.stderr and ": Deleted" not in second.stderr, second.stderr
    # One changed, one removed, one added: exactly those three actions.
    (src / names[0]).write_bytes(b"changed contents")
    (src / names[1]).unlink()
    (src / "new.txt").write_bytes(b"new")
    third = rc("sync", "-v", str(src), f"j:{remote}/s").stderr
    assert third.count("Copied (replaced existing)") == 1
    assert third.count("Copied (new)") == 1 and third.count(": Deleted") == 1, third
    remote_names = set(rc("lsf", "-R", "--files-only", f"j:{remote}/s").stdout.split("\n")) - {""}
    assert remote_names == {p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file()}


def test_special_names_round_trip(rc, remote, gateway, tmp_path):
    src, back = tmp_path / "src", tmp_path / "back"
    files = make_tree(src, SPECIAL_NAMES)
    rc("copy", str(src), f"j:{remote}")
    keys = {o["Key"] for o in boto_client(gateway).list_objects_v2(Bucket=remote)["Contents"]}
    assert keys == set(SPECIAL_NAMES)  # the S3 keys are exactly the file names
    rc("copy", f"j:{remote}", str(back))
    for name, data in files.items():
        assert (back / name).read_bytes() == data
    assert "0 differences found" in rc("check", str(src), f"j:{remote}").stderr


def test_multipart_upload_and_server_side_copies(rc, remote, gateway, tmp_path):
    big = tmp_path / "big.bin"
    with open(big, "wb") as fh:
        for _ in range(12):
            fh.write(os.urandom(MiB))
        fh.write(b"tail")
    chunks = ("--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M", "--s3-copy-cutoff", "5M")
    rc("copyto", *chunks, str(big), f"j:{remote}/mp/big.bin")
    s3 = boto_client(gateway)
    head = s3.head_object(Bucket=remote, Key="mp/big.bin")
    assert head["ETag"].endswith('-3"') and head["ContentLength"] == 12 * MiB + 4
    assert head["Metadata"].get("md5chksum")  # rclone's own whole-file MD5, kept as metadata
    assert rc("md5sum", f"j:{remote}/mp").stdout.split()[0] == file_md5(big)

    # Single-request CopyObject, then UploadPartCopy (copy cutoff 5M): both server-side.
    one = rc("copyto", "-v", f"j:{remote}/mp/big.bin", f"j:{remote}/copy/one.bin").stderr
    assert "server-side copy" in one
    parts = rc("copyto", "-v", *chunks, f"j:{remote}/mp/big.bin", f"j:{remote}/copy/parts.bin").stderr
    assert "server-side copy" in parts
    assert s3.head_object(Bucket=remote, Key="copy/parts.bin")["ETag"].endswith('-3"')
    back = tmp_path / "back.bin"
    rc("copyto", f"j:{remote}/copy/parts.bin", str(back))
    assert file_md5(back) == file_md5(big)
    tail = rc("cat", "--offset", str(12 * MiB - 2), "--count", "6", f"j:{remote}/copy/one.bin", text=False).stdout
    with open(big, "rb") as fh:
        fh.seek(12 * MiB - 2)
        assert tail == fh.read(6)


def test_delete_and_purge(rc, remote, tmp_path):
    src = tmp_path / "src"
    make_tree(src, ["keep.txt", "gone.txt", "dir/a.txt", "dir/b.txt"])
    rc("copy", str(src), f"j:{remote}")
    rc("deletefile", f"j:{remote}/gone.txt")
    rc("purge", f"j:{remote}/dir")
    assert rc("lsf", "-R", f"j:{remote}").stdout.split() == ["keep.txt"]
    rc("purge", f"j:{remote}")
    assert remote not in rc("lsd", "j:").stdout
