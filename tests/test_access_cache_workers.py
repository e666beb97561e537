"""Bucket access settings (policy, ACL, public access block) and identities are compiled once per
process and cached (gateway/core/access_control.py, gateway/core/identity.py); a change made
through one worker must decide the very next request on every worker."""

from __future__ import annotations

import json

from access_helpers import client, new_account, new_user, outcome, unique
from conftest import start_gateway, stop_gateway


def test_access_changes_apply_at_once_on_every_worker(tmp_path):
    gw = start_gateway(tmp_path, "--workers", "2")
    try:
        owner = new_account(gw, "owner")
        reader = new_user(gw, owner, ["read-only"])
        owners = [client(gw, owner) for _ in range(4)]  # separate connection pools: spread over the workers
        anons = [client(gw, None) for _ in range(6)]
        readers = [client(gw, reader) for _ in range(6)]
        name = unique("w")
        owners[0].create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
        owners[0].put_object(Bucket=name, Key="k", Body=b"v")

        def anonymous_gets() -> set[int]:
            return {outcome(a.get_object, Bucket=name, Key="k") for a in anons * 2}

        def reader_gets() -> set[int]:
            return {outcome(r.get_object, Bucket=name, Key="k") for r in readers * 2}

        assert anonymous_gets() == {403} and reader_gets() == {200}  # every worker has it cached now
        owners[1].delete_public_access_block(Bucket=name)
        statement = {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{name}/*",
        }
        owners[2].put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
        assert anonymous_gets() == {200}
        owners[3].delete_bucket_policy(Bucket=name)
        assert anonymous_gets() == {403}
        owners[0].put_object_acl(Bucket=name, Key="k", ACL="public-read")
        assert anonymous_gets() == {200}
        owners[1].put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
        assert anonymous_gets() == {403}
        deny = {**statement, "Effect": "Deny"}
        owners[2].put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]}))
        assert reader_gets() == {403}
        owners[3].delete_bucket_policy(Bucket=name)
        assert reader_gets() == {200}
    finally:
        stop_gateway(gw)
