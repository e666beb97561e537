"""What every fuzz test shares: strategies for hostile input as the server receives it, and
the property itself — a parser either returns or raises one of the project's typed errors,
whose status is a 4xx and whose message renders in every front end's error format."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from hypothesis import strategies as st

from gateway.auth.types import AuthError
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.native.envelope import native_code
from gateway.s3.chunked import ChunkedFormatError
from s3xml.documents import error_document
from s3xml.errors import status_of
from s3xml.xml import MalformedXML

TYPED = (JunctionError, AuthError, ChunkedFormatError, MalformedXML)
T = TypeVar("T")

# Header text exactly as aiohttp hands it over: any bytes, decoded UTF-8 + surrogateescape.
wire_text = st.binary(max_size=80).map(lambda raw: raw.decode("utf-8", "surrogateescape"))
# Text that looks like what the field should hold, with hostile characters mixed in.
near_ascii = st.text(
    alphabet=st.sampled_from("abcXYZ019/=;,: -_.~%+\t\r\n\x00\x7f\xa0\xff\u0661\u00b2\udcff\ufffd"), max_size=40
)
hostile_text = st.one_of(wire_text, near_ascii, st.text(max_size=40))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def expect_typed(outcome: Callable[[], T]) -> T | BaseException:
    """Run `outcome`; return its value, or the typed error it raised after checking it is a
    client error that every front end can render. Anything else propagates (a finding)."""
    try:
        return outcome()
    except TYPED as exc:
        check_renderable(exc)
        return exc


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]


def check_renderable(exc: BaseException) -> None:
    if isinstance(exc, MalformedXML):
        code, message = ErrorCode.MalformedXML, str(exc)
    else:
        code, message = exc.code, getattr(exc, "message", "") or str(exc)  # type: ignore[attr-defined]
    code = ErrorCode(code)
    assert 400 <= status_of(code) < 500, (code, status_of(code))
    assert native_code(code)[1] < 500, code
    error_document(code, message, resource="/b/k", request_id="RID")
    json.dumps({"code": code, "message": message}, ensure_ascii=False).encode("utf-8")


def lookup_for(keys: dict[str, str]) -> Callable[[str], Awaitable[str | None]]:
    """A secret lookup that behaves like Core.secret_for: None for keys no row can hold."""

    async def lookup(access_key: str) -> str | None:
        if not access_key.isprintable():
            return None
        return keys.get(access_key)

    return lookup


def as_sent(text: str) -> bytes:
    """The bytes a client sends for text that may hold the surrogates of non-UTF-8 bytes."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def any_of(*values: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from(values)
