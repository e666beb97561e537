"""Accounts, users and clients for the S3 access-model tests: real CLI and console calls, boto3
clients signed by each (or unsigned, for anonymous requests)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from dataclasses import dataclass

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError
from conftest import ROOT
from test_console_api import call as signed_call


@dataclass
class Principal:
    """One caller: its access key pair (None for anonymous) and the account it belongs to."""

    access_key: str | None
    secret_key: str | None
    canonical_id: str | None = None
    account: str | None = None
    user: str | None = None  # None: the account's root


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def admin_cli(gw, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", "admin", "--data-dir", str(gw.data_dir), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def _printed(out: str, label: str) -> str:
    return out.split(f"{label}: ")[1].split()[0]


def new_account(gw, prefix: str = "acct") -> Principal:
    """An account (through the CLI, as an operator makes one) and its root key."""
    name = unique(prefix)
    made = admin_cli(gw, "create-account", name)
    assert made.returncode == 0, made.stderr
    return Principal(
        _printed(made.stdout, "access key"),
        _printed(made.stdout, "secret key"),
        _printed(made.stdout, "canonical id"),
        name,
    )


def new_user(gw, account: Principal, policies: list[str] | None = None) -> Principal:
    """A user of `account` (through the console API) with a key of its own."""
    name = unique("user")
    query = {"nonce": uuid.uuid4().hex}
    made = signed_call(
        gw, "POST", f"/accounts/{account.account}/users", {"name": name, "policies": policies or []}, query
    )
    assert made.status_code == 201, made.text
    query = {"nonce": uuid.uuid4().hex}
    key = signed_call(gw, "POST", f"/accounts/{account.account}/users/{name}/keys", {}, query).json()
    return Principal(key["access_key"], key["secret_key"], account.canonical_id, account.account, name)


def client(gw, who: Principal | None, **config):
    """A boto3 S3 client signed by `who`, or unsigned when `who` is None or has no key."""
    settings = {"s3": {"addressing_style": "path"}, "retries": {"max_attempts": 1}, **config}
    if who is None or who.access_key is None:
        return boto3.client(
            "s3",
            endpoint_url=gw.url,
            region_name="us-east-1",
            verify=False,
            config=BotoConfig(signature_version=UNSIGNED, **settings),
        )
    return boto3.client(
        "s3",
        endpoint_url=gw.url,
        aws_access_key_id=who.access_key,
        aws_secret_access_key=who.secret_key,
        region_name="us-east-1",
        verify=False,
        config=BotoConfig(**settings),
    )


def code_of(fn, *args, **kwargs) -> tuple[int, str]:
    with pytest.raises(ClientError) as err:
        fn(*args, **kwargs)
    return err.value.response["ResponseMetadata"]["HTTPStatusCode"], err.value.response["Error"]["Code"]


def outcome(fn, *args, **kwargs) -> int:
    """The HTTP status of a call, success or failure."""
    try:
        return fn(*args, **kwargs)["ResponseMetadata"]["HTTPStatusCode"]
    except ClientError as exc:
        return exc.response["ResponseMetadata"]["HTTPStatusCode"]
