"""S3 storage classes mapped onto user spaces: the class an object is written with picks the
user space that holds its blocks (STANDARD on local disk, an archive class on OBS, ...).

The mapping comes from three places, the first that names the class winning: the bucket's
own table (console `PUT /api/v1/volumes/{id}/storage-classes`), the gateway-wide table
(console `PUT /api/v1/storage-classes`) and the `storage_classes` config field. A class no
table names stays in the default space. The class itself is stored with the object, as the
system header `x-amz-storage-class` (absent for STANDARD, which S3 does not report either).
"""

from __future__ import annotations

import logging

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.meta.store import MetaStore

from .spaces import Spaces

log = logging.getLogger("junction.storage_classes")

STANDARD = "STANDARD"
HEADER = "x-amz-storage-class"
# Every value of S3's StorageClass enum (PutObject's x-amz-storage-class).
STORAGE_CLASSES = (
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "OUTPOSTS",
    "GLACIER_IR",
    "SNOW",
    "EXPRESS_ONEZONE",
    "FSX_OPENZFS",
)


def parse_storage_class(value: str | None) -> str | None:
    """The class a request names (None when it names none); S3 spells them in capitals only."""
    if value is None:
        return None
    if value not in STORAGE_CLASSES:
        raise JunctionError(ErrorCode.InvalidStorageClass, argument=HEADER)
    return value


def storage_class_of(headers: dict[str, str]) -> str:
    """The class of a stored object or upload, from its system headers."""
    return headers.get(HEADER, STANDARD)


def with_storage_class(headers: dict[str, str], storage_class: str | None) -> dict[str, str]:
    """`headers` recording `storage_class` (STANDARD or None: recorded as nothing)."""
    out = {k: v for k, v in headers.items() if k != HEADER}
    if storage_class and storage_class != STANDARD:
        out[HEADER] = storage_class
    return out


def parse_mapping(value: object) -> dict[str, str]:
    """A class -> user space table, from a dict (TOML, JSON) or "CLASS=space,CLASS=space"."""
    if isinstance(value, dict):
        pairs = [(str(k), str(v)) for k, v in value.items()]
    elif isinstance(value, str):
        pairs = []
        for item in filter(None, (i.strip() for i in value.split(","))):
            name, sep, space = item.partition("=")
            if not sep:
                raise ValueError(f"storage_classes entry {item!r} is not CLASS=space")
            pairs.append((name.strip(), space.strip()))
    else:
        raise ValueError("storage_classes must be a table or a CLASS=space list")
    mapping: dict[str, str] = {}
    for name, space in pairs:
        if name not in STORAGE_CLASSES:
            raise ValueError(f"{name!r} is not an S3 storage class ({', '.join(STORAGE_CLASSES)})")
        if not space:
            raise ValueError(f"storage class {name} names no user space")
        mapping[name] = space
    return mapping


class StorageClassService:
    def __init__(self, store: MetaStore, spaces: Spaces, configured: dict[str, str] | None = None) -> None:
        self._store = store
        self._spaces = spaces
        self._configured = dict(configured or {})

    async def space_for(self, bucket_id: int, storage_class: str | None) -> int | None:
        """The user space new blocks of `storage_class` land in (None: the default space)."""
        name = storage_class or STANDARD
        ref = (await self._store.placement.classes(bucket_id)).get(name)
        ref = ref or (await self._store.placement.classes()).get(name) or self._configured.get(name)
        if ref is None:
            return None
        space_id = await self._find(ref)
        if space_id is None or (
            space_id != self._spaces.default_id and self._spaces.row(space_id).shard_max_size is None
        ):
            log.warning("storage class %s maps to user space %r, which holds no blocks now", name, ref)
            raise JunctionError(
                ErrorCode.ServiceUnavailable,
                f"The user space storage class {name} is mapped to is not available",
                user_space=ref,
            )
        return space_id

    async def mapping(self, bucket_id: int | None = None) -> dict[str, str]:
        """The table as set: one bucket's overrides, or the gateway-wide one (config included)."""
        if bucket_id is not None:
            return await self._store.placement.classes(bucket_id)
        return self._configured | await self._store.placement.classes()

    async def set_mapping(self, mapping: dict[str, str], bucket_id: int | None = None) -> dict[str, str]:
        """Replace a table; every space named must exist and hold blocks (have a shard store)."""
        for name, ref in mapping.items():
            if name not in STORAGE_CLASSES:
                raise JunctionError(ErrorCode.InvalidStorageClass, f"{name!r} is not an S3 storage class")
            space_id = await self._find(ref)
            if space_id is None:
                raise JunctionError(ErrorCode.NoSuchUserSpace, f"no user space {ref!r}", user_space=ref)
            if space_id != self._spaces.default_id and self._spaces.row(space_id).shard_max_size is None:
                raise JunctionError(
                    ErrorCode.InvalidArgument,
                    f"user space {ref!r} has no shard store (shardStore), so it cannot hold object blocks",
                    argument=name,
                )
        await self._store.placement.set_classes(mapping, bucket_id)
        return await self.mapping(bucket_id)

    async def _find(self, ref: str) -> int | None:
        """The space `ref` names; one made by another worker is picked up by a refresh."""
        space_id = self._spaces.find(ref)
        if space_id is None:
            await self._spaces.refresh()
            space_id = self._spaces.find(ref)
        return space_id
