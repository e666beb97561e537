"""gateway.s3.chunked: aws-chunked decoding, chunk and trailer signatures, trailer checksums."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import random
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timezone
from unittest import mock

import pytest
from aiohttp import StreamReader
from aiohttp.test_utils import make_mocked_request
from botocore.httpchecksum import AwsChunkedWrapper, CrtCrc32Checksum, CrtCrc64NvmeChecksum
from multidict import CIMultiDict, MultiDict

from gateway.auth.sigv4 import hmac_hex, signing_key, verify
from gateway.auth.types import EMPTY_SHA256, AuthContext, AuthError, PayloadMode, SignedRequest
from gateway.core.hashing import HashingStream
from gateway.domain.errors import JunctionError
from gateway.s3.chunked import ChunkedBodyDecoder, ChunkedFormatError
from gateway.s3.context import S3Call

PIECE = 256 * 1024
MiB = 1024 * 1024


class BytesReader:
    """The two StreamReader methods the decoder uses, over a complete body; records read sizes."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0
        self.reads: list[int] = []

    async def readline(self) -> bytes:
        end = self._data.find(b"\n", self._pos)
        end = len(self._data) if end < 0 else end + 1
        line, self._pos = self._data[self._pos : end], end
        return line

    async def readexactly(self, n: int) -> bytes:
        self.reads.append(n)
        data = self._data[self._pos : self._pos + n]
        self._pos += len(data)
        if len(data) < n:
            raise asyncio.IncompleteReadError(data, n)
        return data


def aiohttp_reader(data: bytes) -> StreamReader:
    reader = StreamReader(mock.Mock(_reading_paused=False), 2**16, loop=asyncio.get_running_loop())
    reader.feed_data(data)
    reader.feed_eof()
    return reader


async def decode(decoder: ChunkedBodyDecoder) -> list[bytes]:
    return [piece async for piece in decoder]


async def put_body(decoder: ChunkedBodyDecoder, trailer: str, declared: bytes | None = None) -> bytes:
    """What a PUT does with the body: S3Call.expectations() reads x-amz-trailer, the body flows
    through a HashingStream, and Expectations.verify compares the trailer the decoder read.
    `declared` replaces the body that was framed (a client whose trailer does not match)."""
    request = make_mocked_request("PUT", "/b/k", headers={"x-amz-trailer": trailer})
    call = S3Call(request, None, "b", "k", MultiDict(), "RID", None, None, "us-east-1", _decoder=decoder)  # type: ignore[arg-type]
    expect = call.expectations()

    async def body() -> AsyncIterator[bytes]:
        async for piece in decoder:
            yield piece if declared is None else b""
        if declared is not None:
            yield declared

    stream = HashingStream(body(), algorithms=expect.wanted())
    data = b"".join([piece async for piece in stream])
    expect.verify(stream)
    return data


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


# ------------------------------------------------------------------ AWS's published example
#
# S3 API reference, "Signature Calculations for the Authorization Header: Transferring Payload
# in Multiple Chunks": 66560 bytes of 'a' in chunks of 65536 and 1024, then the final chunk.

EXAMPLE_SIGNATURES = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
]
EXAMPLE_SIZES = [65536, 1024, 0]


def example_body(sizes: list[int] = EXAMPLE_SIZES, signatures: list[str] = EXAMPLE_SIGNATURES) -> bytes:
    body = b""
    for size, signature in zip(sizes, signatures, strict=True):
        body += f"{size:x};chunk-signature={signature}\r\n".encode() + b"a" * size + b"\r\n"
    return body


async def example_context() -> AuthContext:
    """Verify the example's headers (seed signature 4f232c43...) to get the decoder's context."""
    headers = CIMultiDict(
        {
            "Host": "s3.amazonaws.com",
            "x-amz-date": "20130524T000000Z",
            "x-amz-storage-class": "REDUCED_REDUNDANCY",
            "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            "Content-Encoding": "aws-chunked",
            "x-amz-decoded-content-length": "66560",
            "Content-Length": "66824",
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
            "x-amz-decoded-content-length;x-amz-storage-class,"
            "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
        }
    )

    async def secret(_: str) -> str:
        return "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

    req = SignedRequest("PUT", "/examplebucket/chunkObject.txt", [], headers)
    return await verify(req, secret, now=datetime(2013, 5, 24, tzinfo=UTC))


