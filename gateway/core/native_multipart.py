"""Native multipart uploads: parts addressed by index, merged in any order with repeats.

Unlike S3 multipart, the pending upload is an object row (redundancy 'multipartUpload')
that native listings show and S3 never does. Completing writes no byte: the object's
blocks become the chosen parts' blobs; only the SHA-256 (fileHash) and MD5 (ETag) of the
merged content are computed by reading the parts back once.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

from gateway.domain.errors import ErrorCode, JunctionError, invalid_argument
from gateway.domain.models import Block, ObjectInfo, Package
from gateway.meta import native_parts_store as parts_store
from gateway.meta.records import CommitGuard
from gateway.meta.store import MetaStore

from .blobs import BlobIO, WrittenBlob
from .hashing import HashingStream, digest_all
from .multipart import MAX_PART_SIZE
from .notifications import object_created
from .objects import NO_SSE, Expectations, ObjectService
from .packages import validate_native_path

MAX_INDEX = 10000


def check_index(index: int) -> None:
    if not 0 <= index <= MAX_INDEX:
        raise invalid_argument(f"index must be between 0 and {MAX_INDEX}", argument="index")


class NativeMultipart:
    def __init__(self, store: MetaStore, objects: ObjectService, blobs: BlobIO, guards: list[CommitGuard]) -> None:
        self._store = store
        self._objects = objects
        self._blobs = blobs
        self._guards = guards

    async def create(self, package: Package, path: str) -> ObjectInfo:
        key = validate_native_path(package.name, path)
        cipher = await self._objects.cipher_for(package.bucket_id, NO_SSE)  # the bucket's default encryption
        return await self._store.native_parts.new_pending(
            package.bucket_id, key, self._guards, encryption=cipher.record if cipher else None
        )

    async def pending(self, object_id: int) -> ObjectInfo:
        obj = await self._store.objects.get_by_id(object_id, with_blocks=False)
        if obj is None or obj.redundancy != parts_store.PENDING:
            raise parts_store.no_such_upload(object_id)
        return obj

    async def write_part(
        self, body: AsyncIterator[bytes], *, space_id: int | None, pending: ObjectInfo | None = None
    ) -> tuple[WrittenBlob, HashingStream]:
        """Stream a part of the upload `pending` into a blob that nothing references yet
        (sealed with the upload's data key when its bucket encrypts by default)."""
        data_key = self._objects.data_key(pending) if pending is not None else None
        return await self._objects.write_blob(
            body, length=None, expect=Expectations(), space_id=space_id, max_size=MAX_PART_SIZE, data_key=data_key
        )

    async def attach(self, object_id: int, index: int, blob: WrittenBlob, stream: HashingStream) -> None:
        check_index(index)
        try:
            await self._store.native_parts.attach_part(object_id, index, blob.blob_id, blob.size, stream.md5_hex)
        except BaseException:
            await self._blobs.discard(blob)
            raise

    async def complete(self, object_id: int, indexes: list[int]) -> ObjectInfo:
        if not indexes:
            raise invalid_argument("indexes must list at least one part", argument="indexes")
        parts = await self._store.native_parts.list_parts(object_id)
        missing = sorted({i for i in indexes if i not in parts})
        if missing:
            raise JunctionError(ErrorCode.InvalidPart, f"Part(s) {missing} were not uploaded", object_id=object_id)
        chosen = [parts[i] for i in indexes]
        md5, sha256 = hashlib.md5(), hashlib.sha256()
        blocks = [Block(p.blob_id, p.space_id, p.blob_key, p.size) for p in chosen]
        data_key = self._objects.data_key(await self.pending(object_id))
        await digest_all(self._blobs.read(blocks, data_key=data_key), md5, sha256)  # off the loop
        obj = await self._store.native_parts.complete_pending(
            object_id,
            chosen,
            md5=md5.hexdigest(),
            sha256=sha256.hexdigest().upper(),
            guards=self._guards,
        )
        await object_created(self._objects.events, obj, "CompleteMultipartUpload")
        return obj
