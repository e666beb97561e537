"""Writing blobs: a single PutObject when the stream fits one part, else a multipart upload
with bounded memory; server-side copies (CopyObject, or UploadPartCopy ranges beyond the
single-copy limit). A failed multipart upload is aborted so no parts linger."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
from urllib.parse import quote

from s3xml.xml import child_text, document, serialize

from ..base import BackendError, BlobNotFound, ByteSource
from .errors import parse_xml
from .options import MAX_PART_SIZE, MAX_PARTS, MiB
from .transport import HttpTransport

log = logging.getLogger("junction.backend.http")


class MultipartWriter:
    """Puts and copies blobs through one transport (`xml_namespace`: whether request
    documents carry the S3 namespace; `header_prefix`: "x-amz-" or "x-obs-")."""

    def __init__(self, http: HttpTransport, *, header_prefix: str, xml_namespace: bool) -> None:
        self._http = http
        self._header_prefix = header_prefix
        self._xml_namespace = xml_namespace

    async def put(self, full: str, key: str, stream: ByteSource, size_hint: int | None = None) -> int:
        """Store `stream` under the bucket key `full`; return the byte count.

        Memory stays bounded: one part being filled plus at most `max_inflight_parts` uploading.
        """
        part_size = self._first_part_size(size_hint)
        reader = PartReader(stream)
        first = await reader.read(part_size)
        if reader.exhausted:
            await self._http.call("PutObject", "PUT", full, headers=await _md5_header(first), body=first, subject=key)
            self._http.bucket_seen = True
            return len(first)
        return await self._put_multipart(full, key, first, reader, part_size)

    def _first_part_size(self, size_hint: int | None) -> int:
        size = self._http.options.part_size
        if size_hint and size_hint > size * (MAX_PARTS - 1000):
            size = -(-size_hint // (MAX_PARTS - 1000))
            size = -(-size // MiB) * MiB
        return min(size, MAX_PART_SIZE)

    @staticmethod
    def _part_size(number: int, base: int) -> int:
        """Grow parts every 2,000 so an unknown-length stream can reach ~500x the base size."""
        return min(MAX_PART_SIZE, base << ((number - 1) // 2000))  # doubles every 2,000 parts

    async def _put_multipart(self, full: str, key: str, first: bytearray, reader: PartReader, base: int) -> int:
        upload_id = await self._create_upload(full, key)
        etags: dict[int, str] = {}
        tasks: set[asyncio.Task[None]] = set()
        total, number, data = 0, 1, first
        try:
            while True:
                if len(tasks) >= self._http.options.max_inflight_parts:
                    done, tasks = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                    errors = [exc for task in done if (exc := task.exception()) is not None]
                    if errors:
                        raise errors[0]
                if number > MAX_PARTS:
                    raise BackendError(f"blob {key} needs more than {MAX_PARTS} parts")
                tasks.add(asyncio.create_task(self._upload_part(full, key, upload_id, number, data, etags)))
                total += len(data)
                if reader.exhausted:
                    break
                number += 1
                data = await reader.read(self._part_size(number, base))
            await asyncio.gather(*tasks)
            tasks = set()
            await self._complete_upload(full, key, upload_id, etags)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.shield(self._abort_upload(full, upload_id))
            raise
        return total

    async def _create_upload(self, full: str, key: str) -> str:
        reply = await self._http.call("CreateMultipartUpload", "POST", full, query={"uploads": ""}, subject=key)
        self._http.bucket_seen = True
        upload_id = child_text(parse_xml(reply.body, "CreateMultipartUpload"), "UploadId")
        if not upload_id:
            raise BackendError(f"CreateMultipartUpload at {self._http.endpoint} returned no UploadId")
        return upload_id

    async def _upload_part(
        self, full: str, key: str, upload_id: str, number: int, data: bytearray, etags: dict[int, str]
    ) -> None:
        reply = await self._http.call(
            "UploadPart",
            "PUT",
            full,
            query={"partNumber": str(number), "uploadId": upload_id},
            headers=await _md5_header(data),
            body=data,
            subject=key,
        )
        etag = reply.headers.get("ETag")
        if not etag:
            raise BackendError(f"UploadPart {number} at {self._http.endpoint} returned no ETag")
        etags[number] = etag

    async def _complete_upload(self, full: str, key: str, upload_id: str, etags: dict[int, str]) -> None:
        parts = [("Part", [("PartNumber", n), ("ETag", etags[n])]) for n in sorted(etags)]
        body = serialize(document("CompleteMultipartUpload", parts, namespace=self._xml_namespace))
        try:
            reply = await self._http.call(
                "CompleteMultipartUpload",
                "POST",
                full,
                query={"uploadId": upload_id},
                headers={"Content-Type": "application/xml", **await _md5_header(body)},
                body=body,
                subject=key,
            )
        except BlobNotFound:
            # NoSuchUpload: maybe an earlier attempt completed it and only its answer was lost
            info = await self._http.head(full, key)
            if info is not None and info.headers.get("ETag", "").strip('"') == multipart_etag(etags):
                return
            raise BackendError(f"multipart upload of {key} vanished at {self._http.endpoint}") from None
        self._http.where.raise_embedded_error("CompleteMultipartUpload", key, reply)

    async def _abort_upload(self, full: str, upload_id: str) -> None:
        try:
            await self._http.call("AbortMultipartUpload", "DELETE", full, query={"uploadId": upload_id}, expect=(404,))
        except Exception as exc:  # the original failure matters more; lifecycle rules catch leftovers
            log.warning("could not abort multipart upload at %s: %s", self._http.endpoint, exc)

    async def copy(self, src_full: str, src: str, dst_full: str, dst: str) -> bool:
        """Copy server side; the bucket keys are `src_full`/`dst_full`, the caller's keys `src`/`dst`."""
        head = await self._http.head(src_full, src)
        if head is None:
            raise BlobNotFound(src)
        if src_full == dst_full:
            return True
        size = int(head.headers.get("Content-Length", "0"))
        source = f"/{quote(self._http.bucket, safe='')}/{quote(src_full, safe='/~')}"
        if size <= self._http.options.max_single_copy:
            reply = await self._http.call(
                "CopyObject", "PUT", dst_full, headers={f"{self._header_prefix}copy-source": source}, subject=dst
            )
            self._http.where.raise_embedded_error("CopyObject", dst, reply)
            return True
        await self._copy_multipart(dst_full, dst, source, size)
        return True

    async def _copy_multipart(self, full: str, key: str, source: str, size: int) -> None:
        """UploadPartCopy in `copy_part_size` ranges, a few at a time; abort on failure."""
        upload_id = await self._create_upload(full, key)
        etags: dict[int, str] = {}
        part = max(self._http.options.copy_part_size, -(-size // MAX_PARTS))
        ranges = [(n + 1, start, min(start + part, size) - 1) for n, start in enumerate(range(0, size, part))]
        limit = asyncio.Semaphore(max(2, self._http.options.max_inflight_parts))

        async def one(number: int, first: int, last: int) -> None:
            async with limit:
                reply = await self._http.call(
                    "UploadPartCopy",
                    "PUT",
                    full,
                    query={"partNumber": str(number), "uploadId": upload_id},
                    headers={
                        f"{self._header_prefix}copy-source": source,
                        f"{self._header_prefix}copy-source-range": f"bytes={first}-{last}",
                    },
                    subject=key,
                )
            self._http.where.raise_embedded_error("UploadPartCopy", key, reply)
            etag = child_text(parse_xml(reply.body, "UploadPartCopy"), "ETag")
            if not etag:
                raise BackendError(f"UploadPartCopy {number} at {self._http.endpoint} returned no ETag")
            etags[number] = etag

        try:
            await asyncio.gather(*(one(*r) for r in ranges))
            await self._complete_upload(full, key, upload_id, etags)
        except BaseException:
            await asyncio.shield(self._abort_upload(full, upload_id))
            raise


class PartReader:
    """Cuts an async byte stream into parts of a requested size.

    Each part is filled straight from the stream's pieces (one copy); the rest of the last
    piece waits as a view for the next part. One piece of lookahead tells whether the stream
    ended exactly at a part boundary, so a one-part blob still goes out as a single PUT.
    """

    def __init__(self, stream: ByteSource) -> None:
        self._source = aiter(stream)
        self._pending = memoryview(b"")
        self._done = False

    @property
    def exhausted(self) -> bool:
        return self._done and not self._pending

    async def _pull(self) -> None:
        while not self._done and not self._pending:
            try:
                self._pending = memoryview(await anext(self._source))
            except StopAsyncIteration:
                self._done = True

    async def read(self, size: int) -> bytearray:
        """Return the next `size` bytes (fewer only at the end of the stream)."""
        part = bytearray()
        while len(part) < size:
            await self._pull()
            if not self._pending:
                break
            take = size - len(part)
            part += self._pending[:take]
            self._pending = self._pending[take:]
        await self._pull()  # lookahead: is anything left?
        return part


def multipart_etag(etags: dict[int, str]) -> str:
    """S3's ETag of a completed multipart object: MD5 of the parts' MD5s, dash, part count."""
    try:
        digests = b"".join(bytes.fromhex(etags[n].strip('"')) for n in sorted(etags))
    except ValueError:
        return ""
    return f"{hashlib.md5(digests).hexdigest()}-{len(etags)}"


async def _md5_header(data: bytes | bytearray) -> dict[str, str]:
    """Content-MD5 lets the service reject a part damaged in transit (payload is unsigned)."""
    digest = await asyncio.to_thread(hashlib.md5, data) if len(data) > MiB else hashlib.md5(data)
    return {"Content-MD5": base64.b64encode(digest.digest()).decode()}
