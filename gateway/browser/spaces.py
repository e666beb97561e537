"""`/api/spaces` and `/api/sync-tasks`: the user spaces (where bytes can live: Local, S3, OBS)
and the sync tasks between them with their last run, for the console's pages and its transfer
form. Both are gateway-wide, so the engine is asked the native API's actions for them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gateway.core.transfer_sides import transferable

from .call import BrowserCall


def _iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, tz=UTC).isoformat().replace("+00:00", "Z")


async def list_spaces(call: BrowserCall) -> dict[str, Any]:
    """Every open user space, never its credential. `transferable` is false for the default
    space (its root holds the gateway's object blocks)."""
    await call.authorize("junction:ManageUserSpaces")
    spaces = call.core.spaces
    rows = [spaces.row(space_id) for space_id in spaces.ids()]
    return {
        "spaces": [
            {
                "id": row.id,
                "locationId": str(row.id),
                "name": row.name,
                "type": row.storage.get("type"),
                "storage": row.storage,
                "workingDir": row.working_dir,
                "shardStore": None if row.shard_max_size is None else {"maxSize": row.shard_max_size},
                "default": row.id == spaces.default_id,
                "transferable": transferable(row, spaces.default_id),
            }
            for row in sorted(rows, key=lambda r: r.id)
        ]
    }


def _run(job: dict[str, Any] | None) -> dict[str, Any] | None:
    if job is None:
        return None
    progress = job["progress"]
    return {
        "jobId": str(job["id"]),
        "state": job["state"],
        "started": _iso(job["created"]),
        "finished": _iso(job["finished"]),
        "filesDone": progress.get("filesDone", 0),
        "filesTotal": progress.get("filesTotal", 0),
        "bytesDone": progress.get("bytesDone", 0),
        "error": job["error"] or None,
    }


async def list_sync_tasks(call: BrowserCall) -> dict[str, Any]:
    await call.authorize("junction:ManageSyncTasks")
    tasks = await call.core.sync.list_tasks()
    return {
        "tasks": [
            {
                "id": task["id"],
                "state": task["state"],
                "source": {"userSpaceID": task["spec"]["srcUserSpaceID"], "path": task["spec"]["srcPath"]},
                "destinations": [
                    {"userSpaceID": space, "path": path}
                    for space, path in zip(task["spec"]["destUserSpaceIDs"], task["spec"]["destPathes"], strict=False)
                ],
                "trigger": task["spec"]["trigger"],
                "mode": task["spec"]["mode"]["type"],
                "runs": task["runs"],
                "nextRun": _iso(task["next_run"]),
                "lastRun": _run(task["run"]),
                "created": _iso(task["created"]),
            }
            for task in tasks
        ]
    }
