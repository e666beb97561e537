"""Per-path quotas (bytes and object count) enforced inside every commit transaction.

A quota on `/pkg/sub` covers the S3 keys under `pkg/sub/`; `/` covers the whole volume.
The check runs as a commit guard, in the same write transaction as the commit it judges,
so concurrent writers can never overshoot a limit together.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import ObjectInfo
from gateway.meta import console_store, history
from gateway.meta.records import NewObject
from gateway.meta.store import MetaStore


def normalise_path(path: Any) -> tuple[str, str]:
    """Return (display path, key prefix) for a quota path, refusing anything unsafe."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise JunctionError(ErrorCode.InvalidArgument, "path must be a string starting with '/'", field="path")
    segments = [s for s in path.split("/") if s]
    if any(s in (".", "..") or "\x00" in s for s in segments):
        raise JunctionError(ErrorCode.InvalidArgument, "path must not contain '.', '..' or NUL", field="path")
    display = "/" + "/".join(segments)
    return display, "".join(f"{s}/" for s in segments)


def limit(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise JunctionError(ErrorCode.InvalidArgument, f"{name} must be a non-negative integer", field=name)
    return value


def quota_guard(conn: sqlite3.Connection | None, old: ObjectInfo | None, new: NewObject | None) -> None:
    """Refuse a commit that would take any covering quota over its limit (deletes always pass).

    What the commit frees depends on versioning: an enabled bucket keeps the old version."""
    if conn is None or new is None:
        return
    rows = conn.execute("SELECT path, prefix, size, inodes FROM quotas WHERE bucket_id = ?", (new.bucket_id,))
    covering = [row for row in rows.fetchall() if new.key.startswith(row["prefix"])]
    if not covering:  # the usual case, known without reading the bucket's versioning
        return
    freed_bytes, freed_objects = history.freed_by_commit(conn, new.bucket_id, new.key, old)
    added_bytes = new.size - freed_bytes
    added_objects = 1 - freed_objects
    if added_bytes <= 0 and added_objects <= 0:
        return
    for row in covering:
        used_bytes, used_objects = console_store.usage_under(conn, new.bucket_id, row["prefix"])
        if row["size"] is not None and added_bytes > 0 and used_bytes + added_bytes > row["size"]:
            raise JunctionError(
                ErrorCode.QuotaExceeded,
                f"The size quota of {row['path']} ({row['size']} bytes) would be "
                f"exceeded: {used_bytes} used, {added_bytes} more requested",
            )
        if row["inodes"] is not None and added_objects > 0 and used_objects + added_objects > row["inodes"]:
            raise JunctionError(
                ErrorCode.QuotaExceeded, f"The object-count quota of {row['path']} ({row['inodes']}) would be exceeded"
            )


class QuotaService:
    def __init__(self, store: MetaStore) -> None:
        self._store = store

    async def describe(self, quota: dict[str, Any]) -> dict[str, Any]:
        used_bytes, used_objects = await self._store.console.quota_usage(quota["bucket_id"], quota["prefix"])
        return {
            "id": quota["id"],
            "path": quota["path"],
            "size": quota["size"],
            "inodes": quota["inodes"],
            "usage": {"size": used_bytes, "inodes": used_objects},
        }

    async def list(self, bucket_id: int) -> list[dict[str, Any]]:
        return [await self.describe(q) for q in await self._store.console.list_quotas(bucket_id)]

    async def get(self, bucket_id: int, quota_id: int) -> dict[str, Any]:
        return await self.describe(await self._store.console.get_quota(bucket_id, quota_id))

    async def create(self, bucket_id: int, body: dict[str, Any]) -> dict[str, Any]:
        path, prefix = normalise_path(body.get("path"))
        size, inodes = limit(body.get("size"), "size"), limit(body.get("inodes"), "inodes")
        quota_id = await self._store.console.create_quota(bucket_id, path, prefix, size, inodes)
        return await self.get(bucket_id, quota_id)

    async def update(self, bucket_id: int, quota_id: int, body: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if "path" in body:
            fields["path"], fields["prefix"] = normalise_path(body["path"])
        for name in ("size", "inodes"):
            if name in body:
                fields[name] = limit(body[name], name)
        await self._store.console.update_quota(bucket_id, quota_id, fields)
        return await self.get(bucket_id, quota_id)

    async def delete(self, bucket_id: int, quota_id: int) -> None:
        await self._store.console.delete_quota(bucket_id, quota_id)
