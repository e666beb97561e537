"""Reading blobs: HeadObject as BlobInfo, and ranged GetObject streams that resume where a
broken connection left off (pinned to the first answer's ETag, so a blob replaced meanwhile
is an error, never a mix of two versions)."""

from __future__ import annotations

import email.utils
import logging
from collections.abc import AsyncGenerator, Mapping

from ..base import BackendError, BackendUnavailable, BlobInfo, BlobNotFound
from .errors import Reply, describe_exception
from .transport import FAILURES, HttpTransport

log = logging.getLogger("junction.backend.http")

READ_CHUNK = 256 * 1024


async def stat(http: HttpTransport, full: str, key: str) -> BlobInfo | None:
    reply = await http.head(full, key)
    if reply is None:
        return None
    return BlobInfo(key=key, size=int(reply.headers.get("Content-Length", "0")), mtime=_http_time(reply.headers))


async def read_range(
    http: HttpTransport, full: str, key: str, offset: int = 0, length: int | None = None
) -> AsyncGenerator[bytes, None]:
    """Yield bytes [offset, offset+length) of the bucket key `full` (to its end if length is None)."""
    if offset < 0 or (length is not None and length < 0):
        raise BackendError(f"invalid range offset={offset} length={length}")
    if length == 0:
        if await http.head(full, key) is None:
            raise BlobNotFound(key)
        return
    end = None if length is None else offset + length  # exclusive
    position, etag = offset, None
    resumes = 0
    while True:
        headers: dict[str, str] = {}
        if position or end is not None:
            headers["Range"] = f"bytes={position}-{'' if end is None else end - 1}"
        if etag:
            headers["If-Match"] = etag
        answer = await http.open("GetObject", "GET", full, headers=headers, expect=(404, 412, 416), subject=key)
        if isinstance(answer, Reply):
            if answer.status == 404:
                raise BlobNotFound(key)
            if answer.status == 412:
                raise BackendError(f"blob {key} changed while it was being read")
            return  # 416: the range starts at or after the end, like reading past EOF
        response, started = answer, position
        etag = etag or response.headers.get("ETag")
        skip = position if response.status == 200 and position else 0  # server ignored Range
        try:
            async for chunk in response.content.iter_chunked(READ_CHUNK):
                if skip:
                    if len(chunk) <= skip:
                        skip -= len(chunk)
                        continue
                    chunk, skip = chunk[skip:], 0
                if end is not None and position + len(chunk) > end:
                    chunk = chunk[: end - position]
                if chunk:
                    position += len(chunk)
                    yield chunk
                if end is not None and position >= end:
                    return
            return
        except FAILURES as exc:
            # count only breaks that made no progress: a long read may survive many hiccups
            resumes = resumes + 1 if position == started else 1
            if resumes >= http.options.max_attempts or not etag:
                raise BackendUnavailable(
                    f"reading {key} from {http.endpoint} broke off at byte {position}: {describe_exception(exc)}"
                ) from None
            log.warning("GetObject %s: %s; resuming at byte %d", http.endpoint, describe_exception(exc), position)
        finally:
            response.release()


def _http_time(headers: Mapping[str, str]) -> float:
    value = headers.get("Last-Modified")
    if not value:
        return 0.0
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return 0.0
