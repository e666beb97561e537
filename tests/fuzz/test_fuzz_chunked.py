"""Fuzzing the aws-chunked decoder (S3 framing + the signature chain) over aiohttp's own
StreamReader: any body decodes or fails with ChunkedFormatError / AuthError; a well-framed
unsigned body decodes to exactly its data and trailers."""

from __future__ import annotations

import asyncio
from unittest import mock

from aiohttp import StreamReader
from fuzz_support import TYPED, check_renderable
from hypothesis import given
from hypothesis import strategies as st

from gateway.auth.types import AuthContext, PayloadMode
from gateway.s3.chunked import ChunkedBodyDecoder

CTX = AuthContext(
    access_key="AKIDFUZZ",
    region="us-east-1",
    service="s3",
    date="20260101",
    amz_date="20260101T120000Z",
    signature="0" * 64,
    signing_key=b"k" * 32,
    presigned=False,
    payload_mode=PayloadMode.STREAMING_SIGNED,
    payload_sha256=None,
)
MODES = [
    PayloadMode.STREAMING_SIGNED,
    PayloadMode.STREAMING_SIGNED_TRAILER,
    PayloadMode.STREAMING_UNSIGNED_TRAILER,
]


def frame(chunks: list[bytes], trailers: list[tuple[str, str]], *, signature: str | None = None) -> bytes:
    ext = f";chunk-signature={signature}" if signature else ""
    body = b"".join(f"{len(c):x}{ext}\r\n".encode() + c + b"\r\n" for c in chunks if c)
    body += f"0{ext}\r\n".encode()
    body += b"".join(f"{name}:{value}\r\n".encode() for name, value in trailers)
    return body + b"\r\n"


async def decode(body: bytes, mode: PayloadMode, trailer_names: list[str], length: int | None, feed: int):
    reader = StreamReader(mock.Mock(_reading_paused=False), 2**16, loop=asyncio.get_running_loop())
    for start in range(0, len(body), feed):
        reader.feed_data(body[start : start + feed])
    reader.feed_eof()
    decoder = ChunkedBodyDecoder(
        reader, CTX, mode=mode, trailer_names=trailer_names, decoded_length=length, piece_size=4096
    )
    data = b"".join([piece async for piece in decoder])
    return data, decoder.trailers


chunks = st.lists(st.binary(max_size=300), max_size=4)
trailer_lines = st.lists(
    st.tuples(st.sampled_from(["x-amz-checksum-crc32", "x-amz-trailer-signature", "x-other"]), st.text(max_size=20)),
    max_size=3,
)


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    """Random bytes, or a framed body with a few bytes changed, inserted or cut."""
    if draw(st.integers(0, 3)) == 0:
        return draw(st.binary(max_size=400))
    body = bytearray(frame(draw(chunks), draw(trailer_lines), signature=draw(st.sampled_from([None, "0" * 64]))))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(body)))
        edit = draw(st.sampled_from(["flip", "insert", "cut"]))
        if edit == "insert":
            body[at:at] = draw(st.sampled_from([b"\r\n", b";", b"=", b"ffffffff", b"\n", b"\x00", b":", b"-1"]))
        elif at < len(body):
            if edit == "flip":
                body[at] = draw(st.integers(0, 255))
            else:
                del body[at : at + draw(st.integers(1, 8))]
    return bytes(body)


@given(
    body=bodies(),
    mode=st.sampled_from(MODES),
    names=st.lists(st.sampled_from(["x-amz-checksum-crc32", "x-other"]), max_size=2, unique=True),
    length=st.one_of(st.none(), st.integers(0, 1500)),
    feed=st.integers(1, 512),
)
def test_any_body(body, mode, names, length, feed):
    try:
        asyncio.run(decode(body, mode, names, length, feed))
    except TYPED as exc:
        check_renderable(exc)


@given(
    data=chunks,
    trailers=st.dictionaries(
        st.sampled_from(["x-amz-checksum-crc32", "x-amz-checksum-sha256"]),
        st.text(alphabet="ABCDEFabcdef0123456789+/=", min_size=1, max_size=20),
        max_size=2,
    ),
    feed=st.integers(1, 512),
)
def test_unsigned_trailer_body_round_trips(data, trailers, feed):
    body = frame(data, list(trailers.items()))
    decoded, seen = asyncio.run(
        decode(body, PayloadMode.STREAMING_UNSIGNED_TRAILER, list(trailers), sum(map(len, data)), feed)
    )
    assert decoded == b"".join(data)
    assert seen == trailers
