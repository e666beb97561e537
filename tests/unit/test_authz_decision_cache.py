"""The Authorizer remembers decisions, keyed by everything a decision reads: the caller's
identity object and the bucket's access object (both replaced whenever anything about them
changes), the action, the resource, the object's ACL, and the values of exactly the request
context keys the policies refer to (conditions and policy variables). A cached decision must
never answer a request whose inputs differ; a repeated request must not be evaluated again."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.core import authz
from gateway.core.authz import OBJECT_WRITER, Authorizer, BucketAccess, Identity, ObjectAccess
from gateway.core.iam.acl import Grant
from gateway.core.iam.policy import Caller, Policy, parse_policy
from gateway.domain.models import Bucket

A = "111111111111"
BUCKET = Bucket(id=1, name="photos", owner="owner", created=0.0)
READ_ONLY = parse_policy(json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}))


def bucket_policy(*statements: dict[str, Any]) -> Policy:
    return parse_policy(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}), bucket="photos")


def statement(effect: str, condition: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "Effect": effect,
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::photos/*",
        **fields,
    }
    if condition is not None:
        found["Condition"] = condition
    return found


class Source:
    def __init__(self, access: BucketAccess) -> None:
        self.access = access

    async def bucket_access(self, bucket: Bucket) -> BucketAccess:
        return self.access


def access(policy: Policy | None = None, **fields: Any) -> BucketAccess:
    return BucketAccess(owner_account=A, owner_canonical="a" * 64, policy=policy, **fields)


def user(*policies: Policy, name: str = "alice") -> Identity:
    return Identity(Caller(A, name, "a" * 64), f"AK{name}", policies)


async def get(
    authorizer: Authorizer, identity: Identity, key: str = "k", obj: ObjectAccess | None = None, **context: str
) -> bool:
    values = {name.replace("_", ":", 1).replace("_", "-"): (value,) for name, value in context.items()}
    return await authorizer.allowed(identity, "s3:GetObject", bucket=BUCKET, key=key, obj=obj, context=values)


async def test_a_repeated_request_is_not_evaluated_again() -> None:
    authorizer = Authorizer(Source(access(bucket_policy(statement("Deny", Action="s3:DeleteObject")))))
    alice = user(READ_ONLY)
    assert await get(authorizer, alice, aws_sourceip="10.0.0.1")
    evaluated = authorizer.evaluations
    assert await get(authorizer, alice, aws_sourceip="10.0.0.1")
    assert await get(authorizer, alice, aws_sourceip="10.0.0.2")  # no policy names the address
    assert await get(authorizer, alice, aws_sourceip="10.0.0.1", aws_useragent="curl")
    assert authorizer.evaluations == evaluated
    assert not await authorizer.allowed(alice, "s3:DeleteObject", bucket=BUCKET, key="k")  # another question
    assert authorizer.evaluations == evaluated + 1


async def test_another_source_address_is_decided_afresh() -> None:
    allow_lan = statement("Allow", {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    authorizer = Authorizer(Source(access(bucket_policy(allow_lan))))
    alice = user()  # no identity policy: the bucket policy alone decides
    assert await get(authorizer, alice, aws_sourceip="10.1.2.3")
    assert not await get(authorizer, alice, aws_sourceip="192.168.1.1")
    assert await get(authorizer, alice, aws_sourceip="10.1.2.3")
    assert not await get(authorizer, alice)  # no address at all
    assert not await get(authorizer, alice, aws_sourceip="192.168.1.1")


async def test_secure_transport_is_decided_per_request() -> None:
    deny_plain = statement("Deny", {"Bool": {"aws:SecureTransport": "false"}})
    authorizer = Authorizer(Source(access(bucket_policy(deny_plain))))
    alice = user(READ_ONLY)
    assert await get(authorizer, alice, aws_securetransport="true")
    assert not await get(authorizer, alice, aws_securetransport="false")
    assert await get(authorizer, alice, aws_securetransport="true")


@pytest.mark.parametrize(
    "condition",
    [
        {"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
        {"NumericGreaterThan": {"aws:EpochTime": str(int(datetime(2030, 1, 1, tzinfo=UTC).timestamp()))}},
    ],
)
async def test_a_time_condition_applies_from_its_boundary_on(
    condition: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    authorizer = Authorizer(Source(access(bucket_policy(statement("Deny", condition)))))
    alice = user(READ_ONLY)
    boundary = datetime(2030, 1, 1, tzinfo=UTC).timestamp()
    for now, expected in ((boundary - 1.5, True), (boundary - 0.2, True), (boundary + 0.4, True)):
        monkeypatch.setattr(authz.time, "time", lambda now=now: now)
        assert await get(authorizer, alice) is expected, now  # the boundary second itself is not after it
    monkeypatch.setattr(authz.time, "time", lambda: boundary + 1.0)
    assert not await get(authorizer, alice)
    monkeypatch.setattr(authz.time, "time", lambda: boundary + 3600)
    assert not await get(authorizer, alice)


async def test_changed_identity_or_bucket_settings_are_decided_afresh() -> None:
    source = Source(access())
    authorizer = Authorizer(source)
    assert await get(authorizer, user(READ_ONLY))
    assert not await get(authorizer, user())  # the same user once the policy is detached: a new identity
    alice = user(READ_ONLY)
    assert await get(authorizer, alice)
    source.access = access(bucket_policy(statement("Deny")))  # a bucket policy arrived: new settings
    assert not await get(authorizer, alice)
    source.access = access()
    assert await get(authorizer, alice)


async def test_request_keys_and_policy_variables_are_part_of_the_question() -> None:
    home = statement("Allow", {"StringLike": {"s3:prefix": "home/${aws:username}/*"}}, Action="s3:ListBucket")
    home["Resource"] = "arn:aws:s3:::photos"
    authorizer = Authorizer(Source(access(bucket_policy(home))))
    alice, bob = user(name="alice"), user(name="bob")

    async def listing(identity: Identity, prefix: str) -> bool:
        context = {"s3:prefix": (prefix,)}
        return await authorizer.allowed(identity, "s3:ListBucket", bucket=BUCKET, context=context)

    assert await listing(alice, "home/alice/x")
    assert not await listing(alice, "home/bob/x")
    assert await listing(bob, "home/bob/x")
    assert not await listing(bob, "home/alice/x")
    assert await listing(alice, "home/alice/x")


async def test_object_tags_are_part_of_the_question() -> None:
    tagged = statement("Allow", {"StringEquals": {"s3:ExistingObjectTag/class": "public"}})
    authorizer = Authorizer(Source(access(bucket_policy(tagged))))
    alice = user()
    assert await get(authorizer, alice, **{"s3_existingobjecttag/class": "public"})
    assert not await get(authorizer, alice, **{"s3_existingobjecttag/class": "secret"})
    assert not await get(authorizer, alice)


async def test_the_object_acl_is_part_of_the_question() -> None:
    authorizer = Authorizer(Source(access(ownership=OBJECT_WRITER)))
    bob = Identity(Caller("222222222222", None, "b" * 64), "AKbob")
    private = ObjectAccess("a" * 64, (Grant("a" * 64, "FULL_CONTROL"),))
    shared = ObjectAccess("a" * 64, (Grant("a" * 64, "FULL_CONTROL"), Grant("b" * 64, "READ")))
    assert not await get(authorizer, bob, obj=private)
    assert await get(authorizer, bob, obj=shared)
    assert not await get(authorizer, bob, obj=private)
    assert not await get(authorizer, bob)


async def test_account_level_actions_are_cached_per_identity() -> None:
    authorizer = Authorizer(Source(access()))
    lister = user(parse_policy(json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:List*", "Resource": "*"}]})))
    assert await authorizer.allowed(lister, "s3:ListAllMyBuckets")
    assert not await authorizer.allowed(user(), "s3:ListAllMyBuckets")
    assert not await authorizer.allowed(lister, "s3:CreateBucket")
    evaluated = authorizer.evaluations
    assert await authorizer.allowed(lister, "s3:ListAllMyBuckets")
    assert authorizer.evaluations == evaluated


def test_a_policy_knows_the_context_keys_it_reads() -> None:
    policy = bucket_policy(
        statement("Allow", {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        statement("Deny", {"StringNotEquals": {"s3:x-amz-acl": "${aws:userid}"}}, Sid="b"),
        statement("Allow", Resource="arn:aws:s3:::photos/${aws:username}/${s3:prefix,'none'}/*", Sid="c"),
    )
    assert policy.references == {"aws:sourceip", "s3:x-amz-acl", "aws:userid", "aws:username", "s3:prefix"}
    assert READ_ONLY.references == frozenset()


async def test_objects_a_policy_cannot_tell_apart_share_one_decision() -> None:
    authorizer = Authorizer(Source(access(bucket_policy(statement("Deny", Action="s3:DeleteObject")))))
    alice = user(READ_ONLY)
    assert await get(authorizer, alice, key="a")
    evaluated = authorizer.evaluations
    assert await get(authorizer, alice, key="b/c")  # "*" and "photos/*" match every key alike
    assert authorizer.evaluations == evaluated


async def test_objects_a_policy_tells_apart_are_decided_apart() -> None:
    public = statement("Allow", Resource="arn:aws:s3:::photos/public/*")
    authorizer = Authorizer(Source(access(bucket_policy(public))))
    alice = user()
    assert await get(authorizer, alice, key="public/a")
    assert not await get(authorizer, alice, key="private/a")
    assert await get(authorizer, alice, key="public/b")
    assert not await get(authorizer, alice, key="publicity")
    deny_one = statement("Deny", Resource="arn:aws:s3:::photos/secret", Sid="one")
    authorizer = Authorizer(Source(access(bucket_policy(statement("Allow"), deny_one))))
    assert await get(authorizer, alice, key="open")
    assert not await get(authorizer, alice, key="secret")
    assert await get(authorizer, alice, key="secrets")
    home = statement("Allow", Resource="arn:aws:s3:::photos/home/${aws:username}/*")
    authorizer = Authorizer(Source(access(bucket_policy(home))))
    assert await get(authorizer, alice, key="home/alice/x")
    assert not await get(authorizer, alice, key="home/bob/x")


BUCKET_PARTS = ["photos", "pho", "photos2", "other", "", "*", "pho*", "?hotos", "photo?"]
KEY_PARTS = ["a", "b", "/", "*", "?", "${aws:username}"]
patterns = st.one_of(
    st.just("*"),
    st.builds(
        lambda bucket, slash, tail: f"arn:aws:s3:::{bucket}{slash}{''.join(tail)}",
        st.sampled_from(BUCKET_PARTS),
        st.sampled_from(["", "/"]),
        st.lists(st.sampled_from(KEY_PARTS), max_size=4),
    ),
)
statements = st.tuples(
    st.sampled_from(["Allow", "Deny"]), st.sampled_from(["Resource", "NotResource"]), st.lists(patterns, min_size=1)
)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(statements, min_size=1, max_size=3),
    st.lists(st.text(alphabet="ab/", max_size=4), min_size=1, max_size=8),
)
def test_remembered_decisions_equal_fresh_ones(chosen: list[tuple[str, str, list[str]]], keys: list[str]) -> None:
    """Whatever the resource patterns, a decision answered from memory is the one a fresh
    evaluation gives (for objects a pattern cannot tell apart, and for those it can)."""
    document = {
        "Statement": [
            {"Effect": effect, "Action": "s3:GetObject", field: resources} for effect, field, resources in chosen
        ]
    }
    source = Source(access())
    alice = user(parse_policy(json.dumps(document)), name="a")
    remembering = Authorizer(source)

    async def compare() -> None:
        for key in keys + keys[::-1]:
            assert await get(remembering, alice, key=key) == await get(Authorizer(source), alice, key=key), key

    asyncio.run(compare())