def example_decoder(reader, ctx: AuthContext, decoded_length: int | None = 66560, **kw) -> ChunkedBodyDecoder:
    return ChunkedBodyDecoder(
        reader, ctx, mode=PayloadMode.STREAMING_SIGNED, trailer_names=[], decoded_length=decoded_length, **kw
    )


@pytest.mark.parametrize("make_reader", [BytesReader, aiohttp_reader], ids=["fake", "aiohttp"])
async def test_aws_example_decodes(make_reader) -> None:
    ctx = await example_context()
    assert len(example_body()) == 66824  # the example's Content-Length
    decoder = example_decoder(make_reader(example_body()), ctx, piece_size=8192)
    pieces = await decode(decoder)
    assert b"".join(pieces) == b"a" * 66560
    assert max(map(len, pieces)) <= 8192
    assert decoder.trailers == {}


async def test_aws_example_tampered_byte_fails() -> None:
    body = bytearray(example_body())
    body[66000] = ord("b")  # inside the first chunk's data
    with pytest.raises(AuthError) as info:
        await decode(example_decoder(BytesReader(bytes(body)), await example_context()))
    assert info.value.code == "SignatureDoesNotMatch"


@pytest.mark.parametrize(
    "signatures",
    [
        [EXAMPLE_SIGNATURES[1], EXAMPLE_SIGNATURES[0], EXAMPLE_SIGNATURES[2]],  # swapped
        [EXAMPLE_SIGNATURES[0], "0" * 64, EXAMPLE_SIGNATURES[2]],
        [EXAMPLE_SIGNATURES[0], EXAMPLE_SIGNATURES[1], EXAMPLE_SIGNATURES[1]],  # replayed
        [
            EXAMPLE_SIGNATURES[0],
            EXAMPLE_SIGNATURES[1],
            "B6C6EA8A5354EAF15B3CB7646744F4275B71EA724FED81CEB9323E279D449DF9",
        ],
    ],
    ids=["swapped", "zero", "replayed", "uppercase"],
)
async def test_aws_example_wrong_chunk_signature_fails(signatures: list[str]) -> None:
    with pytest.raises(AuthError) as info:
        await decode(example_decoder(BytesReader(example_body(signatures=signatures)), await example_context()))
    assert info.value.code == "SignatureDoesNotMatch"


async def test_aws_example_reordered_chunks_fail() -> None:
    body = example_body([1024, 65536, 0], [EXAMPLE_SIGNATURES[1], EXAMPLE_SIGNATURES[0], EXAMPLE_SIGNATURES[2]])
    with pytest.raises(AuthError):
        await decode(example_decoder(BytesReader(body), await example_context()))


async def test_missing_chunk_signature_fails() -> None:
    body = example_body().replace(b";chunk-signature=" + EXAMPLE_SIGNATURES[1].encode(), b"")
    with pytest.raises(AuthError) as info:
        await decode(example_decoder(BytesReader(body), await example_context()))
    assert info.value.code == "SignatureDoesNotMatch"


async def test_final_chunk_dropped_is_incomplete() -> None:
    body = example_body(EXAMPLE_SIZES[:2], EXAMPLE_SIGNATURES[:2])
    with pytest.raises(ChunkedFormatError) as info:
        await decode(example_decoder(BytesReader(body), await example_context()))
    assert info.value.code == "IncompleteBody"


@pytest.mark.parametrize("cut", [10, 100, 65000, 65536 + 90, 66700, 66824 - 3])
async def test_truncated_stream_is_incomplete(cut: int) -> None:
    with pytest.raises(ChunkedFormatError) as info:
        await decode(example_decoder(BytesReader(example_body()[:cut]), await example_context()))
    assert info.value.code == "IncompleteBody"


@pytest.mark.parametrize("declared", [66561, 66559, 1000, 0])
async def test_decoded_length_mismatch(declared: int) -> None:
    decoder = example_decoder(BytesReader(example_body()), await example_context(), decoded_length=declared)
    with pytest.raises(ChunkedFormatError) as info:
        await decode(decoder)
    assert info.value.code == "IncompleteBody"


async def test_decoded_length_overrun_is_caught_before_reading_the_chunk() -> None:
    reader = BytesReader(example_body())
    decoder = example_decoder(reader, await example_context(), decoded_length=1000)
    with pytest.raises(ChunkedFormatError):
        await decoder.__anext__()
    assert reader.reads == []


