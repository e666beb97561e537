"""/v1/userSpace/*: user spaces (admin only), package import and export through jobs."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.core.userspaces import SpaceSpec
from gateway.domain.errors import invalid_argument

from .call import NativeCall, get_int, get_str
from .envelope import ok
from .jobs import finish_or_detach
from .views import package_view, user_space_view


def _optional_dict(data: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = data.get(name)
    if value is None:
        return None
    return _dict(data, name)


def _dict(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    if not isinstance(value, dict):
        raise invalid_argument(f"Field {name!r} must be an object", argument=name)
    return value


def _shard_max(data: dict[str, Any]) -> int | None:
    """`shardStore: null` disables the shard store; `{"maxSize": N}` caps it at N bytes (0: no cap)."""
    shard = _optional_dict(data, "shardStore")
    if shard is None:
        return None
    size = get_int(shard, "maxSize", required=False, default=0)
    if size < 0:
        raise invalid_argument("shardStore.maxSize must not be negative", argument="shardStore.maxSize")
    return size


def _features(data: dict[str, Any]) -> list[Any]:
    value = data.get("features") or []
    if not isinstance(value, list):
        raise invalid_argument("Field 'features' must be a list", argument="features")
    return value


async def user_space_create(call: NativeCall) -> web.Response:
    await call.authorize("junction:ManageUserSpaces")
    data = call.json()
    name = get_str(data, "name")
    if not name.strip():
        raise invalid_argument("name must not be empty", argument="name")
    spec = SpaceSpec(
        name=name,
        storage=_dict(data, "storage"),
        credential=_dict(data, "credential"),
        shard_max_size=_shard_max(data),
        features=_features(data),
        working_dir=get_str(data, "workingDir", required=False),
    )
    row = await call.core.userspaces.create(spec)
    return ok({"userSpace": user_space_view(row, call.core.userspaces.credential_of(row))})


async def user_space_update(call: NativeCall) -> web.Response:
    await call.authorize("junction:ManageUserSpaces")
    data = call.json()
    fields: dict[str, Any] = {}
    if "name" in data:
        fields["name"] = get_str(data, "name")
    for field in ("storage", "credential"):
        if field in data:
            fields[field] = _dict(data, field)
    if "shardStore" in data:
        fields["shard_max_size"] = _shard_max(data)
    if "features" in data:
        fields["features"] = _features(data)
    if "workingDir" in data:
        fields["working_dir"] = get_str(data, "workingDir")
    row = await call.core.userspaces.update(get_int(data, "userSpaceID"), fields)
    return ok({"userSpace": user_space_view(row, call.core.userspaces.credential_of(row))})


async def user_space_delete(call: NativeCall) -> web.Response:
    """OK when the space does not exist; refused while objects still have blocks in it."""
    await call.authorize("junction:ManageUserSpaces")
    await call.core.userspaces.delete(get_int(call.json(), "userSpaceID"))
    return ok(None)


async def user_space_get(call: NativeCall) -> web.Response:
    await call.authorize("junction:ManageUserSpaces")
    row = await call.core.userspaces.get(call.q_int("userSpaceID"))
    return ok({"userSpace": user_space_view(row, call.core.userspaces.credential_of(row))})


async def user_space_test(call: NativeCall) -> web.Response:
    await call.authorize("junction:ManageUserSpaces")
    data = call.json()
    await call.core.userspaces.test(
        _dict(data, "storage"), _dict(data, "credential"), get_str(data, "workingDir", required=False)
    )
    return ok(None)


async def user_space_create_package(call: NativeCall) -> web.Response:
    """Import a file or folder of a space into a new package (a job; `async: true` returns at once)."""
    await call.authorize("junction:ManageUserSpaces")
    core = call.core
    data = call.json()
    space_id = get_int(data, "userSpaceID")
    core.spaces.row(space_id)
    bucket = await call.native.bucket(get_int(data, "bucketID"))
    files = await core.transfers.plan_import(space_id, get_str(data, "path", required=False))
    target = await core.spaces.shard_space_for(
        get_int(data, "spaceAffinity", required=False), sum(info.size for info, _ in files)
    )
    package = await call.native.packages.create(bucket.id, get_str(data, "name"))
    job = await core.jobs.start(
        "createPackage",
        {"userSpaceID": space_id, "path": data.get("path", ""), "packageID": package.id},
        lambda job: core.transfers.import_files(job, space_id, files, package, target),
    )
    return await finish_or_detach(call, job, data, {"package": package_view(package)})


async def user_space_download_package(call: NativeCall) -> web.Response:
    """Export every object of a package under `rootPath` of a space (a job)."""
    await call.authorize("junction:ManageUserSpaces")
    core = call.core
    data = call.json()
    space_id = get_int(data, "userSpaceID")
    core.spaces.row(space_id)
    package = await call.native.packages.get(get_int(data, "packageID"))
    root_path = get_str(data, "rootPath", required=False)
    job = await core.jobs.start(
        "downloadPackage",
        {"userSpaceID": space_id, "packageID": package.id, "rootPath": root_path},
        lambda job: core.transfers.export_package(job, package, space_id, root_path),
    )
    return await finish_or_detach(call, job, data, {})
