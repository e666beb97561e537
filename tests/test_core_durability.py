"""Atomic commit, last-writer-wins and orphan collection, on the core with local disk."""

import asyncio
import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from backends.local import TMP_SUFFIX
from gateway.core.objects import CopySource, Expectations, ObjectAttrs
from gateway.core.service import Core
from gateway.domain.errors import JunctionError


@pytest.fixture
async def core(tmp_path):
    c = Core(tmp_path, root_access_key="AK", root_secret_key="SK", gc_interval=0)
    await c.start()
    await c.buckets.create("bkt", "AK")
    yield c
    await c.stop()


def blob_files(root: Path) -> list[Path]:
    return [p for p in (root / "blobs").rglob("*") if p.is_file()]


async def stream(*pieces: bytes):
    for piece in pieces:
        yield piece


async def put(core, key, *pieces, **kw):
    return await core.objects.put("bkt", key, stream(*pieces), length=sum(map(len, pieces)), attrs=ObjectAttrs(), **kw)


async def test_overwrite_releases_old_blob(core, tmp_path):
    await put(core, "k", b"one")
    await put(core, "k", b"two")
    assert len(blob_files(tmp_path)) == 2
    assert await core.blobs.collect(grace_seconds=0) == 1
    assert len(blob_files(tmp_path)) == 1
    obj = await core.objects.head("bkt", "k")
    assert b"".join([p async for p in core.objects.read(obj)]) == b"two"


async def test_failed_stream_leaves_nothing(core, tmp_path):
    async def broken():
        yield b"x" * 1000
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await core.objects.put("bkt", "broken", broken(), length=5000, attrs=ObjectAttrs())
    with pytest.raises(JunctionError):
        await core.objects.head("bkt", "broken")
    assert blob_files(tmp_path) == []


async def test_short_body_is_incomplete_and_invisible(core, tmp_path):
    with pytest.raises(JunctionError) as err:
        await core.objects.put("bkt", "short", stream(b"abc"), length=10, attrs=ObjectAttrs())
    assert err.value.code == "IncompleteBody"
    assert blob_files(tmp_path) == []


async def test_bad_digest_keeps_previous_version(core, tmp_path):
    await put(core, "d", b"good")
    with pytest.raises(JunctionError):
        await put(core, "d", b"evil", expect=Expectations(sha256_hex="00" * 32))
    obj = await core.objects.head("bkt", "d")
    assert b"".join([p async for p in core.objects.read(obj)]) == b"good"
    assert len(blob_files(tmp_path)) == 1


async def test_pending_orphan_from_crash_is_collected(core, tmp_path):
    # A crash between the blob write and the commit leaves a pending blob and a file.
    blob_id = await core.store.blobs.new(core.spaces.default_id, "blocks/aa/bb/crashed")
    await core.spaces.backend(core.spaces.default_id).put("blocks/aa/bb/crashed", stream(b"orphan"))
    assert await core.blobs.collect(grace_seconds=3600) == 0  # too young: may still be in flight
    assert await core.blobs.collect(grace_seconds=0) == 1
    assert blob_files(tmp_path) == []
    assert blob_id


async def test_stale_temporary_files_are_swept(core, tmp_path):
    stale = tmp_path / "blobs" / "blocks" / "ab" / f".x.123{TMP_SUFFIX}"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"half a write")
    await core.blobs.collect(grace_seconds=3600)
    assert stale.exists()  # could still be an upload in flight
    os.utime(stale, (0, 0))
    core.blobs._last_sweep = 0.0  # the sweep runs at most hourly; make it due
    await core.blobs.collect(grace_seconds=3600)
    assert not stale.exists()


async def test_copy_shares_blocks_until_both_are_gone(core, tmp_path):
    await put(core, "src", b"shared bytes")
    await core.objects.copy(CopySource("bkt", "src"), "bkt", "dst", replace_attrs=None)
    assert len(blob_files(tmp_path)) == 1
    await core.objects.delete("bkt", "src")
    assert await core.blobs.collect(grace_seconds=0) == 0
    obj = await core.objects.head("bkt", "dst")
    assert b"".join([p async for p in core.objects.read(obj)]) == b"shared bytes"
    await core.objects.delete("bkt", "dst")
    assert await core.blobs.collect(grace_seconds=0) == 1
    assert blob_files(tmp_path) == []


async def test_concurrent_overwrites_last_writer_wins(core, tmp_path):
    payloads = [os.urandom(50_000) for _ in range(10)]
    results = await asyncio.gather(*(put(core, "race", p) for p in payloads))
    final = await core.objects.head("bkt", "race")
    data = b"".join([p async for p in core.objects.read(final)])
    assert data in payloads
    last_committed = max(results, key=lambda o: o.updated)
    assert final.etag == last_committed.etag
    await core.blobs.collect(grace_seconds=0)
    assert len(blob_files(tmp_path)) == 1


async def test_restart_keeps_objects(tmp_path):
    first = Core(tmp_path, root_access_key="AK", root_secret_key="SK", gc_interval=0)
    await first.start()
    await first.buckets.create("keep", "AK")
    await first.objects.put("keep", "p/k", stream(b"persisted"), length=9, attrs=ObjectAttrs())
    await first.stop()
    second = Core(tmp_path, root_access_key="AK", root_secret_key="SK", gc_interval=0)
    await second.start()
    try:
        obj = await second.objects.head("keep", "p/k")
        assert b"".join([p async for p in second.objects.read(obj)]) == b"persisted"
        assert obj.sha256 == hashlib.sha256(b"persisted").hexdigest().upper()
    finally:
        await second.stop()
    assert not list(tmp_path.rglob(f"*{TMP_SUFFIX}"))


async def test_read_after_write_under_concurrency(core):
    """Each write, once answered, is visible to the next read, whatever else reads meanwhile
    (rclone's parallel uploads HEAD each object right after its PUT and once got 404)."""

    async def put_then_head(i: int) -> bool:
        key = f"s/d{i % 8}/f{i:05d}"
        await put(core, key, b"x" * (i % 50))
        try:
            await core.objects.head("bkt", key)
            return True
        except JunctionError:
            return False

    for round_ in range(4):
        seen = await asyncio.gather(*(put_then_head(round_ * 1000 + i) for i in range(400)))
        assert all(seen), f"{seen.count(False)} reads missed their own committed write"


async def test_relative_data_dir_and_a_relative_default_space_row(tmp_path, monkeypatch):
    """`make run` uses ./data: the default space must work from a relative data dir, also when
    its row was written with a relative root (as before user spaces required absolute roots)."""
    monkeypatch.chdir(tmp_path)
    core = Core(Path("data"), root_access_key="AK", root_secret_key="SK", gc_interval=0)
    await core.start()
    try:
        await core.buckets.create("bkt", "AK")
        await put(core, "a.txt", b"relative")
    finally:
        await core.stop()
    with sqlite3.connect(tmp_path / "data" / "meta.sqlite3") as db:
        db.execute("""UPDATE spaces SET storage = '{"type": "Local", "root": "data/blobs"}' WHERE name = 'default'""")
    core = Core(Path("data"), root_access_key="AK", root_secret_key="SK", gc_interval=0)
    await core.start()
    try:
        obj = await core.objects.head("bkt", "a.txt")
        assert b"".join([p async for p in core.objects.read(obj)]) == b"relative"
        await put(core, "b.txt", b"still writable")
    finally:
        await core.stop()