async def test_without_decoded_length() -> None:
    decoder = example_decoder(BytesReader(example_body()), await example_context(), decoded_length=None)
    assert len(b"".join(await decode(decoder))) == 66560


# ------------------------------------------------------------------ our own signed streams

SECRET = "test/secret+key"


def context(mode: PayloadMode, seed: str = "5eed" * 16) -> AuthContext:
    return AuthContext(
        access_key="AK",
        region="eu-west-1",
        service="s3",
        date="20240101",
        amz_date="20240101T120000Z",
        signature=seed,
        signing_key=signing_key(SECRET, "20240101", "eu-west-1", "s3"),
        presigned=False,
        payload_mode=mode,
        payload_sha256=None,
    )


def signed_stream(
    ctx: AuthContext,
    chunks: list[bytes],
    trailers: dict[str, str] | None = None,
    *,
    final_crlf: bool = True,
    trailer_signature: str | None = None,
) -> bytes:
    """An aws-chunked body signed the way the SDKs sign it (a test-side implementation)."""
    previous, out = ctx.signature, b""
    for chunk in [*chunks, b""]:
        to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", ctx.amz_date, ctx.scope, previous, EMPTY_SHA256, sha(chunk)])
        previous = hmac_hex(ctx.signing_key, to_sign)
        out += f"{len(chunk):x};chunk-signature={previous}\r\n".encode() + chunk + (b"\r\n" if chunk else b"")
    if trailers:
        canonical = "".join(f"{name}:{value}\n" for name, value in sorted(trailers.items()))
        to_sign = "\n".join(["AWS4-HMAC-SHA256-TRAILER", ctx.amz_date, ctx.scope, previous, sha(canonical.encode())])
        signature = trailer_signature or hmac_hex(ctx.signing_key, to_sign)
        out += canonical.replace("\n", "\r\n").encode() + f"x-amz-trailer-signature:{signature}\r\n".encode()
    return out + (b"\r\n" if final_crlf else b"")


def unsigned_stream(
    data: bytes, checksum_cls=CrtCrc32Checksum, name: str = "x-amz-checksum-crc32", chunk_size: int = 64 * 1024
) -> bytes:
    """botocore's own aws-chunked encoder (STREAMING-UNSIGNED-PAYLOAD-TRAILER)."""
    return AwsChunkedWrapper(
        io.BytesIO(data), checksum_cls=checksum_cls, checksum_name=name, chunk_size=chunk_size
    ).read()


def signed_decoder(
    body: bytes,
    *,
    trailers: list[str] | None = None,
    length: int | None = None,
    ctx: AuthContext | None = None,
    reader=None,
) -> ChunkedBodyDecoder:
    mode = PayloadMode.STREAMING_SIGNED_TRAILER if trailers else PayloadMode.STREAMING_SIGNED
    return ChunkedBodyDecoder(
        reader or BytesReader(body),
        ctx or context(mode),
        mode=mode,
        trailer_names=trailers or [],
        decoded_length=length,
    )


def unsigned_decoder(body: bytes, trailers: list[str], length: int | None = None) -> ChunkedBodyDecoder:
    return ChunkedBodyDecoder(
        BytesReader(body),
        None,
        mode=PayloadMode.STREAMING_UNSIGNED_TRAILER,
        trailer_names=trailers,
        decoded_length=length,
    )


@pytest.mark.parametrize("sizes", [[], [1], [10, 0x10000, 3], [100_000] * 5])
async def test_signed_stream_round_trip(sizes: list[int]) -> None:
    chunks = [random.randbytes(size) for size in sizes]
    data = b"".join(chunks)
    decoder = signed_decoder(signed_stream(context(PayloadMode.STREAMING_SIGNED), chunks), length=len(data))
    assert b"".join(await decode(decoder)) == data


async def test_signed_stream_with_another_seed_fails() -> None:
    body = signed_stream(context(PayloadMode.STREAMING_SIGNED, seed="1" * 64), [b"hello"])
    with pytest.raises(AuthError):
        await decode(signed_decoder(body))


