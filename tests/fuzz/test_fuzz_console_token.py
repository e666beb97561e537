"""Fuzzing the console's token: any Authorization header, Host and query either verifies or
is 401 Unauthorized (JunctionError) — base64 or not, JSON or not, nested, surrogates..."""

from __future__ import annotations

import base64
import json

from fuzz_support import any_of, expect_typed, hostile_text, json_values, lookup_for, run
from hypothesis import given
from hypothesis import strategies as st

from gateway.console import auth

KEY, SECRET = "AKIDFUZZ", "fuzz/secret+KEY"
LOOKUP = lookup_for({KEY: SECRET})
NOW = 1_767_268_800.0


@st.composite
def tokens(draw: st.DrawFn) -> str | None:
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(st.none() | hostile_text)
    if kind == 1:
        return base64.b64encode(draw(st.binary(max_size=120))).decode()
    if kind == 2:
        return base64.b64encode(json.dumps(draw(json_values)).encode()).decode()
    token = {
        "access_key": draw(st.one_of(any_of(KEY, "UNKNOWN"), hostile_text, json_values)),
        "timestamp": draw(st.one_of(any_of(int(NOW), int(NOW) - 400, 10**30, 1e999, True), json_values)),
        "signature": draw(st.one_of(any_of("0" * 64), hostile_text, json_values)),
    }
    if draw(st.booleans()):
        token["version"] = draw(st.one_of(any_of(1, 2, "1"), json_values))
    return base64.b64encode(json.dumps(token).encode()).decode()


class Replays:
    """The store's used-token record, in memory (auth.ReplayGuard)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    async def claim_token(self, signature: str, now: float, expires: float) -> bool:
        fresh = signature not in self.seen
        self.seen.add(signature)
        return fresh


@given(
    header=tokens(),
    method=any_of("GET", "POST", "DELETE"),
    host=hostile_text,
    query=st.lists(st.tuples(hostile_text, hostile_text), max_size=3),
    body=st.binary(max_size=50),
)
def test_token(header, method, host, query, body):
    expect_typed(
        lambda: run(
            auth.verify(
                header,
                method=method,
                path="/api/v1/volumes",
                host=host,
                query=query,
                body=body,
                lookup_secret=LOOKUP,
                replays=Replays(),
                now=NOW,
            )
        )
    )


@given(
    host=hostile_text, query=st.lists(st.tuples(hostile_text, hostile_text), max_size=3), body=st.binary(max_size=50)
)
def test_a_token_signed_over_what_was_sent_verifies(host, query, body):
    message = auth.string_to_sign(int(NOW), "GET", "/api/v1/volumes", host, query, body)
    token = {"access_key": KEY, "timestamp": int(NOW), "signature": auth.sign(SECRET, message), "version": 1}
    header = base64.b64encode(json.dumps(token).encode()).decode()
    found = run(
        auth.verify(
            header,
            method="GET",
            path="/api/v1/volumes",
            host=host,
            query=query,
            body=body,
            lookup_secret=LOOKUP,
            replays=Replays(),
            now=NOW,
        )
    )
    assert found == KEY
