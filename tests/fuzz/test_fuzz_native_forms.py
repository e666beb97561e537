"""Fuzzing the native API's streamed multipart/form-data reader (gateway/native/forms.py) the
way an upload drives it — info part, file parts, finish — over aiohttp's StreamReader:
a body is read or refused with a typed error (MalformedPOSTRequest, InvalidArgument, ...)."""

from __future__ import annotations

import asyncio
import json
from unittest import mock

import pytest
from aiohttp import StreamReader
from fuzz_support import TYPED, check_renderable, json_values
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from gateway.native.forms import FormReader

BOUNDARY = "fuzzBOUNDARY"
# aiohttp warns about the broken Content-Disposition headers this fuzzer sends on purpose.
pytestmark = [
    pytest.mark.filterwarnings("ignore::aiohttp.multipart.BadContentDispositionHeader"),
    pytest.mark.filterwarnings("ignore::aiohttp.multipart.BadContentDispositionParam"),
]


def part(name: str, filename: str | None, data: bytes, extra: str = "") -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
    return f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n{extra}\r\n".encode() + data + b"\r\n"


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=300))
    info = draw(st.one_of(json_values.map(lambda v: json.dumps(v).encode()), st.binary(max_size=40)))
    parts = [part(draw(st.sampled_from(["info", "files", "x"])), None, info)]
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(["files", "file", "info", ""]))
        filename = draw(st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["a%2Fb.txt", "%FF", "..%2F"])))
        extra = draw(st.sampled_from(["", "Content-Type: text/plain\r\n", "Content-Transfer-Encoding: base64\r\n"]))
        parts.append(part(name, filename, draw(st.binary(max_size=100)), extra))
    body = bytearray(b"".join(parts) + (f"--{BOUNDARY}--\r\n".encode() if draw(st.booleans()) else b""))
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(body)))
        body[at:at] = draw(st.sampled_from([b"\r\n", b"--", BOUNDARY.encode(), b'"', b"\x00"]))
    return bytes(body)


class UploadRequest:
    """The three things FormReader reads off a web.Request. (make_mocked_request cannot carry
    a header that is not UTF-8, which the server itself does receive.)"""

    def __init__(self, content_type: str, content: StreamReader) -> None:
        self.headers = CIMultiDictProxy(CIMultiDict({"Content-Type": content_type}))
        self.content_type = content_type.partition(";")[0].strip().lower()
        self.content = content


async def upload(body: bytes, content_type: str, feed: int) -> None:
    loop = asyncio.get_running_loop()
    reader = StreamReader(mock.Mock(_reading_paused=False), 2**16, loop=loop)
    for start in range(0, len(body), feed):
        reader.feed_data(body[start : start + feed])
    reader.feed_eof()
    form = FormReader(UploadRequest(content_type, reader))  # type: ignore[arg-type]
    await form.info()
    while (file_part := await form.next_file(("files",))) is not None:
        async for _ in file_part.body:
            pass
    await form.finish()


content_types = st.one_of(
    st.just(f"multipart/form-data; boundary={BOUNDARY}"),
    st.sampled_from(
        ["multipart/form-data", "multipart/form-data; boundary=", "text/plain", f"multipart/mixed; boundary={BOUNDARY}"]
    ),
    st.binary(max_size=40).map(lambda raw: "multipart/form-data; boundary=" + raw.decode("utf-8", "surrogateescape")),
)


@given(body=bodies(), content_type=content_types, feed=st.integers(1, 256))
def test_form_upload(body, content_type, feed):
    try:
        asyncio.run(upload(body, content_type, feed))
    except TYPED as exc:
        check_renderable(exc)
