"""Bucket lifecycle rules: the configuration, the `x-amz-expiration` a rule promises an object,
and the periodic pass that carries the rules out (gateway/core/lifecycle_run.py).

The pass runs in the one scheduler that runs sync tasks (one process per data dir holds
`scheduler.lock`), at least every tenth of a lifecycle day, each pass as a job ("lifecycle")
whose progress and counts /v1/job/* show. A day is `lifecycle_day_seconds` long (86400 unless
shortened for tests).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.lifecycle import DAY, Expiry, LifecycleConfig, due
from gateway.domain.models import ObjectInfo
from gateway.meta.store import MetaStore

from .blobs import BlobIO
from .config_cache import BucketConfigCache
from .jobs import Job, JobService
from .lifecycle_run import LifecyclePass
from .object_lock import is_locked
from .objects import ObjectService

log = logging.getLogger("junction.lifecycle")

MAX_CHECK_EVERY = 3600.0  # seconds: a full-length day is still checked hourly
RETIRE_GRACE = 300.0  # seconds a transition keeps an object's old blocks for reads already under way
GENERATION_FILE = "lifecycle.gen"  # replaced after every configuration change, in any worker
CACHE_SECONDS = 5.0  # a cached configuration is read again after this long anyway (a bucket id reused)


class LifecycleService:
    def __init__(
        self,
        store: MetaStore,
        objects: ObjectService,
        blobs: BlobIO,
        jobs: JobService,
        data_dir: Path,
        day_seconds: float = DAY,
    ) -> None:
        if day_seconds <= 0:
            raise ValueError("lifecycle_day_seconds must be positive")
        self._store = store
        self._objects = objects
        self._blobs = blobs
        self._jobs = jobs
        self.day = float(day_seconds)
        self._next_check = 0.0
        self._running: Job | None = None
        # configurations for x-amz-expiration on GET/HEAD/PUT
        self._cache = BucketConfigCache(data_dir / GENERATION_FILE, self.config, CACHE_SECONDS)

    @property
    def check_every(self) -> float:
        """How often the scheduler looks at the rules: a tenth of a day (at most hourly)."""
        return min(self.day / 10, MAX_CHECK_EVERY)

    @property
    def retire_grace(self) -> float:
        return min(RETIRE_GRACE, self.day)

    # ------------------------------------------------------------ configuration

    async def get(self, bucket: str) -> LifecycleConfig:
        config = await self.config((await self._store.buckets.get(bucket)).id)
        if config is None:
            raise JunctionError(ErrorCode.NoSuchLifecycleConfiguration, bucket=bucket)
        return config

    async def config(self, bucket_id: int) -> LifecycleConfig | None:
        text = await self._store.lifecycle.config(bucket_id)
        return None if text is None else LifecycleConfig.from_json(text)

    async def put(self, bucket: str, config: LifecycleConfig) -> None:
        await self._store.lifecycle.put_config((await self._store.buckets.get(bucket)).id, config.to_json())
        self._cache.changed()
        self._next_check = 0.0  # look at the new rules at the next scheduler tick

    async def delete(self, bucket: str) -> None:
        await self._store.lifecycle.delete_config((await self._store.buckets.get(bucket)).id)
        self._cache.changed()

    async def cached_config(self, bucket_id: int) -> LifecycleConfig | None:
        """The bucket's configuration, from this process's cache while no worker changed any."""
        return await self._cache.get(bucket_id)

    # ------------------------------------------------------------ x-amz-expiration

    async def expiry(self, obj: ObjectInfo) -> Expiry:
        """When and by which rule the current version `obj` will expire (when None: no rule
        expires it, or it is locked: a locked object is never expired)."""
        config = await self.cached_config(obj.bucket_id)
        if config is None or not any(r.has_expiration for r in config.enabled):
            return Expiry(None, "")
        if is_locked(obj):
            return Expiry(None, "")
        tags = None
        if config.uses_tags() and obj.tag_count and obj.id:
            tags = (await self._store.s3ext.object_extras(obj.id)).tags
        return config.expiration(obj.key, obj.size, tags, obj.updated, self.day)

    async def abort_date(self, bucket_id: int, key: str, initiated: float) -> Expiry:
        """When and by which rule a multipart upload of `key` started at `initiated` will be aborted."""
        config = await self.cached_config(bucket_id)
        best = Expiry(None, "")
        for rule in config.enabled if config else ():
            if rule.abort_days is None or not key.startswith(rule.filter.prefix):
                continue
            when = due(initiated, rule.abort_days, self.day)
            if best.when is None or when < best.when:
                best = Expiry(when, rule.id)
        return best

    # ------------------------------------------------------------ the scheduled pass

    async def tick(self) -> None:
        """Called by the scheduler (scheduler lock held): start a pass when one is due."""
        now = time.monotonic()
        if now < self._next_check or (self._running is not None and self._jobs.is_running_here(self._running.id)):
            return
        self._next_check = now + self.check_every
        if not await self._store.lifecycle.configured() and not await self._store.lifecycle.has_retired():
            return
        self._running = await self._jobs.start("lifecycle", {}, self._run)

    async def _run(self, job: Job) -> dict[str, Any]:
        runner = LifecyclePass(self._store, self._objects, self._blobs, job, self.day)
        released = 0
        while batch := await self._store.lifecycle.release_retired(time.time() - self.retire_grace):
            released += batch
        result = await runner.run()
        return {**result, "blocksReleased": released}
