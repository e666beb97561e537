"""Plain records the core hands to front ends (no I/O, no framework types)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from .object_lock import LockState

EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"
EMPTY_SHA256 = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"


@dataclass(frozen=True, slots=True)
class Bucket:
    id: int
    name: str
    owner: str
    created: float


@dataclass(frozen=True, slots=True)
class Package:
    id: int
    bucket_id: int
    name: str
    created: float


@dataclass(frozen=True, slots=True)
class Block:
    """One stored blob that makes up a contiguous run of an object's bytes."""

    blob_id: int
    space_id: int
    blob_key: str
    size: int
    salt: bytes | None = None  # an encrypted blob's salt, when read with the object (saves a lookup)


@dataclass(frozen=True, slots=True)
class Encryption:
    """How an object's (or upload's) bytes are encrypted at rest (gateway/core/sse): which key
    sealed its data key, and the sealed data key. Never a key in clear."""

    algorithm: str  # "AES256" (SSE-S3, or SSE-C when customer_fingerprint is set) or "aws:kms"
    sealed_key: str  # base64 of the object's data key, sealed
    master_key_id: str = ""  # SSE-S3 and SSE-KMS: the public id of the master key that sealed it
    kms_key_id: str = ""  # SSE-KMS: the key id the client named
    customer_salt: str = ""  # SSE-C: base64 salt of the key's fingerprint
    customer_fingerprint: str = ""  # SSE-C: salted HMAC of the client's key (recognises it)
    bucket_key: bool = False  # SSE-KMS: the object uses an S3 Bucket Key (told to clients, as S3 does)

    @property
    def customer(self) -> bool:
        return bool(self.customer_fingerprint)

    def as_json(self) -> dict[str, str | bool]:
        return {name: getattr(self, name) for name in self.__slots__ if getattr(self, name)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Encryption:
        return cls(**{k: v for k, v in data.items() if k in cls.__slots__})


@dataclass(slots=True)
class ObjectInfo:
    id: int
    bucket_id: int
    package_id: int
    package: str
    path: str
    key: str
    size: int
    etag: str  # hex MD5 or md5-of-md5s "-N", without quotes
    sha256: str  # upper-case hex of the whole content
    content_type: str
    headers: dict[str, str]  # content-encoding, content-disposition, cache-control, ...
    meta: dict[str, str]  # x-amz-meta-* without the prefix, lower-case names
    checksums: dict[str, str]  # algorithm -> base64 digest (may end in -N for composite)
    checksum_type: str  # "FULL_OBJECT" or "COMPOSITE" ("" when none)
    parts_count: int
    redundancy: str
    created: float
    updated: float
    blocks: list[Block] = field(default_factory=list)
    # S3 version id: None while the bucket has never had versioning configured (then no
    # response carries one), "null" for the null version, else the id.
    version_id: str | None = None
    tag_count: int = 0  # S3 object tags (x-amz-tagging-count), read with the current row
    encryption: Encryption | None = None  # encrypted at rest (gateway/core/sse); None: stored in clear
    lock: LockState | None = None  # S3 Object Lock retention and legal hold of this version


@dataclass(slots=True)
class ListedObject:
    """What a ListObjects page shows of an object, read without the joins and columns the rest
    of an ObjectInfo needs: a page converts a thousand rows, and at a million objects those
    were a third of the page's cost."""

    key: str
    size: int
    etag: str
    updated: float
    checksums: dict[str, str]
    checksum_type: str
    headers: dict[str, str]  # the storage class is one of them


class Keyed(Protocol):
    key: str


Entry = TypeVar("Entry", bound=Keyed)


@dataclass(slots=True)
class Page(Generic[Entry]):
    """One page of a listing: its objects (as ObjectInfo or ListedObject) and common prefixes."""

    objects: list[Entry]
    prefixes: list[str]
    truncated: bool
    next_marker: str  # last key or prefix returned, for continuation


ListPage = Page[ObjectInfo]
ListedPage = Page[ListedObject]


@dataclass(slots=True)
class Upload:
    id: str
    bucket_id: int
    bucket: str
    key: str
    content_type: str
    headers: dict[str, str]
    meta: dict[str, str]
    checksum_algorithm: str
    checksum_type: str
    created: float
    owner: str


@dataclass(slots=True)
class Part:
    number: int
    size: int
    etag: str
    checksums: dict[str, str]
    updated: float
    blob_id: int
    space_id: int
    blob_key: str


@dataclass(slots=True)
class ObjectVersion:
    """One entry of a key's history: a stored version or a delete marker."""

    key: str
    version_id: str  # "null" for the null version
    is_latest: bool
    delete_marker: bool
    updated: float
    obj: ObjectInfo | None  # None for a delete marker


@dataclass(frozen=True, slots=True)
class Deletion:
    """What a delete did, for the response headers (x-amz-version-id, x-amz-delete-marker)."""

    version_id: str | None  # the marker created or the version removed; None on unversioned buckets
    delete_marker: bool  # a marker was created, or the version removed was one


@dataclass(slots=True)
class VersionPage:
    versions: list[ObjectVersion]  # versions and delete markers, newest first per key
    prefixes: list[str]
    truncated: bool
    next_key_marker: str
    next_version_id_marker: str | None


@dataclass(frozen=True, slots=True)
class SpaceRow:
    """A user space as stored: where its bytes live, and its credential sealed (never in the clear)."""

    id: int
    name: str
    storage: dict[str, Any]
    sealed_credential: str
    shard_max_size: int | None  # None: no shard store (objects never land here); 0: unlimited
    features: list[Any]
    working_dir: str
    revision: int
    created: float
