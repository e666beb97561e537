"""Packages as first-class things (the native API's view) and the native path rules.

An explicitly created package gets a zero-byte marker object at path "" so that S3
clients see the folder `P/`; a package implied by S3 writes has no marker and vanishes
with its last object. Both are packages here.
"""

from __future__ import annotations

from gateway.domain.errors import ErrorCode, JunctionError, invalid_argument
from gateway.domain.mapping import ROOT_PACKAGE, validate_new_key, validate_object_path
from gateway.domain.models import Deletion, ObjectInfo, Package
from gateway.meta import packages_store
from gateway.meta.native_parts_store import PENDING
from gateway.meta.records import CommitGuard
from gateway.meta.store import MetaStore

from .notifications import NotificationService, object_created, object_removed
from .objects import ObjectService


def validate_package_name(name: str) -> None:
    """A package name is one S3 key segment; '.' and '..' are refused so no client maps it
    onto a parent directory when it mirrors a package to disk."""
    if not isinstance(name, str):
        raise invalid_argument("Package name must be a string")
    if "/" in name or "\x00" in name:
        raise invalid_argument("Package name must not contain '/' or NUL", package=name)
    if name in (".", ".."):
        raise invalid_argument("Package name must not be '.' or '..'", package=name)
    if name:
        validate_new_key(name + "/")


def validate_native_path(package: str, path: str) -> str:
    """Check an object path written through the native API; return its S3 key.

    Besides the S3 round-trip rule, paths are relative: no leading '/', no '.' or '..'
    segment, no NUL, so that mirroring a package to a file system can never escape it.
    """
    if not isinstance(path, str) or not path:
        raise invalid_argument("Object path must be a non-empty string", path=path)
    if "\x00" in path:
        raise invalid_argument("Object path must not contain NUL")
    if path.startswith("/"):
        raise invalid_argument("Object path must be relative (no leading '/')", path=path)
    if any(segment in (".", "..") for segment in path.split("/")):
        raise invalid_argument("Object path must not contain '.' or '..' segments", path=path)
    return validate_object_path(package, path)


async def native_removed(events: NotificationService | None, obj: ObjectInfo, deletion: Deletion) -> None:
    """The event of a native delete, as of an S3 delete without a version id (a versioned
    bucket's names its delete marker); none for a native upload in progress: removing one is
    an abort, which S3 does not notify."""
    if obj.redundancy != PENDING:
        await object_removed(events, obj.bucket_id, obj.key, deletion, latest=True)


class PackageService:
    def __init__(self, store: MetaStore, guards: list[CommitGuard], objects: ObjectService) -> None:
        self._store = store
        self._guards = guards
        self._objects = objects  # its `events` (bucket notifications) are set after construction

    async def create(self, bucket_id: int, name: str) -> Package:
        """The package and its marker object `name/`, which S3 clients see (and are notified of,
        as of a PutObject of that key; its removal with the package is notified too)."""
        validate_package_name(name)
        package = await self._store.packages.create(bucket_id, name, self._guards)
        if self._objects.events is not None and name:
            marker = await self._store.packages.get_marker(package.id)
            if marker is not None:
                await object_created(self._objects.events, marker, "Put")
        return package

    async def get(self, package_id: int) -> Package:
        package = await self._store.packages.get_by_id(package_id)
        if package is None:
            raise packages_store.no_such_package(package_id)
        return package

    async def get_by_name(self, bucket_name: str, package_name: str) -> Package:
        bucket = await self._store.buckets.get(bucket_name)
        package = await self._store.packages.get(bucket.id, package_name)
        if package is None:
            raise packages_store.no_such_package(package_name)
        return package

    async def list(self, bucket_id: int) -> list[Package]:
        return await self._store.packages.list_in_bucket(bucket_id)

    async def delete(self, package_id: int) -> None:
        """Delete the package and every object in it (blobs are released, then collected), with
        an event per object as S3 sends for each key of a DeleteObjects."""
        package = await self.get(package_id)
        if package.name == ROOT_PACKAGE:
            raise JunctionError(ErrorCode.InvalidArgument, "The root package of a bucket cannot be deleted")
        while True:
            try:
                done, removed = await self._store.packages.delete_batch(package_id)
            except JunctionError as exc:
                if exc.code == ErrorCode.NoSuchPackage:  # emptied and dropped concurrently by an S3 delete
                    return
                raise
            for obj, deletion in removed:
                await native_removed(self._objects.events, obj, deletion)
            if done:
                return