async def test_signed_trailer_stream() -> None:
    data = random.randbytes(200_000)
    ctx = context(PayloadMode.STREAMING_SIGNED_TRAILER)
    body = signed_stream(ctx, [data[:65536], data[65536:]], {"x-amz-checksum-crc32": crc32_b64(data)})
    decoder = signed_decoder(body, trailers=["x-amz-checksum-crc32"], length=len(data), ctx=ctx)
    assert await put_body(decoder, "x-amz-checksum-crc32") == data
    assert decoder.trailers == {"x-amz-checksum-crc32": crc32_b64(data)}


async def test_signed_trailer_tampered_value_fails() -> None:
    ctx = context(PayloadMode.STREAMING_SIGNED_TRAILER)
    body = signed_stream(ctx, [b"payload"], {"x-amz-checksum-crc32": crc32_b64(b"payload")})
    body = body.replace(crc32_b64(b"payload").encode(), crc32_b64(b"PAYLOAD").encode())
    with pytest.raises(AuthError) as info:
        await decode(signed_decoder(body, trailers=["x-amz-checksum-crc32"], ctx=ctx))
    assert info.value.code == "SignatureDoesNotMatch"


@pytest.mark.parametrize("signature", ["0" * 64, None])
async def test_signed_trailer_bad_or_missing_signature_fails(signature: str | None) -> None:
    ctx = context(PayloadMode.STREAMING_SIGNED_TRAILER)
    body = signed_stream(
        ctx, [b"payload"], {"x-amz-checksum-crc32": crc32_b64(b"payload")}, trailer_signature=signature
    )
    if signature is None:
        body = body.replace(b"x-amz-trailer-signature:", b"x-amz-other-header:")
    with pytest.raises((AuthError, ChunkedFormatError)):
        await decode(signed_decoder(body, trailers=["x-amz-checksum-crc32"], ctx=ctx))


async def test_signed_trailer_signature_is_chained_to_the_last_chunk() -> None:
    """A trailer lifted from another upload (same key, other data) must not verify."""
    ctx = context(PayloadMode.STREAMING_SIGNED_TRAILER)
    trailers = {"x-amz-checksum-crc32": crc32_b64(b"one")}
    mine = signed_stream(ctx, [b"one"], trailers)
    theirs = signed_stream(ctx, [b"two"], trailers)
    spliced = theirs[: theirs.index(b"x-amz-checksum")] + mine[mine.index(b"x-amz-checksum") :]
    with pytest.raises(AuthError):
        await decode(signed_decoder(spliced, trailers=["x-amz-checksum-crc32"], ctx=ctx))


@pytest.mark.parametrize(
    "checksum_cls,name,alg",
    [
        (CrtCrc32Checksum, "x-amz-checksum-crc32", "CRC32"),
        (CrtCrc64NvmeChecksum, "x-amz-checksum-crc64nvme", "CRC64NVME"),
    ],
)
async def test_unsigned_trailer_stream_from_botocore(checksum_cls, name: str, alg: str) -> None:
    data = random.randbytes(300_000)
    decoder = unsigned_decoder(unsigned_stream(data, checksum_cls, name), [name], len(data))
    assert await put_body(decoder, name) == data
    assert list(decoder.trailers) == [name]


async def test_unsigned_trailer_checksum_mismatch() -> None:
    data = b"the data the client really sent"
    decoder = unsigned_decoder(unsigned_stream(data), ["x-amz-checksum-crc32"])
    with pytest.raises(JunctionError) as info:
        await put_body(decoder, "x-amz-checksum-crc32", declared=b"something else")
    assert info.value.code == "BadDigest"
    assert info.value.message == "The CRC32 you specified did not match the calculated checksum."


async def test_trailer_names_are_lowercased() -> None:
    body = b"3\r\nabc\r\n0\r\nX-Amz-Checksum-CRC32 : " + crc32_b64(b"abc").encode() + b"\r\n\r\n"
    decoder = unsigned_decoder(body, ["x-amz-checksum-crc32"])
    await decode(decoder)
    assert decoder.trailers == {"x-amz-checksum-crc32": crc32_b64(b"abc")}


@pytest.mark.parametrize("kind", ["unsigned", "signed-trailer", "signed"])
async def test_missing_final_crlf_is_tolerated(kind: str) -> None:
    data = b"x" * 1000
    if kind == "unsigned":
        body = unsigned_stream(data)
        decoder = unsigned_decoder(body[:-2], ["x-amz-checksum-crc32"], len(data))
    elif kind == "signed-trailer":
        ctx = context(PayloadMode.STREAMING_SIGNED_TRAILER)
        body = signed_stream(ctx, [data], {"x-amz-checksum-crc32": crc32_b64(data)}, final_crlf=False)
        decoder = signed_decoder(body, trailers=["x-amz-checksum-crc32"], length=len(data), ctx=ctx)
    else:
        body = signed_stream(context(PayloadMode.STREAMING_SIGNED), [data], final_crlf=False)
        decoder = signed_decoder(body, length=len(data))
    assert b"".join(await decode(decoder)) == data


