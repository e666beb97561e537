"""Listing the blobs under a prefix, page by page: ListObjectsV2 (continuation tokens) or
ListObjects v1 (markers, the form OBS documents), keys URL-encoded on the wire."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from urllib.parse import unquote_plus

from s3xml.xml import child_text, children

from ..base import BackendError, BlobInfo
from .errors import parse_xml
from .transport import HttpTransport

LIST_PAGE = 500  # keeps a page of long, percent-encoded keys under the safe parser's 2 MiB cap


async def list_blobs(http: HttpTransport, root: str, prefix: str, style: str) -> AsyncIterator[BlobInfo]:
    """Every blob whose bucket key starts with `root + prefix`, keyed without `root`, in key order."""
    full_prefix = root + prefix
    token: str | None = None
    while True:
        query = {"prefix": full_prefix, "encoding-type": "url"}
        if style == "v2":
            query = {"list-type": "2", **query, "max-keys": str(LIST_PAGE)}
            if token:
                query["continuation-token"] = token
        else:
            query["max-keys"] = str(LIST_PAGE)
            if token:
                query["marker"] = token
        reply = await http.call("ListObjects", "GET", None, query=query, subject=prefix)
        http.bucket_seen = True
        page = parse_xml(reply.body, "ListObjects")
        encoded = (child_text(page, "EncodingType") or "").lower() == "url"
        last = None
        for item in children(page, "Contents"):
            raw = child_text(item, "Key") or ""
            name = unquote_plus(raw) if encoded else raw
            last = name
            if not name.startswith(full_prefix):
                continue
            yield BlobInfo(
                key=name[len(root) :],
                size=int(child_text(item, "Size") or 0),
                mtime=_iso_time(child_text(item, "LastModified") or ""),
            )
        if (child_text(page, "IsTruncated") or "false").lower() != "true":
            return
        if style == "v2":
            token = child_text(page, "NextContinuationToken")
        else:
            marker = child_text(page, "NextMarker")
            token = (unquote_plus(marker) if encoded else marker) if marker else last
        if not token:
            raise BackendError(f"ListObjects at {http.endpoint} was truncated without a continuation")


def _iso_time(value: str) -> float:
    try:
        return datetime.fromisoformat(value.strip()).timestamp()
    except ValueError:
        return 0.0
