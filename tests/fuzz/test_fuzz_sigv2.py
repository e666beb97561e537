"""Fuzzing SigV2 (header and presigned query): verifies or raises AuthError, never more."""

from __future__ import annotations

from datetime import UTC, datetime

from fuzz_support import any_of, expect_typed, hostile_text, lookup_for, run
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict

from gateway.auth import sigv2
from gateway.auth.types import SignedRequest

KEY, SECRET = "AKIDFUZZ", "fuzz/secret+KEY"
NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
LOOKUP = lookup_for({KEY: SECRET})


def plausible_or_hostile(*good: str) -> st.SearchStrategy[str]:
    return st.one_of(any_of(*good), hostile_text)


@st.composite
def v2_request(draw: st.DrawFn) -> SignedRequest:
    headers: CIMultiDict[str] = CIMultiDict()
    query = draw(st.lists(st.tuples(plausible_or_hostile("acl", "uploads", "versionId"), hostile_text), max_size=2))
    if draw(st.booleans()):
        key = draw(plausible_or_hostile(KEY, "UNKNOWN"))
        headers["Authorization"] = "AWS " + key + draw(any_of(":", "", "::")) + draw(hostile_text)
    else:
        for name, good in (("AWSAccessKeyId", KEY), ("Signature", "AAAA"), ("Expires", "1767268800")):
            if draw(st.integers(0, 4)):
                query.append((name, draw(plausible_or_hostile(good, "99999999999999", "\u00b2", "-1"))))
    for name, good in (
        ("Date", "Thu, 01 Jan 2026 12:00:00 GMT"),
        ("x-amz-date", "20260101T120000Z"),
        ("Content-Type", "text/plain"),
        ("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="),
        ("x-amz-meta-a", "v"),
    ):
        if draw(st.booleans()):
            headers[name] = draw(plausible_or_hostile(good, "Mon, 01 Jan 0001 00:00:00 +0100"))
    path = draw(st.one_of(any_of("/", "/b", "/b/k", "/b/%FF"), hostile_text.map(lambda t: "/" + t)))
    return SignedRequest(method=draw(any_of("GET", "PUT")), raw_path=path, query=query, headers=headers)


@given(req=v2_request(), prefix=any_of("", "/bucket"))
def test_sigv2_request(req, prefix):
    if not sigv2.is_v2(req):
        return
    expect_typed(lambda: run(sigv2.verify(req, LOOKUP, bucket_prefix=prefix, now=NOW)))


@given(host=hostile_text, domain=any_of("", "s3.example", hostile_text))
def test_virtual_host_prefix(host, domain):
    sigv2.virtual_host_prefix(host, domain if isinstance(domain, str) else "")
