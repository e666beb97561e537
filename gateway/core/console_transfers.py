"""Console transfers (the storage browser document's /api/transfer): copy files between any two
places -- a bucket or a prefix of it, a package, a user space (Local, S3, OBS) -- as a job of
the one job system, so its progress is followed like a package import's or a sync run's.

A transfer is planned before it starts: the source is listed and every file's read and every
destination write is asked of the identity engine (core/transfer_sides.py), so a caller who may
not do all of it is refused up front with AccessDenied and nothing is copied. The run asks again
per file (a policy changed meanwhile wins), streams each file, and carries on past a file that
fails, listing it in the job's `errors`; the job then ends failed. A cancel stops it at the next
chunk; files already copied stay (each write is atomic: no half-written file is ever left).
"""

from __future__ import annotations

import asyncio
import posixpath
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from backends.base import BackendError
from gateway.domain.errors import ErrorCode, JunctionError, invalid_argument
from gateway.domain.models import Bucket, ListPage
from gateway.meta.store import MetaStore

from .authz import Identity
from .jobs import Job, JobService
from .objects import ObjectService
from .spaces import Spaces
from .transfer_sides import BucketSide, Check, Side, SpaceSide

JOB_KIND = "transfer"
CONFLICTS = ("overwrite", "skip", "rename")
KINDS = {"s3": "bucket", "bucket": "bucket", "package": "package", "local": "space", "space": "space"}
MAX_ITEMS = 1000
MAX_ERRORS = 20  # per-file errors kept on the job
MAX_RENAMES = 1000
QUEUE_POLL = 0.25  # seconds between looks at the queue of a waiting transfer
STATUS = {"running": "in_progress", "succeeded": "completed", "failed": "failed", "canceled": "cancelled"}
EVENT = {"running": "progress", "succeeded": "complete", "failed": "error", "canceled": "cancelled"}

Authorize = Callable[..., Awaitable[None]]  # Core.authorize(identity, action, bucket=, key=, context=)
ListObjects = Callable[..., Awaitable[ListPage]]  # Core.list_objects(bucket, prefix=, marker=)
Who = Callable[[], Awaitable[Identity]]  # the caller's identity as it is now (re-read per check)


@dataclass(frozen=True, slots=True)
class Location:
    kind: str  # "bucket" | "package" | "space"
    location_id: str
    path: str


@dataclass(frozen=True, slots=True)
class TransferRequest:
    source: Location
    destination: Location
    items: tuple[tuple[str, str], ...]  # (path relative to source.path, "file" | "directory" | "")
    conflict: str


@dataclass(frozen=True, slots=True)
class PlannedFile:
    source: str  # relative to the source side's base
    target: str  # relative to the destination side's base
    size: int


@dataclass(frozen=True, slots=True)
class Plan:
    source: Side
    destination: Side
    files: tuple[PlannedFile, ...]
    conflict: str

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


def _location(body: dict[str, Any], name: str) -> Location:
    value = body.get(name)
    if not isinstance(value, dict):
        raise invalid_argument(f"{name} must be an object with type, locationId and path", argument=name)
    kind = KINDS.get(str(value.get("type", "")).lower())
    if kind is None:
        raise invalid_argument(f"{name}.type must be one of {', '.join(KINDS)}", argument=f"{name}.type")
    location_id, path = value.get("locationId"), value.get("path", "")
    if isinstance(location_id, int) and not isinstance(location_id, bool):
        location_id = str(location_id)
    if not isinstance(location_id, str) or not location_id:
        raise invalid_argument(f"{name}.locationId must be a bucket, package or user space", argument=name)
    if not isinstance(path, str) or "\x00" in path:
        raise invalid_argument(f"{name}.path must be a string", argument=f"{name}.path")
    return Location(kind, location_id, path.lstrip("/"))


def _items(body: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    raw = body.get("items")
    if raw is None:  # the older form: "files": ["a.txt", "dir/"]
        raw = [{"path": p} for p in body.get("files") or [] if isinstance(p, str) and p]
    if not isinstance(raw, list) or len(raw) > MAX_ITEMS:
        raise invalid_argument(f"items must be a list of at most {MAX_ITEMS} entries", argument="items")
    items = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str) or not item["path"].strip("/"):
            raise invalid_argument('each item is {"path": "...", "type": "file" | "directory"}', argument="items")
        kind = item.get("type", "")
        if kind not in ("file", "directory", ""):
            raise invalid_argument("an item's type is file or directory", argument="items")
        path = item["path"].lstrip("/")
        items.append((path, "directory" if path.endswith("/") else kind))
    return tuple(items)


