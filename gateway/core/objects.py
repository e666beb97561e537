"""Object writes, reads, copies and deletes over the bucket/package/object model.

A write streams into a new blob while hashing, verifies every digest the client sent,
and only then commits the metadata row (atomically replacing any previous version).
Copies share blocks (reference counted) instead of copying bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.mapping import validate_key, validate_new_key
from gateway.domain.models import Block, Deletion, ObjectInfo
from gateway.domain.object_lock import LockState
from gateway.domain.text import HEADER_NAME, require_header_safe
from gateway.meta import history
from gateway.meta.records import CommitGuard, NewObject
from gateway.meta.s3ext_store import ObjectExtras
from gateway.meta.store import MetaStore

from .blobs import BlobIO, WrittenBlob
from .checksums import ALGORITHMS, ChecksumMismatch
from .conditions import ByteRange, check_read_conditions, etag_matches
from .hashing import HashingStream
from .notifications import NotificationService, object_created, object_removed
from .sse.copying import copy_encryption, encryption_changes, is_customer
from .sse.request import SseRequest
from .sse.service import Cipher, EncryptionService, hides_md5, kept_sha256, opaque_etag
from .storage_classes import HEADER as STORAGE_CLASS_HEADER
from .storage_classes import StorageClassService, with_storage_class
from .versioning import delete_version, missing_key, read_object_version, read_version

MAX_PUT_SIZE = 5 * 1024**3  # S3's single-request limit
MAX_USER_META_BYTES = 2048
DEFAULT_CONTENT_TYPE = "binary/octet-stream"


@dataclass(slots=True)
class ObjectAttrs:
    """What the client said about the object: content headers and user metadata."""

    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # content-encoding, cache-control, ...
    meta: dict[str, str] = field(default_factory=dict)

    def validate(self) -> None:
        # Every value is sent back as a response header on GET/HEAD: a browser-form upload
        # (fields, not headers) could otherwise store CR/LF and split those responses.
        require_header_safe(self.content_type, "Content-Type")
        for name, value in self.headers.items():
            require_header_safe(value, name)
        for name, value in self.meta.items():
            if not HEADER_NAME.fullmatch(name):
                raise JunctionError(
                    ErrorCode.InvalidArgument, "User metadata names must be HTTP header tokens", argument=name
                )
            require_header_safe(value, f"x-amz-meta-{name}")
        size = sum(len(k.encode()) + len(v.encode()) for k, v in self.meta.items())  # safe text by now
        if size > MAX_USER_META_BYTES:
            raise JunctionError(ErrorCode.MetadataTooLarge)


@dataclass(slots=True)
class Expectations:
    """Digests the client claims for the body; all are verified before anything is committed."""

    content_md5: str | None = None  # base64, from Content-MD5
    sha256_hex: str | None = None  # from a signed x-amz-content-sha256
    checksums: dict[str, str] = field(default_factory=dict)  # algorithm -> base64, from headers
    algorithms: list[str] = field(default_factory=list)  # compute and store these too
    trailer: Callable[[], dict[str, str]] | None = None  # algorithm -> base64, known after the body

    def wanted(self) -> list[str]:
        return list(dict.fromkeys([*self.checksums, *self.algorithms]))

    def verify(self, stream: HashingStream) -> None:
        if self.content_md5 is not None:
            try:
                claimed = base64.b64decode(self.content_md5, validate=True)
            except (binascii.Error, ValueError):
                raise JunctionError(ErrorCode.InvalidDigest, "The Content-MD5 you specified was invalid.") from None
            if len(claimed) != 16:
                raise JunctionError(ErrorCode.InvalidDigest, "The Content-MD5 you specified was invalid.")
            if claimed != stream.md5_digest:
                raise JunctionError(
                    ErrorCode.BadDigest, "The Content-MD5 you specified did not match what we received."
                )
        if self.sha256_hex is not None and self.sha256_hex.lower() != stream.sha256_hex:
            raise JunctionError(
                ErrorCode.XAmzContentSHA256Mismatch,
            )
        computed = stream.checksums
        claimed_all = dict(self.checksums)
        if self.trailer is not None:
            claimed_all.update(self.trailer())
        for alg, value in claimed_all.items():
            if computed.get(alg) != value:
                raise ChecksumMismatch(alg)


def checksum_algorithm(name: str | None) -> str | None:
    """Normalise a client-supplied checksum algorithm name, refusing unknown ones."""
    if not name:
        return None
    upper = name.upper()
    if upper not in ALGORITHMS:
        raise JunctionError(ErrorCode.InvalidRequest, f"Checksum algorithm {name!r} is not supported")
    return upper


@dataclass(slots=True)
class WriteConditions:
    if_match: str | None = None
    if_none_match: str | None = None  # "*" (no object at all) or ETags the current object must not have
    no_overwrite: bool = False  # append-only keys

    @property
    def conditional(self) -> bool:
        return self.if_match is not None or self.if_none_match is not None or self.no_overwrite

    def guard(self, *, prechecked: bool = False) -> CommitGuard:
        """The check, run again inside the commit against the row as it is then.

        `prechecked`: the conditions held when the request started, so a failure now means a
        concurrent write won the race while this one streamed: AWS's 409 ConditionalRequestConflict.
        """

        def check(_conn: sqlite3.Connection, old: ObjectInfo | None, _new: NewObject | None) -> None:
            try:
                self.check(old)
            except JunctionError as exc:
                if prechecked and exc.code in (ErrorCode.PreconditionFailed, ErrorCode.NoSuchKey):
                    raise JunctionError(ErrorCode.ConditionalRequestConflict) from None
                raise

        return check

    def check(self, old: ObjectInfo | None) -> None:
        """Raise when the object as it stands (`old`, None when absent) fails these conditions."""
        if self.if_none_match is not None and old is not None and etag_matches(self.if_none_match, old.etag):
            raise JunctionError(
                ErrorCode.PreconditionFailed,
                "At least one of the pre-conditions you specified did not hold",
                condition="If-None-Match",
            )
        if self.if_match is not None:
            if old is None:
                raise JunctionError(ErrorCode.NoSuchKey)
            if not etag_matches(self.if_match, old.etag):
                raise JunctionError(
                    ErrorCode.PreconditionFailed,
                    "At least one of the pre-conditions you specified did not hold",
                    condition="If-Match",
                )
        if self.no_overwrite and old is not None:
            raise JunctionError(ErrorCode.AccessDenied, "Access Denied: this key is append-only and the object exists")


@dataclass(slots=True)
class CopySource:
    bucket: str
    key: str
    version_id: str | None = None  # `?versionId=` of x-amz-copy-source: copy that version
    if_match: str | None = None
    if_none_match: str | None = None
    if_modified_since: str | None = None
    if_unmodified_since: str | None = None


NO_SSE = SseRequest()


class ObjectService:
    def __init__(
        self,
        store: MetaStore,
        blobs: BlobIO,
        guards: list[CommitGuard],
        classes: StorageClassService | None = None,
        sse: EncryptionService | None = None,
    ) -> None:
        self._store = store
        self._blobs = blobs
        self._guards = guards  # process-wide guards (quotas), run in every commit
        self._ext = store.s3ext
        self.classes = classes  # storage class -> user space; None: every block in the given/default space
        self.sse = sse  # encryption at rest; None: nothing is encrypted (unit tests of other parts)
        self.events: NotificationService | None = None  # bucket notifications (set by Core)

    async def cipher_for(self, bucket_id: int, request: SseRequest) -> Cipher | None:
        """How a new object (or upload) in the bucket is encrypted: the request's choice, else the bucket's default."""
        if self.sse is None:
            return None
        return await self.sse.for_write(bucket_id, request)

    def data_key(self, obj: ObjectInfo, request: SseRequest | None = None) -> bytes | None:
        """The key that opens `obj`'s bytes (None: stored in clear). `request`: the SSE-C key a
        client's read brought (checked as S3 checks it); None: a read by the gateway itself,
        which can open SSE-S3 objects but not SSE-C ones (InvalidRequest)."""
        if self.sse is None:
            return None
        if request is not None:
            return self.sse.open(obj.encryption, request)
        return self.sse.open_managed(obj.encryption) if obj.encryption is not None else None

    async def space_for_class(self, bucket_id: int, headers: dict[str, str]) -> int | None:
        """The user space for blocks of an object (or upload) with these system headers."""
        if self.classes is None:
            return None
        return await self.classes.space_for(bucket_id, headers.get(STORAGE_CLASS_HEADER))

    async def put(
        self,
        bucket: str,
        key: str,
        body: AsyncIterator[bytes],
        *,
        length: int | None,
        attrs: ObjectAttrs,
        expect: Expectations | None = None,
        conditions: WriteConditions | None = None,
        space_id: int | None = None,
        tags: dict[str, str] | None = None,
        sse: SseRequest = NO_SSE,
        acl: str | None = None,
        lock: LockState | None = None,
        event: str = "Put",
    ) -> ObjectInfo:
        """Stream `body` into a new blob and commit it as the key's object; `acl` is its stored
        owner and grants (None: the bucket owner's, private); `lock` is the Object Lock the write
        asked for (the store adds the bucket's default retention otherwise); `event`: the
        notification's kind (ObjectCreated:Put, or Post for a browser-form upload)."""
        validate_new_key(key)
        attrs.validate()
        expect = expect or Expectations()
        conditions = conditions or WriteConditions()
        bucket_row = await self._store.buckets.get(bucket)
        if length is not None and length > MAX_PUT_SIZE:
            raise JunctionError(ErrorCode.EntityTooLarge, "Your proposed upload exceeds the maximum allowed size")
        await self.precheck(bucket_row.id, key, conditions)
        if space_id is None:
            space_id = await self.space_for_class(bucket_row.id, attrs.headers)
        cipher = await self.cipher_for(bucket_row.id, sse)
        stream = HashingStream(body, algorithms=expect.wanted(), expected_size=length, max_size=MAX_PUT_SIZE)
        blob = await self._blobs.write(
            stream, space_id=space_id, size_hint=length, data_key=cipher.data_key if cipher else None
        )
        try:
            expect.verify(stream)
            new = NewObject(
                bucket_id=bucket_row.id,
                key=key,
                size=stream.size,
                etag=etag_of(stream, cipher),
                sha256=kept_sha256(stream.sha256_hex.upper(), cipher.record if cipher else None),
                content_type=attrs.content_type or DEFAULT_CONTENT_TYPE,
                headers=attrs.headers,
                meta=attrs.meta,
                checksums=stream.checksums,
                checksum_type="FULL_OBJECT" if expect.wanted() else "",
                parts_count=0,
                blob_ids=[blob.blob_id],
                block_sizes=[blob.size],
                extras=ObjectExtras(tags=tags or {}, acl=acl, lock=lock, encryption=cipher.record if cipher else None)
                if tags or acl or lock or cipher
                else None,
            )
            obj = await self._store.objects.commit(new, [conditions.guard(prechecked=True), *self._guards])
        except BaseException:
            await self._blobs.discard(blob)
            raise
        await object_created(self.events, obj, event)
        return obj

    async def precheck(self, bucket_id: int, key: str, conditions: WriteConditions) -> None:
        """Fail fast on conditions before streaming; the commit re-checks them atomically."""
        if not conditions.conditional:
            return
        try:
            old = await self._store.objects.get(bucket_id, key, with_blocks=False)
        except JunctionError:
            old = None
        conditions.check(old)

    async def head(self, bucket: str, key: str, version_id: str | None = None) -> ObjectInfo:
        """The current object, or the version `version_id` (a client's id, "null" included)."""
        validate_key(key)
        bucket_row = await self._store.buckets.get(bucket)
        if version_id is not None:
            return await read_object_version(self._store, bucket_row.id, key, version_id)
        try:
            return await self._store.objects.get(bucket_row.id, key)
        except JunctionError as exc:
            if exc.code != ErrorCode.NoSuchKey:
                raise
            raise await missing_key(self._store, bucket_row.id, key) from None

    def read(
        self, obj: ObjectInfo, byte_range: ByteRange | None = None, sse: SseRequest | None = None
    ) -> AsyncIterator[bytes]:
        """The object's bytes (plaintext); `sse` as for `data_key`."""
        data_key = self.data_key(obj, sse)
        if byte_range is None:
            return self._blobs.read(obj.blocks, 0, obj.size, data_key=data_key)
        return self._blobs.read(obj.blocks, byte_range.start, byte_range.length, data_key=data_key)

    async def delete(
        self,
        bucket: str,
        key: str,
        conditions: WriteConditions | None = None,
        version_id: str | None = None,
        *,
        bypass_governance: bool = False,
    ) -> Deletion:
        """Delete the key (a versioned bucket gets a delete marker), or permanently delete the
        version `version_id`; deleting an absent key or version succeeds (S3 semantics), a
        locked version is refused (a GOVERNANCE retention gives way to `bypass_governance`)."""
        validate_key(key)
        bucket_row = await self._store.buckets.get(bucket)
        guards = [conditions.guard()] if conditions and conditions.if_match is not None else []
        if version_id is not None:
            deletion = await delete_version(
                self._store, bucket_row.id, key, version_id, guards, bypass_governance=bypass_governance
            )
        else:
            deletion = await self._store.objects.delete(bucket_row.id, key, guards)
        await object_removed(self.events, bucket_row.id, key, deletion, latest=version_id is None)
        return deletion

    async def _copy_source(self, source: CopySource) -> tuple[ObjectInfo, bool]:
        """(the source object, whether it is the key's current version)."""
        if source.version_id is None:
            return await self.head(source.bucket, source.key), True
        validate_key(source.key)
        bucket_row = await self._store.buckets.get(source.bucket)
        found = await read_version(self._store, bucket_row.id, source.key, source.version_id)
        if found.obj is None:
            raise JunctionError(
                ErrorCode.InvalidRequest,
                "The source of a copy request may not specifically refer to a delete marker by version id.",
                argument="x-amz-copy-source",
            )
        return found.obj, found.is_latest

    async def copy(
        self,
        source: CopySource,
        bucket: str,
        key: str,
        *,
        replace_attrs: ObjectAttrs | None,
        conditions: WriteConditions | None = None,
        checksum_algorithm: str | None = None,
        tags: dict[str, str] | None = None,
        storage_class: str | None = None,
        source_sse: SseRequest = NO_SSE,
        sse: SseRequest = NO_SSE,
        lock: LockState | None = None,
        acl: str | None = None,
    ) -> ObjectInfo:
        """Copy by sharing the source's blocks; `replace_attrs` None means COPY the metadata,
        `tags` None means COPY the source's tags (S3's default tagging directive). The copy
        has `storage_class` (None: STANDARD, as in S3); when that class lives in another user
        space than the source's blocks, the blocks are rewritten there (same sizes, same ETag).

        Encryption: `source_sse` brings the source's SSE-C key, `sse` names the copy's
        encryption (else the bucket default, else none, as S3). Blocks stay shared when the
        copy can open them with the same data key (both managed by the gateway, or the same
        SSE-C key); otherwise they are decrypted and encrypted again, block by block.

        The source's Object Lock is never copied: the copy gets `lock` or the destination's default;
        nor is its ACL: the copy's is `acl` (the request's), as S3 does."""
        validate_new_key(key)
        src, current = await self._copy_source(source)
        check_source_conditions(src, source)
        src_key = self.data_key(src, source_sse)
        dst_bucket = await self._store.buckets.get(bucket)
        cipher = await self.cipher_for(dst_bucket.id, sse)
        encryption_changed = encryption_changes(src, cipher, sse)
        if (
            source.bucket == bucket
            and source.key == key
            and current
            and replace_attrs is None
            and not checksum_algorithm
            and storage_class is None
            and not encryption_changed
        ):
            raise JunctionError(
                ErrorCode.InvalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself without changing the "
                "object's metadata, storage class, website redirect location or encryption attributes.",
            )
        attrs = replace_attrs or ObjectAttrs(src.content_type, dict(src.headers), dict(src.meta))
        attrs.headers = with_storage_class(attrs.headers, storage_class)
        attrs.validate()
        record, dst_key = copy_encryption(src, src_key, cipher)
        rewrite = dst_key != src_key or (cipher is not None and cipher.record.customer != is_customer(src))
        if rewrite:
            blocks, etag = await self._resealed_blocks(src, dst_bucket.id, attrs.headers, src_key, dst_key, cipher)
        else:
            blocks, etag = await self.placed_blocks(src, dst_bucket.id, attrs.headers), ""
        checksums, checksum_type = src.checksums, src.checksum_type
        if checksum_algorithm and checksum_algorithm not in checksums:
            checksums, checksum_type = await self._checksum_of(src, checksum_algorithm, src_key), "FULL_OBJECT"
        extras = await self._copied_extras(src, tags, keep_parts=checksums is src.checksums, current=current)
        extras.encryption = record
        new = NewObject(
            bucket_id=dst_bucket.id,
            key=key,
            size=src.size,
            etag=etag or src.etag,
            sha256=kept_sha256(src.sha256, record),
            content_type=attrs.content_type or DEFAULT_CONTENT_TYPE,
            headers=attrs.headers,
            meta=attrs.meta,
            checksums=checksums,
            checksum_type=checksum_type,
            parts_count=src.parts_count,
            blob_ids=[b.blob_id for b in blocks],
            block_sizes=[b.size for b in blocks],
            extras=replace(extras, lock=lock, acl=acl),
        )
        guards = [(conditions or WriteConditions()).guard(), *self._guards]
        moved = [b for b in blocks if b not in src.blocks]
        try:
            obj = await self._store.objects.commit(new, guards)
        except BaseException:
            for block in moved:
                await self._blobs.discard(WrittenBlob(block.blob_id, block.space_id, block.blob_key, block.size))
            raise
        await object_created(self.events, obj, "Copy")
        return obj

    async def placed_blocks(
        self,
        src: ObjectInfo,
        bucket_id: int,
        headers: dict[str, str],
        on_block: Callable[[Block], None] | None = None,
    ) -> list[Block]:
        """The blocks of a copy (or a lifecycle transition) of `src` with these system headers: the
        source's, shared, unless a storage class places either end in a user space, and the
        source's blocks are not in the copy's; then those are rewritten there block by block (part
        boundaries, so ETag and partNumber reads, stay the same; an encrypted block moves as it is
        stored, with its salt: no key is needed and its object's record stays true). `on_block`
        hears of each block placed. On failure nothing written is left referenced."""
        target_id = await self._target_space(src, bucket_id, headers)
        if target_id is None:
            return list(src.blocks)
        placed: list[Block] = []
        try:
            for block in src.blocks:
                if block.space_id == target_id:
                    placed.append(block)
                    continue
                blob = await self._blobs.copy_stored(block, target_id)
                placed.append(Block(blob.blob_id, blob.space_id, blob.key, blob.size))
                if on_block is not None:
                    on_block(placed[-1])
        except BaseException:
            await self._discard_new(placed, src)
            raise
        return placed

    async def _target_space(self, src: ObjectInfo, bucket_id: int, headers: dict[str, str]) -> int | None:
        """The user space a copy's blocks belong in when a storage class places either end (None: anywhere)."""
        if self.classes is None:
            return None
        source_space = await self.space_for_class(src.bucket_id, src.headers)
        target = await self.space_for_class(bucket_id, headers)
        if source_space is None and target is None:
            return None
        return target if target is not None else self._blobs.default_space_id

    async def _discard_new(self, placed: list[Block], src: ObjectInfo) -> None:
        for block in placed:
            if block not in src.blocks:
                await self._blobs.discard(WrittenBlob(block.blob_id, block.space_id, block.blob_key, block.size))

    async def _resealed_blocks(
        self,
        src: ObjectInfo,
        bucket_id: int,
        headers: dict[str, str],
        src_key: bytes | None,
        dst_key: bytes | None,
        cipher: Cipher | None,
    ) -> tuple[list[Block], str]:
        """A copy whose encryption differs from its source's: every block decrypted and sealed
        again (block by block: part boundaries stay), in the space its storage class names.
        Returns the blocks and, when SSE-C or SSE-KMS is on either end (its ETag is not the data's MD5),
        the copy's new ETag ("": the source's stands)."""
        target_id = await self._target_space(src, bucket_id, headers)
        new_etag = hides_md5(src.encryption) or (cipher is not None and hides_md5(cipher.record))
        placed: list[Block] = []
        md5s: list[bytes] = []
        try:
            for block in src.blocks:
                stream = HashingStream(self._blobs.read([block], data_key=src_key))
                space_id = target_id if target_id is not None else block.space_id
                blob = await self._blobs.write(stream, space_id=space_id, size_hint=block.size, data_key=dst_key)
                placed.append(Block(blob.blob_id, blob.space_id, blob.key, blob.size))
                md5s.append(stream.md5_digest)
        except BaseException:
            await self._discard_new(placed, src)
            raise
        if not new_etag:
            return placed, ""
        etags = [opaque_etag(cipher.data_key, m) if cipher and hides_md5(cipher.record) else m.hex() for m in md5s]
        if len(etags) == 1 and not src.parts_count:
            return placed, etags[0]
        return placed, f"{hashlib.md5(b''.join(bytes.fromhex(e) for e in etags)).hexdigest()}-{len(etags)}"

    async def _copied_extras(
        self,
        src: ObjectInfo,
        tags: dict[str, str] | None,
        *,
        keep_parts: bool,
        current: bool = True,
    ) -> ObjectExtras:
        """The copy keeps the source's tags unless replaced, and its part records (same blocks)
        unless the copy computed a new checksum, which the parts' checksums would contradict.
        A noncurrent source version keeps its extras in history (versions_store)."""
        if current:
            extras = await self._ext.object_extras(src.id)
        else:
            extras = await self._store.versions.extras(src.bucket_id, src.key, history.stored(src.version_id))
        return ObjectExtras(tags=extras.tags if tags is None else tags, parts=extras.parts if keep_parts else [])

    async def _checksum_of(self, obj: ObjectInfo, algorithm: str, data_key: bytes | None) -> dict[str, str]:
        stream = HashingStream(self._blobs.read(obj.blocks, 0, obj.size, data_key=data_key), algorithms=[algorithm])
        async for _ in stream:
            pass
        return stream.checksums

    async def write_blob(
        self,
        body: AsyncIterator[bytes],
        *,
        length: int | None,
        expect: Expectations,
        space_id: int | None = None,
        max_size: int = MAX_PUT_SIZE,
        data_key: bytes | None = None,
    ) -> tuple[WrittenBlob, HashingStream]:
        """Stream into a verified blob not yet referenced by any object (multipart parts)."""
        stream = HashingStream(body, algorithms=expect.wanted(), expected_size=length, max_size=max_size)
        blob = await self._blobs.write(stream, space_id=space_id, size_hint=length, data_key=data_key)
        try:
            expect.verify(stream)
        except BaseException:
            await self._blobs.discard(blob)
            raise
        return blob, stream


def etag_of(stream: HashingStream, cipher: Cipher | None) -> str:
    """S3's ETag of a single-part write: the MD5 of the data, except under SSE-C and SSE-KMS (see opaque_etag)."""
    if cipher is not None and hides_md5(cipher.record):
        return opaque_etag(cipher.data_key, stream.md5_digest)
    return stream.md5_hex


def check_source_conditions(src: ObjectInfo, source: CopySource) -> None:
    check_read_conditions(
        etag=src.etag,
        last_modified=src.updated,
        if_match=source.if_match,
        if_none_match=source.if_none_match,
        if_modified_since=source.if_modified_since,
        if_unmodified_since=source.if_unmodified_since,
        not_modified_code=ErrorCode.PreconditionFailed,
    )