async def test_trailer_line_cut_short_is_incomplete() -> None:
    body = unsigned_stream(b"abc")
    with pytest.raises(ChunkedFormatError) as info:
        await decode(unsigned_decoder(body[:-6], ["x-amz-checksum-crc32"]))
    assert info.value.code == "IncompleteBody"


async def test_declared_trailer_missing() -> None:
    with pytest.raises(ChunkedFormatError) as info:
        await decode(unsigned_decoder(b"3\r\nabc\r\n0\r\n\r\n", ["x-amz-checksum-crc32"]))
    assert info.value.code == "InvalidRequest"


async def test_undeclared_trailer_refused() -> None:
    body = unsigned_stream(b"abc")
    with pytest.raises(ChunkedFormatError) as info:
        await decode(unsigned_decoder(body, ["x-amz-checksum-sha256"]))
    assert info.value.code == "InvalidRequest"


# ------------------------------------------------------------------ framing errors


@pytest.mark.parametrize(
    "body",
    [
        b"zz\r\nabc\r\n0\r\n\r\n",  # not hex
        b"\r\n",  # no size
        b";chunk-signature=abc\r\n",  # no size
        b"-3\r\nabc\r\n0\r\n\r\n",  # signed
        b"0x3\r\nabc\r\n0\r\n\r\n",  # prefixed
        b"3\r\nabcXY0\r\n\r\n",  # no CRLF after the data
        b"3\r\nabc\n0\r\n\r\n",  # half a CRLF
        b"1000001\r\n",  # over 16 MiB, refused before any data
        b"11111111111111111\r\n",  # absurd size
        b"3\r\nabc\r\n0\r\nno colon here\r\n\r\n",  # malformed trailer
        b"3\r\nabc\r\n0\r\n:value\r\n\r\n",  # trailer without a name
        b"3" + b" " * 5000 + b"\r\n",  # header line too long
    ],
    ids=[
        "not-hex",
        "empty",
        "no-size",
        "negative",
        "0x",
        "no-crlf",
        "half-crlf",
        "too-big",
        "absurd",
        "bad-trailer",
        "nameless-trailer",
        "long-line",
    ],
)
async def test_malformed_framing(body: bytes) -> None:
    with pytest.raises(ChunkedFormatError) as info:
        await decode(unsigned_decoder(body, []))
    assert info.value.code == "InvalidRequest"
    assert isinstance(info.value, ValueError)


async def test_header_line_without_newline_at_eof_is_incomplete() -> None:
    with pytest.raises(ChunkedFormatError) as info:
        await decode(unsigned_decoder(b"3\r\nabc\r\n0", []))
    assert info.value.code == "IncompleteBody"


async def test_aiohttp_overlong_line_is_a_format_error() -> None:
    reader = StreamReader(mock.Mock(_reading_paused=False), 1024, loop=asyncio.get_running_loop())
    reader.feed_data(b"3" * 300_000)
    reader.feed_eof()
    decoder = ChunkedBodyDecoder(
        reader, None, mode=PayloadMode.STREAMING_UNSIGNED_TRAILER, trailer_names=[], decoded_length=None
    )
    with pytest.raises(ChunkedFormatError):
        await decode(decoder)


async def test_unknown_chunk_extensions_are_ignored() -> None:
    decoder = unsigned_decoder(b"3;foo=bar;baz\r\nabc\r\n0;x=y\r\n\r\n", [], 3)
    assert b"".join(await decode(decoder)) == b"abc"


async def test_uppercase_hex_sizes() -> None:
    data = b"q" * 0xAB
    decoder = unsigned_decoder(b"AB\r\n" + data + b"\r\n0\r\n\r\n", [], len(data))
    assert b"".join(await decode(decoder)) == data


