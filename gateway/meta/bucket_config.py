"""A table of one JSON configuration document per bucket (`bucket_id`, `config`, `updated`):
lifecycle rules and notifications are kept this way; their stores add what is theirs."""

from __future__ import annotations

import time

from .db import Database


class BucketConfigTable:
    TABLE = ""  # set by each store: a constant of the schema, never a caller's value

    def __init__(self, db: Database) -> None:
        self.db = db

    async def config(self, bucket_id: int) -> str | None:
        row = await self.db.fetchone(f"SELECT config FROM {self.TABLE} WHERE bucket_id = ?", (bucket_id,))
        return None if row is None else str(row[0])

    async def put_config(self, bucket_id: int, config: str) -> None:
        await self.db.transaction(
            lambda conn: conn.execute(
                f"INSERT INTO {self.TABLE} (bucket_id, config, updated) VALUES (?, ?, ?) "
                "ON CONFLICT (bucket_id) DO UPDATE SET config = excluded.config, updated = excluded.updated",
                (bucket_id, config, time.time()),
            )
        )

    async def delete_config(self, bucket_id: int) -> None:
        await self.db.transaction(
            lambda conn: conn.execute(f"DELETE FROM {self.TABLE} WHERE bucket_id = ?", (bucket_id,))
        )
