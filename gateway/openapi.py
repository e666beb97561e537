"""OpenAPI 3 document for the console (/api/v1) and native (/v1) APIs, at /api/v1/openapi.json.

The console part is written out; the native part is generated from the native route table
so it cannot drift from what is served.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .console import identity_routes
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
        "encryption": {
            "type": "object",
            "description": "the volume's default encryption at rest (S3 PutBucketEncryption): new objects are "
            "encrypted with it; `enabled` false when it has none (objects may still be encrypted one by one)",
            "properties": {
                "enabled": {"type": "boolean"},
                "algorithm": {"type": "string", "description": "AES256 (SSE-S3) or aws:kms"},
                "kmsKeyId": {"type": "string"},
            },
        },
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
STORAGE_CLASSES = {
    "type": "object",
    "description": "S3 storage class (e.g. GLACIER) -> user space name or id that holds its blocks",
    "additionalProperties": {"type": "string"},
}
CLASS_BODY = {"GLACIER": {"type": "string", "description": "user space name or id (any S3 class may be a key)"}}


def _op(
    summary: str,
    response: dict[str, Any] | None,
    *,
    body: dict[str, Any] | None = None,
    status: str = "200",
    params: tuple[str, ...] = (),
    param_type: str = "integer",
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
        op["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {"type": param_type}} for p in params]
    return op


def console_paths() -> dict[str, Any]:
    v, e, q = "/api/v1/volumes/{volume}", "/exports/{export}", "/quotas/{quota}"
    vol = ("volume",)
    return {
        "/api/v1/volumes": {"get": _op("List volumes (buckets) with usage", {"type": "array", "items": VOLUME})},
        "/api/v1/storage": {"get": _op("What the blob collector can reclaim now (admin keys)", STORAGE)},
        "/api/v1/storage-classes": {
            "get": _op("The gateway-wide storage class -> user space table (admin keys)", STORAGE_CLASSES),
            "put": _op("Replace the gateway-wide storage class table", STORAGE_CLASSES, body=CLASS_BODY),
        },
        f"{v}/storage-classes": {
            "get": _op("A volume's storage class overrides (admin keys)", STORAGE_CLASSES, params=vol),
            "put": _op("Replace a volume's storage class overrides", STORAGE_CLASSES, body=CLASS_BODY, params=vol),
        },
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


ACCOUNT = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "description": "12 digits"},
        "name": {"type": "string"},
        "canonical_id": {"type": "string", "description": "64 hex digits"},
        "disabled": {"type": "boolean"},
        "created": {"type": "number"},
        "access_key": {"type": "string", "description": "the root key, on create only"},
        "secret_key": {"type": "string", "description": "on create only"},
    },
}
ACCOUNT_FIELDS = {"name": {"type": "string"}, "access_key": {"type": "string"}, "secret_key": {"type": "string"}}
RULE = {
    "type": "object",
    "properties": {
        "bucket": {"type": "string"},
        "prefix": {"type": "string"},
        "access": {"type": "string", "enum": ["read", "write"]},
    },
}
KEY = {
    "type": "object",
    "properties": {
        "access_key": {"type": "string"},
        "account": {"type": "string"},
        "user": {"type": "string", "nullable": True},
        "kind": {"type": "string", "enum": ["account", "user", "export", "root"]},
        "status": {"type": "string", "enum": ["Active", "Inactive"]},
        "created": {"type": "number"},
        "secret_key": {"type": "string", "description": "on create only"},
    },
}
USER_FIELDS = {
    "name": {"type": "string"},
    "password": {"type": "string", "description": "8-1024 characters; stored as an scrypt hash, never returned"},
    "policies": {"type": "array", "items": {"type": "string"}, "description": "built-in or managed policy names"},
    "rules": {"type": "array", "items": RULE, "description": "per-path rules, compiled to policy statements"},
    "policy": {"type": "object", "description": "the user's inline identity policy"},
}
USER = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "account": {"type": "string"},
        "arn": {"type": "string"},
        "disabled": {"type": "boolean"},
        "has_password": {"type": "boolean"},
        "created": {"type": "number"},
        "policies": {"type": "array", "items": {"type": "string"}},
        "inline_policies": {"type": "object"},
        "rules": {"type": "array", "items": RULE},
        "keys": {"type": "array", "items": KEY},
    },
}
POLICY = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "builtin": {"type": "boolean"}, "document": {"type": "object"}},
}
FLAG_FIELDS: dict[str, Any] = {f: {"type": "boolean"} for f in identity_routes.PAB_FLAGS}
FLAGS = {"type": "object", "properties": FLAG_FIELDS}
NAMES = {"type": "array", "items": {"type": "string"}}


def _many(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": schema}


# handler -> (summary, response schema, request body properties)
IDENTITY_OPERATIONS: dict[str, tuple[str, dict[str, Any] | None, dict[str, Any] | None]] = {
    "list_accounts": ("List accounts (an account's root sees its own)", _many(ACCOUNT), None),
    "create_account": ("Create an account and its root key (administrators)", ACCOUNT, ACCOUNT_FIELDS),
    "get_account": ("Get an account", ACCOUNT, None),
    "update_account": ("Disable or enable an account (administrators)", ACCOUNT, {"disabled": {"type": "boolean"}}),
    "delete_account": ("Delete an account that owns no buckets (administrators)", None, None),
    "get_public_access_block": ("The account-level public access block", FLAGS, None),
    "put_public_access_block": ("Set the account-level public access block", FLAGS, FLAG_FIELDS),
    "list_users": ("List an account's users", _many(USER), None),
    "create_user": ("Create a user", USER, USER_FIELDS),
    "get_user": ("Get a user with its policies, rules and keys", USER, None),
    "update_user": ("Change disabled, password, rules or the inline policy", USER, USER_FIELDS),
    "delete_user": ("Delete a user and its keys", None, None),
    "list_account_keys": ("List every key of an account", _many(KEY), None),
    "create_account_key": ("Create a key of the account's root", KEY, ACCOUNT_FIELDS),
    "update_key": ("Make a key Active or Inactive", KEY, {"status": {"type": "string"}}),
    "delete_key": ("Delete a key", None, None),
    "list_user_keys": ("List a user's keys", _many(KEY), None),
    "create_user_key": ("Create a key of a user", KEY, ACCOUNT_FIELDS),
    "list_policies": ("List the built-in and managed policies", _many(POLICY), None),
    "create_policy": ("Create a managed policy", POLICY, {"name": {"type": "string"}, "document": {"type": "object"}}),
    "get_policy": ("Get a policy", POLICY, None),
    "update_policy": ("Replace a managed policy's document", POLICY, {"document": {"type": "object"}}),
    "delete_policy": ("Delete a managed policy attached to nobody", None, None),
    "list_user_policies": ("List a user's attached policies", NAMES, None),
    "attach_policy": ("Attach a policy to a user", NAMES, None),
    "detach_policy": ("Detach a policy from a user", None, None),
}


def identity_paths() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for method, path, handler, created in identity_routes.ROUTES:
        summary, response, body = IDENTITY_OPERATIONS[handler.__name__]
        status = "201" if created else ("204" if response is None else "200")
        params = tuple(part[1:-1] for part in path.split("/") if part.startswith("{"))
        op = _op(summary, response, body=body, status=status, params=params, param_type="string")
        op["responses"]["403"] = {"description": "not allowed", "content": {"application/json": {"schema": ERROR}}}
        op["responses"]["409"] = {"description": "exists or in use", "content": {"application/json": {"schema": ERROR}}}
        paths.setdefault(path, {})[method.lower()] = op
    return paths


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
        "paths": {**console_paths(), **identity_paths(), **native_paths()},
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
