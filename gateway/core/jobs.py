"""Long-running work (package import/export, sync runs) as jobs whose progress can be polled.

A job runs as an asyncio task in the process that started it. Its progress lives in memory
and is written to the job's row at most every `FLUSH_EVERY` seconds (and at the end).
Each process holds an exclusive lock on a file named after it while it lives; a running
job whose owner's lock can be taken belongs to a process that died, and `recover` marks it
failed (so a sync run interrupted by a restart is retried at once). Watchers (SSE) read the
row, so a job started by one worker can be followed through any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from gateway.domain.errors import JunctionError
from gateway.meta.store import MetaStore

from .backend_errors import BackendError, storage_error
from .leases import Lease
from .liveness import OWNER_LEASE, OWNERS_DIR, owner_lease, process_alive

log = logging.getLogger("junction.jobs")

FLUSH_EVERY = 0.5  # seconds between progress writes
WATCH_EVERY = 0.25  # seconds between reads of a watched job


class Job:
    """What a runner sees: counters to advance and a cancel flag to honour."""

    def __init__(self, job_id: int, kind: str) -> None:
        self.id = job_id
        self.kind = kind
        self.progress: dict[str, Any] = {"filesTotal": 0, "filesDone": 0, "bytesTotal": 0, "bytesDone": 0}
        self.canceled = False
        self.failure: JunctionError | None = None  # why the runner failed, when it said why
        self._dirty = False
        # (sync task id, seconds to its next run or None): the job's final record ends that run too
        self.ends_run_of: tuple[int, float | None] | None = None

    def update(self, **counters: Any) -> None:
        """Set progress fields (e.g. `current="a/b.txt"`, `filesTotal=10`)."""
        self.progress.update(counters)
        self._dirty = True

    def add(self, **increments: int) -> None:
        for name, amount in increments.items():
            self.progress[name] = self.progress.get(name, 0) + amount
        self._dirty = True

    def check_canceled(self) -> None:
        if self.canceled:
            raise JobCanceled()


class JobCanceled(Exception):
    """Raised inside a runner at its next checkpoint after the job was canceled."""


Runner = Callable[[Job], Awaitable[Any]]


class JobService:
    def __init__(self, store: MetaStore, data_dir: Path) -> None:
        self._store = store
        self.owner = uuid.uuid4().hex  # this process
        self._owners_dir = data_dir / OWNERS_DIR
        self._owner_fd: int | None = None
        self._running: dict[int, tuple[Job, asyncio.Task[dict[str, Any]]]] = {}
        self._owner_lease = Lease(store.cluster, owner_lease(self.owner), self.owner, OWNER_LEASE)
        self._heartbeat: asyncio.Task[None] | None = None

    def open(self) -> None:
        """Take this process's liveness lock (held until the process exits)."""
        self._owners_dir.mkdir(parents=True, exist_ok=True)
        self._owner_fd = os.open(self._owners_dir / self.owner, os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(self._owner_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    async def keep_alive(self) -> None:
        """Take this process's liveness lease, and keep renewing it in the background (for
        instances on other machines, which cannot see the lock file)."""
        await self._owner_lease.held()
        self._heartbeat = asyncio.get_running_loop().create_task(self._renew_forever(), name="junction-owner-lease")

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(OWNER_LEASE / 6)
            try:
                await self._owner_lease.held()
            except Exception as exc:
                log.warning("could not renew this process's liveness lease: %s", exc)

    async def start(self, kind: str, params: dict[str, Any], runner: Runner) -> Job:
        """Create the job's record and run `runner(job)` in the background."""
        job_id = await self._store.jobs.create_job(kind, params, self.owner)
        job = Job(job_id, kind)
        task = asyncio.get_running_loop().create_task(self._run(job, runner), name=f"job-{job_id}")
        self._running[job_id] = (job, task)
        return job

    async def _run(self, job: Job, runner: Runner) -> dict[str, Any]:
        beat = asyncio.get_running_loop().create_task(self._beat(job))
        state, result, error = "failed", None, ""
        try:
            result = await runner(job)
            state = "succeeded"
        except JobCanceled:
            state, error = "canceled", "canceled by request"
        except asyncio.CancelledError:
            state, error = "failed", "interrupted: the gateway is stopping"
            raise
        except JunctionError as exc:
            job.failure = exc
            error = exc.message or exc.code
        except BackendError as exc:  # a user space's failure: recorded as the front ends answer it
            job.failure = storage_error(exc)
            error = f"{job.failure.text} ({exc})"
        except Exception as exc:  # recorded on the job; the gateway keeps serving
            log.exception("job %s (%s) failed", job.id, job.kind)
            error = f"{type(exc).__name__}: {exc}"
        finally:
            beat.cancel()
            ends = job.ends_run_of
            ends_run_of = None if ends is None else (ends[0], None if ends[1] is None else time.time() + ends[1])
            await asyncio.shield(
                self._store.jobs.save_job(
                    job.id, progress=job.progress, state=state, result=result, error=error, ends_run_of=ends_run_of
                )
            )
            self._running.pop(job.id, None)
        return await self._store.jobs.get_job(job.id)

    async def _beat(self, job: Job) -> None:
        while True:
            await asyncio.sleep(FLUSH_EVERY)
            try:  # a cancel asked on another gateway instance (request_cancel)
                if not job.canceled and await self._store.cluster.cancel_requested(job.id):
                    job.canceled = True
            except Exception:
                log.warning("could not read the cancel flag of job %s", job.id)
            if job._dirty:
                job._dirty = False
                try:
                    await self._store.jobs.save_progress(job.id, job.progress)
                except Exception:
                    log.warning("could not record progress of job %s", job.id)

    async def wait(self, job: Job) -> dict[str, Any]:
        """The final record of a job this process runs."""
        entry = self._running.get(job.id)
        if entry is not None:
            return await asyncio.shield(entry[1])
        return await self._store.jobs.get_job(job.id)

    async def get(self, job_id: int) -> dict[str, Any]:
        record = await self._store.jobs.get_job(job_id)
        entry = self._running.get(job_id)
        if entry is not None:  # fresher than the row
            record["progress"] = dict(entry[0].progress)
        return record

    async def list(self, limit: int = 100, state: str = "") -> list[dict[str, Any]]:
        return await self._store.jobs.list_jobs(limit=limit, state=state)

    def cancel(self, job_id: int) -> bool:
        """Ask a job of this process to stop at its next checkpoint; False if not running here."""
        entry = self._running.get(job_id)
        if entry is None:
            return False
        entry[0].canceled = True
        return True

    async def owner_dead(self, owner: str) -> bool:
        """True once the process `owner` is known to be gone (liveness.py)."""
        return owner != self.owner and not await process_alive(self._owners_dir, owner, self._store.cluster)

    async def request_cancel(self, job_id: int) -> bool:
        """Cancel a running job wherever it runs: here at once, on another instance at its next
        heartbeat (FLUSH_EVERY) through the job's row. False when it is not running."""
        if self.cancel(job_id):
            return True
        return await self._store.cluster.request_cancel(job_id)

    def is_running_here(self, job_id: int) -> bool:
        return job_id in self._running

    async def recover(self) -> None:
        """Fail the running jobs of processes that are gone, so nobody waits on them forever."""
        dead = [
            owner
            for owner in await self._store.jobs.running_owners()
            if owner != self.owner and not await process_alive(self._owners_dir, owner, self._store.cluster)
        ]
        failed = await self._store.jobs.fail_jobs_of(dead)
        if failed:
            log.warning("jobs %s were interrupted (their gateway process stopped) and are marked failed", failed)
        for owner in dead:
            (self._owners_dir / owner).unlink(missing_ok=True)

    async def watch(self, job_id: int) -> AsyncIterator[dict[str, Any]]:
        """Yield the job's record each time it changes, ending after its final state."""
        last: Any = None
        while True:
            record = await self.get(job_id)
            snapshot = (record["state"], record["progress"], record["error"])
            if snapshot != last:
                last = snapshot
                yield record
            if record["state"] != "running":
                return
            await asyncio.sleep(WATCH_EVERY)

    async def stop(self) -> None:
        for _job, task in list(self._running.values()):
            task.cancel()
        for _job, task in list(self._running.values()):
            try:
                await task
            except BaseException:
                pass
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(BaseException):
                await self._heartbeat
            self._heartbeat = None
        with contextlib.suppress(Exception):  # the database away: the lease then simply expires
            await self._owner_lease.release()
        if self._owner_fd is not None:
            os.close(self._owner_fd)
            (self._owners_dir / self.owner).unlink(missing_ok=True)
            self._owner_fd = None
