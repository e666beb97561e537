"""Package import from a user space (createPackage) and export to one (downloadPackage).

Both stream file by file between a space's root view and the object store, advancing a
job's counters as bytes flow. An import is all-or-nothing: its blobs are committed in one
transaction at the end, and on any failure they are discarded and the new package removed.
An export writes each file atomically (the backends' put contract), so a destination
never holds a half-written file, whatever stops the run.
"""

from __future__ import annotations

import mimetypes
import posixpath
from collections.abc import AsyncIterator
from typing import Any

from backends.base import Backend, BlobInfo, InvalidBlobKey, check_key
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Package
from gateway.meta.store import MetaStore

from .jobs import Job
from .native_ops import NativeService, WrittenFile
from .objects import ObjectService
from .paths import clean_dir
from .spaces import Spaces

MAX_ERRORS = 20  # errors kept on a job record


async def scan(backend: Backend, path: str) -> list[tuple[BlobInfo, str]]:
    """The files at `path` (a file, or a folder walked recursively) with their relative names."""
    if path:
        info = await backend.stat(path)
        if info is not None:
            return [(info, posixpath.basename(path))]
    prefix = f"{path}/" if path else ""
    return [(info, info.key[len(prefix) :]) async for info in backend.list(prefix)]


async def counted(job: Job, stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """Pass bytes through, advancing the job and honouring cancellation."""
    async for piece in stream:
        job.check_canceled()
        job.add(bytesDone=len(piece))
        yield piece


class Transfers:
    def __init__(self, store: MetaStore, spaces: Spaces, objects: ObjectService, native: NativeService) -> None:
        self._store = store
        self._spaces = spaces
        self._objects = objects
        self._native = native

    async def plan_import(self, space_id: int, path: str) -> list[tuple[BlobInfo, str]]:
        source = self._spaces.root(space_id)
        path = clean_dir(path, "path")
        try:
            files = await scan(source, path)
        except InvalidBlobKey as exc:
            raise JunctionError(ErrorCode.InvalidArgument, str(exc), argument="path") from None
        if not files:
            raise JunctionError(
                ErrorCode.NoSuchKey, f"nothing to import at {path or '/'!r} in user space {space_id}", path=path
            )
        return files

    async def import_files(
        self, job: Job, space_id: int, files: list[tuple[BlobInfo, str]], package: Package, target_space: int | None
    ) -> dict[str, Any]:
        """Stream every file into a blob, then commit them all at once (or none)."""
        source = self._spaces.root(space_id)
        job.update(filesTotal=len(files), bytesTotal=sum(info.size for info, _ in files))
        written: list[WrittenFile] = []
        try:
            for info, rel in files:
                job.check_canceled()
                job.update(current=rel)
                content_type = mimetypes.guess_type(rel)[0] or "application/octet-stream"
                stream = counted(job, source.get(info.key))
                written.append(
                    await self._native.write_file(
                        package, rel, stream, content_type=content_type, space_id=target_space
                    )
                )
                job.add(filesDone=1)
            job.check_canceled()
            objects = await self._native.commit_files(package, written, no_overwrite=False)
        except BaseException:
            await self._native.discard(written)
            await self._native.packages.delete(package.id)
            raise
        return {"packageID": package.id, "objects": len(objects), "bytes": sum(o.size for o in objects)}

    async def export_package(self, job: Job, package: Package, space_id: int, root_path: str) -> dict[str, Any]:
        dest = self._spaces.root(space_id)
        root = clean_dir(root_path, "rootPath")
        objects = await self._native.package_objects(package)
        job.update(filesTotal=len(objects), bytesTotal=sum(o.size for o in objects))
        errors: list[str] = []
        written = unstorable = 0
        for obj in objects:
            job.check_canceled()
            job.update(current=obj.path)
            try:
                key = check_key(posixpath.join(root, obj.path) if root else obj.path)
            except InvalidBlobKey:
                errors.append(f"{obj.path}: not a path a file system can hold; skipped")
                unstorable += 1
                job.add(filesFailed=1)
                continue
            full = await self._store.objects.get_by_id(obj.id)  # listings carry no block map
            if full is None:  # deleted meanwhile
                errors.append(f"{obj.path}: deleted while exporting")
                continue
            try:
                await dest.put(key, counted(job, self._objects.read(full)), full.size)
            except InvalidBlobKey as exc:  # a directory where the file goes, a name too long: the next one
                errors.append(f"{obj.path}: {exc}; skipped")
                unstorable += 1
                job.add(filesFailed=1)
                continue
            written += 1
            job.add(filesDone=1)
        if errors:
            raise JunctionError(
                ErrorCode.InvalidArgument if unstorable == len(errors) else ErrorCode.OperationFailed,
                f"{len(errors)} objects could not be exported: " + "; ".join(errors[:MAX_ERRORS]),
            )
        return {"packageID": package.id, "files": written, "bytes": sum(o.size for o in objects)}
