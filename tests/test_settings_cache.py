"""The bucket settings a write reads (Object Lock configuration, default encryption, storage
class mappings) are cached per process: no SQL while nothing changes, and a change committed
by another process sharing the database (another worker, `junction admin`) is seen by the
very next read. Two MetaStores over one SQLite file stand for two processes; SQLite's trace
callback counts the statements the reader runs."""

from __future__ import annotations

from pathlib import Path

from gateway.domain.object_lock import DefaultRetention, LockConfig
from gateway.meta.db import _sqlite
from gateway.meta.store import MetaStore


async def opened(path: Path) -> tuple[MetaStore, list[str]]:
    store = MetaStore(path)
    await store.open()
    statements: list[str] = []
    reader = store.db.reader
    await reader._execute(lambda: _sqlite(reader).set_trace_callback(statements.append))
    return store, statements


async def test_settings_reads_run_no_sql_until_another_process_changes_them(tmp_path: Path) -> None:
    one, one_sql = await opened(tmp_path / "meta.sqlite3")
    other, _ = await opened(tmp_path / "meta.sqlite3")
    try:
        bucket = await one.buckets.create("cached", "owner")
        assert await one.sse.bucket_default(bucket.id) is None
        assert await one.locks.config(bucket.id) is None
        assert await one.placement.classes(bucket.id) == {} and await one.placement.classes() == {}
        one_sql.clear()
        for _ in range(3):
            assert await one.sse.bucket_default(bucket.id) is None
            assert await one.locks.config(bucket.id) is None
            assert await one.placement.classes(bucket.id) == {} and await one.placement.classes() == {}
        assert one_sql == []  # all from the cache

        await other.sse.put_bucket_default(bucket.id, {"algorithm": "AES256"})
        assert await one.sse.bucket_default(bucket.id) == {"algorithm": "AES256"}
        await other.placement.set_classes({"GLACIER": "cold"})
        await other.placement.set_classes({"STANDARD_IA": "warm"}, bucket.id)
        assert await one.placement.classes() == {"GLACIER": "cold"}
        assert await one.placement.classes(bucket.id) == {"STANDARD_IA": "warm"}
        retention = LockConfig(DefaultRetention("GOVERNANCE", 1, None))
        await other.locks.put_config(bucket.id, retention, enable_versioning=True)
        assert await one.locks.config(bucket.id) == retention
        await other.sse.delete_bucket_default(bucket.id)
        assert await one.sse.bucket_default(bucket.id) is None
    finally:
        await one.close()
        await other.close()


async def test_a_deleted_buckets_settings_do_not_outlive_it(tmp_path: Path) -> None:
    """SQLite may give a new bucket the id of the last one deleted: its settings start empty."""
    one, _ = await opened(tmp_path / "meta.sqlite3")
    other, _ = await opened(tmp_path / "meta.sqlite3")
    try:
        first = await one.buckets.create("first", "owner")
        await one.sse.put_bucket_default(first.id, {"algorithm": "AES256"})
        assert await one.sse.bucket_default(first.id) == {"algorithm": "AES256"}
        await other.buckets.delete(first.id)
        second = await other.buckets.create("second", "owner")
        assert second.id == first.id  # the id was reused: what this test is about
        assert await one.sse.bucket_default(second.id) is None
    finally:
        await one.close()
        await other.close()


async def test_a_callers_copy_does_not_change_the_cached_value(tmp_path: Path) -> None:
    store, _ = await opened(tmp_path / "meta.sqlite3")
    try:
        bucket = await store.buckets.create("copies", "owner")
        await store.sse.put_bucket_default(bucket.id, {"algorithm": "AES256"})
        (await store.sse.bucket_default(bucket.id))["algorithm"] = "changed by a caller"
        (await store.placement.classes()).update(GLACIER="mine")
        assert await store.sse.bucket_default(bucket.id) == {"algorithm": "AES256"}
        assert await store.placement.classes() == {}
    finally:
        await store.close()
