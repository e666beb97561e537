"""Blob I/O over the user spaces' backends, and the collector of unreferenced blobs.

A blob is registered `pending` (with the writing process's id) before its bytes are written,
so a crash mid-write leaves a record the collector finds (at once when that process is
gone); it becomes `live` when an object or part references it and `dead` when nothing does
any more.

A small write (its size known and at most SMALL_BLOB) does not register its blob in a
transaction of its own: it takes a registration this process made ahead, in a batch
(`reserved`, RESERVE_BATCH at a time, refilled in the background), so a small PUT's
metadata costs one group-committed transaction instead of two. Reserved blobs of a process
that died are collected as its pending ones are; those of a live one only by that process's
own collector, for a write in flight that outlived the grace.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backends.base import BackendError, BlobNotFound, ByteSource, ByteStream
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Block
from gateway.meta.store import MetaStore

from .liveness import process_alive
from .spaces import Spaces
from .sse.packages import CorruptData, blob_key, decrypt, encrypt, sealed_range, sealed_size

log = logging.getLogger("junction.blobs")

SWEEP_EVERY = 3600.0  # seconds between sweeps of stale temporary files
SMALL_BLOB = 1024 * 1024  # writes of a known size up to this take a reserved registration
RESERVE_BATCH = 64  # registrations made ahead in one transaction
RESERVE_LOW = 16  # fewer left than this: make the next batch (in the background)


@dataclass(frozen=True, slots=True)
class WrittenBlob:
    blob_id: int
    space_id: int
    key: str
    size: int  # bytes of the object's data it holds (plaintext; an encrypted blob stores sealed_size(size))


class _Counted:
    """Counts the plaintext bytes going into an encrypted blob."""

    def __init__(self, stream: AsyncIterable[bytes]) -> None:
        self._stream = stream
        self.size = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for piece in self._stream:
            self.size += len(piece)
            yield piece


async def close_stream(stream: AsyncIterator[bytes]) -> None:
    """Close a backend's or a decryption's byte stream now, whether it ended or not: a reader
    left suspended (a download that stopped at a yield, every small GET's outer stream) is
    otherwise closed by the garbage collector's finalizer, which schedules a task for it
    through the loop's thread-safe wake-up (a system call and a task per small GET) and keeps
    the file open until then."""
    close = getattr(stream, "aclose", None)
    if close is not None:
        await close()


def corrupted(block: Block, why: str) -> JunctionError:
    """Stored ciphertext failed its check: tampered with or truncated in its user space."""
    log.error("blob %s in user space %s failed its integrity check: %s", block.blob_id, block.space_id, why)
    return JunctionError(ErrorCode.CorruptedObject)


BLOCKS_DIR = "blocks"  # where a shard store's blobs live, under its working dir


def new_blob_key() -> str:
    """Random, evenly spread key under 256 directories: few enough that they all exist soon
    (making one costs an fsync of its parent), enough to keep each small (a million blobs:
    about 4,000 a directory). Blobs written under the former two-level layout
    (blocks/ab/cd/...) keep their recorded keys."""
    name = uuid.uuid4().hex
    return f"{BLOCKS_DIR}/{name[:2]}/{name}"


async def _capped(stream: ByteSource, room: int, space_id: int, cap: int) -> ByteStream:
    written = 0
    async for piece in stream:
        written += len(piece)
        if written > room:
            raise JunctionError(
                ErrorCode.QuotaExceeded,
                f"user space {space_id}'s shard store is full (shardStore.maxSize is {cap} bytes)",
                user_space=space_id,
            )
        yield piece


class BlobIO:
    def __init__(self, store: MetaStore, spaces: Spaces, *, owner: str = "", owners_dir: Path | None = None) -> None:
        """`owner`: this process's id in `owners_dir` (liveness.py), recorded on the blobs it
        writes; without `owners_dir`, only the grace period tells orphans from writes in flight."""
        self._store = store
        self._spaces = spaces
        self._owner = owner
        self._owners_dir = owners_dir
        self._last_sweep = 0.0
        self._reserved: dict[int, list[tuple[int, str]]] = {}  # space id -> registrations made ahead
        self._refills: dict[int, asyncio.Task[None]] = {}
        self._in_flight: dict[int, float] = {}  # reserved blob id -> when its write began

    def _take_reserved(self, space_id: int) -> tuple[int, str] | None:
        """A registration made ahead for a small write (None: none ready, register one now);
        starts the next batch when few are left. Only with liveness (`owners_dir`), which is
        what tells a dead process's reservations from a live one's."""
        if not self._owner or self._owners_dir is None:
            return None
        ready = self._reserved.setdefault(space_id, [])
        if len(ready) < RESERVE_LOW and space_id not in self._refills:
            self._refills[space_id] = asyncio.create_task(self._reserve(space_id), name="junction-blob-reserve")
        return ready.pop() if ready else None

    async def _reserve(self, space_id: int) -> None:
        try:
            keys = [new_blob_key() for _ in range(RESERVE_BATCH)]
            ids = await self._store.blobs.reserve(space_id, keys, self._owner)
            self._reserved.setdefault(space_id, []).extend(zip(ids, keys, strict=True))
        except Exception:  # writes register their blobs one by one meanwhile
            log.warning("could not reserve blob registrations now", exc_info=True)
        finally:
            self._refills.pop(space_id, None)

    async def close(self) -> None:
        """Forget the reservations no write took (a killed process's go to the collector)."""
        for task in list(self._refills.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        unused = [blob_id for ready in self._reserved.values() for blob_id, _ in ready]
        self._reserved.clear()
        if unused:
            try:
                await self._store.blobs.unreserve(unused)
            except Exception:
                log.warning("could not release %d blob reservations; the next start collects them", len(unused))

    async def write(
        self,
        stream: ByteSource,
        *,
        space_id: int | None = None,
        size_hint: int | None = None,
        data_key: bytes | None = None,
        salt: bytes | None = None,
    ) -> WrittenBlob:
        """Stream into a new durable blob; on any failure nothing is left referenced.

        With `data_key` (an encrypted object's, core/sse), the blob holds the stream sealed in
        packages under its own key (the data key and a random salt recorded with the blob).
        With `salt` alone, the stream is already sealed (a stored blob copied as it is)."""
        space_id = space_id or self._spaces.default_id
        backend = self._spaces.backend(space_id)
        counted: _Counted | None = None
        if data_key is not None:
            salt = secrets.token_bytes(16)
            counted = _Counted(stream)
            stream = encrypt(blob_key(data_key, salt), counted)
            size_hint = sealed_size(size_hint) if size_hint is not None else None
        cap = self._spaces.row(space_id).shard_max_size
        if cap:  # a capped shard store: refuse the write once it would overflow
            stream = _capped(stream, cap - await self._store.spaces.usage(space_id), space_id, cap)
        small = salt is None and size_hint is not None and size_hint <= SMALL_BLOB
        reserved = self._take_reserved(space_id) if small else None
        if reserved is not None:
            blob_id, key = reserved
            self._in_flight[blob_id] = time.time()
        else:
            key = new_blob_key()
            blob_id = await self._store.blobs.new(space_id, key, self._owner, salt)
        # a backend that can write a never-used key in place (Local: no temporary file, no
        # rename, one fsync) does; the others' `put` is that already
        write = getattr(backend, "put_new", None) or backend.put
        try:
            size = await write(key, stream, size_hint)
        except BaseException:
            await self.discard(WrittenBlob(blob_id, space_id, key, 0))
            raise
        finally:
            self._in_flight.pop(blob_id, None)
        return WrittenBlob(blob_id, space_id, key, counted.size if counted is not None else size)

    async def copy_stored(self, block: Block, space_id: int) -> WrittenBlob:
        """Copy a block's blob into another user space as it is stored: an encrypted blob moves
        sealed, with its salt (no key needed: an SSE-C object moves too), a plain one as is."""
        salt = (await self._store.sse.salts([block.blob_id])).get(block.blob_id)
        if salt is None:
            return await self.write(self.read([block]), space_id=space_id, size_hint=block.size)
        stored = sealed_size(block.size)
        source = self._spaces.backend(block.space_id).get(block.blob_key, 0, stored)
        written = await self.write(source, space_id=space_id, size_hint=stored, salt=salt)
        return WrittenBlob(written.blob_id, written.space_id, written.key, block.size)

    @property
    def default_space_id(self) -> int:
        return self._spaces.default_id

    async def discard(self, blob: WrittenBlob) -> None:
        """Forget a blob no metadata points at (a write that failed before commit)."""
        try:
            await asyncio.shield(self._discard(blob))
        except Exception:  # the collector will retry
            log.warning("could not discard blob %s now; the collector will", blob.blob_id)

    async def _discard(self, blob: WrittenBlob) -> None:
        await self._store.blobs.abandon(blob.blob_id)
        await self._spaces.backend(blob.space_id).delete(blob.key)
        await self._store.blobs.forget(blob.blob_id)

    async def read(
        self, blocks: list[Block], start: int = 0, length: int | None = None, *, data_key: bytes | None = None
    ) -> AsyncIterator[bytes]:
        """Yield bytes [start, start+length) of the concatenation of `blocks`; with `data_key`,
        of their plaintext, fetching and opening only the packages the range overlaps."""
        remaining = sum(b.size for b in blocks) - start if length is None else length
        offset = start
        salts: dict[int, bytes] = {}
        if data_key is not None:  # read with the object; looked up only for blocks made without them
            salts = {b.blob_id: b.salt for b in blocks if b.salt is not None}
            missing = [b.blob_id for b in blocks if b.salt is None]
            if missing:
                salts.update(await self._store.sse.salts(missing))
        for block in blocks:
            if remaining <= 0:
                break
            if offset >= block.size:
                offset -= block.size
                continue
            take = min(block.size - offset, remaining)
            if data_key is None:
                pieces = self._spaces.backend(block.space_id).get(block.blob_key, offset, take)
            else:
                pieces = self._open(block, salts, data_key, offset, take)
            try:
                async for piece in pieces:
                    yield piece
            except BlobNotFound as exc:
                raise JunctionError(ErrorCode.InternalError, "object data is missing from its user space") from exc
            finally:
                await close_stream(pieces)
            remaining -= take
            offset = 0

    async def _open(
        self, block: Block, salts: dict[int, bytes], data_key: bytes, offset: int, take: int
    ) -> AsyncIterator[bytes]:
        salt = salts.get(block.blob_id)
        if salt is None:
            raise corrupted(block, "an encrypted object's blob has no salt")
        span = sealed_range(block.size, offset, take)
        sealed = self._spaces.backend(block.space_id).get(block.blob_key, span.offset, span.length)
        plain = decrypt(blob_key(data_key, salt), sealed, plain_size=block.size, wanted=span)
        try:
            async for piece in plain:
                yield piece
        except CorruptData as exc:
            raise corrupted(block, str(exc)) from None
        finally:
            await close_stream(plain)
            await close_stream(sealed)

    async def collect(self, grace_seconds: float = 3600.0) -> int:
        """The periodic pass: reclaim what `reclaim` finds, sweeping temporaries at most hourly;
        return how many blobs were deleted."""
        now = time.time()
        sweep = now - self._last_sweep >= SWEEP_EVERY  # a full directory walk: not every pass
        if sweep:
            self._last_sweep = now
        return (await self.reclaim(grace_seconds, sweep_temporaries=sweep)).blobs

    async def reclaim(
        self, grace_seconds: float, *, dry_run: bool = False, sweep_temporaries: bool = True, strays: bool = False
    ) -> Reclaimed:
        """Delete (or, dry, only count) dead blobs, pending ones older than the grace and, in
        backends that stage writes in temporary files (Local), temporaries older than the grace.
        With `strays`, also blob files of the data dir's own space that no row names (a blob
        registration a power loss undid): a full walk, for `junction admin gc`.

        Pending blobs of a process that died (its liveness lock is free) go whatever their age.

        Safe beside a running gateway: a write in flight is younger than the grace (its blob
        is pending, its temporary file keeps being written) or its process is alive, and a
        blob is claimed in the store before its bytes go, so a write that outlived the grace
        fails instead of committing.
        """
        cutoff = time.time() - grace_seconds
        dead = await self._dead_owners()
        mine = [blob_id for blob_id, began in self._in_flight.items() if began < cutoff]
        found = Reclaimed()
        if sweep_temporaries:
            for backend in self._spaces.all():
                sweep = getattr(backend, "sweep_temporaries", None)
                if sweep is not None:
                    count, size = await sweep(cutoff, dry_run=dry_run)
                    found.temporaries += count
                    found.temporary_bytes += size
        if strays:
            found.strays, found.stray_bytes = await self._strays(cutoff, dry_run)
        after_id = 0
        while rows := await self._store.blobs.collectable(cutoff, after_id=after_id, dead_owners=dead, mine=mine):
            after_id = rows[-1]["id"]
            for row in rows:
                size = await self._size(row)
                if dry_run:
                    found.blobs += 1
                    found.blob_bytes += size
                elif await self._reclaim_one(row, cutoff, dead, mine):
                    found.blobs += 1
                    found.blob_bytes += size
        return found

    async def _strays(self, cutoff: float, dry_run: bool) -> tuple[int, int]:
        """Files under `blocks/` of the default (data dir) space, older than the cutoff, with no
        blob row. Safe beside a running gateway: a blob's row is committed before its file is
        created and forgotten only after the file is deleted, so while the gateway runs no file
        lacks its row; the files are listed before the rows are read for the same reason."""
        space_id = self._spaces.default_id
        backend = self._spaces.backend(space_id)
        files = [info async for info in backend.list("blocks/") if info.mtime < cutoff]
        if not files:
            return 0, 0
        known = await self._store.blobs.keys(space_id)
        count = size = 0
        for info in files:
            if info.key in known or await backend.stat(info.key) is None:  # gone: a collector got it first
                continue
            if not dry_run:
                await backend.delete(info.key)
            count += 1
            size += info.size
        return count, size

    async def _size(self, row: Any) -> int:
        """A once-committed blob's size is recorded; a never-committed one's is asked of its backend."""
        if row["size"]:
            return int(row["size"])
        try:
            info = await self._spaces.backend(row["space_id"]).stat(row["key"])
        except (BackendError, JunctionError):
            return 0
        return info.size if info else 0

    async def _dead_owners(self) -> list[str]:
        if self._owners_dir is None:
            return []
        owners_dir = self._owners_dir
        return [
            owner
            for owner in await self._store.blobs.pending_owners()
            if owner != self._owner and not await process_alive(owners_dir, owner, self._store.cluster)
        ]

    async def _reclaim_one(self, row: Any, cutoff: float, dead_owners: list[str], mine: list[int]) -> bool:
        if not await self._store.blobs.claim(row["id"], cutoff, dead_owners, mine):
            return False  # committed since it was listed
        try:
            await self._spaces.backend(row["space_id"]).delete(row["key"])
        except (BackendError, JunctionError) as exc:
            log.warning("blob %s not collected yet: %s", row["id"], exc)
            return False
        await self._store.blobs.forget(row["id"])
        return True


@dataclass(slots=True)
class Reclaimed:
    """What a collection pass deleted (or, dry, would delete)."""

    blobs: int = 0
    blob_bytes: int = 0
    temporaries: int = 0
    temporary_bytes: int = 0
    strays: int = 0  # blob files the store has no record of (only after a power loss)
    stray_bytes: int = 0

    @property
    def count(self) -> int:
        return self.blobs + self.temporaries + self.strays

    @property
    def bytes(self) -> int:
        return self.blob_bytes + self.temporary_bytes + self.stray_bytes

    def as_json(self) -> dict[str, int]:
        return {
            "count": self.count,
            "bytes": self.bytes,
            "blobs": self.blobs,
            "blobBytes": self.blob_bytes,
            "temporaries": self.temporaries,
            "temporaryBytes": self.temporary_bytes,
            "strays": self.strays,
            "strayBytes": self.stray_bytes,
        }
