"""Bucket operations and the S3 bucket-naming rules."""

from __future__ import annotations

import re
from collections.abc import Callable

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Bucket
from gateway.meta.access_store import BucketAccessRow
from gateway.meta.store import MetaStore

_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_LIKE = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
# Path-style requests for a bucket named "api" would collide with the console's /api/v1.
RESERVED = {"api"}


def validate_bucket_name(name: str) -> None:
    """The general-purpose bucket rules of the S3 user guide."""
    if (
        not _NAME.match(name)
        or ".." in name
        or ".-" in name
        or "-." in name
        or _IP_LIKE.match(name)
        or name in RESERVED
        or name.startswith(("xn--", "sthree-", "amzn-s3-demo-"))
        or name.endswith(("-s3alias", "--ol-s3", "--x-s3", ".mrap"))
    ):
        raise JunctionError(ErrorCode.InvalidBucketName, bucket=name)


class BucketService:
    def __init__(self, store: MetaStore, identities_changed: Callable[[], None] = lambda: None) -> None:
        self._store = store
        self._identities_changed = identities_changed

    async def create(
        self, name: str, owner: str, *, location: str | None = None, access: BucketAccessRow | None = None
    ) -> Bucket:
        """Create a bucket owned by the account `owner`, with its access settings (S3's CreateBucket);
        `location` is the LocationConstraint it was created with, kept for GetBucketLocation (the
        front end has checked it against the gateway's region)."""
        validate_bucket_name(name)
        bucket = await self._store.buckets.create(name, owner, access)
        if location:
            await self._store.placement.set_bucket_region(bucket.id, location)
        return bucket

    async def location(self, bucket_id: int) -> str | None:
        """The LocationConstraint the bucket was created with (None: created without one)."""
        return await self._store.placement.bucket_region(bucket_id)

    async def get(self, name: str) -> Bucket:
        return await self._store.buckets.get(name)

    async def by_id(self, bucket_id: int) -> Bucket | None:
        return await self._store.buckets.get_by_id(bucket_id)

    async def list(self) -> list[Bucket]:
        return await self._store.buckets.list_all()

    async def usage(self, bucket_id: int) -> tuple[int, int]:
        """(bytes, objects) stored in the bucket, noncurrent versions included."""
        return await self._store.buckets.usage(bucket_id)

    async def delete(self, name: str, *, force: bool = False) -> None:
        """The volume's console exports (users of the owner's account) go with it, and every
        process forgets their keys at once: a new bucket of the same name must not inherit them."""
        bucket = await self._store.buckets.get(name)
        await self.delete_by_id(bucket.id, force=force)

    async def delete_by_id(self, bucket_id: int, *, force: bool = False) -> None:
        """Delete the bucket; `force` deletes its objects too instead of refusing (BucketNotEmpty)."""
        export_users = await self._store.identity.export_users(bucket_id)
        await self._store.buckets.delete(bucket_id, force=force)
        await self._store.identity.delete_users(export_users)
        self._identities_changed()
