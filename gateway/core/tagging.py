"""Object and bucket tags: S3's validation rules and the get/put/delete operations.

Tags given on a write (PutObject, CreateMultipartUpload, CopyObject) travel with the object
row as `ObjectExtras` and are committed in the same transaction as the object; this service
handles the `?tagging` sub-resource on an existing object or bucket.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import parse_qsl

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.mapping import validate_key
from gateway.meta.s3ext_store import Tags
from gateway.meta.store import MetaStore

from .notifications import NotificationService, ObjectEvent
from .versioning import parse_version_id

MAX_OBJECT_TAGS = 10
MAX_BUCKET_TAGS = 50
MAX_KEY_CHARS = 128
MAX_VALUE_CHARS = 256
_ALLOWED_PUNCTUATION = set("+-=._:/@ ")


def _invalid(message: str) -> JunctionError:
    return JunctionError(ErrorCode.InvalidTag, message)


def _allowed(text: str) -> bool:
    """Letters, digits, spaces and + - = . _ : / @ (in any script), as S3 allows."""
    return all(ch in _ALLOWED_PUNCTUATION or unicodedata.category(ch)[0] in "LNZM" for ch in text)


def validate_tags(pairs: list[tuple[str, str]], *, limit: int = MAX_OBJECT_TAGS) -> Tags:
    """Check a tag set against S3's rules and return it as an ordered dict (InvalidTag otherwise)."""
    if len(pairs) > limit:
        what = "Object tags" if limit == MAX_OBJECT_TAGS else "Bucket tag count"
        raise _invalid(f"{what} cannot be greater than {limit}")
    tags: Tags = {}
    for key, value in pairs:
        if not key or len(key) > MAX_KEY_CHARS:
            raise _invalid(
                f"The TagKey you have provided is too long, max {MAX_KEY_CHARS}"
                if key
                else "The TagKey you have provided is invalid"
            )
        if len(value) > MAX_VALUE_CHARS:
            raise _invalid(f"The TagValue you have provided is too long, max {MAX_VALUE_CHARS}")
        if not _allowed(key):
            raise _invalid("The TagKey you have provided is invalid")
        if not _allowed(value):
            raise _invalid("The TagValue you have provided is invalid")
        if key.lower().startswith("aws:"):
            raise _invalid("Your TagKey cannot be prefixed with aws:")
        if key in tags:
            raise _invalid("Cannot provide multiple Tags with the same key")
        tags[key] = value
    return tags


def parse_tagging_header(value: str | None) -> Tags | None:
    """`x-amz-tagging: k1=v1&k2=v2` (URL-encoded) -> tags; None when the header is absent."""
    if value is None:
        return None
    return validate_tags(parse_qsl(value, keep_blank_values=True))


class TaggingService:
    def __init__(self, store: MetaStore) -> None:
        self._store = store
        self._ext = store.s3ext
        self.events: NotificationService | None = None  # bucket notifications (set by Core)

    async def _object_id(self, bucket: str, key: str) -> int:
        validate_key(key)
        bucket_row = await self._store.buckets.get(bucket)
        return (await self._store.objects.get(bucket_row.id, key, with_blocks=False)).id

    async def _version(self, bucket: str, key: str, version_id: str) -> tuple[int, str]:
        """(bucket id, stored version id) of `?versionId=`; any version, noncurrent ones too,
        whose tags followed them into history (versions_store)."""
        validate_key(key)
        return (await self._store.buckets.get(bucket)).id, parse_version_id(version_id)

    async def object_tags(self, bucket: str, key: str, version_id: str | None = None) -> Tags:
        if version_id is not None:
            bucket_id, stored = await self._version(bucket, key, version_id)
            return await self._store.versions.tags(bucket_id, key, stored)
        return await self._ext.object_tags(await self._object_id(bucket, key))

    async def put_object_tags(self, bucket: str, key: str, tags: Tags, version_id: str | None = None) -> None:
        await self._put_object_tags(bucket, key, tags, version_id)
        await self._notify(bucket, key, version_id, "ObjectTagging:Put")

    async def _put_object_tags(self, bucket: str, key: str, tags: Tags, version_id: str | None) -> None:
        if version_id is not None:
            bucket_id, stored = await self._version(bucket, key, version_id)
            await self._store.versions.put_tags(bucket_id, key, stored, tags)
        elif not await self._ext.put_object_tags(await self._object_id(bucket, key), tags):
            raise JunctionError(ErrorCode.NoSuchKey, key=key)

    async def delete_object_tags(self, bucket: str, key: str, version_id: str | None = None) -> None:
        if version_id is not None:
            await self._put_object_tags(bucket, key, {}, version_id)
        else:
            await self._ext.delete_object_tags(await self._object_id(bucket, key))
        await self._notify(bucket, key, version_id, "ObjectTagging:Delete")

    async def _notify(self, bucket: str, key: str, version_id: str | None, event: str) -> None:
        """The s3:ObjectTagging:* event of the version whose tags changed (its ETag, no size)."""
        if self.events is None:
            return
        bucket_row = await self._store.buckets.get(bucket)
        etag = None
        if version_id is None:
            obj = await self._store.objects.get(bucket_row.id, key, with_blocks=False)
            version_id, etag = obj.version_id, obj.etag
        await self.events.emit(bucket_row.id, event, ObjectEvent(key, etag=etag, version_id=version_id))

    async def bucket_tags(self, bucket: str) -> Tags:
        tags = await self._ext.bucket_tags((await self._store.buckets.get(bucket)).id)
        if tags is None:
            raise JunctionError(ErrorCode.NoSuchTagSet, bucket=bucket)
        return tags

    async def put_bucket_tags(self, bucket: str, tags: Tags) -> None:
        await self._ext.put_bucket_tags((await self._store.buckets.get(bucket)).id, tags)

    async def delete_bucket_tags(self, bucket: str) -> None:
        await self._ext.delete_bucket_tags((await self._store.buckets.get(bucket)).id)
