"""Wiring of the file-server API (seed 004): its routes, each behind the role gate of its
endpoint. /api/user/*, /api/logs, /api/resources and /api/is_up are the browser front end's."""

from __future__ import annotations

from aiohttp import web

from gateway.core.service import Core

from . import admin, browse, files, folders, not_provided, roles, transfer
from .call import Handler, wrap

# (method, path, handler); the path is also the endpoint name the role table uses
ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/api/finder", browse.finder),
    ("POST", "/api/new_file", files.new_file),
    ("POST", "/api/edit_file", files.edit_file),
    ("GET", "/api/get_file", files.get_file),
    ("POST", "/api/rename_file", files.rename_file),
    ("POST", "/api/delete_file", files.delete_file),
    ("POST", "/api/upload", transfer.upload),
    ("GET", "/api/download", transfer.download),
    ("POST", "/api/create_folder", folders.create_folder),
    ("POST", "/api/delete_folder", folders.delete_folder),
    ("POST", "/api/rename_folder", folders.rename_folder),
    ("GET", "/api/role/get", roles.role_get),
    ("POST", "/api/role/edit", roles.role_edit),
    ("GET", "/api/role/self", roles.role_self),
    ("GET", "/api/get_logs", admin.get_logs),
    ("GET", "/api/get_settings", admin.get_settings),
    ("POST", "/api/update_settings", admin.update_settings),
    ("GET", "/api/get_version", admin.get_version),
]


def register(app: web.Application, core: Core) -> None:
    """Add the file API's routes; call before the S3 catch-all route."""
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, wrap(core, path, handler))
    not_provided.register(app)
