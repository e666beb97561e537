"""/v1/job/*: progress of long-running work, polled as JSON or streamed as Server-Sent Events."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from gateway.core.jobs import Job
from gateway.domain.errors import ErrorCode, JunctionError

from .call import NativeCall, get_int
from .envelope import ok
from .views import job_view


async def finish_or_detach(call: NativeCall, job: Job, data: dict[str, Any], payload: dict[str, Any]) -> web.Response:
    """Wait for the job (the documented synchronous behaviour) unless the body asks `async: true`;
    either way the answer names the job so its progress can be followed."""
    if data.get("async") is True:
        return ok({**payload, "jobID": job.id})
    record = await call.core.jobs.wait(job)
    if record["state"] != "succeeded":
        # the runner's own error when it gave one: a client's mistake stays a 4xx
        failed = job.failure.code if job.failure is not None else ErrorCode.InternalError
        raise JunctionError(
            ErrorCode.OperationAborted if record["state"] == "canceled" else failed,
            f"job {job.id} {record['state']}: {record['error']}",
            job=job.id,
        )
    return ok({**payload, "jobID": job.id, "result": record["result"]})


async def job_get(call: NativeCall) -> web.Response:
    await call.authorize("junction:ManageJobs")
    return ok({"job": job_view(await call.core.jobs.get(call.q_int("jobID")))})


async def job_list(call: NativeCall) -> web.Response:
    await call.authorize("junction:ManageJobs")
    limit = min(max(call.q_int("limit", required=False, default=100), 1), 1000)
    jobs = await call.core.jobs.list(limit, call.q_str("state", required=False))
    return ok({"jobs": [job_view(j) for j in jobs]})


async def job_cancel(call: NativeCall) -> web.Response:
    await call.authorize("junction:ManageJobs")
    job_id = get_int(call.json(), "jobID")
    record = await call.core.jobs.get(job_id)
    if record["state"] == "running":  # here or on another instance (its heartbeat reads the request)
        await call.core.jobs.request_cancel(job_id)
    return ok(None)


async def job_events(call: NativeCall) -> web.StreamResponse:
    """`text/event-stream`: a `progress` event per change, then one `end` event with the final record."""
    await call.authorize("junction:ManageJobs")
    job_id = call.q_int("jobID")
    await call.core.jobs.get(job_id)  # 404 as JSON before the stream starts
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
    await response.prepare(call.request)
    async for record in call.core.jobs.watch(job_id):
        kind = "progress" if record["state"] == "running" else "end"
        payload = json.dumps(job_view(record), ensure_ascii=False)
        await response.write(f"id: {int(record['updated'] * 1000)}\nevent: {kind}\ndata: {payload}\n\n".encode())
    await response.write_eof()
    return response
