"""Multipart uploads: parts are separate blobs, and completing an upload only writes
metadata: the object's blocks are the chosen parts' blobs, so no byte is copied."""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.mapping import validate_new_key
from gateway.domain.models import Block, Encryption, ObjectInfo, Part, Upload
from gateway.domain.object_lock import LockState
from gateway.meta.records import CommitGuard, NewObject
from gateway.meta.s3ext_store import ObjectExtras, PartRecord
from gateway.meta.store import MetaStore

from .blobs import BlobIO, WrittenBlob
from .checksums import combine_crc, composite_checksum
from .conditions import ByteRange
from .deferred_digest import DeferredDigests
from .hashing import HashingStream
from .notifications import object_created
from .objects import (
    DEFAULT_CONTENT_TYPE,
    NO_SSE,
    CopySource,
    Expectations,
    ObjectAttrs,
    ObjectService,
    WriteConditions,
    check_source_conditions,
)
from .sse.request import SseRequest
from .sse.service import NOT_APPLICABLE, digestible, hides_md5, opaque_etag

MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_SIZE = 5 * 1024**3
MAX_PART_NUMBER = 10000


@dataclass(slots=True)
class CompletedPart:
    """A part as the client lists it in CompleteMultipartUpload."""

    number: int
    etag: str
    checksums: dict[str, str] = field(default_factory=dict)


def check_checksum_type(algorithm: str | None, kind: str) -> None:
    """S3's pairs: CRC32 and CRC32C take either type, SHA1/SHA256 only COMPOSITE (a hash of
    hashes; no hash of the whole can be derived from the parts'), CRC64NVME only FULL_OBJECT."""
    if not algorithm or not kind:
        return
    allowed = {"CRC64NVME": ("FULL_OBJECT",), "SHA1": ("COMPOSITE",), "SHA256": ("COMPOSITE",)}
    if kind not in allowed.get(algorithm, ("COMPOSITE", "FULL_OBJECT")):
        raise JunctionError(
            ErrorCode.InvalidRequest,
            f"The {kind} checksum type cannot be used with the {algorithm.lower()} checksum algorithm.",
        )


def _listed_parts(listed: list[CompletedPart]) -> list[tuple[int, str]]:
    """A completion's parts as compared with a repeat of it: numbers and bare lower-case ETags."""
    return [(p.number, p.etag.strip('"').lower()) for p in listed]


def out_of_source_range(size: int) -> JunctionError:
    """UploadPartCopy's range reaches past the source object (S3: 400 InvalidArgument)."""
    return JunctionError(
        ErrorCode.InvalidArgument,
        f"Range specified is not valid for source object of size: {size}",
        argument="x-amz-copy-source-range",
    )


def check_part_number(number: int) -> None:
    if not 1 <= number <= MAX_PART_NUMBER:
        raise JunctionError(
            ErrorCode.InvalidArgument,
            "Part number must be an integer between 1 and 10000, inclusive",
            argument="partNumber",
        )


