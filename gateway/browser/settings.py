"""`/api/settings/*`: seed 003's settings that fit a gateway. Anyone signed in reads them (the
console needs its page size); only gateway administrators change them. S3 and OBS endpoints
are user spaces (`/api/settings/s3`), sealed credentials and all, never shown back.

Values are checked against each setting's range and refused 400 (`{"error", "message"}`)."""

from __future__ import annotations

from typing import Any

from gateway.core.userspaces import SpaceSpec
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import SpaceRow

from .call import BrowserCall
from .system import require_admin

UPDATED = "Settings updated successfully"
ENDPOINT_TYPES = ("S3", "OBS")
ENDPOINT_FIELDS = {"name", "type", "endpoint", "region", "bucket", "pathStyle", "accessKeyId", "secretAccessKey"}
ENDPOINT_FIELDS |= {"workingDir"}


def _who(call: BrowserCall) -> str:
    return call.session.identity.access_key or f"user:{call.session.username}"


async def all_settings(call: BrowserCall) -> dict[str, Any]:
    """Every setting's value, with what the settings page needs to draw its form."""
    return {
        "settings": await call.core.settings.values(),
        "definitions": call.core.settings.describe(),
        "canEdit": call.session.identity.admin,
    }


async def update_settings(call: BrowserCall) -> dict[str, Any]:
    """Several settings at once, by their JSON fields; none is stored unless all are valid."""
    require_admin(call)
    values = await call.core.settings.update(await call.json(), _who(call))
    return {"message": UPDATED, "settings": values}


async def get_setting(call: BrowserCall) -> dict[str, Any]:
    """The document's shape: GET /api/settings/max-concurrent-transfers -> {"maxConcurrentTransfers": 2}."""
    setting = call.core.settings.setting(call.request.match_info["name"])
    return {setting.field: await call.core.settings.get(setting.name)}


async def put_setting(call: BrowserCall) -> dict[str, Any]:
    """The document's shape: PUT {"maxConcurrentTransfers": 4} -> {"message": ...}."""
    setting = call.core.settings.setting(call.request.match_info["name"])
    require_admin(call)
    body = await call.json()
    if set(body) != {setting.field}:
        raise JunctionError(
            ErrorCode.InvalidArgument, f'the body is {{"{setting.field}": <value>}}', field=setting.field
        )
    values = await call.core.settings.update(body, _who(call))
    return {"message": UPDATED, setting.field: values[setting.field]}


# ------------------------------------------------------------------ S3 / OBS endpoints as user spaces


def endpoint_json(row: SpaceRow) -> dict[str, Any]:
    """An S3 or OBS user space as the settings page shows it: where, never the credential."""
    return {
        "id": row.id,
        "name": row.name,
        "type": row.storage.get("type"),
        "endpoint": row.storage.get("endpoint", ""),
        "region": row.storage.get("region", ""),
        "bucket": row.storage.get("bucket", ""),
        "pathStyle": row.storage.get("pathStyle"),
        "workingDir": row.working_dir,
    }


async def _endpoints(call: BrowserCall) -> list[SpaceRow]:
    return [r for r in await call.core.userspaces.list() if r.storage.get("type") in ENDPOINT_TYPES]


def _text(body: dict[str, Any], name: str, *, required: bool = False) -> str:
    value = body.get(name, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise JunctionError(ErrorCode.InvalidArgument, f"{name} is required (a string)", field=name)
    return value.strip()


def _endpoint_body(body: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any] | None, str]:
    """(name, storage, credential or None to keep the stored one, workingDir) of a PUT body."""
    unknown = sorted(set(body) - ENDPOINT_FIELDS)
    if unknown:
        raise JunctionError(ErrorCode.InvalidArgument, f"unknown field {unknown[0]!r}", field=unknown[0])
    kind = body.get("type", "S3")
    if kind not in ENDPOINT_TYPES:
        raise JunctionError(ErrorCode.InvalidArgument, "type must be S3 or OBS", field="type")
    storage: dict[str, Any] = {"type": kind, "endpoint": _text(body, "endpoint", required=True)}
    storage["bucket"] = _text(body, "bucket", required=True)
    if _text(body, "region"):
        storage["region"] = _text(body, "region")
    if "pathStyle" in body:
        if not isinstance(body["pathStyle"], bool):
            raise JunctionError(ErrorCode.InvalidArgument, "pathStyle is true or false", field="pathStyle")
        storage["pathStyle"] = body["pathStyle"]
    if not storage["endpoint"].startswith(("http://", "https://")):
        raise JunctionError(ErrorCode.InvalidArgument, "endpoint is an http:// or https:// URL", field="endpoint")
    credential = None
    if body.get("accessKeyId") or body.get("secretAccessKey"):
        credential = {
            "type": kind,
            "accessKeyId": _text(body, "accessKeyId", required=True),
            "secretAccessKey": _text(body, "secretAccessKey", required=True),
        }
    return _text(body, "name", required=True), storage, credential, _text(body, "workingDir")


async def list_endpoints(call: BrowserCall) -> dict[str, Any]:
    require_admin(call)
    return {"endpoints": [endpoint_json(r) for r in await _endpoints(call)]}


async def put_endpoint(call: BrowserCall) -> dict[str, Any]:
    """Create the named S3/OBS user space, or change it (the stored secret is kept when the
    body carries none)."""
    require_admin(call)
    name, storage, credential, working_dir = _endpoint_body(await call.json())
    existing = next((r for r in await _endpoints(call) if r.name == name), None)
    if existing is None:
        if credential is None:
            raise JunctionError(
                ErrorCode.InvalidArgument, "accessKeyId and secretAccessKey are required", field="accessKeyId"
            )
        row = await call.core.userspaces.create(SpaceSpec(name, storage, credential, None, [], working_dir))
        return {"message": "Endpoint added as a user space", "endpoint": endpoint_json(row)}
    fields: dict[str, Any] = {"storage": storage, "working_dir": working_dir}
    if credential is not None:
        fields["credential"] = credential
    row = await call.core.userspaces.update(existing.id, fields)
    return {"message": UPDATED, "endpoint": endpoint_json(row)}


async def delete_endpoint(call: BrowserCall) -> dict[str, Any]:
    require_admin(call)
    name = call.request.match_info["name"]
    existing = next((r for r in await _endpoints(call) if r.name == name), None)
    if existing is None:
        raise JunctionError(ErrorCode.NoSuchUserSpace, f"no S3 or OBS endpoint named {name!r}")
    await call.core.userspaces.delete(existing.id)
    return {"message": "Endpoint removed"}


async def test_endpoint(call: BrowserCall) -> dict[str, Any]:
    """Connect and write, read and delete a probe; a stored endpoint's secret is used when the
    body names one and carries none. A failure is 400 StorageTestFailed with the reason."""
    require_admin(call)
    name, storage, credential, working_dir = _endpoint_body(await call.json())
    if credential is None:
        existing = next((r for r in await _endpoints(call) if r.name == name), None)
        if existing is None:
            raise JunctionError(
                ErrorCode.InvalidArgument, "accessKeyId and secretAccessKey are required", field="accessKeyId"
            )
        credential = call.core.userspaces.credential_of(existing)
    await call.core.userspaces.test(storage, credential, working_dir)
    return {"message": "Connection successful"}
