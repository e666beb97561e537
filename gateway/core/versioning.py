"""S3 bucket versioning in the core: the bucket's state, reading and deleting one version,
and ListObjectVersions.

Writes and plain deletes need nothing from here: the store's commit and delete paths apply
the bucket's state themselves (gateway.meta.versions_store), so every front end creates
versions and delete markers alike. This module adds what only version-aware callers ask
for: a version by id, a version's permanent deletion, and the history listing.
"""

from __future__ import annotations

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Deletion, ObjectInfo, ObjectVersion, VersionPage
from gateway.meta import history
from gateway.meta.history import ENABLED, SUSPENDED, VERSION_ID
from gateway.meta.records import CommitGuard
from gateway.meta.rows import prefix_successor
from gateway.meta.store import MetaStore

STATUSES = (ENABLED, SUSPENDED)
BATCH = 1000


def parse_version_id(value: str) -> str:
    """A client's version id in stored form ('' for "null"); malformed ids are refused as S3
    refuses them, so a well-formed unknown id can be told apart (NoSuchVersion)."""
    if value == "null":
        return history.NULL
    if not VERSION_ID.match(value):
        raise JunctionError(ErrorCode.InvalidArgument, "Invalid version id specified", argument="versionId")
    return value


def delete_marker_error(code: ErrorCode, message: str, marker: ObjectVersion) -> JunctionError:
    """An error whose response must say a delete marker is in the way (S3 adds headers)."""
    return JunctionError(code, message, delete_marker=True, version_id=marker.version_id, last_modified=marker.updated)


async def missing_key(store: MetaStore, bucket_id: int, key: str) -> JunctionError:
    """NoSuchKey, saying so when a delete marker is what hides the key."""
    marker = await store.versions.latest_marker(bucket_id, key)
    if marker is None:
        return JunctionError(ErrorCode.NoSuchKey, key=key)
    return delete_marker_error(ErrorCode.NoSuchKey, "", marker)


async def read_version(store: MetaStore, bucket_id: int, key: str, version_id: str) -> ObjectVersion:
    """The version with the client's id `version_id` (validated here); NoSuchVersion if absent."""
    found = await store.versions.find(bucket_id, key, parse_version_id(version_id))
    if found is None:
        raise JunctionError(ErrorCode.NoSuchVersion, key=key, version_id=version_id)
    return found


async def read_object_version(store: MetaStore, bucket_id: int, key: str, version_id: str) -> ObjectInfo:
    """A stored version to read; a delete marker cannot be read (405, as S3 answers)."""
    found = await read_version(store, bucket_id, key, version_id)
    if found.obj is None:
        raise delete_marker_error(
            ErrorCode.MethodNotAllowed, "The specified method is not allowed against this resource.", found
        )
    return found.obj


async def delete_version(
    store: MetaStore,
    bucket_id: int,
    key: str,
    version_id: str,
    guards: list[CommitGuard],
    *,
    bypass_governance: bool = False,
) -> Deletion:
    return await store.versions.delete(
        bucket_id, key, parse_version_id(version_id), guards, bypass_governance=bypass_governance
    )


def _common_prefix(key: str, prefix: str, delimiter: str) -> str | None:
    if not delimiter:
        return None
    cut = key.find(delimiter, len(prefix))
    return key[: cut + len(delimiter)] if cut >= 0 else None


class VersioningService:
    def __init__(self, store: MetaStore) -> None:
        self._store = store

    async def status(self, bucket: str) -> str:
        """'Enabled', 'Suspended', or '' when versioning was never configured."""
        bucket_row = await self._store.buckets.get(bucket)
        return await self._store.versions.status(bucket_row.id)

    async def set_status(self, bucket: str, status: str, *, mfa_delete: str | None = None) -> None:
        if status not in STATUSES:
            raise JunctionError(ErrorCode.MalformedXML, "The versioning Status must be Enabled or Suspended")
        if mfa_delete not in (None, "Disabled", "Enabled"):
            raise JunctionError(ErrorCode.MalformedXML, "MfaDelete must be Enabled or Disabled")
        if mfa_delete == "Enabled":
            raise JunctionError(ErrorCode.NotImplemented, "MFA delete is not implemented by this gateway")
        bucket_row = await self._store.buckets.get(bucket)
        await self._store.versions.set_status(bucket_row.id, status)

    async def list_versions(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str = "",
        key_marker: str = "",
        version_id_marker: str = "",
        max_keys: int = 1000,
    ) -> VersionPage:
        """One page of ListObjectVersions: keys in binary order, each key's versions and
        delete markers newest first, resuming strictly after (key_marker, version_id_marker)."""
        if version_id_marker and not key_marker:
            raise JunctionError(
                ErrorCode.InvalidArgument,
                "A version-id marker cannot be specified without a key marker.",
                argument="version-id-marker",
            )
        after = parse_version_id(version_id_marker) if version_id_marker else None
        bucket_row = await self._store.buckets.get(bucket)
        return await _VersionLister(self._store, bucket_row.id, prefix, delimiter, max_keys).page(key_marker, after)


class _VersionLister:
    """Fills one ListObjectVersions page; common prefixes are skipped past in one jump."""

    def __init__(self, store: MetaStore, bucket_id: int, prefix: str, delimiter: str, max_keys: int) -> None:
        self._store = store
        self._bucket_id = bucket_id
        self._prefix = prefix
        self._delimiter = delimiter
        self._max = max_keys
        self.result = VersionPage([], [], False, "", None)

    def _full(self) -> bool:
        return len(self.result.versions) + len(self.result.prefixes) >= self._max

    def _truncate(self) -> VersionPage:
        self.result.truncated = True
        return self.result

    async def _add_versions(self, key: str, after: str | None) -> bool:
        """Add `key`'s versions (after `after`); False once the page is full with more to come."""
        room = self._max - len(self.result.versions) - len(self.result.prefixes)
        found = await self._store.versions.key_versions(self._bucket_id, key, after=after, limit=room + 1)
        for version in found:
            if self._full():
                return False
            self.result.versions.append(version)
            self.result.next_key_marker, self.result.next_version_id_marker = key, version.version_id
        return True

    async def page(self, key_marker: str, after: str | None) -> VersionPage:
        if self._max <= 0:
            return self.result
        start: str | None = key_marker
        inclusive = False
        marker_prefix = (
            _common_prefix(key_marker, self._prefix, self._delimiter)
            if key_marker and key_marker.startswith(self._prefix)
            else None
        )
        if marker_prefix is not None:
            start, inclusive = prefix_successor(marker_prefix), True
        elif after is not None and key_marker.startswith(self._prefix):
            if not await self._add_versions(key_marker, after):
                return self._truncate()
        while start is not None:
            keys = await self._store.versions.keys(
                self._bucket_id, prefix=self._prefix, start=start, inclusive=inclusive, limit=BATCH
            )
            for key in keys:
                common = _common_prefix(key, self._prefix, self._delimiter)
                if common is not None:
                    if self._full():
                        return self._truncate()
                    self.result.prefixes.append(common)
                    self.result.next_key_marker, self.result.next_version_id_marker = common, None
                    start, inclusive = prefix_successor(common), True
                    break
                if not await self._add_versions(key, None):
                    return self._truncate()
                start, inclusive = key, False
            else:
                if len(keys) < BATCH:
                    break
        return self.result
