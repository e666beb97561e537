"""`HttpObjectStore`: the Backend protocol over REST calls to one bucket of an S3-style service.

Each job lives in its own module: `transport` (addressing, signing hook, retries),
`errors` (answers to exceptions), `reads` (ranged streaming GETs), `listing` (paging),
`multipart` (single and multipart uploads, server-side copies), `options` (the storage
description). What differs between services is small and injected:

* `signer` - a callable that adds authentication headers to an `HttpRequest` (SigV4 for
  S3, the OBS header signature for OBS), called again for every retry attempt.
* `header_prefix` - `"x-amz-"` or `"x-obs-"`; used for the copy-source headers.
* addressing - `endpoint` (scheme://host[:port], no path) and `path_style`
  (`endpoint/bucket/key`) versus virtual-hosted (`scheme://bucket.host/key`); a subclass
  resolves defaults (e.g. the AWS regional endpoint) before calling `__init__`.
* `list_style` - `"v2"` (ListObjectsV2, continuation tokens) or `"v1"` (marker paging,
  the form OBS documents).
* `xml_namespace` - whether request documents carry the S3 namespace.

A subclass sets `kind` and provides a factory from the user-space JSON; see backends/s3.py.
Blob keys live under `working_dir` inside the bucket; `list` strips that prefix again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from ..base import BlobInfo, ByteSource, check_key, check_prefix
from .listing import list_blobs
from .multipart import MultipartWriter
from .options import StoreOptions
from .reads import read_range, stat
from .transport import HttpTransport, Signer


class HttpObjectStore:
    """A Backend over one bucket of an S3-style REST service (see the module docstring)."""

    kind = "HTTP"
    list_style = "v2"
    xml_namespace = True

    def __init__(
        self,
        *,
        endpoint: str,
        bucket: str,
        working_dir: str,
        signer: Signer,
        header_prefix: str,
        path_style: bool,
        options: StoreOptions | None = None,
    ) -> None:
        self._http = HttpTransport(
            kind=self.kind,
            endpoint=endpoint,
            bucket=bucket,
            signer=signer,
            path_style=path_style,
            options=options or StoreOptions(),
        )
        self.endpoint = self._http.endpoint
        self.bucket = bucket
        self.options = self._http.options
        self.path_style = self._http.path_style
        self.header_prefix = header_prefix
        self._signer = signer
        wd = working_dir.strip("/")
        self._prefix = check_key(wd) + "/" if wd else ""
        self._writer = MultipartWriter(self._http, header_prefix=header_prefix, xml_namespace=self.xml_namespace)

    def _full_key(self, key: str) -> str:
        return self._prefix + check_key(key)

    def _url(self, key: str | None, query: Mapping[str, str]) -> str:
        return self._http.url(key, query)

    async def stat(self, key: str) -> BlobInfo | None:
        return await stat(self._http, self._full_key(key), key)

    async def get(self, key: str, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        pieces = read_range(self._http, self._full_key(key), key, offset, length)
        try:
            async for piece in pieces:
                yield piece
        finally:  # a reader that stops early releases the connection now, not at GC
            await pieces.aclose()

    async def list(self, prefix: str = "") -> AsyncIterator[BlobInfo]:
        check_prefix(prefix)
        async for info in list_blobs(self._http, self._prefix, prefix, self.list_style):
            yield info

    async def put(self, key: str, stream: ByteSource, size_hint: int | None = None) -> int:
        return await self._writer.put(self._full_key(key), key, stream, size_hint)

    async def delete(self, key: str) -> None:
        await self._http.call("DeleteObject", "DELETE", self._full_key(key), expect=(404,), subject=key)

    async def copy(self, src: str, dst: str) -> bool:
        return await self._writer.copy(self._full_key(src), src, self._full_key(dst), dst)

    async def close(self) -> None:
        await self._http.close()
