"""Fuzzing SigV4: the Authorization header claim, the presigned query, and the whole
verification — any input either verifies or raises AuthError with a 4xx code; and what
botocore signs, with any header values, verifies."""

from __future__ import annotations

from datetime import UTC, datetime

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from fuzz_support import any_of, expect_typed, hostile_text, lookup_for, run
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict

from gateway.auth.sigv4 import verify
from gateway.auth.types import EMPTY_SHA256, SignedRequest

KEY, SECRET = "AKIDFUZZ", "fuzz/secret+KEY"
NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
AMZ_NOW = "20260101T120000Z"
LOOKUP = lookup_for({KEY: SECRET})

plausible_or_hostile = lambda *good: st.one_of(any_of(*good), hostile_text)  # noqa: E731


@st.composite
def authorization(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(hostile_text)
    algorithm = draw(plausible_or_hostile("AWS4-HMAC-SHA256"))
    credential = "/".join(
        [
            draw(plausible_or_hostile(KEY, "UNKNOWN")),
            draw(plausible_or_hostile("20260101", "20251231")),
            draw(plausible_or_hostile("us-east-1", "cn-north-4")),
            draw(plausible_or_hostile("s3", "jcs")),
            draw(plausible_or_hostile("aws4_request")),
        ]
    )
    signed = draw(plausible_or_hostile("host;x-amz-date", "host;x-amz-content-sha256;x-amz-date;x-foo", "host"))
    signature = draw(plausible_or_hostile("0" * 64, "f" * 64))
    separator = draw(any_of(", ", ",", " , ", ";"))
    return f"{algorithm} Credential={credential}{separator}SignedHeaders={signed}{separator}Signature={signature}"


def headers_with(extra: dict[str, str]) -> st.SearchStrategy[CIMultiDict[str]]:
    @st.composite
    def build(draw: st.DrawFn) -> CIMultiDict[str]:
        headers: CIMultiDict[str] = CIMultiDict()
        headers["Host"] = draw(plausible_or_hostile("127.0.0.1:9000", "b.s3.example"))
        if draw(st.booleans()):
            headers["x-amz-date"] = draw(plausible_or_hostile(AMZ_NOW, "20261301T000000Z"))
        if draw(st.booleans()):
            headers["Date"] = draw(
                plausible_or_hostile("Thu, 01 Jan 2026 12:00:00 GMT", "Mon, 01 Jan 0001 00:00:00 +0100")
            )
        if draw(st.booleans()):
            headers["x-amz-content-sha256"] = draw(plausible_or_hostile(EMPTY_SHA256, "UNSIGNED-PAYLOAD"))
        for _ in range(draw(st.integers(0, 2))):
            headers.add(draw(any_of("x-foo", "range", "x-amz-meta-a")), draw(hostile_text))
        for name, value in extra.items():
            headers[name] = value
        return headers

    return build()


raw_paths = st.one_of(any_of("/", "/b/k", "/b/a%20b", "/b/%FF%FE", "/b/a%2"), hostile_text.map(lambda t: "/" + t))
queries = st.lists(st.tuples(hostile_text, hostile_text), max_size=3)


@given(
    auth=authorization(),
    headers=headers_with({}),
    path=raw_paths,
    query=queries,
    service=any_of("s3", "jcs", None),
    body_sha=any_of(None, EMPTY_SHA256),
)
def test_authorization_header(auth, headers, path, query, service, body_sha):
    headers["Authorization"] = auth
    req = SignedRequest(method="GET", raw_path=path, query=query, headers=headers)
    expect_typed(lambda: run(verify(req, LOOKUP, service=service, now=NOW, body_sha256=body_sha)))


@st.composite
def presigned_query(draw: st.DrawFn) -> list[tuple[str, str]]:
    params = {
        "X-Amz-Algorithm": draw(plausible_or_hostile("AWS4-HMAC-SHA256")),
        "X-Amz-Credential": draw(plausible_or_hostile(f"{KEY}/20260101/us-east-1/s3/aws4_request")),
        "X-Amz-Date": draw(plausible_or_hostile(AMZ_NOW)),
        "X-Amz-Expires": draw(plausible_or_hostile("3600", "0", "604801", "99999999999999999999", "\u00b2", "1_0")),
        "X-Amz-SignedHeaders": draw(plausible_or_hostile("host", "host;x-foo")),
        "X-Amz-Signature": draw(plausible_or_hostile("0" * 64)),
    }
    names = draw(st.lists(any_of(*params), unique=True, min_size=1))
    pairs = [(name, params[name]) for name in names]
    return pairs + draw(queries)


@given(query=presigned_query(), headers=headers_with({}), path=raw_paths, service=any_of("s3", "jcs", None))
def test_presigned_query(query, headers, path, service):
    req = SignedRequest(method="GET", raw_path=path, query=query, headers=headers)
    expect_typed(lambda: run(verify(req, LOOKUP, service=service, now=NOW)))


header_values = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30)


@given(values=st.dictionaries(any_of("x-foo", "x-amz-meta-a", "content-type", "range"), header_values, max_size=3))
def test_what_botocore_signs_verifies(values):
    """Any printable-ASCII header value, however spaced, is canonicalised as botocore does."""
    request = AWSRequest(method="GET", url="http://127.0.0.1:9000/v1/bucket/listAll", data=b"", headers=values)
    SigV4Auth(Credentials(KEY, SECRET), "jcs", "us-east-1").add_auth(request)
    headers: CIMultiDict[str] = CIMultiDict(request.headers.items())
    headers["Host"] = "127.0.0.1:9000"
    req = SignedRequest(method="GET", raw_path="/v1/bucket/listAll", query=[], headers=headers)
    amz = datetime.strptime(headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    auth = run(verify(req, LOOKUP, service="jcs", now=amz, body_sha256=EMPTY_SHA256))
    assert auth.access_key == KEY
