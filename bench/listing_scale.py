"""Listing at scale and start-up time: Junction with N objects (100,000 by default).

Layout of bucket `scale`: a folder `folder/` with min(N, 100,000) children, half of them
objects (`folder/00000000`) and half sub-folders (`folder/00000001/x`), and the rest of the
N objects flat under `bulk/`. Measured with raw SigV4-signed requests on one kept-alive
connection (time to the last byte of the answer, not parsing: the client must not be what
is measured): a 1,000-key ListObjectsV2 page at the start, middle and end of the whole
keyspace, and a delimiter (`/`) page of `folder/` at the start, middle and end of its
children, each repeated; then the time from spawning the gateway to its first answer.

The objects are loaded the way a bulk import into the gateway would commit them: through
the metadata store's own commit path (`commit_object`, the function every PUT commits
with), 10,000 objects per transaction, with the gateway stopped. They are empty objects
(an empty PUT has no blob), so the run does not spend minutes writing files that listing
never reads.
"""

from __future__ import annotations

import asyncio
import http.client
import statistics
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from gateway.meta.objects_store import commit_object
from gateway.meta.records import NewObject
from gateway.meta.store import MetaStore

from .servers import Server, tree_cpu_seconds

EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"
EMPTY_SHA256 = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
FOLDER_CHILDREN = 100_000
BATCH = 10_000


def scale_keys(total: int) -> list[str]:
    children = min(total, FOLDER_CHILDREN)
    keys = [f"folder/{i:08d}" if i % 2 == 0 else f"folder/{i:08d}/x" for i in range(children)]
    keys += [f"bulk/{i:08d}" for i in range(total - children)]
    return keys


async def _bulk_load(server: Server, keys: list[str]) -> None:
    store = MetaStore(server.data_dir / "meta.sqlite3")
    await store.open()
    try:
        bucket = await store.buckets.get("scale")
        for start in range(0, len(keys), BATCH):
            batch = [
                NewObject(
                    bucket_id=bucket.id,
                    key=key,
                    size=0,
                    etag=EMPTY_MD5,
                    sha256=EMPTY_SHA256,
                    content_type="binary/octet-stream",
                    headers={},
                    meta={},
                    checksums={},
                    checksum_type="",
                    parts_count=0,
                    blob_ids=[],
                    block_sizes=[],
                )
                for key in keys[start : start + BATCH]
            ]
            await store.db.transaction(lambda conn, batch=batch: [commit_object(conn, new, ()) for new in batch])
    finally:
        await store.close()


def bulk_load(server: Server, keys: list[str]) -> float:
    """Seconds to commit `keys` as empty objects of bucket `scale` (the gateway must be stopped)."""
    began = time.perf_counter()
    asyncio.run(_bulk_load(server, keys))
    return time.perf_counter() - began


class SignedClient:
    """SigV4-signed GETs on one kept-alive connection; `timed` is seconds to the answer's last byte."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        self.signer = SigV4Auth(Credentials(server.key, server.secret), "s3", "us-east-1")

    def timed(self, path: str, query: dict[str, str]) -> tuple[float, bytes]:
        target = path + "?" + urlencode(sorted(query.items()))
        request = AWSRequest("GET", self.server.url + target, headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
        self.signer.add_auth(request)
        began = time.perf_counter()
        self.conn.request("GET", target, headers=dict(request.headers.items()))
        response = self.conn.getresponse()
        body = response.read()
        took = time.perf_counter() - began
        if response.status != 200:
            raise RuntimeError(f"listing answered {response.status}: {body[:200]!r}")
        return took, body

    def close(self) -> None:
        self.conn.close()


@dataclass
class PageTimes:
    median_ms: float
    max_ms: float
    keys: int
    cpu_ms: float = 0.0  # the gateway's CPU (user + system, all its processes) per page


def page_times(client: SignedClient, query: dict[str, str], repeat: int) -> PageTimes:
    """Wall time per page as the client sees it, and the server's CPU per page: what the page
    costs the gateway, which other work on a shared machine distorts much less."""
    assert client.server.proc is not None
    times = []
    entries = 0
    cpu_before = tree_cpu_seconds(client.server.proc.pid)
    for _ in range(repeat):
        took, body = client.timed("/scale", {"list-type": "2", "max-keys": "1000", **query})
        times.append(took * 1000)
        entries = body.count(b"<Key>") + body.count(b"<CommonPrefixes>")
    cpu_ms = (tree_cpu_seconds(client.server.proc.pid) - cpu_before) * 1000 / repeat
    return PageTimes(statistics.median(times), max(times), entries, cpu_ms)


def measure(server: Server, keys: list[str], *, repeat: int = 31) -> dict[str, PageTimes]:
    """The page timings of a running gateway loaded with `keys` (see the module docstring)."""
    ordered = sorted(keys)
    children = sorted(k for k in keys if k.startswith("folder/"))
    child_names = sorted({k[: k.index("/", len("folder/")) + 1] if k.count("/") > 1 else k for k in children})
    client = SignedClient(server)
    try:
        client.timed("/scale", {"list-type": "2", "max-keys": "1"})  # warm the connection
        pages = {}
        for where, index in (("start", None), ("middle", len(ordered) // 2), ("end", len(ordered) - 1001)):
            pages[f"flat {where}"] = {} if index is None else {"start-after": ordered[index]}
        for where, index in (("start", None), ("middle", len(child_names) // 2), ("end", len(child_names) - 1001)):
            query = {"prefix": "folder/", "delimiter": "/"}
            if index is not None:
                query["start-after"] = child_names[index]
            pages[f"folder {where}"] = query
        # Every page once, untimed: the pages measured first used to meet the other workers still
        # starting and the reader's empty page cache (the start of the keyspace was 45 ms against
        # 17 ms for the middle at 1,000,000 objects, with the same query plan and the same cost
        # when timed in SQLite alone).
        for query in pages.values():
            page_times(client, query, 1)
        return {name: page_times(client, query, repeat) for name, query in pages.items()}
    finally:
        client.close()
