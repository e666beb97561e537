"""Every canned ACL x {bucket owner, another account, another user of the owner's account,
anonymous} x {list, get, put, delete, get-acl}: one table, checked against S3's grants.

Each canned ACL is set on a bucket (ObjectWriter, public access block removed, as a bucket
owner must to use public ACLs) and on an object in it. The owner is an account root (not a
gateway administrator, which the engine never asks); the same-account user has no policy,
so only group grants reach it.
"""

from __future__ import annotations

import pytest
from access_helpers import Principal, client, new_account, new_user, outcome, unique
from conftest import start_gateway, stop_gateway

CANNED = [
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
]
WHO = ["owner", "other-account", "same-account-user", "anonymous"]
OPS = ["list", "get", "put", "delete", "get-acl"]

# What S3's canned ACLs grant (bucket: READ = list, WRITE = put/delete; object: READ = get).
BUCKET_READ = {"public-read": "all", "public-read-write": "all", "authenticated-read": "signed"}
BUCKET_WRITE = {"public-read-write": "all"}
OBJECT_READ = {"public-read": "all", "public-read-write": "all", "authenticated-read": "signed"}


def expected(acl: str, who: str, op: str) -> bool:
    if who == "owner":
        return True
    if op == "get-acl":
        return False  # READ_ACP only ever goes to the owner (and LogDelivery) here
    table = {"list": BUCKET_READ, "put": BUCKET_WRITE, "delete": BUCKET_WRITE, "get": OBJECT_READ}[op]
    grant = table.get(acl)
    return grant == "all" or (grant == "signed" and who != "anonymous")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    gw = start_gateway(tmp_path_factory.mktemp("aclmatrix"))
    owner = new_account(gw, "owner")
    people: dict[str, Principal | None] = {
        "owner": owner,
        "other-account": new_account(gw, "other"),
        "same-account-user": new_user(gw, owner),
        "anonymous": None,
    }
    clients = {who: client(gw, p) for who, p in people.items()}
    buckets = {}
    s3 = clients["owner"]
    for acl in CANNED:
        name = unique("m")
        s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
        s3.delete_public_access_block(Bucket=name)
        s3.put_bucket_acl(Bucket=name, ACL=acl)
        s3.put_object(Bucket=name, Key="obj", Body=b"data", ACL=acl)
        buckets[acl] = name
    yield clients, buckets
    stop_gateway(gw)


def attempt(s3, bucket: str, op: str, who: str) -> int:
    if op == "list":
        return outcome(s3.list_objects_v2, Bucket=bucket)
    if op == "get":
        return outcome(s3.get_object, Bucket=bucket, Key="obj")
    if op == "put":
        return outcome(s3.put_object, Bucket=bucket, Key=f"new-{who}", Body=b"x")
    if op == "delete":
        return outcome(s3.delete_object, Bucket=bucket, Key=f"victim-{who}")
    return outcome(s3.get_object_acl, Bucket=bucket, Key="obj")


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("acl", CANNED)
def test_canned_acl_table(world, acl, who):
    clients, buckets = world
    results = {op: attempt(clients[who], buckets[acl], op, who) for op in OPS}
    wanted = {op: expected(acl, who, op) for op in OPS}
    got = {op: status < 300 for op, status in results.items()}
    assert got == wanted, results
    assert all(status in (200, 204, 403) for status in results.values()), results


def test_get_acl_shows_the_grants_with_owner_and_display_names(world):
    clients, buckets = world
    owner = clients["owner"]
    acl = owner.get_bucket_acl(Bucket=buckets["public-read-write"])
    assert acl["Owner"]["ID"] and acl["Owner"]["DisplayName"].startswith("owner-")
    groups = sorted(
        (g["Grantee"]["URI"].rsplit("/", 1)[1], g["Permission"])
        for g in acl["Grants"]
        if g["Grantee"]["Type"] == "Group"
    )
    assert groups == [("AllUsers", "READ"), ("AllUsers", "WRITE")]
    object_acl = owner.get_object_acl(Bucket=buckets["authenticated-read"], Key="obj")
    assert {
        "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"},
        "Permission": "READ",
    } in object_acl["Grants"]
