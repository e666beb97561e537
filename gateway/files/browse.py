"""`/api/finder`: a folder's entries. `items` are the names (the document's answer); `entries`
add each one's kind, size and time; a long folder answers one page (the gateway's `max-files-per-page`) and
`next` (pass it back as `marker`). Listing asks s3:ListBucket with the prefix and delimiter S3
would see, so a user's per-path rules decide here as they do on S3."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Bucket

from .call import FileCall
from .namespace import FilePath, parse


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat().replace("+00:00", "Z")


async def visible_buckets(call: FileCall) -> list[Bucket]:
    """The caller account's buckets (every bucket, for gateway administrators), as ListBuckets."""
    await call.authorize("s3:ListAllMyBuckets")
    identity = call.caller.identity
    found = []
    for bucket in await call.core.buckets.list():
        owner = await call.core.identity.owner_account(bucket)
        if identity.admin or owner["id"] == identity.caller.account_id:
            found.append(bucket)
    return found


async def folder_exists(call: FileCall, path: FilePath) -> bool:
    """A bucket root always; else any key under the prefix (its marker included)."""
    if not path.key:
        return True
    page = await call.core.list_objects(path.bucket, prefix=path.prefix, max_keys=1)
    return bool(page.objects or page.prefixes)


async def finder(call: FileCall) -> dict[str, Any]:
    path = parse(call.request.query.get("path"))
    if not path.bucket:
        buckets = await visible_buckets(call)
        roots = [{"name": b.name, "type": "folder", "size": 0, "modified": iso(b.created)} for b in buckets]
        return {"items": [e["name"] for e in roots], "entries": roots, "path": "/", "next": None}
    bucket = await call.core.buckets.get(path.bucket)
    prefix = path.prefix
    await call.authorize("s3:ListBucket", bucket, context={"s3:prefix": (prefix,), "s3:delimiter": ("/",)})
    size = int(await call.core.settings.get("max-files-per-page"))
    marker = call.request.query.get("marker", "")
    page = await call.core.list_objects(path.bucket, prefix=prefix, delimiter="/", marker=marker, max_keys=size)
    if not marker and not page.objects and not page.prefixes and prefix:
        raise JunctionError(ErrorCode.NoSuchKey, "Path does not exist")
    entries: list[dict[str, Any]] = [
        {"name": p[len(prefix) :].rstrip("/"), "type": "folder", "size": 0, "modified": None} for p in page.prefixes
    ]
    entries += [
        {"name": o.key[len(prefix) :], "type": "file", "size": o.size, "modified": iso(o.updated)}
        for o in page.objects
        if o.key != prefix  # the folder's own marker
    ]
    entries.sort(key=lambda e: (e["type"] != "folder", e["name"]))
    return {
        "items": [e["name"] for e in entries],
        "entries": entries,
        "path": str(path),
        "next": page.next_marker if page.truncated else None,
    }
