"""Fuzzing the POST policy: the base64 JSON document, its conditions against a form, and the
signature fields — typed errors only (InvalidPolicyDocument, AccessDenied, ...)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from fuzz_support import any_of, expect_typed, hostile_text, json_values, lookup_for, run
from hypothesis import given
from hypothesis import strategies as st

from gateway.s3.post_policy import check_form, check_length, parse_policy, verify_signature

KEY, SECRET = "AKIDFUZZ", "fuzz/secret+KEY"
LOOKUP = lookup_for({KEY: SECRET})
NOW = datetime(2026, 1, 1, tzinfo=UTC)
FIELDS = ["key", "bucket", "acl", "content-type", "x-amz-meta-a", "success_action_status", "$key", "tagging"]

condition = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), json_values, max_size=2),
    st.tuples(
        st.sampled_from(["eq", "starts-with", "EQ", "in"]), st.sampled_from(FIELDS) | hostile_text, json_values
    ).map(list),
    st.tuples(st.just("content-length-range"), json_values, json_values).map(list),
    st.just(["content-length-range", 1e999, 5]),
    json_values,
)
documents = st.fixed_dictionaries(
    {},
    optional={
        "expiration": st.one_of(
            any_of("2999-01-01T00:00:00Z", "2000-01-01T00:00:00.000Z", "9999-12-31T23:59:59+14:00"),
            hostile_text,
            json_values,
        ),
        "conditions": st.one_of(st.lists(condition, max_size=5), json_values),
    },
)


@st.composite
def encoded_policies(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(hostile_text)
    if kind == 1:
        return base64.b64encode(draw(st.binary(max_size=200))).decode()
    if kind == 2:
        depth = draw(st.integers(900, 5000))
        return base64.b64encode(b"[" * depth + b"]" * depth).decode()
    return base64.b64encode(json.dumps(draw(documents)).encode()).decode()


@given(
    encoded=encoded_policies(),
    form=st.dictionaries(st.sampled_from(FIELDS) | hostile_text, hostile_text, max_size=4),
    size=st.integers(0, 10**7),
)
def test_policy_document_and_form(encoded, form, size):
    policy = expect_typed(lambda: parse_policy(encoded))
    if isinstance(policy, BaseException):
        return
    expect_typed(lambda: check_form(policy, form, bucket="b", now=NOW))
    expect_typed(lambda: check_length(policy, size, final=True))


SIGNATURE_FIELDS = {
    "policy": "e30=",
    "x-amz-algorithm": "AWS4-HMAC-SHA256",
    "x-amz-credential": f"{KEY}/20260101/us-east-1/s3/aws4_request",
    "x-amz-date": "20260101T000000Z",
    "x-amz-signature": "0" * 64,
    "awsaccesskeyid": KEY,
    "signature": "AAAA",
}


@given(
    present=st.lists(st.sampled_from(sorted(SIGNATURE_FIELDS)), unique=True),
    hostile=st.dictionaries(st.sampled_from(sorted(SIGNATURE_FIELDS)), hostile_text, max_size=3),
)
def test_signature_fields(present, hostile):
    fields = {name: SIGNATURE_FIELDS[name] for name in present} | hostile
    expect_typed(lambda: run(verify_signature(fields, LOOKUP)))
