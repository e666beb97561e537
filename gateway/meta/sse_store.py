"""Encryption at rest: bucket default encryption, the records of uploads in progress, and
blob salts (sse_schema.py). Object records are written with the object (s3ext_store's
`write_object_extras`) and read with it (rows.OBJECT_COLUMNS). Each method is one unit of work."""

from __future__ import annotations

import json
from typing import Any

from gateway.domain.models import Encryption

from .db import Database
from .rows import encryption_of
from .settings_cache import SettingsCache


class SseStore:
    def __init__(self, db: Database, settings: SettingsCache | None = None) -> None:
        self.db = db
        self._settings = settings or SettingsCache(None)

    async def bucket_default(self, bucket_id: int) -> dict[str, Any] | None:
        async def load() -> str | None:
            row = await self.db.fetchone("SELECT config FROM bucket_encryption WHERE bucket_id = ?", (bucket_id,))
            return str(row["config"]) if row else None

        text = await self._settings.read(("encryption", bucket_id), load)
        return dict(json.loads(text)) if text is not None else None  # a fresh dict: callers may change theirs

    async def put_bucket_default(self, bucket_id: int, config: dict[str, Any]) -> None:
        try:
            await self.db.transaction(
                lambda conn: conn.execute(
                    "INSERT INTO bucket_encryption (bucket_id, config) VALUES (?, ?) "
                    "ON CONFLICT (bucket_id) DO UPDATE SET config = excluded.config",
                    (bucket_id, json.dumps(config)),
                )
            )
        finally:
            self._settings.changed()

    async def delete_bucket_default(self, bucket_id: int) -> None:
        try:
            await self.db.transaction(
                lambda conn: conn.execute("DELETE FROM bucket_encryption WHERE bucket_id = ?", (bucket_id,))
            )
        finally:
            self._settings.changed()

    async def encrypted_buckets(self) -> set[int]:
        rows = await self.db.fetchall("SELECT bucket_id FROM bucket_encryption", ())
        return {int(r["bucket_id"]) for r in rows}

    async def upload_record(self, upload_id: str) -> Encryption | None:
        row = await self.db.fetchone("SELECT record FROM upload_encryption WHERE upload_id = ?", (upload_id,))
        return encryption_of(row["record"] if row else None)

    async def put_upload_record(self, upload_id: str, record: Encryption) -> None:
        await self.db.transaction(
            lambda conn: conn.execute(
                "INSERT INTO upload_encryption (upload_id, record) VALUES (?, ?) "
                "ON CONFLICT (upload_id) DO UPDATE SET record = excluded.record",
                (upload_id, json.dumps(record.as_json())),
            )
        )

    async def salts(self, blob_ids: list[int]) -> dict[int, bytes]:
        """blob id -> salt of those blobs that are encrypted."""
        if not blob_ids:
            return {}
        marks = ",".join("?" * len(blob_ids))
        rows = await self.db.fetchall(
            f"SELECT blob_id, salt FROM blob_salts WHERE blob_id IN ({marks})", tuple(blob_ids)
        )
        return {int(r["blob_id"]): bytes(r["salt"]) for r in rows}