def test_signed_modes_need_a_context() -> None:
    for mode in (PayloadMode.STREAMING_SIGNED, PayloadMode.STREAMING_SIGNED_TRAILER):
        with pytest.raises(ValueError):
            ChunkedBodyDecoder(BytesReader(b""), None, mode=mode, trailer_names=[], decoded_length=None)


# ------------------------------------------------------------------ big chunks, bounded pieces


@pytest.mark.parametrize("kind", ["signed", "unsigned"])
async def test_five_mib_chunk_is_yielded_in_bounded_pieces(kind: str) -> None:
    data = random.randbytes(5 * MiB)
    if kind == "signed":
        body = signed_stream(context(PayloadMode.STREAMING_SIGNED), [data])
        reader = BytesReader(body)
        decoder = signed_decoder(body, length=len(data), reader=reader)
    else:
        reader = BytesReader(unsigned_stream(data, chunk_size=5 * MiB))
        decoder = ChunkedBodyDecoder(
            reader,
            None,
            mode=PayloadMode.STREAMING_UNSIGNED_TRAILER,
            trailer_names=["x-amz-checksum-crc32"],
            decoded_length=len(data),
        )
    pieces = await decode(decoder)
    assert b"".join(pieces) == data
    assert len(pieces) == 20 and all(len(piece) == PIECE for piece in pieces)
    assert max(reader.reads) <= PIECE  # never asks the transport for more than one piece


async def test_signed_big_chunk_tampered_late_fails_after_yielding() -> None:
    """Pieces go out before the chunk's signature is checked; the error still comes at its end."""
    data = bytearray(random.randbytes(2 * MiB))
    body = bytearray(signed_stream(context(PayloadMode.STREAMING_SIGNED), [bytes(data)]))
    body[body.index(bytes(data[-100:])) + 50] ^= 1
    decoder = signed_decoder(bytes(body), length=len(data))
    received = 0
    with pytest.raises(AuthError):
        async for piece in decoder:
            received += len(piece)
    assert received == len(data)


async def test_chunk_of_exactly_16_mib_is_allowed() -> None:
    data = b"\0" * (16 * MiB)
    body = signed_stream(context(PayloadMode.STREAMING_SIGNED), [data])
    total = 0
    async for piece in signed_decoder(body, length=len(data)):
        total += len(piece)
    assert total == len(data)


async def test_slowly_fed_aiohttp_reader() -> None:
    """A real StreamReader fed in odd fragments while the decoder waits for data."""
    data = random.randbytes(700_000)
    ctx = context(PayloadMode.STREAMING_SIGNED_TRAILER)
    body = signed_stream(ctx, [data[:300_000], data[300_000:]], {"x-amz-checksum-crc32": crc32_b64(data)})
    reader = StreamReader(mock.Mock(_reading_paused=False), 2**16, loop=asyncio.get_running_loop())

    async def feed() -> None:
        rng, at = random.Random(7), 0
        while at < len(body):
            size = rng.choice([1, 2, 3, 50, 4096, 100_000])
            reader.feed_data(body[at : at + size])
            at += size
            await asyncio.sleep(0)
        reader.feed_eof()

    feeder = asyncio.create_task(feed())
    decoder = signed_decoder(body, trailers=["x-amz-checksum-crc32"], length=len(data), ctx=ctx, reader=reader)
    assert b"".join(await decode(decoder)) == data
    assert decoder.trailers["x-amz-checksum-crc32"] == crc32_b64(data)
    await feeder


class FailingReader(BytesReader):
    def __init__(self, error: Exception) -> None:
        super().__init__(b"")
        self._error = error

    async def readline(self) -> bytes:
        raise self._error


async def test_reader_line_limit_error_is_a_format_error() -> None:
    """aiohttp before 3.10 signals an over-long line with ValueError."""
    decoder = ChunkedBodyDecoder(
        FailingReader(ValueError("Chunk too big")),
        None,
        mode=PayloadMode.STREAMING_UNSIGNED_TRAILER,
        trailer_names=[],
        decoded_length=None,
    )
    with pytest.raises(ChunkedFormatError):
        await decode(decoder)


async def test_connection_errors_propagate_unchanged() -> None:
    decoder = ChunkedBodyDecoder(
        FailingReader(ConnectionResetError("peer went away")),
        None,
        mode=PayloadMode.STREAMING_UNSIGNED_TRAILER,
        trailer_names=[],
        decoded_length=None,
    )
    with pytest.raises(ConnectionResetError):
        await decode(decoder)
