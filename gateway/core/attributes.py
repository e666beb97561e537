"""GetObjectAttributes: the object's ETag, checksum, size and (for multipart objects) parts.

A multipart object's part list (numbers, sizes, per-part checksums) is recorded at completion
only when the upload used a checksum algorithm; S3 likewise lists Parts only for such objects
and otherwise gives just the parts count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.mapping import validate_key
from gateway.domain.models import ObjectInfo
from gateway.meta import history
from gateway.meta.s3ext_store import PartRecord
from gateway.meta.store import MetaStore

from .versioning import delete_marker_error, read_version

ATTRIBUTES = ("ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize")
DEFAULT_MAX_PARTS = 1000


def parse_wanted(header: str | None) -> list[str]:
    """The x-amz-object-attributes list, normalised to S3's spelling (InvalidArgument otherwise)."""
    names = [n.strip() for n in (header or "").split(",") if n.strip()]
    if not names:
        raise JunctionError(
            ErrorCode.InvalidArgument,
            "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty",
            argument="x-amz-object-attributes",
        )
    by_lower = {a.lower(): a for a in ATTRIBUTES}
    wanted = []
    for name in names:
        if name.lower() not in by_lower:
            raise JunctionError(
                ErrorCode.InvalidArgument, "Invalid attribute name specified.", argument="x-amz-object-attributes"
            )
        wanted.append(by_lower[name.lower()])
    return list(dict.fromkeys(wanted))


@dataclass(slots=True)
class PartsPage:
    total: int  # parts count of the object
    marker: int
    max_parts: int
    parts: list[PartRecord] = field(default_factory=list)  # this page of the recorded parts
    truncated: bool = False
    recorded: bool = False  # whether the parts were recorded at all (uploads with checksums)

    @property
    def next_marker(self) -> int:
        return self.parts[-1].number if self.parts else self.marker


@dataclass(slots=True)
class ObjectAttributes:
    obj: ObjectInfo
    wanted: list[str]
    parts: PartsPage | None  # None for a single-part object (S3 omits ObjectParts)


class AttributesService:
    def __init__(self, store: MetaStore) -> None:
        self._store = store
        self._ext = store.s3ext

    async def get(
        self,
        bucket: str,
        key: str,
        wanted: list[str],
        *,
        max_parts: int = DEFAULT_MAX_PARTS,
        marker: int = 0,
        version_id: str | None = None,
    ) -> ObjectAttributes:
        validate_key(key)
        bucket_row = await self._store.buckets.get(bucket)
        current = True
        if version_id is None:
            obj = await self._store.objects.get(bucket_row.id, key, with_blocks=False)
        else:
            found = await read_version(self._store, bucket_row.id, key, version_id)
            if found.obj is None:
                raise delete_marker_error(
                    ErrorCode.MethodNotAllowed, "The specified method is not allowed against this resource.", found
                )
            obj, current = found.obj, found.is_latest
        parts = None
        if "ObjectParts" in wanted and obj.parts_count:
            if current:
                records = (await self._ext.object_extras(obj.id)).parts
            else:  # a noncurrent version's part records followed it into history
                records = (await self._store.versions.extras(bucket_row.id, key, history.stored(obj.version_id))).parts
            after = [p for p in records if p.number > marker]
            parts = PartsPage(
                total=obj.parts_count,
                marker=marker,
                max_parts=max_parts,
                parts=after[:max_parts],
                truncated=len(after) > max_parts,
                recorded=bool(records),
            )
        return ObjectAttributes(obj=obj, wanted=wanted, parts=parts)
