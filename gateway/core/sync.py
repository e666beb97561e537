"""Space sync tasks: copy a path of one user space to paths of others, on a trigger.

A task is a stored spec; a run is a job. One process at a time schedules (it holds the
"scheduler" lease in the database: core/leases.py), so several workers or gateway instances
never run the same task twice, and when the holder dies another takes over within the lease.
A run interrupted by a restart is retried as soon as a scheduler sees its job failed.
Each file is copied with the destination backend's atomic put, so a destination never
holds a half-written file, even when a backend goes away in the middle of a run.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import posixpath
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backends.base import BackendError, BackendUnavailable, BlobInfo, InvalidBlobKey
from gateway.domain.errors import ErrorCode, JunctionError, invalid_argument
from gateway.meta.store import MetaStore

from .jobs import Job, JobService
from .leases import Lease
from .paths import clean_dir
from .spaces import Spaces
from .transfers import counted, scan

log = logging.getLogger("junction.sync")

TICK = 1.0  # seconds between scheduler passes
SCHEDULER_LEASE = 10.0  # seconds: how soon another instance takes over from a scheduler that died
MAX_ERRORS = 20
TRIGGERS = ("Interval", "Once")
MODES = ("Diff", "Full")


@dataclass(frozen=True, slots=True)
class SyncSpec:
    """A validated createTask body; `as_dict` is what getTask shows back."""

    trigger: dict[str, Any]
    mode: dict[str, Any]
    filters: list[dict[str, Any]]
    options: dict[str, Any]
    src_space: int
    src_path: str
    dest_spaces: list[int]
    dest_paths: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "mode": self.mode,
            "filters": self.filters,
            "options": self.options,
            "srcUserSpaceID": self.src_space,
            "srcPath": self.src_path,
            "destUserSpaceIDs": self.dest_spaces,
            "destPathes": self.dest_paths,
        }

    def wants(self, info: BlobInfo) -> bool:
        for rule in self.filters:
            if rule["type"] == "Size":
                if rule.get("minSize") is not None and info.size < rule["minSize"]:
                    return False
                if rule.get("maxSize") is not None and info.size > rule["maxSize"]:
                    return False
        return True

    def unchanged(self, src: BlobInfo, dest: BlobInfo | None) -> bool:
        """Diff mode: the destination copy counts as current unless a compared attribute differs."""
        if dest is None or self.mode["type"] != "Diff":
            return False
        if self.mode.get("includeSize") and dest.size != src.size:
            return False
        if self.mode.get("includeModTime") and dest.mtime < src.mtime:
            return False
        return True


def _int(value: Any, name: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise invalid_argument(f"{name} must be an integer ≥ {minimum}", argument=name)
    return value


def parse_spec(body: dict[str, Any]) -> SyncSpec:
    trigger = body.get("trigger")
    if not isinstance(trigger, dict) or trigger.get("type") not in TRIGGERS:
        raise invalid_argument(f"trigger.type must be one of {', '.join(TRIGGERS)}", argument="trigger")
    trigger = {
        "type": trigger["type"],
        **(
            {"interval": _int(trigger.get("interval"), "trigger.interval", minimum=1)}
            if trigger["type"] == "Interval"
            else {}
        ),
    }
    mode = body.get("mode") or {"type": "Diff", "includeSize": True, "includeModTime": True}
    if not isinstance(mode, dict) or mode.get("type") not in MODES:
        raise invalid_argument(f"mode.type must be one of {', '.join(MODES)}", argument="mode")
    mode = {
        "type": mode["type"],
        "includeSize": bool(mode.get("includeSize")),
        "includeModTime": bool(mode.get("includeModTime")),
    }
    filters = body.get("filters") or []
    if not isinstance(filters, list):
        raise invalid_argument("filters must be a list", argument="filters")
    clean_filters = []
    for rule in filters:
        if not isinstance(rule, dict) or rule.get("type") != "Size":
            raise invalid_argument('each filter must be {"type": "Size", "minSize", "maxSize"}', argument="filters")
        low = None if rule.get("minSize") is None else _int(rule["minSize"], "minSize")
        high = None if rule.get("maxSize") is None else _int(rule["maxSize"], "maxSize")
        if low is not None and high is not None and low > high:
            raise invalid_argument("minSize must not exceed maxSize", argument="filters")
        clean_filters.append({"type": "Size", "minSize": low, "maxSize": high})
    options = body.get("options") or {}
    if not isinstance(options, dict):
        raise invalid_argument("options must be an object", argument="options")
    options = {"noEmptyDirectories": bool(options.get("noEmptyDirectories"))}
    dests, paths = body.get("destUserSpaceIDs"), body.get("destPathes")
    if not isinstance(dests, list) or not dests or not isinstance(paths, list) or len(paths) != len(dests):
        raise invalid_argument(
            "destUserSpaceIDs and destPathes must be non-empty lists of the same length", argument="destUserSpaceIDs"
        )
    if not all(isinstance(p, str) for p in paths):
        raise invalid_argument("destPathes must be strings", argument="destPathes")
    src_path = body.get("srcPath", "")
    if not isinstance(src_path, str):
        raise invalid_argument("srcPath must be a string", argument="srcPath")
    return SyncSpec(
        trigger=trigger,
        mode=mode,
        filters=clean_filters,
        options=options,
        src_space=_int(body.get("srcUserSpaceID"), "srcUserSpaceID", minimum=1),
        src_path=clean_dir(src_path, "srcPath"),
        dest_spaces=[_int(d, "destUserSpaceIDs", minimum=1) for d in dests],
        dest_paths=[clean_dir(p, "destPathes") for p in paths],
    )


def spec_from_dict(data: dict[str, Any]) -> SyncSpec:
    return parse_spec(data)


class SyncService:
    def __init__(self, store: MetaStore, spaces: Spaces, jobs: JobService, data_dir: Path) -> None:
        self._store = store
        self._spaces = spaces
        self._jobs = jobs
        self._data_dir = data_dir
        self._lease = Lease(store.cluster, "scheduler", jobs.owner, SCHEDULER_LEASE, is_dead=jobs.owner_dead)
        self._loop_task: asyncio.Task[None] | None = None
        self._passes: list[Callable[[], Awaitable[None]]] = []
        self._tick = TICK

    # ------------------------------------------------------------ tasks

    async def create(self, spec: SyncSpec) -> dict[str, Any]:
        for space_id in (spec.src_space, *spec.dest_spaces):
            self._spaces.row(space_id)  # raises NoSuchUserSpace
        if any(
            d == spec.src_space and p == spec.src_path for d, p in zip(spec.dest_spaces, spec.dest_paths, strict=True)
        ):
            raise invalid_argument("a destination equals the source", argument="destPathes")
        task_id = await self._store.jobs.create_task(spec.as_dict(), time.time())
        return await self.get(task_id)

    async def get(self, task_id: int) -> dict[str, Any]:
        return await self._with_run(await self._store.jobs.get_task(task_id))

    async def list_tasks(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest tasks first, each with its run under way or its last one."""
        return [await self._with_run(task) for task in await self._store.jobs.list_tasks(limit=limit)]

    async def _with_run(self, task: dict[str, Any]) -> dict[str, Any]:
        last = None
        job_id = task["running_job"] or task["last_job"]
        if job_id:
            with contextlib.suppress(JunctionError):
                last = await self._jobs.get(job_id)
        return {**task, "run": last}

    async def cancel(self, task_id: int) -> None:
        task = await self._store.jobs.cancel_task(task_id)
        if task["running_job"]:
            await self._jobs.request_cancel(task["running_job"])

    # ------------------------------------------------------------ scheduling

    def schedule(self, scheduled_pass: Callable[[], Awaitable[None]], every: float) -> None:
        """Also run `scheduled_pass` in the scheduling process, looking at least every `every`
        seconds (lifecycle rules share this scheduler: one process per data dir)."""
        self._passes.append(scheduled_pass)
        self._tick = min(self._tick, every)

    def start(self) -> None:
        self._loop_task = asyncio.get_running_loop().create_task(self._schedule_forever(), name="junction-sync")

    async def stop(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        with contextlib.suppress(Exception):  # the database away: the lease then simply expires
            await self._lease.release()

    async def _lead(self) -> bool:
        """Hold the scheduler lease: one scheduling process per namespace, whatever the number of
        workers and gateway instances; another takes over within SCHEDULER_LEASE of its death."""
        return await self._lease.held()

    async def _schedule_forever(self) -> None:
        while True:
            try:
                await self._spaces.refresh()  # spaces changed by other workers
                if await self._lead():
                    await self.tick()
                    for scheduled_pass in self._passes:
                        await scheduled_pass()
            except Exception:
                log.exception("sync scheduling pass failed")
            await asyncio.sleep(self._tick)

    async def tick(self) -> None:
        await self._jobs.recover()
        for task in await self._store.jobs.due_tasks(time.time()):
            running = task["running_job"]
            if running and (
                self._jobs.is_running_here(running) or (await self._store.jobs.get_job(running))["state"] == "running"
            ):
                continue
            spec = spec_from_dict(task["spec"])
            job = await self._jobs.start(
                "sync", {"taskID": task["id"]}, functools.partial(self._run, task_id=task["id"], spec=spec)
            )
            await self._store.jobs.claim_run(task["id"], job.id)

    async def _run(self, job: Job, task_id: int, spec: SyncSpec) -> dict[str, Any]:
        """One run; the job's final record ends the task's run in the same commit (jobs.py)."""
        job.ends_run_of = (task_id, spec.trigger["interval"] if spec.trigger["type"] == "Interval" else None)
        return await self.run_once(job, spec)

    # ------------------------------------------------------------ one run

    async def run_once(self, job: Job, spec: SyncSpec) -> dict[str, Any]:
        spaces = self._spaces
        source = spaces.root(spec.src_space)
        counts = {"scanned": 0, "copied": 0, "skipped": 0, "failed": 0, "bytes": 0}
        errors: list[str] = []
        job.update(**counts, errors=errors)
        try:
            files = [(info, rel) for info, rel in await scan(source, spec.src_path) if rel]
        except BackendUnavailable as exc:
            raise JunctionError(
                ErrorCode.ServiceUnavailable, f"source user space {spec.src_space} is unavailable: {exc}"
            ) from exc
        counts["scanned"] = len(files)
        wanted = [(info, rel) for info, rel in files if spec.wants(info)]
        counts["skipped"] += len(files) - len(wanted)
        job.update(
            filesTotal=len(wanted) * len(spec.dest_spaces),
            bytesTotal=sum(i.size for i, _ in wanted) * len(spec.dest_spaces),
            **counts,
        )
        for dest_id, dest_path in zip(spec.dest_spaces, spec.dest_paths, strict=True):
            dest = spaces.root(dest_id)
            for info, rel in wanted:
                job.check_canceled()
                key = posixpath.join(dest_path, rel) if dest_path else rel
                job.update(current=f"{dest_id}:{key}")
                try:
                    if spec.unchanged(info, await dest.stat(key)):
                        counts["skipped"] += 1
                    else:
                        if not (dest_id == spec.src_space and await dest.copy(info.key, key)):
                            await dest.put(key, counted(job, source.get(info.key)), info.size)
                        counts["copied"] += 1
                        counts["bytes"] += info.size
                except BackendUnavailable as exc:
                    counts["failed"] += 1
                    _note(errors, f"user space {dest_id} became unavailable at {key!r}: {exc}")
                    job.update(**counts, errors=errors)
                    raise JunctionError(ErrorCode.ServiceUnavailable, errors[-1]) from None
                except (BackendError, InvalidBlobKey, JunctionError) as exc:
                    counts["failed"] += 1
                    _note(errors, f"{key!r} to user space {dest_id}: {exc}")
                job.add(filesDone=1)
                job.update(**counts, errors=errors)
            await self._copy_empty_dirs(spec, source, dest, dest_path, counts, errors)
        if counts["failed"]:
            raise JunctionError(ErrorCode.OperationFailed, f"{counts['failed']} files failed to sync: {errors[0]}")
        return {**counts, "errors": errors}

    @staticmethod
    async def _copy_empty_dirs(
        spec: SyncSpec, source: Any, dest: Any, dest_path: str, counts: dict[str, int], errors: list[str]
    ) -> None:
        """Unless `noEmptyDirectories`, recreate the source's empty directories. Only file
        systems have them: object stores (S3, OBS) neither report nor keep empty folders."""
        if spec.options["noEmptyDirectories"] or not hasattr(source, "empty_dirs") or not hasattr(dest, "make_dir"):
            return
        prefix = f"{spec.src_path}/" if spec.src_path else ""
        for directory in await source.empty_dirs(prefix):
            rel = directory[len(prefix) :]
            try:
                await dest.make_dir(posixpath.join(dest_path, rel) if dest_path else rel)
                counts["dirs"] = counts.get("dirs", 0) + 1
            except BackendError as exc:  # a file where the directory goes, a refused permission
                counts["failed"] += 1
                _note(errors, f"directory {rel!r}: {exc}")


def _note(errors: list[str], message: str) -> None:
    if len(errors) < MAX_ERRORS:
        errors.append(message)
