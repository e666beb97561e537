"""/v1/spaceSyncer/*: sync tasks between user spaces (admin only)."""

from __future__ import annotations

from aiohttp import web

from gateway.core.sync import parse_spec

from .call import NativeCall, get_int
from .envelope import ok
from .views import task_view


async def space_syncer_create_task(call: NativeCall) -> web.Response:
    await call.authorize("junction:ManageSyncTasks")
    task = await call.core.sync.create(parse_spec(call.json()))
    return ok({"task": task_view(task)})


async def space_syncer_get_task(call: NativeCall) -> web.Response:
    await call.authorize("junction:ManageSyncTasks")
    return ok({"task": task_view(await call.core.sync.get(call.q_int("taskID")))})


async def space_syncer_cancel_task(call: NativeCall) -> web.Response:
    await call.authorize("junction:ManageSyncTasks")
    await call.core.sync.cancel(get_int(call.json(), "taskID"))
    return ok(None)
