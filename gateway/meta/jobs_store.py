"""Job and sync-task rows. A job's row is its progress as other workers and restarts see it."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError

from .db import Database, inserted_id


def no_such_job(job_id: object) -> JunctionError:
    return JunctionError(ErrorCode.NoSuchJob, job=job_id)


def no_such_task(task_id: object) -> JunctionError:
    return JunctionError(ErrorCode.NoSuchTask, task=task_id)


def job_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "state": row["state"],
        "params": json.loads(row["params"]),
        "progress": json.loads(row["progress"]),
        "result": json.loads(row["result"]),
        "error": row["error"],
        "created": row["created"],
        "updated": row["updated"],
        "finished": row["finished"],
    }


# ---------------------------------------------------------------- sync tasks


def task_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "spec": json.loads(row["spec"]),
        "state": row["state"],
        "next_run": row["next_run"],
        "running_job": row["running_job"],
        "runs": row["runs"],
        "last_job": row["last_job"],
        "created": row["created"],
    }


class JobsStore:
    """Jobs and sync tasks: one transaction or read per method."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create_job(self, kind: str, params: dict[str, Any], owner: str) -> int:
        def insert(conn: sqlite3.Connection) -> int:
            now = time.time()
            cur = conn.execute(
                "INSERT INTO jobs (kind, state, params, owner, created, updated) VALUES (?, 'running', ?, ?, ?, ?)",
                (kind, json.dumps(params), owner, now, now),
            )
            return inserted_id(cur)

        return await self.db.transaction(insert)

    async def save_progress(self, job_id: int, progress: dict[str, Any]) -> None:
        """Record a running job's progress. Only while it runs: a progress write that reaches the
        database after the job's final record (a heartbeat already on its way when the job ended)
        must not turn a finished job back into a running one."""
        await self.db.transaction(
            lambda conn: conn.execute(
                "UPDATE jobs SET progress = ?, updated = ? WHERE id = ? AND state = 'running'",
                (json.dumps(progress), time.time(), job_id),
            ),
            durable=False,
        )

    async def save_job(
        self,
        job_id: int,
        *,
        progress: dict[str, Any],
        state: str,
        result: Any = None,
        error: str = "",
        ends_run_of: tuple[int, float | None] | None = None,
    ) -> None:
        """Record a job; `ends_run_of=(task_id, next_run)` also ends that sync task's run in the
        same transaction, so no reader ever sees the task done while its run is still running."""

        def update(conn: sqlite3.Connection) -> None:
            now = time.time()
            finished = None if state == "running" else now
            conn.execute(
                "UPDATE jobs SET progress = ?, state = ?, result = ?, error = ?, updated = ?, finished = ? "
                "WHERE id = ?",
                (json.dumps(progress), state, json.dumps(result), error, now, finished, job_id),
            )
            if ends_run_of is not None:
                _finish_run(conn, ends_run_of[0], job_id, ends_run_of[1])

        await self.db.transaction(update)

    async def get_job(self, job_id: int) -> dict[str, Any]:
        row = await self.db.fetchone("SELECT * FROM jobs WHERE id = ?", (job_id,))
        if row is None:
            raise no_such_job(job_id)
        return job_dict(row)

    async def list_jobs(self, *, limit: int = 100, state: str = "", kind: str = "") -> list[dict[str, Any]]:
        where, args = [], []
        for column, value in (("state", state), ("kind", kind)):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        rows = await self.db.fetchall(f"SELECT * FROM jobs {clause}ORDER BY id DESC LIMIT ?", (*args, limit))
        return [job_dict(r) for r in rows]

    async def running_before(self, kind: str, job_id: int) -> int:
        """How many jobs of `kind` started before `job_id` still run (a queue's place)."""
        row = await self.db.fetchone(
            "SELECT COUNT(*) AS n FROM jobs WHERE kind = ? AND state = 'running' AND id < ?", (kind, job_id)
        )
        return int(row["n"]) if row is not None else 0

    async def delete_job(self, job_id: int) -> bool:
        """Forget a job that has ended (a console transfer's cleanup); False while it runs."""

        def delete(conn: sqlite3.Connection) -> bool:
            cur = conn.execute("DELETE FROM jobs WHERE id = ? AND state <> 'running'", (job_id,))
            return cur.rowcount > 0

        return await self.db.transaction(delete)

    async def running_owners(self) -> list[str]:
        rows = await self.db.fetchall("SELECT DISTINCT owner FROM jobs WHERE state = 'running'")
        return [r["owner"] for r in rows]

    async def fail_jobs_of(self, owners: list[str]) -> list[int]:
        """Mark the running jobs of processes that are gone as failed."""

        def update(conn: sqlite3.Connection) -> list[int]:
            marks = ",".join("?" for _ in owners)
            rows = conn.execute(
                f"SELECT id FROM jobs WHERE state = 'running' AND owner IN ({marks})", owners
            ).fetchall()
            ids = [r[0] for r in rows]
            now = time.time()
            conn.executemany(
                "UPDATE jobs SET state = 'failed', error = 'interrupted: the gateway stopped while it ran',"
                " updated = ?, finished = ? WHERE id = ?",
                [(now, now, i) for i in ids],
            )
            return ids

        return await self.db.transaction(update) if owners else []

    async def create_task(self, spec: dict[str, Any], next_run: float) -> int:
        def insert(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                "INSERT INTO sync_tasks (spec, state, next_run, created) VALUES (?, 'active', ?, ?)",
                (json.dumps(spec), next_run, time.time()),
            )
            return inserted_id(cur)

        return await self.db.transaction(insert)

    async def get_task(self, task_id: int) -> dict[str, Any]:
        row = await self.db.fetchone("SELECT * FROM sync_tasks WHERE id = ?", (task_id,))
        if row is None:
            raise no_such_task(task_id)
        return task_dict(row)

    async def list_tasks(self, *, limit: int = 100) -> list[dict[str, Any]]:
        rows = await self.db.fetchall("SELECT * FROM sync_tasks ORDER BY id DESC LIMIT ?", (limit,))
        return [task_dict(r) for r in rows]

    async def due_tasks(self, now: float) -> list[dict[str, Any]]:
        rows = await self.db.fetchall(
            "SELECT * FROM sync_tasks WHERE state = 'active' AND next_run IS NOT NULL AND next_run <= ? "
            "ORDER BY next_run",
            (now,),
        )
        return [task_dict(r) for r in rows]

    async def claim_run(self, task_id: int, job_id: int) -> bool:
        """Record that a run started; False when the task was canceled or already running meanwhile."""

        def update(conn: sqlite3.Connection) -> bool:
            row = conn.execute("SELECT state, running_job FROM sync_tasks WHERE id = ?", (task_id,)).fetchone()
            if row is None or row[0] != "active":
                return False
            if row[1] is not None:
                job = conn.execute("SELECT state FROM jobs WHERE id = ?", (row[1],)).fetchone()
                if job is not None and job[0] == "running":
                    return False
            conn.execute("UPDATE sync_tasks SET running_job = ?, runs = runs + 1 WHERE id = ?", (job_id, task_id))
            return True

        return await self.db.transaction(update)

    async def cancel_task(self, task_id: int) -> dict[str, Any]:
        def update(conn: sqlite3.Connection) -> None:
            if conn.execute("SELECT 1 FROM sync_tasks WHERE id = ?", (task_id,)).fetchone() is None:
                raise no_such_task(task_id)
            conn.execute("UPDATE sync_tasks SET state = 'canceled', next_run = NULL WHERE id = ?", (task_id,))

        await self.db.transaction(update)
        return await self.get_task(task_id)


def _finish_run(conn: sqlite3.Connection, task_id: int, job_id: int, next_run: float | None) -> None:
    # a task canceled meanwhile stays unscheduled; the CAST types the parameter for PostgreSQL
    # (a NULL inside a CASE is text there otherwise), SQLite reads it as REAL
    conn.execute(
        "UPDATE sync_tasks SET running_job = NULL, last_job = ?,"
        " next_run = CASE WHEN state = 'active' THEN CAST(? AS DOUBLE PRECISION) END,"
        " state = CASE WHEN state = 'active' AND ? = 1 THEN 'done' ELSE state END WHERE id = ?",
        (job_id, next_run, 1 if next_run is None else 0, task_id),
    )
