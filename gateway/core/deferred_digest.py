"""Whole-object SHA-256 of S3 multipart completions, worked out after the answer.

S3 never computes a digest of a whole multipart object (its ETag is the MD5 of the parts'
MD5s); only the native API shows one, as fileHash. Reading the object back for it inside
CompleteMultipartUpload made the client wait for a second pass over every byte (about a
quarter of a 512 MiB upload's time), so the completion commits with no digest ("", what
fileHash already shows when none is known) and this fills it in right after: one object at a
time per process, in completion order, starting a moment after the answer. The digest lands
only on the row it was read for (same object id and ETag, still without a digest): an object
replaced or deleted meanwhile keeps what it has. A digest still queued when the gateway stops
stays unknown.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from dataclasses import dataclass

from gateway.domain.errors import JunctionError
from gateway.domain.models import Block
from gateway.meta.store import MetaStore

from .backend_errors import BackendError
from .blobs import BlobIO
from .hashing import digest_all

log = logging.getLogger("junction.digest")

START_AFTER = 2.0  # seconds a digest waits before it starts (see `_run`)


@dataclass(frozen=True, slots=True)
class _Pending:
    object_id: int
    etag: str
    blocks: list[Block]
    data_key: bytes | None


class DeferredDigests:
    def __init__(self, store: MetaStore, blobs: BlobIO) -> None:
        self._store = store
        self._blobs = blobs
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    def schedule(self, object_id: int, etag: str, blocks: list[Block], data_key: bytes | None) -> None:
        """Queue the digest of a just-completed object (`data_key`: its plaintext's, if encrypted)."""
        self._queue.put_nowait(_Pending(object_id, etag, blocks, data_key))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._run(), name="junction-deferred-digest")

    async def _run(self) -> None:
        # Not at once: what often follows an upload is a read of it (a client verifying its copy),
        # which would otherwise share the CPU with this second pass over the same bytes.
        await asyncio.sleep(START_AFTER)
        while not self._queue.empty():
            pending = self._queue.get_nowait()
            try:
                await self._digest(pending)
            except (BackendError, JunctionError) as exc:  # its blobs collected meanwhile: nothing to fill in
                log.info("no digest for object %s: %s", pending.object_id, exc)
            except Exception:
                log.warning("could not digest object %s; its fileHash stays unknown", pending.object_id, exc_info=True)

    async def _digest(self, pending: _Pending) -> None:
        current = await self._store.objects.get_by_id(pending.object_id, with_blocks=False)
        if current is None or current.etag != pending.etag or current.sha256:
            return  # deleted or replaced before its turn: the blobs may be gone too
        digest = hashlib.sha256()
        await digest_all(self._blobs.read(pending.blocks, data_key=pending.data_key), digest)
        await self._store.objects.fill_in_sha256(pending.object_id, pending.etag, digest.hexdigest().upper())

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
