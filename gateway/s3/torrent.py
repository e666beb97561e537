"""GetObjectTorrent (`GET /bucket/key?torrent`): the object as a BitTorrent metainfo file.

S3 documents the answer as "a Bencoded dictionary as defined by the BitTorrent specification",
for objects under 5 GB, and refuses larger ones with `400 InvalidRequest`. Amazon's tracker
is gone (S3 stopped seeding in 2022), so instead of an `announce` URL the file names the
object itself as a web seed (BEP 19 `url-list`): a client that can reach the gateway fetches
the pieces from it over HTTP. The pieces are hashed while the object streams past, never
held whole.
"""

from __future__ import annotations

import hashlib
import time
from urllib.parse import quote

from aiohttp import web

from gateway.domain.errors import ErrorCode, JunctionError

from .context import S3Call, conceals_absence

PIECE_LENGTH = 256 * 1024
MAX_TORRENT_OBJECT = 5 * 1024**3  # S3: "Torrent creation is not supported for objects larger than 5368709120"

Bencodable = int | bytes | str | list["Bencodable"] | dict[str, "Bencodable"]


def bencode(value: Bencodable) -> bytes:
    """BitTorrent's encoding: integers, byte strings, lists and dictionaries with sorted keys."""
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(bencode(v) for v in value) + b"e"
    items = sorted((k.encode(), v) for k, v in value.items())
    return b"d" + b"".join(bencode(k) + bencode(v) for k, v in items) + b"e"


@conceals_absence
async def get_object_torrent(call: S3Call) -> web.Response:
    assert call.bucket is not None and call.key is not None
    bucket = await call.core.buckets.get(call.bucket)
    await call.authorize("s3:GetObjectTorrent", bucket, call.key)
    obj = await call.core.objects.head(call.bucket, call.key)
    if obj.size > MAX_TORRENT_OBJECT:
        raise JunctionError(
            ErrorCode.InvalidRequest, f"Torrent creation is not supported for objects larger than {MAX_TORRENT_OBJECT}"
        )
    pieces = bytearray()
    pending = bytearray()
    async for chunk in call.core.objects.read(obj):
        pending += chunk
        while len(pending) >= PIECE_LENGTH:
            pieces += hashlib.sha1(pending[:PIECE_LENGTH]).digest()
            del pending[:PIECE_LENGTH]
    if pending:  # the last, shorter piece (an empty object has none)
        pieces += hashlib.sha1(pending).digest()
    name = call.key.rstrip("/").rsplit("/", 1)[-1] or call.bucket
    url = f"{call.request.scheme}://{call.request.host}/{quote(call.bucket)}/{quote(call.key)}"
    metainfo: Bencodable = {
        "created by": "Junction",
        "creation date": int(time.time()),
        "info": {"length": obj.size, "name": name, "piece length": PIECE_LENGTH, "pieces": bytes(pieces)},
        "url-list": [url],
    }
    return web.Response(
        body=bencode(metainfo),
        content_type="application/x-bittorrent",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}.torrent"},
    )
