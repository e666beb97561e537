"""Acknowledged writes are synced to the disk, not only handed to the page cache.

Power loss cannot be simulated here, so these tests check the calls that make a write
survive it: SQLite commits with synchronous=FULL, and the local backend fsyncs each blob
file before publishing it and each directory whose entries it changed (os.fsync is
recorded through a monkeypatch, the one thing in this suite that is not a real client).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from backends.base import BlobKeyConflict
from backends.local import TMP_SUFFIX, LocalBackend
from gateway import datadir
from gateway.meta.db import SqliteDatabase

FULL = 2  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA


@pytest.fixture
def synced(monkeypatch) -> list[Path]:
    """Every path os.fsync is called on, in order."""
    calls: list[Path] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        calls.append(Path(os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    return calls


async def stream(*pieces: bytes):
    for piece in pieces:
        yield piece


async def test_sqlite_commits_are_durable_across_power_loss(tmp_path):
    db = SqliteDatabase(tmp_path / "meta.sqlite3")
    await db.open()
    try:
        for conn in (db._writer, db.reader):
            async with conn.execute("PRAGMA synchronous") as cur:
                assert (await cur.fetchone())[0] == FULL
            async with conn.execute("PRAGMA journal_mode") as cur:
                assert (await cur.fetchone())[0] == "wal"
    finally:
        await db.close()


async def test_a_relaxed_commit_leaves_the_connection_durable(tmp_path):
    """A blob's registration commits without a WAL fsync (the commit referencing it syncs it);
    the connection is FULL again for every other transaction, even after a failed one."""
    db = SqliteDatabase(tmp_path / "meta.sqlite3")
    await db.open()
    try:

        def level(conn) -> int:
            return conn.execute("PRAGMA synchronous").fetchone()[0]

        assert await db.transaction(level, durable=False) == 1  # NORMAL inside the relaxed one
        assert await db.transaction(level) == FULL

        def fail(conn) -> None:
            raise ValueError("rolled back")

        with pytest.raises(ValueError):
            await db.transaction(fail, durable=False)
        assert await db.transaction(level) == FULL
    finally:
        await db.close()


@pytest.mark.parametrize("size", [10, 3 * 1024 * 1024], ids=["one-write", "streamed"])
async def test_local_put_syncs_file_then_directories(tmp_path, synced, size):
    backend = LocalBackend(tmp_path / "space")
    root = backend.root
    try:
        synced.clear()
        piece = b"x" * min(size, 1024 * 1024)
        await backend.put("blocks/ab/cd/blob", stream(*[piece] * (size // len(piece))))
    finally:
        await backend.close()
    final = root / "blocks/ab/cd/blob"
    assert final.is_file()
    file_syncs = [i for i, p in enumerate(synced) if p.name.endswith(TMP_SUFFIX)]  # the temp file, pre-rename
    assert file_syncs, synced
    # the new directories' entries in their parents, then the blob's entry in its directory
    for directory in (root, root / "blocks", root / "blocks/ab", root / "blocks/ab/cd"):
        assert directory in synced, (directory, synced)
    assert synced.index(root / "blocks/ab/cd", file_syncs[-1]) > file_syncs[-1]


@pytest.mark.parametrize("size", [10, 3 * 1024 * 1024], ids=["one-write", "streamed"])
async def test_a_new_blob_syncs_its_file_and_only_the_directories_it_made(tmp_path, synced, size):
    """The gateway's own blobs (never-used keys): written in place and fsynced, no temporary and
    no rename; a directory the write makes is synced in its parent, an existing one is not."""
    backend = LocalBackend(tmp_path / "space")
    root = backend.root
    piece = b"x" * min(size, 1024 * 1024)
    try:
        synced.clear()
        await backend.put_new("blocks/ab/first", stream(*[piece] * (size // len(piece))))
        assert synced[-1] == root / "blocks/ab/first", synced  # the file itself, once the parents are made
        assert set(synced[:-1]) == {root, root / "blocks"}, synced  # blocks/ made in root, ab/ in blocks/
        synced.clear()
        await backend.put_new("blocks/ab/second", stream(*[piece] * (size // len(piece))))
        assert synced == [root / "blocks/ab/second"]  # one fsync: the directory existed
        with pytest.raises(BlobKeyConflict):
            await backend.put_new("blocks/ab/second", stream(b"never over an existing blob"))
    finally:
        await backend.close()
    assert (root / "blocks/ab/second").read_bytes() == piece * (size // len(piece))
    assert sorted(p.name for p in (root / "blocks/ab").iterdir()) == ["first", "second"]  # no temporaries


async def test_local_copy_syncs_file_and_directory(tmp_path, synced):
    backend = LocalBackend(tmp_path / "space")
    try:
        await backend.put("a/src", stream(b"data"))
        synced.clear()
        await backend.copy("a/src", "b/dst")
    finally:
        await backend.close()
    root = backend.root
    assert any(p.name.endswith(TMP_SUFFIX) and p.parent == root / "b" for p in synced), synced
    assert root / "b" in synced and root in synced  # b/'s entry in root, dst's entry in b/


def test_private_files_are_synced_and_0600(tmp_path, synced):
    target = tmp_path / "secret.json"
    datadir.write_private_file(target, "{}")
    assert target.read_text() == "{}" and (target.stat().st_mode & 0o777) == 0o600
    assert synced[-1] == tmp_path and any(p.name.startswith(".secret.json.") for p in synced)
    with pytest.raises(FileExistsError):
        datadir.write_private_file(target, "other", exclusive=True)
    assert target.read_text() == "{}"
    assert [p.name for p in tmp_path.iterdir()] == ["secret.json"]  # no temporary left behind
