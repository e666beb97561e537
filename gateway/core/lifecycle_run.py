"""One lifecycle pass over every bucket with rules: expirations, noncurrent-version expirations,
expired delete markers, aborts of stale multipart uploads, and transitions between the user
spaces storage classes map onto.

Every scan is keyset-paginated over the metadata (`BATCH` keys at a time, within the prefixes
the enabled rules name), so a bucket of a million objects is never held in memory. A
transition writes the version's blocks into the target class's space, then switches the
version to them in one metadata commit (ETag, version id, Last-Modified and part boundaries
unchanged), then retires the old blocks; a crash before the commit leaves the version on its
old blocks (the new ones are pending blobs of a dead process, which the collector takes) and
the next pass does the transition again.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from backends.base import BackendError
from gateway.domain.errors import JunctionError
from gateway.domain.lifecycle import LifecycleConfig, Rule, due, rank
from gateway.domain.models import Block, Deletion
from gateway.meta.lifecycle_store import Candidate, KeyHistory, version_locked
from gateway.meta.store import MetaStore

from .blobs import BlobIO, WrittenBlob
from .jobs import Job
from .notifications import object_removed, object_transitioned
from .objects import ObjectService
from .storage_classes import STANDARD, storage_class_of, with_storage_class

log = logging.getLogger("junction.lifecycle")

BATCH = 500
MAX_ERRORS = 20


def scan_prefixes(prefixes: list[str]) -> list[str]:
    """The fewest key ranges covering every prefix: drop a prefix another one contains."""
    kept: list[str] = []
    for prefix in sorted(set(prefixes)):
        if not any(prefix.startswith(k) for k in kept):
            kept.append(prefix)
    return kept


def _expired(when: float | None, now: float) -> bool:
    return when is not None and when <= now


class LifecyclePass:
    def __init__(self, store: MetaStore, objects: ObjectService, blobs: BlobIO, job: Job, day: float) -> None:
        self._store = store
        self._objects = objects
        self._blobs = blobs
        self._job = job
        self._day = day
        self._errors: list[str] = []
        self.counts = {
            "buckets": 0,
            "scanned": 0,
            "expired": 0,
            "noncurrentExpired": 0,
            "deleteMarkersRemoved": 0,
            "uploadsAborted": 0,
            "transitioned": 0,
            "transitionedBytes": 0,
            "lockedSkipped": 0,
            "failed": 0,
        }

    async def run(self) -> dict[str, Any]:
        for bucket_id, name, text in await self._store.lifecycle.configured():
            config = LifecycleConfig.from_json(text)
            if not config.enabled:
                continue
            self.counts["buckets"] += 1
            self._job.update(bucket=name)
            await self._current_versions(bucket_id, config)
            await self._histories(bucket_id, config)
            await self._uploads(bucket_id, config)
        self._job.update(current="", **self.counts, errors=self._errors)
        return {**self.counts, "errors": self._errors}

    def _note(self, message: str) -> None:
        self.counts["failed"] += 1
        if len(self._errors) < MAX_ERRORS:
            self._errors.append(message)
        log.warning("lifecycle: %s", message)

    def _progress(self, key: str) -> None:
        self._job.check_canceled()
        self.counts["scanned"] += 1
        self._job.update(current=key, **self.counts)

    # ------------------------------------------------------------ current versions

    async def _current_versions(self, bucket_id: int, config: LifecycleConfig) -> None:
        rules = [r for r in config.enabled if r.expiration_days is not None or r.expiration_date or r.transitions]
        for prefix in scan_prefixes([r.filter.prefix for r in rules]):
            after: str | None = None
            while batch := await self._store.lifecycle.current_batch(bucket_id, prefix, after, BATCH):
                after = batch[-1].key
                for candidate in batch:
                    self._progress(candidate.key)
                    try:
                        await self._current(bucket_id, config, rules, candidate)
                    except (JunctionError, BackendError) as exc:
                        self._note(f"{candidate.key!r}: {exc}")

    async def _current(self, bucket_id: int, config: LifecycleConfig, rules: list[Rule], cand: Candidate) -> None:
        now = time.time()
        matching = [r for r in rules if r.filter.matches(cand.key, cand.size, cand.tags)]
        if any(_expired(r.expires_at(cand.updated, self._day), now) for r in matching):
            if version_locked(cand.lock, now):
                self.counts["lockedSkipped"] += 1
            elif deletion := await self._store.lifecycle.expire_current(
                bucket_id, cand.key, cand.version_id, cand.updated
            ):
                self.counts["expired"] += 1
                await object_removed(
                    self._objects.events, bucket_id, cand.key, deletion, latest=True, family="LifecycleExpiration"
                )
            return
        target = None
        for rule in matching:
            step = rule.transition_due(cand.updated, self._day, now)
            if (
                step
                and config.transition_allowed(rule, cand.size, step)
                and (target is None or rank(step) > rank(target))
            ):
                target = step
        if target is not None:
            await self._transition(bucket_id, cand, target)

    # ------------------------------------------------------------ noncurrent versions and markers

    async def _histories(self, bucket_id: int, config: LifecycleConfig) -> None:
        rules = [
            r
            for r in config.enabled
            if r.noncurrent_days is not None
            or r.noncurrent_transitions
            or r.expired_delete_marker
            or r.expiration_days is not None
            or r.expiration_date is not None
        ]
        for prefix in scan_prefixes([r.filter.prefix for r in rules]):
            after: str | None = None
            while keys := await self._store.lifecycle.history_keys(bucket_id, prefix, after, BATCH):
                after = keys[-1]
                for key in keys:
                    self._progress(key)
                    await self._history(
                        bucket_id, config, rules, await self._store.lifecycle.key_history(bucket_id, key)
                    )

    async def _history(self, bucket_id: int, config: LifecycleConfig, rules: list[Rule], kh: KeyHistory) -> None:
        now = time.time()
        chain = ([kh.current] if kh.current else []) + kh.history  # newest first
        newer = 0  # noncurrent (non-marker) versions newer than the one at hand
        remaining = len(kh.history)
        for position, cand in enumerate(chain):
            if position == 0:
                continue  # the latest version: current, or the marker hiding the key
            since = chain[position - 1].updated  # it became noncurrent when its successor was made
            matching = [
                r for r in rules if r.filter.matches(cand.key, cand.size, None if cand.delete_marker else cand.tags)
            ]
            if self._noncurrent_expired(matching, since, newer, now):
                if version_locked(cand.lock, now):
                    self.counts["lockedSkipped"] += 1
                elif await self._store.lifecycle.delete_noncurrent(bucket_id, cand.key, cand.row_id):
                    self.counts["noncurrentExpired"] += 1
                    await object_removed(
                        self._objects.events,
                        bucket_id,
                        cand.key,
                        Deletion(cand.version_id or "null", cand.delete_marker),
                        latest=False,
                        family="LifecycleExpiration",
                    )
                    remaining -= 1
                    continue
            elif not cand.delete_marker:
                target = self._noncurrent_target(config, matching, cand, since, newer, now)
                if target is not None:
                    await self._transition(bucket_id, cand, target)
            if not cand.delete_marker:
                newer += 1
        if kh.current is None and remaining == 1 and kh.history and kh.history[0].delete_marker:
            await self._lone_marker(bucket_id, rules, kh.history[0], now)

    @staticmethod
    def _noncurrent_expired_by(rule: Rule, since: float, newer: int, now: float, day: float) -> bool:
        if rule.noncurrent_days is None or due(since, rule.noncurrent_days, day) > now:
            return False
        return newer >= (rule.newer_noncurrent or 0)

    def _noncurrent_expired(self, rules: list[Rule], since: float, newer: int, now: float) -> bool:
        return any(self._noncurrent_expired_by(r, since, newer, now, self._day) for r in rules)

    def _noncurrent_target(
        self, config: LifecycleConfig, rules: list[Rule], cand: Candidate, since: float, newer: int, now: float
    ) -> str | None:
        target: str | None = None
        for rule in rules:
            for step in rule.noncurrent_transitions:
                if due(since, step.days, self._day) > now or newer < (step.newer or 0):
                    continue
                if config.transition_allowed(rule, cand.size, step.storage_class) and (
                    target is None or rank(step.storage_class) > rank(target)
                ):
                    target = step.storage_class
        return target

    async def _lone_marker(self, bucket_id: int, rules: list[Rule], marker: Candidate, now: float) -> None:
        """S3's "expired object delete marker": the only version left is a delete marker. It goes
        when a rule says ExpiredObjectDeleteMarker, or by a Days or Date expiration once due (the
        user guide, "Expiring objects")."""
        for rule in rules:
            if not rule.filter.matches(marker.key, 0, None):
                continue
            by_days = rule.expiration_days is not None and due(marker.updated, rule.expiration_days, self._day) <= now
            by_date = rule.expiration_date is not None and rule.expiration_date <= now
            if rule.expired_delete_marker or by_days or by_date:
                if await self._store.lifecycle.delete_lone_marker(bucket_id, marker.key, marker.row_id):
                    self.counts["deleteMarkersRemoved"] += 1
                    await object_removed(  # a version permanently deleted: LifecycleExpiration:Delete
                        self._objects.events,
                        bucket_id,
                        marker.key,
                        Deletion(marker.version_id or "null", True),
                        latest=False,
                        family="LifecycleExpiration",
                    )
                return

    # ------------------------------------------------------------ incomplete multipart uploads

    async def _uploads(self, bucket_id: int, config: LifecycleConfig) -> None:
        now = time.time()
        for rule in config.enabled:
            if rule.abort_days is None:
                continue
            cutoff = (now // self._day - rule.abort_days) * self._day  # started before: due by now
            after: str | None = None
            while batch := await self._store.lifecycle.stale_uploads(
                bucket_id, rule.filter.prefix, cutoff, after, BATCH
            ):
                after = batch[-1][0]
                for upload_id, key in batch:
                    self._progress(key)
                    if await self._store.uploads.abort(upload_id):
                        self.counts["uploadsAborted"] += 1

    # ------------------------------------------------------------ transitions

    async def _transition(self, bucket_id: int, cand: Candidate, target: str) -> None:
        current = storage_class_of(cand.headers)
        if rank(current) < 0 or rank(target) <= rank(current):
            return  # lifecycle moves objects down the waterfall only, never OUTPOSTS and the like
        found = await self._store.versions.find(bucket_id, cand.key, cand.version_id)
        obj = found.obj if found is not None else None
        if obj is None or obj.updated != cand.updated:
            return  # changed since the scan
        headers = with_storage_class(obj.headers, target if target != STANDARD else None)
        self._job.update(current=cand.key, transition=target, blocksTotal=len(obj.blocks), blocksDone=0)
        try:
            blocks = await self._objects.placed_blocks(
                obj, bucket_id, headers, on_block=lambda _b: self._job.add(blocksDone=1)
            )
        except (JunctionError, BackendError) as exc:
            self._note(f"{cand.key!r} to {target}: {exc}")
            return
        written = [b for b in blocks if b not in obj.blocks]
        try:
            switched = await self._store.lifecycle.switch_blocks(
                bucket_id,
                cand.key,
                cand,
                [b.blob_id for b in obj.blocks],
                [b.blob_id for b in blocks],
                [b.size for b in blocks],
                headers,
            )
        except BaseException:
            await self._discard(written)
            raise
        if not switched:
            await self._discard(written)
            return
        self.counts["transitioned"] += 1
        self.counts["transitionedBytes"] += obj.size
        await object_transitioned(self._objects.events, bucket_id, obj)

    async def _discard(self, blocks: list[Block]) -> None:
        for block in blocks:
            await self._blobs.discard(WrittenBlob(block.blob_id, block.space_id, block.blob_key, block.size))
