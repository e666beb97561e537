"""User spaces: where bytes can live (Local directory, S3 bucket, OBS bucket) and with which
credential. Creating or updating one validates it by building its backend; `test` really
connects and writes, reads and deletes a probe under `workingDir`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backends.base import (
    Backend,
    BackendAccessDenied,
    BackendError,
    BackendUnavailable,
    BlobNotFound,
)
from backends.registry import FACTORIES, build_backend
from gateway.domain.errors import ErrorCode, JunctionError, invalid_argument
from gateway.domain.models import SpaceRow
from gateway.meta.store import MetaStore

from .paths import clean_dir
from .spaces import Spaces

PROBE_BODY = b"junction user-space probe\n"
# Storage and credential fields a space of each type may carry (others are refused as typos).
CREDENTIAL_TYPES = {"Local": {"Local", ""}, "S3": {"S3", "AK"}, "OBS": {"OBS", "AK"}}


@dataclass(frozen=True, slots=True)
class SpaceSpec:
    name: str
    storage: dict[str, Any]
    credential: dict[str, Any]
    shard_max_size: int | None
    features: list[Any]
    working_dir: str


class UserSpaceService:
    def __init__(self, store: MetaStore, spaces: Spaces, local_roots: list[Path]) -> None:
        self._store = store
        self._spaces = spaces
        self._local_roots = local_roots  # Local spaces may only point inside these

    def validate(self, storage: dict[str, Any], credential: dict[str, Any], working_dir: str) -> None:
        kind = storage.get("type")
        if kind not in FACTORIES:
            raise invalid_argument(
                f"storage.type must be one of {', '.join(sorted(FACTORIES))}", argument="storage.type"
            )
        if credential.get("type", "") not in CREDENTIAL_TYPES.get(kind, {kind}):
            raise invalid_argument(
                f"credential.type {credential.get('type')!r} does not fit storage type {kind}",
                argument="credential.type",
            )
        if kind == "Local":
            root = storage.get("root")
            if not isinstance(root, str) or not Path(root).is_absolute():
                raise invalid_argument("storage.root must be an absolute directory", argument="storage.root")
            real = Path(root).resolve()
            if not any(real == allowed or allowed in real.parents for allowed in self._local_roots):
                raise JunctionError(
                    ErrorCode.AccessDenied,
                    "storage.root is outside the directories Local spaces may use "
                    "(<data dir>/spaces and JUNCTION_LOCAL_ROOTS)",
                    argument="storage.root",
                )
        elif not storage.get("bucket"):
            raise invalid_argument("storage.bucket is required", argument="storage.bucket")
        clean_dir(working_dir, "workingDir")

    def build(self, storage: dict[str, Any], credential: dict[str, Any], working_dir: str) -> Backend:
        try:
            return build_backend(storage, credential, working_dir)
        except (BackendError, OSError) as exc:
            raise invalid_argument(f"the storage description is not usable: {exc}", argument="storage") from None

    async def create(self, spec: SpaceSpec) -> SpaceRow:
        working_dir = clean_dir(spec.working_dir, "workingDir")
        self.validate(spec.storage, spec.credential, working_dir)
        await self.build(spec.storage, spec.credential, working_dir).close()
        row = await self._store.spaces.create(
            name=spec.name,
            storage=spec.storage,
            sealed_credential=self._spaces.box.seal(spec.credential),
            shard_max_size=spec.shard_max_size,
            features=spec.features,
            working_dir=working_dir,
        )
        self._spaces.install(row)
        self._spaces.changed()
        return row

    async def get(self, space_id: int) -> SpaceRow:
        return await self._store.spaces.get(space_id)

    async def list(self) -> list[SpaceRow]:
        return await self._store.spaces.list_all()

    def credential_of(self, row: SpaceRow) -> dict[str, Any]:
        return self._spaces.box.open(row.sealed_credential)

    async def update(self, space_id: int, fields: dict[str, Any]) -> SpaceRow:
        """Change any of name, storage, credential, shardStore, features, workingDir; bumps revision."""
        row = await self.get(space_id)
        if space_id == self._spaces.default_id and set(fields) - {"name"}:
            raise invalid_argument("the default user space's storage cannot be changed", argument="userSpaceID")
        storage = fields.get("storage", row.storage)
        credential = fields.get("credential", self.credential_of(row))
        working_dir = clean_dir(fields.get("working_dir", row.working_dir), "workingDir")
        self.validate(storage, credential, working_dir)
        await self.build(storage, credential, working_dir).close()
        changes: dict[str, Any] = {}
        if "name" in fields:
            changes["name"] = fields["name"]
        if "storage" in fields:
            changes["storage"] = _json(storage)
        if "credential" in fields:
            changes["credential"] = self._spaces.box.seal(credential)
        if "shard_max_size" in fields:
            changes["shard_max_size"] = fields["shard_max_size"]
        if "features" in fields:
            changes["features"] = _json(fields["features"])
        if "working_dir" in fields:
            changes["working_dir"] = working_dir
        updated = await self._store.spaces.update(space_id, changes)
        self._spaces.install(updated)
        self._spaces.changed()
        return updated

    async def delete(self, space_id: int) -> bool:
        if space_id == self._spaces.default_id:
            raise JunctionError(ErrorCode.OperationAborted, "the default user space cannot be deleted")
        deleted = await self._store.spaces.delete(space_id)
        self._spaces.forget(space_id)
        self._spaces.changed()
        return deleted

    async def test(self, storage: dict[str, Any], credential: dict[str, Any], working_dir: str) -> None:
        """Connect, write a probe under workingDir, read it back, delete it; raise saying why not."""
        working_dir = clean_dir(working_dir, "workingDir")
        self.validate(storage, credential, working_dir)
        probe = f".junction-probe-{uuid.uuid4().hex}"
        backend: Backend | None = None
        try:
            backend = build_backend(storage, credential, working_dir)
            await backend.put(probe, _once(PROBE_BODY), len(PROBE_BODY))
            data = b"".join([piece async for piece in backend.get(probe)])
            if data != PROBE_BODY:
                raise JunctionError(ErrorCode.StorageTestFailed, "the probe read back differs from what was written")
            await backend.delete(probe)
        except BackendAccessDenied as exc:
            raise JunctionError(
                ErrorCode.StorageTestFailed,
                f"the storage refused access (its credential, or its directory's permissions): {exc}",
            ) from None
        except BackendUnavailable as exc:
            raise JunctionError(ErrorCode.StorageTestFailed, f"the storage cannot be reached: {exc}") from None
        except (BackendError, BlobNotFound, OSError) as exc:
            raise JunctionError(ErrorCode.StorageTestFailed, f"the storage failed the probe: {exc}") from None
        finally:
            if backend is not None:
                await backend.close()


def _json(value: Any) -> str:
    return json.dumps(value)


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data