def parse_request(body: dict[str, Any], *, conflicts_needed: bool = True) -> TransferRequest:
    """A transfer (or check-conflicts) body, validated. Without items, `source.path` names what
    moves: a folder (`dir/`) moves its contents, a file or folder without the slash moves itself."""
    source, destination = _location(body, "source"), _location(body, "destination")
    items = _items(body)
    if not items and source.path and not source.path.endswith("/"):
        parent, name = posixpath.split(source.path)
        source, items = Location(source.kind, source.location_id, parent), ((name, ""),)
    conflict = body.get("conflictResolution", "overwrite" if conflicts_needed else "skip")
    if conflict not in CONFLICTS:
        raise invalid_argument(f"conflictResolution must be one of {', '.join(CONFLICTS)}", argument="conflict")
    return TransferRequest(source, destination, items, str(conflict))


def _base(path: str) -> str:
    path = path.strip("/")
    return f"{path}/" if path else ""


def renamed(rel: str, n: int) -> str:
    """`dir/name (n).ext`: the name a `rename` conflict resolution gives the n-th copy."""
    folder, name = posixpath.split(rel)
    stem, dot, ext = name.partition(".") if not name.startswith(".") else (name, "", "")
    return posixpath.join(folder, f"{stem} ({n}){dot}{ext}")