class MultipartService:
    def __init__(
        self,
        store: MetaStore,
        blobs: BlobIO,
        objects: ObjectService,
        guards: list[CommitGuard],
        digests: DeferredDigests,
    ) -> None:
        self._store = store
        self._blobs = blobs
        self._digests = digests
        self._objects = objects
        self._guards = guards
        self._ext = store.s3ext

    async def create(
        self,
        bucket: str,
        key: str,
        attrs: ObjectAttrs,
        *,
        owner: str,
        checksum_algorithm: str | None = None,
        checksum_type: str | None = None,
        tags: dict[str, str] | None = None,
        sse: SseRequest = NO_SSE,
        acl: str | None = None,
        lock: LockState | None = None,
    ) -> tuple[Upload, Encryption | None]:
        """Start an upload; `tags`, `acl` and `lock` are kept with it and given to the object at
        completion, and so is its encryption (`sse`, else the bucket default): every part is
        sealed with the upload's data key (SSE-C: each part request brings the same key)."""
        validate_new_key(key)
        attrs.validate()
        bucket_row = await self._store.buckets.get(bucket)
        kind = (checksum_type or "").upper()
        if kind and not checksum_algorithm:
            raise JunctionError(ErrorCode.InvalidRequest, "x-amz-checksum-type requires x-amz-checksum-algorithm")
        if kind not in ("", "COMPOSITE", "FULL_OBJECT"):
            raise JunctionError(ErrorCode.InvalidRequest, f"Unknown checksum type {checksum_type!r}")
        if checksum_algorithm and not kind:
            kind = "FULL_OBJECT" if checksum_algorithm == "CRC64NVME" else "COMPOSITE"
        check_checksum_type(checksum_algorithm, kind)
        cipher = await self._objects.cipher_for(bucket_row.id, sse)
        upload = Upload(
            id=uuid.uuid4().hex + uuid.uuid4().hex,
            bucket_id=bucket_row.id,
            bucket=bucket,
            key=key,
            content_type=attrs.content_type or DEFAULT_CONTENT_TYPE,
            headers=attrs.headers,
            meta=attrs.meta,
            checksum_algorithm=checksum_algorithm or "",
            checksum_type=kind,
            created=time.time(),
            owner=owner,
        )
        await self._store.uploads.create(upload)
        if tags:
            await self._ext.put_upload_tags(upload.id, tags)
        if acl is not None:
            await self._store.access.put_upload_acl(upload.id, acl)
        if lock is not None:
            await self._store.locks.put_upload_lock(upload.id, lock)
        if cipher is not None:
            await self._store.sse.put_upload_record(upload.id, cipher.record)
        return upload, cipher.record if cipher else None

    async def encryption(self, upload: Upload, sse: SseRequest | None) -> tuple[Encryption | None, bytes | None]:
        """The upload's encryption record and the data key its parts are sealed with; `sse`:
        the SSE-C key a part request brought (None: the gateway's own read, at completion)."""
        record = await self._store.sse.upload_record(upload.id)
        if record is None or self._objects.sse is None:
            if sse is not None and sse.customer is not None:
                raise JunctionError(ErrorCode.InvalidRequest, NOT_APPLICABLE)
            return None, None
        if not record.customer:
            return record, self._objects.sse.open_managed(record)
        if sse is None:
            return record, None
        if sse.customer is None:
            raise JunctionError(
                ErrorCode.InvalidRequest,
                "The multipart upload initiate requested encryption. Subsequent part requests must include the "
                "appropriate encryption parameters.",
            )
        try:
            return record, self._objects.sse.open(record, sse)
        except JunctionError as exc:
            if exc.code != ErrorCode.AccessDenied:
                raise
            raise JunctionError(
                ErrorCode.InvalidRequest, "The provided encryption parameters did not match the ones used originally."
            ) from None

    async def get(self, bucket: str, key: str, upload_id: str) -> Upload:
        bucket_row = await self._store.buckets.get(bucket)
        return await self._store.uploads.get(bucket_row, upload_id, key)

    async def upload_part(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        number: int,
        body: AsyncIterator[bytes],
        *,
        length: int | None,
        expect: Expectations,
        sse: SseRequest = NO_SSE,
    ) -> tuple[Part, Encryption | None]:
        check_part_number(number)
        upload = await self.get(bucket, key, upload_id)
        record, data_key = await self.encryption(upload, sse)
        if upload.checksum_algorithm and upload.checksum_algorithm not in expect.wanted():
            expect.algorithms.append(upload.checksum_algorithm)
        space_id = await self._objects.space_for_class(upload.bucket_id, upload.headers)
        blob, stream = await self._objects.write_blob(
            body, length=length, expect=expect, space_id=space_id, max_size=MAX_PART_SIZE, data_key=data_key
        )
        return await self._attach(upload, number, blob, stream, record, data_key), record

    async def upload_part_copy(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        number: int,
        source: CopySource,
        byte_range: ByteRange | None,
        *,
        source_sse: SseRequest = NO_SSE,
        sse: SseRequest = NO_SSE,
    ) -> tuple[Part, ObjectInfo, Encryption | None]:
        """A part copied from (a range of) an object: decrypted with the source's key and
        sealed with the upload's (the bytes are always rewritten, so nothing is shared)."""
        check_part_number(number)
        upload = await self.get(bucket, key, upload_id)
        record, data_key = await self.encryption(upload, sse)
        src = await self._objects.head(source.bucket, source.key, source.version_id)
        check_source_conditions(src, source)
        if byte_range is not None and byte_range.end >= src.size:
            raise out_of_source_range(src.size)
        expect = Expectations(algorithms=[upload.checksum_algorithm] if upload.checksum_algorithm else [])
        length = byte_range.length if byte_range else src.size
        blob, stream = await self._objects.write_blob(
            self._objects.read(src, byte_range, source_sse),
            length=length,
            expect=expect,
            space_id=await self._objects.space_for_class(upload.bucket_id, upload.headers),
            max_size=MAX_PART_SIZE,
            data_key=data_key,
        )
        return await self._attach(upload, number, blob, stream, record, data_key), src, record

    async def _attach(
        self,
        upload: Upload,
        number: int,
        blob: WrittenBlob,
        stream: HashingStream,
        record: Encryption | None,
        data_key: bytes | None,
    ) -> Part:
        etag = opaque_etag(data_key, stream.md5_digest) if hides_md5(record) and data_key else stream.md5_hex
        try:
            await self._store.uploads.put_part(upload.id, number, blob.blob_id, blob.size, etag, stream.checksums)
        except BaseException:
            await self._blobs.discard(blob)
            raise
        return Part(
            number=number,
            size=blob.size,
            etag=etag,
            checksums=stream.checksums,
            updated=time.time(),
            blob_id=blob.blob_id,
            space_id=blob.space_id,
            blob_key=blob.key,
        )

    async def complete(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        listed: list[CompletedPart],
        *,
        conditions: WriteConditions | None = None,
        expected_checksums: dict[str, str] | None = None,
        expected_size: int | None = None,
        expected_type: str | None = None,
        sse: SseRequest | None = None,
    ) -> ObjectInfo:
        """Commit the upload as the key's object; a repeat of a completion that already
        happened, with the same parts, answers what the first one did (as S3 does). `sse`: an
        SSE-C key the completion may bring (S3 needs none; without it, an SSE-C object's
        SHA-256, which only the plaintext gives, is left unknown)."""
        try:
            return await self._complete(
                bucket, key, upload_id, listed, conditions, expected_checksums, expected_size, expected_type, sse
            )
        except JunctionError as exc:
            if exc.code != ErrorCode.NoSuchUpload:
                raise
            bucket_row = await self._store.buckets.get(bucket)
            done = await self._store.uploads.completed(bucket_row.id, key, upload_id)
            if done is None or done.parts != _listed_parts(listed):
                raise
            return done.answer

    async def _complete(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        listed: list[CompletedPart],
        conditions: WriteConditions | None,
        expected_checksums: dict[str, str] | None,
        expected_size: int | None,
        expected_type: str | None = None,
        sse: SseRequest | None = None,
    ) -> ObjectInfo:
        upload = await self.get(bucket, key, upload_id)
        record, data_key = await self.encryption(upload, sse if sse is not None and sse.customer else None)
        if expected_type and expected_type.upper() != upload.checksum_type:
            raise JunctionError(
                ErrorCode.BadDigest,
                f"The {expected_type} checksum type you specified does not match the upload's "
                f"({upload.checksum_type or 'none'}) given to CreateMultipartUpload.",
            )
        if not listed:
            raise JunctionError(ErrorCode.MalformedXML, "You must specify at least one part")
        conditions = conditions or WriteConditions()
        await self._objects.precheck(upload.bucket_id, key, conditions)
        stored = {p.number: p for p in await self._store.uploads.list_parts(upload_id)}
        chosen = self._choose(listed, stored, upload)
        size = sum(p.size for p in chosen)
        if expected_size is not None and expected_size != size:
            raise JunctionError(
                ErrorCode.InvalidRequest, "The provided x-amz-mp-object-size does not match the object's size"
            )
        md5s = b"".join(bytes.fromhex(p.etag) for p in chosen)
        checksums = self._combined_checksums(upload, chosen)
        for alg, value in (expected_checksums or {}).items():
            computed = checksums.get(alg)
            # a COMPOSITE value may be named with or without its "-N" (base64 has no "-")
            if computed is None or value not in (computed, computed.split("-", 1)[0]):
                raise JunctionError(
                    ErrorCode.BadDigest, f"The {alg} you specified did not match the calculated checksum."
                )
        new = NewObject(
            bucket_id=upload.bucket_id,
            key=key,
            size=size,
            etag=f"{hashlib.md5(md5s).hexdigest()}-{len(chosen)}",
            sha256="",  # worked out after the answer (core/deferred_digest.py)
            content_type=upload.content_type,
            headers=upload.headers,
            meta=upload.meta,
            checksums=checksums,
            checksum_type=upload.checksum_type if checksums else "",
            parts_count=len(chosen),
            blob_ids=[p.blob_id for p in chosen],
            block_sizes=[p.size for p in chosen],
            extras=ObjectExtras(
                tags=await self._ext.upload_tags(upload_id),
                parts=[PartRecord(p.number, p.size, p.checksums if checksums else {}) for p in chosen],
                encryption=record,
                acl=await self._store.access.upload_acl(upload_id),
                lock=await self._store.locks.upload_lock(upload_id),
            ),
        )
        guards = [conditions.guard(prechecked=True), *self._guards]
        obj = await self._store.uploads.complete(upload_id, new, guards, parts=_listed_parts(listed))
        if digestible(record, data_key):
            blocks = [Block(p.blob_id, p.space_id, p.blob_key, p.size) for p in chosen]
            self._digests.schedule(obj.id, obj.etag, blocks, data_key)
        await object_created(self._objects.events, obj, "CompleteMultipartUpload")
        return obj

    @staticmethod
    def _choose(listed: list[CompletedPart], stored: dict[int, Part], upload: Upload) -> list[Part]:
        """Apply S3's rules: ascending numbers, known parts with matching ETags, 5 MiB minimum."""
        chosen: list[Part] = []
        previous = 0
        for item in listed:
            if item.number <= previous:
                raise JunctionError(
                    ErrorCode.InvalidPartOrder,
                    "The list of parts was not in ascending order. Parts must be ordered by part number.",
                )
            previous = item.number
            part = stored.get(item.number)
            if part is None or item.etag.strip('"').lower() != part.etag:
                raise JunctionError(
                    ErrorCode.InvalidPart,
                    "One or more of the specified parts could not be found. The part "
                    "may not have been uploaded, or the specified entity tag may not match the part's "
                    "entity tag.",
                    part=item.number,
                )
            for alg, value in item.checksums.items():
                if part.checksums.get(alg) not in (None, value):
                    raise JunctionError(
                        ErrorCode.InvalidPart, f"The {alg} checksum of part {item.number} does not match."
                    )
            chosen.append(part)
        for part in chosen[:-1]:
            if part.size < MIN_PART_SIZE:
                raise JunctionError(
                    ErrorCode.EntityTooSmall,
                    part=part.number,
                )
        return chosen

    @staticmethod
    def _combined_checksums(upload: Upload, parts: list[Part]) -> dict[str, str]:
        alg = upload.checksum_algorithm
        if not alg or any(alg not in p.checksums for p in parts):
            return {}
        digests = [base64.b64decode(p.checksums[alg]) for p in parts]
        if upload.checksum_type == "FULL_OBJECT":
            combined = combine_crc(alg, [(d, p.size) for d, p in zip(digests, parts, strict=True)])
            return {alg: base64.b64encode(combined).decode()}
        return {alg: composite_checksum(alg, digests)}

    async def abort(self, bucket: str, key: str, upload_id: str) -> None:
        await self.get(bucket, key, upload_id)
        await self._store.uploads.abort(upload_id)

    async def list_parts(
        self, bucket: str, key: str, upload_id: str, *, after: int, limit: int
    ) -> tuple[Upload, list[Part]]:
        upload = await self.get(bucket, key, upload_id)
        return upload, await self._store.uploads.list_parts(upload_id, after=after, limit=limit)

    async def list_uploads(
        self, bucket: str, *, prefix: str, key_marker: str, upload_id_marker: str, limit: int
    ) -> list[Upload]:
        bucket_row = await self._store.buckets.get(bucket)
        return await self._store.uploads.list_uploads(
            bucket_row, prefix=prefix, key_marker=key_marker, upload_id_marker=upload_id_marker, limit=limit
        )
