"""JSON shapes of the native API: buckets, packages, objects (sizes as strings, RFC 3339 times)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway.core.secretbox import redact
from gateway.core.sse.service import visible_sha256
from gateway.domain.models import Bucket, ObjectInfo, Package, SpaceRow


def rfc3339(timestamp: float) -> str:
    """Local time with its UTC offset, e.g. 2025-06-24T16:31:28.514875+08:00."""
    return datetime.fromtimestamp(timestamp).astimezone().isoformat()


def bucket_view(bucket: Bucket) -> dict[str, Any]:
    return {"bucketID": bucket.id, "name": bucket.name, "createTime": rfc3339(bucket.created)}


def package_view(package: Package) -> dict[str, Any]:
    return {
        "packageID": package.id,
        "name": package.name,
        "bucketID": package.bucket_id,
        "createTime": rfc3339(package.created),
    }


def file_hash(obj: ObjectInfo) -> str:
    """`Full` + the upper-case hex SHA-256 of the content; "" when no plaintext digest may be shown
    (SSE-C and SSE-KMS objects) or none is known."""
    sha256 = visible_sha256(obj)
    return "Full" + sha256 if sha256 else ""


def object_view(obj: ObjectInfo) -> dict[str, Any]:
    return {
        "objectID": obj.id,
        "packageID": obj.package_id,
        "path": obj.path,
        "size": str(obj.size),
        "fileHash": file_hash(obj),
        "redundancy": {"type": obj.redundancy},
        "createTime": rfc3339(obj.created),
        "updateTime": rfc3339(obj.updated),
    }


def user_space_view(row: SpaceRow, credential: dict[str, Any]) -> dict[str, Any]:
    """A user space as `get` shows it: the credential with its secrets masked."""
    return {
        "userSpaceID": row.id,
        "name": row.name,
        "storage": row.storage,
        "credential": redact(credential),
        "shardStore": None if row.shard_max_size is None else {"maxSize": row.shard_max_size},
        "features": row.features,
        "workingDir": row.working_dir,
        "revision": row.revision,
    }


def job_view(job: dict[str, Any]) -> dict[str, Any]:
    return {
        "jobID": job["id"],
        "kind": job["kind"],
        "state": job["state"],
        "params": job["params"],
        "progress": job["progress"],
        "result": job["result"],
        "error": job["error"],
        "createTime": rfc3339(job["created"]),
        "updateTime": rfc3339(job["updated"]),
        "finishTime": rfc3339(job["finished"]) if job["finished"] else None,
    }


def task_view(task: dict[str, Any]) -> dict[str, Any]:
    """The createTask body echoed back with the task's id, plus its state and last run."""
    run = task.get("run")
    return {
        "taskID": task["id"],
        **task["spec"],
        "state": task["state"],
        "runs": task["runs"],
        "nextRunTime": rfc3339(task["next_run"]) if task["next_run"] else None,
        "lastRun": job_view(run) if run else None,
    }