class ConsoleTransfers:
    def __init__(
        self,
        store: MetaStore,
        spaces: Spaces,
        objects: ObjectService,
        jobs: JobService,
        authorize: Authorize,
        list_objects: ListObjects,
        limit: Callable[[], Awaitable[float]],
    ) -> None:
        self._store = store
        self._spaces = spaces
        self._objects = objects
        self._jobs = jobs
        self._authorize = authorize
        self._list_objects = list_objects
        self._limit = limit  # the max-concurrent-transfers setting

    # ------------------------------------------------------------ planning

    async def _side(self, location: Location, who: Who, context: Mapping[str, Sequence[str]]) -> Side:
        async def check(
            action: str, bucket: Bucket | None, key: str | None, extra: Mapping[str, Sequence[str]] | None
        ) -> None:
            identity = await who()  # as it is now: a policy changed since the transfer started applies
            await self._authorize(identity, action, bucket=bucket, key=key, context={**context, **(extra or {})})

        checker: Check = check
        if location.kind == "space":
            await checker("junction:ManageUserSpaces", None, None, None)  # before saying what exists
            space_id = self._spaces.find(location.location_id)
            if space_id is None:
                raise JunctionError(
                    ErrorCode.NoSuchUserSpace,
                    f"no user space {location.location_id!r}",
                    user_space=location.location_id,
                )
            return SpaceSide(
                self._spaces.row(space_id),
                self._spaces.root(space_id),
                _base(location.path),
                checker,
                self._spaces.default_id,
            )
        base = _base(location.path)
        bucket_name = location.location_id
        if location.kind == "package":
            bucket_name, package = await self._package(location.location_id)
            base = _base(package) + base if package else base
        bucket = await self._store.buckets.get(bucket_name)

        async def lister(name: str, prefix: str, marker: str) -> ListPage:
            return await self._list_objects(name, prefix=prefix, marker=marker, max_keys=1000)

        return BucketSide(bucket, base, self._objects, lister, checker, (await who()).no_overwrite)

    async def _package(self, ref: str) -> tuple[str, str]:
        """A package as `bucket/package` (or its id): its bucket and its name (a key prefix)."""
        if ref.isdigit():
            package = await self._store.packages.get_by_id(int(ref))
            bucket = None if package is None else await self._store.buckets.get_by_id(package.bucket_id)
            if package is None or bucket is None:
                raise JunctionError(ErrorCode.NoSuchPackage, f"no package {ref}", package=ref)
            return bucket.name, package.name
        bucket_name, slash, name = ref.partition("/")
        if not slash or "/" in name:
            raise invalid_argument("a package location is bucket/package (or the package's id)", argument="locationId")
        return bucket_name, name

    async def plan(self, request: TransferRequest, who: Who, context: Mapping[str, Sequence[str]]) -> Plan:
        """List what moves and ask the engine about every read and write; AccessDenied (and
        nothing started) when any is refused."""
        source = await self._side(request.source, who, context)
        destination = await self._side(request.destination, who, context)
        files: list[PlannedFile] = []
        for rel, kind in request.items or (("", "directory"),):
            if kind != "directory":
                size = await self._file_size(source, rel, must=kind == "file")
                if size is not None:
                    files.append(PlannedFile(rel, rel, size))
                    continue
                if kind == "file":
                    raise JunctionError(ErrorCode.NoSuchKey, f"no file {source.label}{rel}", key=rel)
            folder = _base(rel)
            await source.may_list(folder)
            async for found, size in source.files(folder):
                files.append(PlannedFile(found, found, size))
        if not files:
            raise JunctionError(ErrorCode.NoSuchKey, f"nothing to transfer at {source.label}")
        for planned in files:
            if source.place == destination.place and source.base + planned.source == destination.base + planned.target:
                raise invalid_argument(f"{planned.source!r} would be copied onto itself", argument="destination")
            await source.may_read(planned.source)
            await destination.may_write(planned.target)
        return Plan(source, destination, tuple(files), request.conflict)

    async def _file_size(self, source: Side, rel: str, *, must: bool) -> int | None:
        """The size of the file `rel`, or None when it is not one. A name of unknown kind the
        caller may not read as a file may still be a folder it may list: that is tried next."""
        try:
            await source.may_read(rel)
        except JunctionError as exc:
            if must or exc.code != ErrorCode.AccessDenied:
                raise
            return None
        return await source.stat(rel)

    async def check_conflicts(
        self, request: TransferRequest, who: Who, context: Mapping[str, Sequence[str]]
    ) -> dict[str, Any]:
        """Which planned files already exist at the destination (the document's answer shape)."""
        plan = await self.plan(request, who, context)
        conflicts: list[str] = []
        free: list[str] = []
        for planned in plan.files:
            exists = await plan.destination.stat(planned.target) is not None
            (conflicts if exists else free).append(planned.target)
        answer: dict[str, Any] = {
            "conflicts": conflicts,
            "nonConflicting": free,
            "fileCount": len(plan.files),
            "totalSize": plan.total_bytes,
        }
        if len(plan.files) > 1000 or plan.total_bytes > 10 * 1024**3:
            answer["warning"] = {
                "type": "large_folder",
                "fileCount": len(plan.files),
                "totalSize": plan.total_bytes,
                "message": f"{len(plan.files)} files ({plan.total_bytes} bytes): the transfer may take a while.",
            }
        return answer

    # ------------------------------------------------------------ running

    async def start(
        self, request: TransferRequest, who: Who, context: Mapping[str, Sequence[str]], owner: str
    ) -> dict[str, Any]:
        plan = await self.plan(request, who, context)
        params = {
            "owner": owner,
            "source": plan.source.label,
            "destination": plan.destination.label,
            "conflictResolution": plan.conflict,
        }
        job = await self._jobs.start(JOB_KIND, params, lambda job: self.run(job, plan))
        return {
            "jobId": str(job.id),
            "status": "in_progress",
            "filesQueued": len(plan.files),
            "estimatedBytes": plan.total_bytes,
        }

    async def _wait_for_a_slot(self, job: Job) -> None:
        """At most `max-concurrent-transfers` transfers copy at once, across every worker and
        instance (they share the jobs table): the others wait, pending, in the order they came."""
        while await self._store.jobs.running_before(JOB_KIND, job.id) >= await self._limit():
            if not job.progress.get("waiting"):
                job.update(waiting=True)
            job.check_canceled()
            await asyncio.sleep(QUEUE_POLL)
        job.update(waiting=False)

    async def run(self, job: Job, plan: Plan) -> dict[str, Any]:
        job.update(
            filesTotal=len(plan.files),
            bytesTotal=plan.total_bytes,
            filesSkipped=0,
            filesFailed=0,
            errors=[],
        )
        await self._wait_for_a_slot(job)
        errors: list[dict[str, str]] = []
        copied = 0
        for planned in plan.files:
            job.check_canceled()
            job.update(current=planned.source, currentLoaded=0, currentTotal=planned.size)
            try:
                target = planned.target
                if plan.conflict != "overwrite" and await plan.destination.stat(target) is not None:
                    if plan.conflict == "skip":
                        job.add(filesDone=1, filesSkipped=1, bytesDone=planned.size)
                        continue
                    target = await self._free_name(plan.destination, target)
                await plan.source.may_read(planned.source)
                await plan.destination.may_write(target)
                body, content_type = await plan.source.read(planned.source)
                await plan.destination.write(target, _counted(job, body), planned.size, content_type)
                copied += 1
                job.add(filesDone=1)
            except (JunctionError, BackendError, OSError) as exc:  # OSError: a Local space's file system
                job.add(filesFailed=1)
                if len(errors) < MAX_ERRORS:
                    code = str(exc.code) if isinstance(exc, JunctionError) else type(exc).__name__
                    message = (exc.message or code) if isinstance(exc, JunctionError) else str(exc)
                    errors.append({"file": planned.source, "error": code, "message": message})
                    job.update(errors=list(errors))
        job.update(current="", currentLoaded=0, currentTotal=0)
        failed = int(job.progress.get("filesFailed", 0))
        if failed:
            raise JunctionError(
                ErrorCode.OperationFailed,
                f"{failed} of {len(plan.files)} files could not be transferred: "
                + "; ".join(f"{e['file']}: {e['message']}" for e in errors[:3]),
            )
        return {"files": copied, "skipped": int(job.progress.get("filesSkipped", 0)), "bytes": plan.total_bytes}

    async def _free_name(self, side: Side, rel: str) -> str:
        for n in range(1, MAX_RENAMES + 1):
            candidate = renamed(rel, n)
            if await side.stat(candidate) is None:
                return candidate
        raise JunctionError(ErrorCode.OperationFailed, f"no free name for {rel!r} after {MAX_RENAMES} tries")

    # ------------------------------------------------------------ following, cancel, cleanup

    async def get(self, job_id: str, owner: str, admin: bool) -> dict[str, Any]:
        """The transfer's job record, for its owner (or an administrator) only: anyone else is
        told it does not exist, so job ids cannot be probed."""
        if not job_id.isdigit():
            raise JunctionError(ErrorCode.NoSuchJob, f"no transfer {job_id!r}", job=job_id)
        try:
            record = await self._jobs.get(int(job_id))
        except JunctionError:
            raise JunctionError(ErrorCode.NoSuchJob, f"no transfer {job_id!r}", job=job_id) from None
        if record["kind"] != JOB_KIND or (not admin and record["params"].get("owner") != owner):
            raise JunctionError(ErrorCode.NoSuchJob, f"no transfer {job_id!r}", job=job_id)
        return record

    async def list_transfers(self, owner: str, admin: bool, limit: int = 50) -> list[dict[str, Any]]:
        records = await self._store.jobs.list_jobs(limit=limit if admin else 10 * limit, kind=JOB_KIND)
        mine = [r for r in records if admin or r["params"].get("owner") == owner][:limit]
        for record in mine:
            if self._jobs.is_running_here(record["id"]):
                record["progress"] = (await self._jobs.get(record["id"]))["progress"]
        return [transfer_view(r) for r in mine]

    async def cancel(self, job_id: str, owner: str, admin: bool) -> dict[str, Any]:
        record = await self.get(job_id, owner, admin)
        if record["state"] == "running":
            await self._jobs.request_cancel(record["id"])
            message = "Transfer cancelled"
        else:
            message = f"Transfer already {STATUS.get(record['state'], record['state'])}"
        progress = record["progress"]
        return {
            "message": message,
            "jobId": job_id,
            "filesCompleted": progress.get("filesDone", 0),
            "totalFiles": progress.get("filesTotal", 0),
        }

    async def cleanup(self, job_id: str, owner: str, admin: bool) -> dict[str, Any]:
        record = await self.get(job_id, owner, admin)
        if record["state"] == "running" or not await self._store.jobs.delete_job(record["id"]):
            raise JunctionError(
                ErrorCode.OperationAborted, "the transfer is still running: cancel it first", job=job_id
            )
        return {"message": "Transfer job cleaned up", "jobId": job_id}

    async def events(self, job_id: str, owner: str, admin: bool) -> AsyncIterator[dict[str, Any]]:
        """The document's SSE events for the transfer, one per change, ending with its final one."""
        record = await self.get(job_id, owner, admin)
        async for current in self._jobs.watch(record["id"]):
            yield event(current)


