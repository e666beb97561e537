"""The metadata store's contract, held by both engines: the same MetaStore calls give the same
answers on SQLite and on a real PostgreSQL (tests/pg_server.py).

Besides plain behaviour, the points where the engines could differ are pinned: binary key
order whatever the locale, 64-bit sizes, generated ids, upserts, empty IN lists, integer sums,
a refused guard rolling the whole unit back, and (PostgreSQL, two stores = two gateway
instances over one database) racing conditional writes and quota checks: exactly one wins.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import ENGINES, pg_server

from gateway.core.listing import list_listed, list_page
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import ObjectInfo, Upload
from gateway.meta.db import Database, SqliteDatabase
from gateway.meta.engine import open_database
from gateway.meta.records import NewObject
from gateway.meta.store import MetaStore

pytestmark = pytest.mark.parametrize("engine", ENGINES)


def database(engine: str, tmp_path: Path) -> Database:
    if engine == "sqlite":
        return SqliteDatabase(tmp_path / "meta.sqlite3")
    return open_database(pg_server().create_database("contract"), tmp_path)


@pytest.fixture
async def store(engine: str, tmp_path: Path) -> AsyncIterator[MetaStore]:
    meta = MetaStore(database(engine, tmp_path))
    await meta.open()
    yield meta
    await meta.close()


async def new_blob(store: MetaStore, size: int = 10) -> int:
    return await store.blobs.new(1, f"blob-{uuid.uuid4().hex}")


async def put(store: MetaStore, bucket_id: int, key: str, size: int = 10, guards=()) -> ObjectInfo:
    blob = await new_blob(store)
    new = NewObject(
        bucket_id=bucket_id,
        key=key,
        size=size,
        etag=uuid.uuid4().hex,
        sha256="",
        content_type="text/plain",
        headers={},
        meta={"m": "1"},
        checksums={},
        checksum_type="",
        parts_count=0,
        blob_ids=[blob],
        block_sizes=[size],
    )
    return await store.objects.commit(new, guards)


def if_none_match(_conn: sqlite3.Connection, old: ObjectInfo | None, _new: object) -> None:
    if old is not None:
        raise JunctionError(ErrorCode.PreconditionFailed, "exists")


async def test_buckets_and_generated_ids(store: MetaStore) -> None:
    first = await store.buckets.create("alpha", "owner-a")
    second = await store.buckets.create("beta", "owner-a")
    assert second.id > first.id > 0
    with pytest.raises(JunctionError) as caught:
        await store.buckets.create("alpha", "owner-a")
    assert caught.value.code == ErrorCode.BucketAlreadyOwnedByYou
    with pytest.raises(JunctionError) as caught:
        await store.buckets.create("alpha", "someone-else")
    assert caught.value.code == ErrorCode.BucketAlreadyExists
    assert [b.name for b in await store.buckets.list_all()] == ["alpha", "beta"]
    assert (await store.buckets.get("beta")).id == second.id


async def test_listing_is_in_utf8_byte_order(store: MetaStore) -> None:
    bucket = await store.buckets.create("order", "o")
    keys = ["b", "B", "a/1", "a-1", "é", "z", "~", "Z", "a", "日本", "😀", "_x", "0"]
    for key in keys:
        await put(store, bucket.id, key)
    listed = [o.key for o in await store.objects.list_objects(bucket.id, prefix="", start="", limit=100)]
    assert listed == sorted(keys, key=lambda k: k.encode())
    under_a = await store.objects.list_objects(bucket.id, prefix="a", start="", limit=100)
    assert [o.key for o in under_a] == ["a", "a-1", "a/1"]
    page = await store.objects.list_objects(bucket.id, prefix="", start="a-1", limit=2)
    assert [o.key for o in page] == ["a/1", "b"]


async def test_a_listed_page_shows_what_the_whole_objects_hold(store: MetaStore) -> None:
    """ListObjects reads seven columns without joins (list_listed); the page is the one the
    whole-object listing gives, field for field, with a delimiter and a marker too."""
    bucket = await store.buckets.create("listed", "o")
    keys = ["a", "d/1", "d/2", "d/e/3", "é/x", "😀", "z"]
    for key in keys:
        await put(store, bucket.id, key, size=len(key))
    checked = NewObject(
        bucket_id=bucket.id,
        key="d/sum",
        size=0,
        etag="e",
        sha256="",
        content_type="text/plain",
        headers={"x-amz-storage-class": "GLACIER", "cache-control": "no-cache"},
        meta={},
        checksums={"CRC32": "AAAAAA==", "SHA256": "x"},
        checksum_type="FULL_OBJECT",
        parts_count=0,
        blob_ids=[],
        block_sizes=[],
    )
    await store.objects.commit(checked)
    fields = ("key", "size", "etag", "updated", "checksums", "checksum_type", "headers")
    for query in ({}, {"delimiter": "/"}, {"prefix": "d/", "delimiter": "/"}, {"marker": "d/1", "max_keys": 2}):
        whole = await list_page(store.objects, bucket.id, **query)
        listed = await list_listed(store.objects, bucket.id, **query)
        assert [tuple(getattr(o, f) for f in fields) for o in listed.objects] == [
            tuple(getattr(o, f) for f in fields) for o in whole.objects
        ]
        assert (listed.prefixes, listed.truncated, listed.next_marker) == (
            whole.prefixes,
            whole.truncated,
            whole.next_marker,
        )
    everything = await list_listed(store.objects, bucket.id)
    assert [o.key for o in everything.objects] == sorted([*keys, "d/sum"], key=str.encode)
    [summed] = [o for o in everything.objects if o.key == "d/sum"]
    assert (
        summed.checksums == {"CRC32": "AAAAAA==", "SHA256": "x"} and summed.headers["x-amz-storage-class"] == "GLACIER"
    )


async def test_large_sizes_and_integer_sums(store: MetaStore) -> None:
    bucket = await store.buckets.create("big", "o")
    five_tib = 5 * 1024**4
    obj = await put(store, bucket.id, "huge", size=five_tib)
    assert (await store.objects.get(bucket.id, "huge")).size == five_tib == obj.size
    await put(store, bucket.id, "small", size=7)
    size, count = await store.console.quota_usage(bucket.id, "")
    assert (size, count) == (five_tib + 7, 2)
    assert isinstance(size, int) and isinstance(count, int)


async def test_overwrite_replaces_and_releases_blobs(store: MetaStore) -> None:
    bucket = await store.buckets.create("over", "o")
    first = await put(store, bucket.id, "k")
    second = await put(store, bucket.id, "k")
    got = await store.objects.get(bucket.id, "k")
    assert got.etag == second.etag != first.etag
    rows = await store.db.fetchall("SELECT state, refcount FROM blobs WHERE id = ?", (first.blocks[0].blob_id,))
    assert [(r["state"], r[1]) for r in rows] == [("dead", 0)]


async def test_a_late_digest_fills_in_only_the_object_it_was_read_for(store: MetaStore) -> None:
    """core/deferred_digest.py: a whole-object SHA-256 worked out after a completion lands on
    that object alone: not on another with its id (a reused rowid), not over a known digest."""
    bucket = await store.buckets.create("late-digest", "o")
    obj = await put(store, bucket.id, "k")
    await store.objects.fill_in_sha256(obj.id, "not-its-etag", "A" * 64)
    assert (await store.objects.get(bucket.id, "k")).sha256 == ""
    await store.objects.fill_in_sha256(obj.id, obj.etag, "B" * 64)
    assert (await store.objects.get(bucket.id, "k")).sha256 == "B" * 64
    await store.objects.fill_in_sha256(obj.id, obj.etag, "C" * 64)
    assert (await store.objects.get(bucket.id, "k")).sha256 == "B" * 64


async def test_refused_guard_rolls_back_everything(store: MetaStore) -> None:
    bucket = await store.buckets.create("guarded", "o")
    await put(store, bucket.id, "k")
    with pytest.raises(JunctionError) as caught:
        await put(store, bucket.id, "k", guards=[if_none_match])
    assert caught.value.code == ErrorCode.PreconditionFailed
    pending = await store.db.fetchall("SELECT id FROM blobs WHERE refcount > 0")
    assert len(pending) == 1  # the refused write referenced nothing


async def test_versioning_keeps_history(store: MetaStore) -> None:
    bucket = await store.buckets.create("versions", "o")
    await store.versions.set_status(bucket.id, "Enabled")
    await store.versions.set_status(bucket.id, "Enabled")  # an upsert, not a duplicate row
    first = await put(store, bucket.id, "k")
    second = await put(store, bucket.id, "k")
    await store.objects.delete(bucket.id, "k")
    history = await store.versions.key_versions(bucket.id, "k", after=None, limit=10)
    assert [v.delete_marker for v in history] == [True, False, False]
    assert [v.version_id for v in history][1:] == [second.version_id, first.version_id]
    assert await store.versions.status(bucket.id) == "Enabled"


async def test_multipart_parts_upsert(store: MetaStore) -> None:
    bucket = await store.buckets.create("mpu", "o")
    upload = Upload("up-1", bucket.id, bucket.name, "key", "text/plain", {}, {}, "", "", time.time(), "o")
    await store.uploads.create(upload)
    blob_a, blob_b = await new_blob(store), await new_blob(store)
    await store.uploads.put_part("up-1", 1, blob_a, 5, "etag-a", {})
    await store.uploads.put_part("up-1", 1, blob_b, 6, "etag-b", {})  # the same number again: replaced
    parts = await store.uploads.list_parts("up-1")
    assert [(p.number, p.etag, p.size) for p in parts] == [(1, "etag-b", 6)]
    assert await store.uploads.abort("up-1")


async def test_quota_paths_unique_on_update(store: MetaStore) -> None:
    bucket = await store.buckets.create("quotas", "o")
    await store.console.create_quota(bucket.id, "/a", "a/", 100, None)
    second = await store.console.create_quota(bucket.id, "/b", "b/", None, 5)
    with pytest.raises(JunctionError) as caught:
        await store.console.create_quota(bucket.id, "/a", "a/", 1, 1)
    assert caught.value.code == ErrorCode.QuotaExists
    with pytest.raises(JunctionError) as caught:  # the engine's unique violation, as the store maps it
        await store.console.update_quota(bucket.id, second, {"path": "/a", "prefix": "a/"})
    assert caught.value.code == ErrorCode.QuotaExists
    assert [q["path"] for q in await store.console.list_quotas(bucket.id)] == ["/a", "/b"]


async def test_credentials_replace_and_empty_in_lists(store: MetaStore) -> None:
    await store.credentials.put("KEY1", "secret-1", "admin", description="first")
    await store.credentials.put("KEY1", "secret-2", "admin")
    row = await store.credentials.get("KEY1")
    assert row is not None and row["secret_key"] == "secret-2" and row["description"] == ""
    assert await store.jobs.fail_jobs_of([]) == []  # IN () on both engines
    assert await store.blobs.collectable(time.time() - 3600, dead_owners=()) == []


async def test_reserved_blobs_go_only_with_their_owner_or_as_its_own_in_flight(store: MetaStore) -> None:
    """Registrations made ahead (core/blobs.py): age alone never makes them collectable."""
    ids = await store.blobs.reserve(1, ["r/a", "r/b", "r/c"], "live-owner")
    assert len(set(ids)) == 3
    assert await store.blobs.pending_owners() == ["live-owner"]
    future = time.time() + 3600  # every pending blob is older than this cutoff: reserved ones stay
    assert await store.blobs.collectable(future) == []
    assert not await store.blobs.claim(ids[0], future)
    mine = await store.blobs.collectable(future, mine=[ids[1]])  # its own process's write in flight
    assert [row["id"] for row in mine] == [ids[1]]
    assert await store.blobs.claim(ids[1], future, mine=[ids[1]])
    dead = await store.blobs.collectable(future, dead_owners=["live-owner"])
    assert sorted(row["id"] for row in dead) == sorted(ids)  # the claimed one, and the dead owner's
    await store.blobs.unreserve(ids)  # the claimed one is no longer reserved: it stays for its collector
    rows = await store.db.fetchall("SELECT id, state FROM blobs ORDER BY id")
    assert [(row["id"], row["state"]) for row in rows] == [(ids[1], "reclaiming")]


async def test_schema_versions_match_sqlite(store: MetaStore, tmp_path: Path) -> None:
    reference = SqliteDatabase(tmp_path / "reference.sqlite3")
    await reference.open()
    try:
        expected = await reference.schema_versions()
    finally:
        await reference.close()
    versions = await store.db.schema_versions()
    versions.pop("pgcompat", None)
    assert versions == expected


async def test_two_instances_race_conditional_writes(engine: str, tmp_path: Path) -> None:
    """Two stores over one database (two gateway instances on PostgreSQL; two connections to one
    file on SQLite): of many writers racing If-None-Match on one key, exactly one wins."""
    if engine == "sqlite":
        url = f"sqlite://{tmp_path / 'shared.sqlite3'}"
    else:
        url = pg_server().create_database("race")
    stores = [MetaStore(open_database(url, tmp_path)) for _ in range(2)]
    for meta in stores:
        await meta.open()
    try:
        bucket = await stores[0].buckets.create("race", "o")
        for round_number in range(3):
            key = f"key-{round_number}"
            results = await asyncio.gather(
                *(put(stores[i % 2], bucket.id, key, guards=[if_none_match]) for i in range(16)),
                return_exceptions=True,
            )
            winners = [r for r in results if isinstance(r, ObjectInfo)]
            losers = [r for r in results if isinstance(r, JunctionError)]
            assert len(winners) == 1, results
            assert len(losers) == 15 and {e.code for e in losers} == {ErrorCode.PreconditionFailed}, results
            assert (await stores[1].objects.get(bucket.id, key)).etag == winners[0].etag
    finally:
        for meta in stores:
            await meta.close()


async def test_two_instances_never_overshoot_a_quota(engine: str, tmp_path: Path) -> None:
    """Inode quota of 5 under a prefix, 20 writers on two stores: exactly 5 objects land."""
    from gateway.core.quotas import quota_guard

    url = f"sqlite://{tmp_path / 'q.sqlite3'}" if engine == "sqlite" else pg_server().create_database("quota")
    stores = [MetaStore(open_database(url, tmp_path)) for _ in range(2)]
    for meta in stores:
        await meta.open()
    try:
        bucket = await stores[0].buckets.create("quota", "o")
        await stores[0].console.create_quota(bucket.id, "/p", "p/", None, 5)
        results = await asyncio.gather(
            *(put(stores[i % 2], bucket.id, f"p/{i}", guards=[quota_guard]) for i in range(20)),
            return_exceptions=True,
        )
        landed = [r for r in results if isinstance(r, ObjectInfo)]
        refused = [r for r in results if isinstance(r, JunctionError)]
        assert len(landed) == 5 and len(refused) == 15, results
        assert await stores[1].console.quota_usage(bucket.id, "p/") == (50, 5)
    finally:
        for meta in stores:
            await meta.close()


async def test_leases_expire_and_are_taken_over(store: MetaStore) -> None:
    cluster = store.cluster
    assert await cluster.acquire("duty", "a", ttl=30)
    assert await cluster.acquire("duty", "a", ttl=30)  # renewed by its holder
    assert not await cluster.acquire("duty", "b", ttl=30)  # held by another, unexpired
    assert await cluster.acquire("duty", "b", ttl=30, dead_holder="a")  # its holder known dead: taken at once
    assert (await cluster.lease("duty"))[0] == "b"
    assert await cluster.acquire("short", "a", ttl=0.2)
    await asyncio.sleep(0.3)
    assert await cluster.acquire("short", "b", ttl=30)  # expired: anyone takes it
    await cluster.release("short", "a")  # not the holder any more: nothing happens
    assert (await cluster.lease("short"))[0] == "b"
    await cluster.release("short", "b")
    assert await cluster.lease("short") is None


async def test_generations_and_cancel_requests(store: MetaStore) -> None:
    assert await store.cluster.generation("identity") == 0
    await store.cluster.bump("identity")
    await store.cluster.bump("identity")
    assert await store.cluster.generation("identity") == 2
    job = await store.jobs.create_job("sync", {}, "owner-1")
    assert not await store.cluster.cancel_requested(job)
    assert await store.cluster.request_cancel(job)
    assert await store.cluster.cancel_requested(job)
    await store.jobs.save_job(job, progress={}, state="canceled")
    assert not await store.cluster.request_cancel(job)  # no longer running
    assert (await store.jobs.get_job(job))["finished"] is not None


async def test_a_late_progress_write_never_reopens_a_finished_job(store: MetaStore) -> None:
    """A heartbeat's progress write already on its way when the job ended reaches the database
    after the final record: the job stays finished (it once went back to 'running' for good)."""
    job = await store.jobs.create_job("sync", {}, "owner-1")
    await store.jobs.save_progress(job, {"copied": 3})
    assert (await store.jobs.get_job(job))["progress"] == {"copied": 3}
    await store.jobs.save_job(job, progress={"copied": 4}, state="canceled", error="canceled by request")
    await store.jobs.save_progress(job, {"copied": 5})
    record = await store.jobs.get_job(job)
    assert record["state"] == "canceled" and record["progress"] == {"copied": 4} and record["finished"] is not None


async def test_contention_past_the_retry_time_is_slow_down(engine: str, store: MetaStore, monkeypatch) -> None:
    """A transaction still losing serialization races after RETRY_FOR answers 503 SlowDown (retryable),
    never the driver's raw error (a 500)."""
    if engine != "postgres":
        pytest.skip("SQLite has one writer: no serialization failures")
    from psycopg import errors as pg_errors

    from gateway.meta import pg

    monkeypatch.setattr(pg, "RETRY_FOR", 0.2)
    attempts = []

    def always_loses(_conn: sqlite3.Connection) -> None:
        attempts.append(1)
        raise pg_errors.SerializationFailure("could not serialize access")

    with pytest.raises(JunctionError) as refused:
        await store.db.transaction(always_loses)
    assert refused.value.code == ErrorCode.SlowDown and len(attempts) > 3
