"""The two kinds of place a console transfer reads from and writes to, behind one interface.

A *bucket side* is a bucket (or a package in it, which is a key prefix) seen through the
object service, every access asked of the identity engine with S3's action names and
condition keys, exactly as an S3 request doing the same would be asked. A *space side* is a
user space's root view (Local, S3 or OBS backend), which only a caller the engine grants
`junction:ManageUserSpaces` may touch (the native API's rule for user spaces). Both stream:
a file's bytes flow from the source's iterator into the destination's put, never held whole.
"""

from __future__ import annotations

import mimetypes
import posixpath
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Protocol

from backends.base import Backend, BackendError, InvalidBlobKey, check_key, check_prefix
from gateway.domain.errors import ErrorCode, JunctionError, invalid_argument
from gateway.domain.models import Bucket, ListPage, SpaceRow

from .blobs import BLOCKS_DIR
from .objects import ObjectAttrs, ObjectService, WriteConditions

SPACE_ACTION = "junction:ManageUserSpaces"

# (action, bucket, key, condition keys) -> None, or AccessDenied: the caller's identity bound in
Check = Callable[[str, Bucket | None, str | None, Mapping[str, Sequence[str]] | None], Awaitable[None]]
Lister = Callable[[str, str, str], Awaitable[ListPage]]  # (bucket, prefix, marker) -> a page


class Side(Protocol):
    """One end of a transfer. `rel` names are relative to the side's base prefix."""

    label: str
    kind: str  # "bucket" | "space"
    place: str  # what tells two sides apart: "bucket:<name>" or "space:<id>"
    base: str  # "" or a prefix ending in "/"

    async def may_list(self, rel_dir: str) -> None: ...
    async def may_read(self, rel: str) -> None: ...
    async def may_write(self, rel: str) -> None: ...
    async def stat(self, rel: str) -> int | None: ...
    def files(self, rel_dir: str) -> AsyncIterator[tuple[str, int]]: ...
    async def read(self, rel: str) -> tuple[AsyncIterator[bytes], str]: ...
    async def write(self, rel: str, body: AsyncIterator[bytes], size: int, content_type: str) -> None: ...


class BucketSide:
    kind = "bucket"

    def __init__(
        self, bucket: Bucket, base: str, objects: ObjectService, lister: Lister, check: Check, no_overwrite: bool
    ) -> None:
        self.bucket = bucket
        self.base = base
        self.label = f"{bucket.name}/{base}"
        self.place = f"bucket:{bucket.name}"
        self._objects = objects
        self._lister = lister
        self._check = check
        self._no_overwrite = no_overwrite

    async def may_list(self, rel_dir: str) -> None:
        # a recursive listing is ListObjects with a prefix and no delimiter: that is what S3 is asked
        await self._check("s3:ListBucket", self.bucket, None, {"s3:prefix": (self.base + rel_dir,)})

    async def may_read(self, rel: str) -> None:
        await self._check("s3:GetObject", self.bucket, self.base + rel, None)

    async def may_write(self, rel: str) -> None:
        await self._check("s3:PutObject", self.bucket, self.base + rel, None)

    async def stat(self, rel: str) -> int | None:
        try:
            return (await self._objects.head(self.bucket.name, self.base + rel)).size
        except JunctionError as exc:
            if exc.code in (ErrorCode.NoSuchKey, ErrorCode.KeyTooLongError, ErrorCode.InvalidArgument):
                return None
            raise

    async def files(self, rel_dir: str) -> AsyncIterator[tuple[str, int]]:
        """Every object under the folder, folder markers (keys ending in '/') left out."""
        prefix, marker = self.base + rel_dir, ""
        while True:
            page = await self._lister(self.bucket.name, prefix, marker)
            for obj in page.objects:
                if not obj.key.endswith("/"):
                    yield obj.key[len(self.base) :], obj.size
            if not page.truncated:
                return
            marker = page.next_marker

    async def read(self, rel: str) -> tuple[AsyncIterator[bytes], str]:
        obj = await self._objects.head(self.bucket.name, self.base + rel)
        return self._objects.read(obj), obj.content_type

    async def write(self, rel: str, body: AsyncIterator[bytes], size: int, content_type: str) -> None:
        key = self.base + rel
        await self._objects.put(
            self.bucket.name,
            key,
            body,
            length=None,
            attrs=ObjectAttrs(content_type=content_type or mimetypes.guess_type(key)[0] or ""),
            conditions=WriteConditions(no_overwrite=self._no_overwrite),
        )


class SpaceSide:
    kind = "space"

    def __init__(self, row: SpaceRow, backend: Backend, base: str, check: Check, default_id: int) -> None:
        self.row = row
        self.base = base
        self.label = f"{row.name}:/{base}"
        self.place = f"space:{row.id}"
        self._backend = backend
        self._check = check
        if not transferable(row, default_id):
            raise invalid_argument(
                "the default user space is the gateway's own blob store: transfer to or from another space",
                argument="locationId",
            )
        # a shard store keeps object blocks under <workingDir>/blocks/: never a transfer's business
        self._blocks = None if row.shard_max_size is None else posixpath.join(row.working_dir, BLOCKS_DIR) + "/"

    def _key(self, rel: str) -> str:
        key = self.base + rel
        try:
            check_key(key)
        except InvalidBlobKey:
            raise invalid_argument(f"{key!r} is not a path a user space can hold", argument="path") from None
        if self._blocks is not None and key.startswith(self._blocks):
            raise invalid_argument(f"{key!r} is inside the space's shard store (object blocks)", argument="path")
        return key

    async def may_list(self, rel_dir: str) -> None:
        await self._check(SPACE_ACTION, None, None, None)

    async def may_read(self, rel: str) -> None:
        await self._check(SPACE_ACTION, None, None, None)

    async def may_write(self, rel: str) -> None:
        await self._check(SPACE_ACTION, None, None, None)
        self._key(rel)

    async def stat(self, rel: str) -> int | None:
        try:
            info = await self._backend.stat(self._key(rel))
        except JunctionError:
            return None
        except BackendError as exc:
            raise backend_failed(exc) from None
        return None if info is None else info.size

    async def files(self, rel_dir: str) -> AsyncIterator[tuple[str, int]]:
        prefix = self.base + rel_dir
        try:
            check_prefix(prefix)
            async for info in self._backend.list(prefix):
                if self._blocks is None or not info.key.startswith(self._blocks):
                    yield info.key[len(self.base) :], info.size
        except InvalidBlobKey:
            raise invalid_argument(f"{prefix!r} is not a path a user space can hold", argument="path") from None
        except BackendError as exc:
            raise backend_failed(exc) from None

    async def read(self, rel: str) -> tuple[AsyncIterator[bytes], str]:
        return self._backend.get(self._key(rel)), ""

    async def write(self, rel: str, body: AsyncIterator[bytes], size: int, content_type: str) -> None:
        await self._backend.put(self._key(rel), body, size)


def transferable(row: SpaceRow, default_id: int) -> bool:
    """False for the default space: its root is the gateway's own blob store under the data dir."""
    return row.id != default_id


def backend_failed(exc: BackendError) -> JunctionError:
    return JunctionError(ErrorCode.OperationFailed, f"the user space failed: {exc}")
