"""The registry of user spaces: one open backend per space, kept in step with the store.

Each space has two views. Its *shard store* (the backend rooted at `workingDir`) holds the
blocks of objects; its *root view* (no `workingDir`) is what package import/export and sync
tasks address, since their paths are "not prefixed by workingDir". Other workers (and the
native API in this one) change spaces through the store; `refresh` picks changes up by
revision, and replaced backends are closed after a grace period so in-flight transfers end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path
from typing import Any

from backends.base import Backend
from backends.registry import build_backend
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import SpaceRow
from gateway.meta.store import MetaStore

from .identity import Generation
from .secretbox import SecretBox

log = logging.getLogger("junction.spaces")

DEFAULT_SPACE = "default"
GENERATION_FILE = "spaces.gen"
RETIRE_AFTER = 120.0  # seconds a replaced backend stays open for transfers already running


class _Open:
    """One space's row and its backends (the root view is built on first use)."""

    def __init__(self, row: SpaceRow, credential: dict[str, Any]) -> None:
        self.row = row
        self.credential = credential
        self.shard: Backend = build_backend(row.storage, credential, row.working_dir)
        self._root: Backend | None = None

    def root(self) -> Backend:
        if self._root is None:
            self._root = (
                self.shard if not self.row.working_dir else build_backend(self.row.storage, self.credential, "")
            )
        return self._root

    async def close(self) -> None:
        await self.shard.close()
        if self._root is not None and self._root is not self.shard:
            await self._root.close()


class Spaces:
    """The open backends of every user space, in step with the store in every worker process:
    a change commits, then replaces `<data dir>/spaces.gen`; each lookup compares that file's
    `stat` with the one last seen (one system call) and re-reads the spaces when it moved."""

    def __init__(self, store: MetaStore, data_dir: Path, box: SecretBox) -> None:
        self._store = store
        self._data_dir = data_dir
        self.box = box
        self._generation = Generation(data_dir / GENERATION_FILE)
        self._seen: tuple[int, int, int] | None = None
        self._open: dict[int, _Open] = {}
        self._retiring: set[asyncio.Task[None]] = set()
        self.default_id = 0

    async def open(self) -> None:
        storage = {"type": "Local", "root": str(self._data_dir.resolve() / "blobs")}
        self.default_id = await self._store.spaces.ensure(DEFAULT_SPACE, storage, {"type": "Local"}, "")
        row = await self._store.spaces.get(self.default_id)
        if row.storage != storage:  # the data dir moved, or the row predates absolute roots
            await self._store.spaces.update(self.default_id, {"storage": json.dumps(storage)})
        await self.refresh()

    async def refresh(self) -> None:
        """Open new spaces, reopen changed ones (by revision), drop deleted ones."""
        self._seen = self._generation.current()
        self._apply(await self._store.spaces.list_all())

    def changed(self) -> None:
        """Call after committing a change to a space (and installing it here): other workers reload."""
        self._generation.bump()
        self._seen = self._generation.current()

    def _check(self) -> None:
        current = self._generation.current()
        if current != self._seen:
            self._seen = current
            self._apply(self._store.spaces.list_all_now())

    def _apply(self, found: list[SpaceRow]) -> None:
        rows = {row.id: row for row in found}
        for space_id in list(self._open):
            if space_id not in rows:
                self._retire(self._open.pop(space_id))
        for space_id, row in rows.items():
            current = self._open.get(space_id)
            if current is None or current.row.revision != row.revision:
                self.install(row)

    def install(self, row: SpaceRow) -> None:
        """(Re)open the backends of `row`; a space whose backend cannot be built is skipped."""
        try:
            opened = _Open(row, self.box.open(row.sealed_credential))
        except Exception as exc:  # a bad row must not stop the gateway; the space reports unavailable
            log.warning("user space %s (%s) cannot be opened: %s", row.id, row.name, exc)
            old = self._open.pop(row.id, None)
        else:
            old = self._open.get(row.id)
            self._open[row.id] = opened
        if old is not None:
            self._retire(old)

    def forget(self, space_id: int) -> None:
        old = self._open.pop(space_id, None)
        if old is not None:
            self._retire(old)

    def _retire(self, old: _Open) -> None:
        async def later() -> None:
            try:
                await asyncio.sleep(RETIRE_AFTER)
            finally:  # also when the gateway stops first
                await old.close()

        task = asyncio.get_running_loop().create_task(later())
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    def all(self) -> list[Backend]:
        self._check()
        return [opened.shard for opened in self._open.values()]

    def ids(self) -> list[int]:
        """The ids of the spaces open now."""
        self._check()
        return sorted(self._open)

    def row(self, space_id: int) -> SpaceRow:
        return self._get(space_id).row

    def backend(self, space_id: int) -> Backend:
        """The shard store of the space: where object blocks live."""
        return self._get(space_id).shard

    def root(self, space_id: int) -> Backend:
        """The whole space (paths not prefixed by workingDir): for import, export and sync."""
        return self._get(space_id).root()

    def _get(self, space_id: int) -> _Open:
        self._check()
        try:
            return self._open[space_id]
        except KeyError:
            raise JunctionError(
                ErrorCode.NoSuchUserSpace,
                f"user space {space_id} does not exist or is not available",
                user_space=space_id,
            ) from None

    def find(self, ref: str | int) -> int | None:
        """The id of the open space named `ref` (its id, or its name), or None."""
        self._check()  # a space another worker just made
        text = str(ref)
        if text.isdigit() and int(text) in self._open:
            return int(text)
        return next((i for i, opened in self._open.items() if opened.row.name == text), None)

    async def shard_space_for(self, affinity: int | None, size_hint: int | None = None) -> int | None:
        """The space new blocks should land in: the preferred one when it has a shard store with
        room, else None (the default space)."""
        self._check()
        if not affinity or affinity not in self._open:
            return None
        row = self._open[affinity].row
        if row.shard_max_size is None:
            return None
        if row.shard_max_size > 0:
            used = await self._store.spaces.usage(affinity)
            if used + (size_hint or 0) >= row.shard_max_size:
                log.info(
                    "user space %s is full (%d of %d bytes); writing to the default space",
                    affinity,
                    used,
                    row.shard_max_size,
                )
                return None
        return affinity

    async def close(self) -> None:
        for task in list(self._retiring):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for opened in self._open.values():
            await opened.close()
        self._open.clear()
