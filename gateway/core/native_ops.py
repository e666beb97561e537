"""Object operations of the native API that S3 does not have: objects addressed by id,
batch uploads committed together, moves and clones by id, per-package listings.

Everything is built on the same store and blob layer as S3, so what one front end writes
the other reads at once. Writes are split in two steps (write blobs, then commit) so a
front end can verify a request signature that covers the whole body before anything
becomes visible.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from gateway.domain.errors import ErrorCode, JunctionError, invalid_argument, no_such_bucket
from gateway.domain.models import Bucket, Encryption, ListPage, ObjectInfo, Package
from gateway.meta import packages_store
from gateway.meta.records import CommitGuard, NewObject
from gateway.meta.s3ext_store import ObjectExtras
from gateway.meta.store import MetaStore

from .blobs import BlobIO, WrittenBlob
from .conditions import ByteRange
from .hashing import HashingStream
from .listing import Fetch, list_page
from .notifications import object_created, object_removed
from .objects import DEFAULT_CONTENT_TYPE, MAX_PUT_SIZE, NO_SSE, Expectations, ObjectService, WriteConditions, etag_of
from .packages import PackageService, native_removed, validate_native_path
from .spaces import Spaces

MAX_LIST_KEYS = 1000
PENDING = "multipartUpload"


@dataclass(slots=True)
class WrittenFile:
    """A file streamed into a blob, not yet visible: commit or discard it."""

    key: str
    content_type: str
    blob: WrittenBlob
    stream: HashingStream
    encryption: Encryption | None = None  # the bucket's default encryption, when it has one
    etag: str = ""  # S3's ETag of the file ("": the MD5 of its data; see objects.etag_of)


@dataclass(slots=True)
class NativePage:
    objects: list[ObjectInfo]
    prefixes: list[str]
    truncated: bool
    next_token: str


class _PackageIndex:
    """Presents one package to the core listing with object paths as keys.

    Listing by package (not by S3 key prefix) keeps the root package's listing to its own
    objects, since root keys share the bucket's key space with every other package.
    """

    def __init__(self, store: MetaStore, package_id: int) -> None:
        self._store = store
        self._package_id = package_id

    async def scan(self, _bucket_id: int, prefix: str, fn: Callable[[Fetch], ListPage]) -> ListPage:
        def by_path(fetch: Fetch) -> ListPage:
            def fetch_paths(start: str, inclusive: bool, limit: int) -> list[ObjectInfo]:
                rows = fetch(start, inclusive, limit)
                for row in rows:
                    row.key = row.path
                return rows

            return fn(fetch_paths)

        return await self._store.packages.scan(self._package_id, prefix, by_path)


def encode_token(marker: str) -> str:
    return base64.urlsafe_b64encode(marker.encode("utf-8")).decode("ascii") if marker else ""


def decode_token(token: str) -> str:
    if not token:
        return ""
    try:
        return base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise invalid_argument("continuationToken is not a token this server issued") from None


class NativeService:
    def __init__(
        self, store: MetaStore, spaces: Spaces, objects: ObjectService, blobs: BlobIO, guards: list[CommitGuard]
    ) -> None:
        self._store = store
        self._spaces = spaces
        self._objects = objects
        self._blobs = blobs
        self._commit_guards = guards  # the shared list: guards added later apply too
        self.packages = PackageService(store, guards, objects)

    # ------------------------------------------------------------ lookups

    async def bucket(self, bucket_id: int) -> Bucket:
        bucket = await self._store.buckets.get_by_id(bucket_id)
        if bucket is None:
            raise no_such_bucket(str(bucket_id))
        return bucket

    async def space_for(self, affinity: int | None, size_hint: int | None = None) -> int | None:
        """The user space to write to: the preferred one when it has a shard store with room,
        else the default (None)."""
        return await self._spaces.shard_space_for(affinity, size_hint)

    async def get_object(self, object_id: int) -> ObjectInfo:
        obj = await self._store.objects.get_by_id(object_id)
        if obj is None or obj.path == "":
            raise packages_store.no_such_object(object_id)
        return obj

    async def readable(self, object_id: int) -> ObjectInfo:
        obj = await self.get_object(object_id)
        if obj.redundancy == PENDING:
            raise JunctionError(
                ErrorCode.InvalidRequest, "The object is a multipart upload in progress", object_id=object_id
            )
        return obj

    async def by_full_path(self, full_path: str) -> ObjectInfo:
        """`bucket/key`: the rest after the bucket name is an S3 key (so `b/P/a.txt` is path
        `a.txt` of package P and `b/a.txt` is in the root package)."""
        bucket_name, sep, key = full_path.lstrip("/").partition("/")
        if not bucket_name or not sep or not key:
            raise invalid_argument("path must be <bucket>/<package>/<object path>", path=full_path)
        bucket = await self._store.buckets.get(bucket_name)
        obj = await self._store.objects.get(bucket.id, key)
        if obj.path == "":  # a package marker, not an object
            raise packages_store.no_such_object(full_path)
        return obj

    def read(self, obj: ObjectInfo, offset: int, length: int | None) -> tuple[AsyncIterator[bytes], int]:
        """The bytes [offset, offset+length) of the object, clamped to its size."""
        if offset < 0 or (length is not None and length < 0):
            raise invalid_argument("offset and length must not be negative")
        if offset > obj.size:
            raise JunctionError(ErrorCode.InvalidRange, "offset is beyond the end of the object", size=obj.size)
        count = obj.size - offset if length is None else min(length, obj.size - offset)
        if count == 0:
            return _empty(), 0
        return self._objects.read(obj, ByteRange(offset, offset + count - 1)), count

    # ------------------------------------------------------------ listing

    async def list_by_path(
        self, package: Package, path: str, *, is_prefix: bool, no_recursive: bool, max_keys: int, token: str
    ) -> NativePage:
        if not is_prefix:
            obj = await self._store.packages.get_by_path(package.id, path) if path else None
            return NativePage([obj] if obj else [], [], False, "")
        max_keys = MAX_LIST_KEYS if max_keys <= 0 else min(max_keys, MAX_LIST_KEYS)
        page = await list_page(
            _PackageIndex(self._store, package.id),
            package.bucket_id,
            prefix=path,
            delimiter="/" if no_recursive else "",
            marker=decode_token(token),
            max_keys=max_keys,
        )
        return NativePage(
            page.objects, page.prefixes, page.truncated, encode_token(page.next_marker) if page.truncated else ""
        )

    async def package_objects(self, package: Package) -> list[ObjectInfo]:
        found: list[ObjectInfo] = []
        start = ""
        while True:
            rows = await self._store.packages.list_objects(package.id, prefix="", start=start, limit=MAX_LIST_KEYS)
            found.extend(rows)
            if len(rows) < MAX_LIST_KEYS:
                return found
            start = rows[-1].path

    # ------------------------------------------------------------ uploads

    async def write_file(
        self, package: Package, path: str, body: AsyncIterator[bytes], *, content_type: str, space_id: int | None
    ) -> WrittenFile:
        """Stream one file into a new blob (hashing MD5 and SHA-256 on the way); not yet visible."""
        key = validate_native_path(package.name, path)
        cipher = await self._objects.cipher_for(package.bucket_id, NO_SSE)  # the bucket's default encryption
        blob, stream = await self._objects.write_blob(
            body,
            length=None,
            expect=Expectations(),
            space_id=space_id,
            max_size=MAX_PUT_SIZE,
            data_key=cipher.data_key if cipher else None,
        )
        record = cipher.record if cipher else None
        return WrittenFile(key, content_type or DEFAULT_CONTENT_TYPE, blob, stream, record, etag_of(stream, cipher))

    async def discard(self, files: list[WrittenFile]) -> None:
        for item in files:
            await self._blobs.discard(item.blob)

    async def commit_files(self, package: Package, files: list[WrittenFile], *, no_overwrite: bool) -> list[ObjectInfo]:
        """Make every written file visible in one transaction (all or none)."""
        news = [
            NewObject(
                bucket_id=package.bucket_id,
                key=f.key,
                size=f.stream.size,
                etag=f.etag or f.stream.md5_hex,
                sha256=f.stream.sha256_hex.upper(),
                content_type=f.content_type,
                headers={},
                meta={},
                checksums={},
                checksum_type="",
                parts_count=0,
                blob_ids=[f.blob.blob_id],
                block_sizes=[f.blob.size],
                extras=ObjectExtras(encryption=f.encryption) if f.encryption else None,
            )
            for f in files
        ]
        try:
            committed = await self._store.packages.commit_many(news, self._guards(no_overwrite))
        except BaseException:
            await self.discard(files)
            raise
        for obj in committed:
            await object_created(self._objects.events, obj, "Put")
        return committed

    def _guards(self, no_overwrite: bool) -> list[CommitGuard]:
        return [WriteConditions(no_overwrite=no_overwrite).guard(), *self._commit_guards]

    # ------------------------------------------------------------ move, clone, delete

    async def move(self, obj: ObjectInfo, package: Package, path: str) -> ObjectInfo:
        validate_native_path(package.name, path)
        moved, deletion = await self._store.packages.move_object(obj.id, package.id, path, self._guards(False))
        if deletion is not None:  # S3 has no move: a copy, then a delete (none for a move onto itself)
            await object_created(self._objects.events, moved, "Copy")
            await object_removed(self._objects.events, obj.bucket_id, obj.key, deletion, latest=True)
        return moved

    async def clone(self, obj: ObjectInfo, package: Package, path: str, *, no_overwrite: bool) -> ObjectInfo:
        validate_native_path(package.name, path)
        clone = await self._store.packages.clone_object(obj.id, package.id, path, self._guards(no_overwrite))
        await object_created(self._objects.events, clone, "Copy")
        return clone

    async def delete(self, object_id: int) -> bool:
        obj = await self._store.objects.get_by_id(object_id, with_blocks=False)
        deletion = await self._store.packages.delete_object(object_id)
        if deletion is not None and obj is not None:
            await native_removed(self._objects.events, obj, deletion)
        return deletion is not None


async def _empty() -> AsyncIterator[bytes]:
    return
    yield b""  # pragma: no cover  (makes this an async generator)