def transfer_view(record: dict[str, Any]) -> dict[str, Any]:
    """A transfer job in the document's words (its `job` object), with where from and to."""
    progress = record["progress"]
    waiting = record["state"] == "running" and progress.get("waiting")
    return {
        "id": str(record["id"]),
        "status": "pending" if waiting else STATUS.get(record["state"], record["state"]),
        "source": record["params"].get("source"),
        "destination": record["params"].get("destination"),
        "conflictResolution": record["params"].get("conflictResolution"),
        "filesCompleted": progress.get("filesDone", 0),
        "totalFiles": progress.get("filesTotal", 0),
        "filesSkipped": progress.get("filesSkipped", 0),
        "filesFailed": progress.get("filesFailed", 0),
        "bytesTransferred": progress.get("bytesDone", 0),
        "totalBytes": progress.get("bytesTotal", 0),
        "startTime": int(record["created"] * 1000),
        "endTime": int(record["finished"] * 1000) if record["finished"] else None,
        "errors": progress.get("errors", []),
        "error": record["error"] or None,
    }


def event(record: dict[str, Any]) -> dict[str, Any]:
    """`{"type", "job": {...}, "currentFile": {"path", "loaded", "total"}}` as the document shows."""
    progress = record["progress"]
    current = progress.get("current") or ""
    running = record["state"] == "running"
    return {
        "type": EVENT.get(record["state"], "error"),
        "job": transfer_view(record),
        "currentFile": (
            {
                "path": current,
                "loaded": progress.get("currentLoaded", 0),
                "total": progress.get("currentTotal", 0),
                "status": "transferring",
            }
            if running and current
            else None
        ),
    }


async def _counted(job: Job, stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """Pass a file's bytes through, advancing the job's and the current file's counters and
    stopping at the first chunk after a cancel."""
    async for piece in stream:
        job.check_canceled()
        job.add(bytesDone=len(piece), currentLoaded=len(piece))
        yield piece
