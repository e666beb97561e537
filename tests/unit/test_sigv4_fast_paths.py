"""The short cuts of the signature check's hot path give exactly what the general code gives.

`uri_encode`, `canonical_uri`, `decode_uri_component`, `query_value` and the presigned
parameters skip work for plain ASCII text (no '%', only unreserved characters): each is
checked here against the general form it replaces, on the plain text the short cut takes
and on text that must take the long way (reserved characters, %XX, non-ASCII, surrogates).
"""

from __future__ import annotations

from urllib.parse import quote, unquote_to_bytes

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.auth.claims import query_value
from gateway.auth.presign import presigned_params
from gateway.auth.sigv2 import is_v2
from gateway.auth.sigv4 import canonical_uri, uri_encode
from gateway.auth.types import SignedRequest
from gateway.auth.wire import wire_bytes
from gateway.domain.errors import JunctionError
from gateway.domain.text import decode_uri_component

PLAIN = ["", "a", "bench", "000001", "X-Amz-Algorithm", "AWS4-HMAC-SHA256", "a.b_c~d-e", "20261130T160300Z"]
AWKWARD = ["a b", "a+b", "a/b", "a=b", "%41", "%zz", "é", "日本", "\udcff", "a%2Fb", "~.~", "*", "%", "a\x00"]
TEXT = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from("%+/=~.-_ \udcff"), max_size=20)


def reference_uri_encode(value: str | bytes) -> str:
    return quote(wire_bytes(value) if isinstance(value, str) else value, safe="-_.~")


def reference_canonical_uri(raw_path: str) -> str:
    segments = raw_path.split("/")
    return "/".join(reference_uri_encode(unquote_to_bytes(wire_bytes(s))) for s in segments) or "/"


def reference_decode(text: str) -> str | None:
    try:
        return unquote_to_bytes(text.encode("utf-8", "surrogateescape")).decode("utf-8")
    except UnicodeError:
        return None


def decoded_or_none(text: str) -> str | None:
    try:
        return decode_uri_component(text)
    except JunctionError:
        return None


@pytest.mark.parametrize("text", PLAIN + AWKWARD)
def test_uri_encode_matches_quote(text: str) -> None:
    assert uri_encode(text) == reference_uri_encode(text)
    assert uri_encode(wire_bytes(text)) == reference_uri_encode(wire_bytes(text))


@given(TEXT)
@settings(max_examples=300)
def test_uri_encode_matches_quote_on_any_text(text: str) -> None:
    assert uri_encode(text) == reference_uri_encode(text)


@pytest.mark.parametrize(
    "path", ["/", "", "/bench/small/000001", "//a//", "/a b/%41/c", "/bucket/é/%C3%A9", "/%zz/\udcff"]
)
def test_canonical_uri_matches_the_general_form(path: str) -> None:
    assert canonical_uri(path) == reference_canonical_uri(path)


@given(st.lists(TEXT, max_size=5).map("/".join))
@settings(max_examples=300)
def test_canonical_uri_matches_the_general_form_on_any_path(path: str) -> None:
    assert canonical_uri(path) == reference_canonical_uri(path)


@pytest.mark.parametrize("text", PLAIN + AWKWARD + ["%C3%A9", "%FF", "%C3"])
def test_decode_uri_component_matches_the_general_form(text: str) -> None:
    assert decoded_or_none(text) == reference_decode(text)


@given(TEXT)
@settings(max_examples=300)
def test_decode_uri_component_matches_the_general_form_on_any_text(text: str) -> None:
    assert decoded_or_none(text) == reference_decode(text)


def signed(query: list[tuple[str, str]]) -> SignedRequest:
    return SignedRequest(method="GET", raw_path="/b/k", query=query, headers={})


def test_query_value_is_the_first_value_of_the_name() -> None:
    req = signed([("a", "1"), ("X-Amz-Date", "d1"), ("X-Amz-Date", "d2"), ("b", "")])
    assert query_value(req, "X-Amz-Date") == "d1"
    assert query_value(req, "b") == ""
    assert query_value(req, "x-amz-date") is None  # names are case-sensitive
    assert query_value(signed([]), "a") is None


def test_presigned_params_are_the_first_value_of_each_name_or_none() -> None:
    req = signed([("X-Amz-Algorithm", "A"), ("X-Amz-Algorithm", "B"), ("X-Amz-Signature", "")])
    params = presigned_params(req)
    assert params["X-Amz-Algorithm"] == "A"
    assert params["X-Amz-Signature"] == ""
    assert params["X-Amz-Credential"] is None
    assert set(params) == {
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Signature",
    }


def test_is_v2_by_query_or_header() -> None:
    assert is_v2(signed([("AWSAccessKeyId", "k")]))
    assert is_v2(signed([("x", "1"), ("Signature", "s")]))
    assert not is_v2(signed([("X-Amz-Signature", "s")]))
    assert is_v2(SignedRequest(method="GET", raw_path="/", query=[], headers={"Authorization": "AWS k:s"}))
