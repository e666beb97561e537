"""OpenAPI 3 document for the console (/api/v1) and native (/v1) APIs, at /api/v1/openapi.json.

The console part is written out; the native part is generated from the native route table
so it cannot drift from what is served.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .native.routes import FORM, ROUTES

ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}},
        }
    },
}
USAGE = {"type": "object", "properties": {"size": {"type": "integer"}, "inodes": {"type": "integer"}}}
VOLUME = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "owner": {"type": "string"},
        "created": {"type": "string"},
        "usage": USAGE,
    },
}
EXPORT_FIELDS = {
    "desc": {"type": "string"},
    "iprange": {"type": "string", "description": "comma-separated CIDRs"},
    "apionly": {"type": "boolean"},
    "readonly": {"type": "boolean"},
    "appendonly": {"type": "boolean"},
}
EXPORT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "volume": {"type": "integer"},
        "access_key": {"type": "string"},
        "created": {"type": "number"},
        "secret_key": {"type": "string", "description": "on create only"},
        **EXPORT_FIELDS,
    },
}
QUOTA_FIELDS = {
    "path": {"type": "string", "example": "/package/sub/dir"},
    "size": {"type": "integer", "description": "bytes"},
    "inodes": {"type": "integer", "description": "objects"},
}
RECLAIMED_FIELDS = ("count", "bytes", "blobs", "blobBytes", "temporaries", "temporaryBytes", "strays", "strayBytes")
RECLAIMED = {"type": "object", "properties": {name: {"type": "integer"} for name in RECLAIMED_FIELDS}}
STORAGE = {
    "type": "object",
    "properties": {
        "graceSeconds": {"type": "number", "description": "orphan_grace: age before the collector takes a blob"},
        "reclaimable": {**RECLAIMED, "description": "what the collector may delete now"},
        "withoutGrace": {**RECLAIMED, "description": "what `junction admin gc --grace 0` would delete"},
    },
}
QUOTA = {"type": "object", "properties": {"id": {"type": "integer"}, **QUOTA_FIELDS, "usage": USAGE}}


def _op(
    summary: str,
    response: dict[str, Any] | None,
    *,
    body: dict[str, Any] | None = None,
    status: str = "200",
    params: tuple[str, ...] = (),
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "security": [{"consoleToken": []}],
        "responses": {
            status: {
                "description": "OK",
                **({"content": {"application/json": {"schema": response}}} if response else {}),
            },
            "400": {"description": "invalid body", "content": {"application/json": {"schema": ERROR}}},
            "401": {"description": "bad, stale or replayed token", "content": {"application/json": {"schema": ERROR}}},
            "404": {"description": "unknown id", "content": {"application/json": {"schema": ERROR}}},
        },
    }
    if body:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object", "properties": body}}},
        }
    if params:
        op["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {"type": "integer"}} for p in params]
    return op


def console_paths() -> dict[str, Any]:
    v, e, q = "/api/v1/volumes/{volume}", "/exports/{export}", "/quotas/{quota}"
    vol = ("volume",)
    return {
        "/api/v1/volumes": {"get": _op("List volumes (buckets) with usage", {"type": "array", "items": VOLUME})},
        "/api/v1/storage": {"get": _op("What the blob collector can reclaim now (admin keys)", STORAGE)},
        v: {
            "get": _op("Get a volume", VOLUME, params=vol),
            "delete": _op("Delete a volume (?force=true when not empty)", None, status="204", params=vol),
        },
        f"{v}/exports": {
            "get": _op("List exports", {"type": "array", "items": EXPORT}, params=vol),
            "post": _op("Create an export key", EXPORT, body=EXPORT_FIELDS, status="201", params=vol),
        },
        f"{v}{e}": {
            "put": _op("Update an export", EXPORT, body=EXPORT_FIELDS, params=(*vol, "export")),
            "delete": _op("Delete an export", None, status="204", params=(*vol, "export")),
        },
        f"{v}/quotas": {
            "get": _op("List quotas with usage", {"type": "array", "items": QUOTA}, params=vol),
            "post": _op("Create a quota", QUOTA, body=QUOTA_FIELDS, status="201", params=vol),
        },
        f"{v}{q}": {
            "get": _op("Get a quota", QUOTA, params=(*vol, "quota")),
            "put": _op("Update a quota", QUOTA, body=QUOTA_FIELDS, params=(*vol, "quota")),
            "delete": _op("Delete a quota", None, status="204", params=(*vol, "quota")),
        },
    }


def native_paths() -> dict[str, Any]:
    envelope = {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "data": {}}}
    paths: dict[str, Any] = {}
    for path, (method, kind, handler) in ROUTES.items():
        content = "multipart/form-data" if kind == FORM else "application/json"
        op: dict[str, Any] = {
            "summary": (handler.__doc__ or path).strip().splitlines()[0],
            "security": [{"sigv4": []}],
            "responses": {"200": {"description": "envelope", "content": {"application/json": {"schema": envelope}}}},
        }
        if method == "POST":
            op["requestBody"] = {"content": {content: {"schema": {"type": "object"}}}}
        paths[path] = {method.lower(): op}
    return paths


def document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Junction console and native APIs", "version": "1"},
        "paths": {**console_paths(), **native_paths()},
        "components": {
            "securitySchemes": {
                "consoleToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "base64 JSON {access_key, timestamp, signature, version: 1}",
                },
                "sigv4": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "AWS SigV4, service 'jcs', any region",
                },
            }
        },
    }


def register(app: web.Application) -> None:
    spec = document()

    async def serve(_request: web.Request) -> web.Response:
        return web.json_response(spec)

    app.router.add_get("/api/v1/openapi.json", serve)
