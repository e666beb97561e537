"""Policy documents (parse, validate, match) and AWS's decision order across accounts."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.core.iam.acl import ALL_USERS, AUTHENTICATED_USERS, Grant, canned_grants, permits
from gateway.core.iam.conditions import PolicyError
from gateway.core.iam.evaluate import Decision, Request, decide
from gateway.core.iam.policy import ANONYMOUS, Caller, Match, is_public, parse_policy

A, B = "111111111111", "222222222222"
CANON_A, CANON_B = "a" * 64, "b" * 64
ROOT_A = Caller(A, None, CANON_A)
ALICE = Caller(A, "alice", CANON_A)
BOB = Caller(A, "bob", CANON_A)
ROOT_B = Caller(B, None, CANON_B)
CAROL = Caller(B, "carol", CANON_B)


def bucket_policy(*statements: dict, bucket: str = "photos"):
    doc = {"Version": "2012-10-17", "Statement": list(statements)}
    return parse_policy(json.dumps(doc), bucket=bucket, canonical_account={CANON_A: A, CANON_B: B}.get)


def identity_policy(*statements: dict):
    return parse_policy(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))


def req(caller: Caller, action: str, resource: str = "arn:aws:s3:::photos/k", **context: str) -> Request:
    ctx = {k.replace("_", ":", 1).lower(): (v,) for k, v in context.items()}
    if caller.user:
        ctx["aws:username"] = (caller.user,)
    return Request(caller, action, resource, ctx)


READ_ALL = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/*"}


def test_owner_root_needs_nothing_more() -> None:
    assert decide(req(ROOT_A, "s3:DeleteObject"), owner_account=A) is Decision.ALLOW


def test_user_without_policy_is_implicitly_denied() -> None:
    assert decide(req(ALICE, "s3:GetObject"), owner_account=A) is Decision.IMPLICIT_DENY


def test_identity_policy_allows_user_in_own_account() -> None:
    pol = identity_policy({"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::photos/*"})
    assert decide(req(ALICE, "s3:GetObject"), owner_account=A, identity_policies=[pol]) is Decision.ALLOW
    assert decide(req(ALICE, "s3:PutObject"), owner_account=A, identity_policies=[pol]) is Decision.IMPLICIT_DENY
    other = req(ALICE, "s3:GetObject", "arn:aws:s3:::other/k")
    assert decide(other, owner_account=A, identity_policies=[pol]) is Decision.IMPLICIT_DENY


def test_explicit_deny_overrides_allow() -> None:
    allow = identity_policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    deny = bucket_policy(
        {
            "Effect": "Deny",
            "Principal": {"AWS": f"arn:aws:iam::{A}:user/alice"},
            "Action": "s3:DeleteObject",
            "Resource": "arn:aws:s3:::photos/*",
        }
    )
    assert (
        decide(req(ALICE, "s3:DeleteObject"), owner_account=A, identity_policies=[allow], resource_policy=deny)
        is Decision.DENY
    )
    assert (
        decide(req(BOB, "s3:DeleteObject"), owner_account=A, identity_policies=[allow], resource_policy=deny)
        is Decision.ALLOW
    )


def test_deny_beats_owner_root_too() -> None:
    deny = bucket_policy(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::photos/*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
    assert (
        decide(req(ROOT_A, "s3:GetObject", aws_SecureTransport="false"), owner_account=A, resource_policy=deny)
        is Decision.DENY
    )
    assert (
        decide(req(ROOT_A, "s3:GetObject", aws_SecureTransport="true"), owner_account=A, resource_policy=deny)
        is Decision.ALLOW
    )


def test_anonymous_needs_a_public_grant() -> None:
    assert decide(req(ANONYMOUS, "s3:GetObject"), owner_account=A) is Decision.IMPLICIT_DENY
    assert (
        decide(req(ANONYMOUS, "s3:GetObject"), owner_account=A, resource_policy=bucket_policy(READ_ALL))
        is Decision.ALLOW
    )
    acl = permits([Grant(ALL_USERS, "READ")], ANONYMOUS, "s3:GetObject", on_object=True)
    assert decide(req(ANONYMOUS, "s3:GetObject"), owner_account=A, acl=acl) is Decision.ALLOW
    acl = permits([Grant(AUTHENTICATED_USERS, "READ")], ANONYMOUS, "s3:GetObject", on_object=True)
    assert decide(req(ANONYMOUS, "s3:GetObject"), owner_account=A, acl=acl) is Decision.IMPLICIT_DENY


def test_cross_account_needs_both_sides() -> None:
    to_b = bucket_policy(
        {"Effect": "Allow", "Principal": {"AWS": B}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/*"}
    )
    # B's root: its account allows it everything, and the bucket policy delegates to B
    assert decide(req(ROOT_B, "s3:GetObject"), owner_account=A, resource_policy=to_b) is Decision.ALLOW
    # B's user: needs B's own identity policy as well
    assert decide(req(CAROL, "s3:GetObject"), owner_account=A, resource_policy=to_b) is Decision.IMPLICIT_DENY
    carol_may = identity_policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    assert (
        decide(req(CAROL, "s3:GetObject"), owner_account=A, resource_policy=to_b, identity_policies=[carol_may])
        is Decision.ALLOW
    )
    # identity policy alone is not enough across accounts
    assert decide(req(CAROL, "s3:GetObject"), owner_account=A, identity_policies=[carol_may]) is Decision.IMPLICIT_DENY


def test_account_principal_is_a_delegation_within_the_account() -> None:
    to_a = bucket_policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::photos/*",
        }
    )
    assert decide(req(ALICE, "s3:GetObject"), owner_account=A, resource_policy=to_a) is Decision.IMPLICIT_DENY
    to_alice = bucket_policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": [f"arn:aws:iam::{A}:user/alice"]},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::photos/*",
        }
    )
    assert decide(req(ALICE, "s3:GetObject"), owner_account=A, resource_policy=to_alice) is Decision.ALLOW


def test_acl_grant_to_an_account() -> None:
    grants = canned_grants("private", owner=CANON_A) + [Grant(CANON_B, "READ")]
    assert permits(grants, ROOT_B, "s3:GetObject", on_object=True) is Match.DIRECT
    assert permits(grants, CAROL, "s3:GetObject", on_object=True) is Match.ACCOUNT
    assert permits(grants, ROOT_B, "s3:PutObjectAcl", on_object=True) is Match.NONE
    assert decide(req(ROOT_B, "s3:GetObject"), owner_account=A, acl=Match.DIRECT) is Decision.ALLOW
    assert decide(req(CAROL, "s3:GetObject"), owner_account=A, acl=Match.ACCOUNT) is Decision.IMPLICIT_DENY


def test_canned_acls() -> None:
    assert canned_grants("public-read-write", owner=CANON_A) == [
        Grant(CANON_A, "FULL_CONTROL"),
        Grant(ALL_USERS, "READ"),
        Grant(ALL_USERS, "WRITE"),
    ]
    assert canned_grants("bucket-owner-full-control", owner=CANON_B, bucket_owner=CANON_A, on_object=True) == [
        Grant(CANON_B, "FULL_CONTROL"),
        Grant(CANON_A, "FULL_CONTROL"),
    ]
    bucket_write = canned_grants("public-read-write", owner=CANON_A)
    assert permits(bucket_write, ANONYMOUS, "s3:PutObject", on_object=False) is Match.DIRECT
    assert permits(bucket_write, ANONYMOUS, "s3:PutBucketAcl", on_object=False) is Match.NONE


def test_policy_variables_per_user_home() -> None:
    pol = identity_policy(
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": "arn:aws:s3:::home/${aws:username}/*",
        }
    )
    mine = req(ALICE, "s3:PutObject", "arn:aws:s3:::home/alice/notes.txt")
    theirs = req(ALICE, "s3:PutObject", "arn:aws:s3:::home/bob/notes.txt")
    assert decide(mine, owner_account=A, identity_policies=[pol]) is Decision.ALLOW
    assert decide(theirs, owner_account=A, identity_policies=[pol]) is Decision.IMPLICIT_DENY


def test_not_action_not_resource_not_principal() -> None:
    pol = identity_policy({"Effect": "Allow", "NotAction": "s3:Delete*", "NotResource": "arn:aws:s3:::secret/*"})
    assert decide(req(ALICE, "s3:GetObject"), owner_account=A, identity_policies=[pol]) is Decision.ALLOW
    assert decide(req(ALICE, "s3:DeleteObject"), owner_account=A, identity_policies=[pol]) is Decision.IMPLICIT_DENY
    assert (
        decide(req(ALICE, "s3:GetObject", "arn:aws:s3:::secret/x"), owner_account=A, identity_policies=[pol])
        is Decision.IMPLICIT_DENY
    )
    deny_others = bucket_policy(
        {
            "Effect": "Deny",
            "NotPrincipal": {"AWS": f"arn:aws:iam::{A}:user/alice"},
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::photos/*",
        }
    )
    allow = identity_policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    assert (
        decide(req(BOB, "s3:GetObject"), owner_account=A, identity_policies=[allow], resource_policy=deny_others)
        is Decision.DENY
    )
    assert (
        decide(req(ALICE, "s3:GetObject"), owner_account=A, identity_policies=[allow], resource_policy=deny_others)
        is Decision.ALLOW
    )


def test_not_principal_naming_an_account_spares_its_root_only() -> None:
    """AWS: a Deny with NotPrincipal spares exactly the principals named; naming the account's
    root ARN spares the root, not the account's users (name them too, as AWS's example does)."""
    deny_others = bucket_policy(
        {
            "Effect": "Deny",
            "NotPrincipal": {"AWS": [f"arn:aws:iam::{A}:root", f"arn:aws:iam::{A}:user/alice"]},
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::photos/*",
        }
    )
    allow = identity_policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    outcomes = {
        who: decide(
            req(caller, "s3:GetObject"), owner_account=A, identity_policies=[allow], resource_policy=deny_others
        )
        for who, caller in (("root", ROOT_A), ("alice", ALICE), ("bob", BOB), ("other", ROOT_B))
    }
    assert outcomes == {
        "root": Decision.ALLOW,
        "alice": Decision.ALLOW,
        "bob": Decision.DENY,
        "other": Decision.DENY,
    }


GOOD = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/*"}


def _doc(**changes: object) -> str:
    statement = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


CONDITION_BOGUS = {"StringEquals": {"s3:bogus": "x"}}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("not json", "first byte must be"),
        ("{", "invalid Json"),
        ('{"Version": "2012-10-17"}', "Missing required field Statement"),
        ('{"Version": "2013-01-01", "Statement": []}', "valid version"),
        (_doc(Principal=None), "Missing required field Principal"),
        (_doc(Effect=None), "Missing required field Effect"),
        (_doc(Effect="Maybe"), "Invalid effect"),
        (_doc(Action="s3:GetObjekt"), "invalid action"),
        (_doc(Resource="arn:aws:s3:::other/*"), "invalid resource"),
        (_doc(Resource=None), "Missing required field Resource"),
        (_doc(Principal={"AWS": "nobody"}), "Invalid principal"),
        (_doc(Principal={"AWS": "333333333333"}), "Invalid principal"),
        (_doc(Principal={"Service": "x"}), "Invalid principal"),
        (_doc(Condition=CONDITION_BOGUS), "invalid condition key"),
        (_doc(Extra=1), "Unknown field Extra"),
        (json.dumps({"Statement": [dict(GOOD, Sid="x"), dict(GOOD, Sid="x")]}), "unique"),
    ],
)
def test_malformed_bucket_policies(document: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy(document, bucket="photos", account_exists=lambda a: a == A)


def test_identity_policies_name_no_principal() -> None:
    with pytest.raises(PolicyError, match="should not specify a principal"):
        identity_policy({"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"})


def test_unknown_accounts_and_users_are_refused() -> None:
    doc = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{A}:user/ghost"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::photos/*",
            }
        ]
    }
    with pytest.raises(PolicyError, match="Invalid principal"):
        parse_policy(json.dumps(doc), bucket="photos", user_exists=lambda arn: arn.endswith("/alice"))


def test_public_policy_detection() -> None:
    assert is_public(bucket_policy(READ_ALL))
    narrowed = dict(READ_ALL, Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    assert not is_public(bucket_policy(narrowed))
    wide = dict(READ_ALL, Condition={"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}})
    assert is_public(bucket_policy(wide))
    assert not is_public(bucket_policy(dict(READ_ALL, Principal={"AWS": B})))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
statement_keys = st.sampled_from(
    ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"]
)


@settings(deadline=None)  # parsing is fast; a busy machine must not fail the property
@given(
    st.dictionaries(
        statement_keys,
        json_values | st.sampled_from(["Allow", "*", "s3:GetObject", "arn:aws:s3:::photos/*"]),
        max_size=6,
    )
)
def test_any_statement_parses_or_is_malformed(statement: dict) -> None:
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    try:
        policy = parse_policy(document, bucket="photos")
    except PolicyError:
        return
    for caller in (ANONYMOUS, ROOT_A, ALICE):
        decide(req(caller, "s3:GetObject"), owner_account=A, resource_policy=policy)
