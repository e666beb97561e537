"""`junction admin` commands for accounts, users, keys and policies.

They write the data dir's SQLite file directly and then bump `<data dir>/access.gen`, so a
running gateway (every worker) applies the change to its next request.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .core.accounts import AccountService
from .core.authz import Authorizer
from .core.identity import IdentityService, OwnerAccess
from .domain.errors import JunctionError
from .meta.store import MetaStore

COMMANDS = {
    "create-account",
    "list-accounts",
    "delete-account",
    "disable-account",
    "enable-account",
    "create-user",
    "list-users",
    "delete-user",
    "disable-user",
    "enable-user",
    "disable-key",
    "enable-key",
    "create-policy",
    "attach-policy",
    "detach-policy",
}


def add_commands(sub: Any) -> None:
    """The identity subcommands (`sub` is the admin parser's subparsers)."""
    account = sub.add_parser("create-account", help="create an account and its root key (the secret is shown once)")
    account.add_argument("name")
    _key_options(account)
    sub.add_parser("list-accounts", help="list accounts")
    for verb in ("delete", "disable", "enable"):
        parser = sub.add_parser(f"{verb}-account", help=f"{verb} an account (by id or name)")
        parser.add_argument("account")
    user = sub.add_parser("create-user", help="create a user and a key for it (the secret is shown once)")
    user.add_argument("name")
    user.add_argument("--account", required=True, help="account id or name")
    _key_options(user)
    user.add_argument("--password", help="for the web console (stored as an scrypt hash)")
    user.add_argument("--policy", type=Path, help="a JSON identity policy file, attached as the user's inline policy")
    user.add_argument(
        "--attach", action="append", default=[], help="a built-in (admin, read-write, read-only) or managed policy"
    )
    users = sub.add_parser("list-users", help="list an account's users")
    users.add_argument("--account", required=True)
    for verb in ("delete", "disable", "enable"):
        parser = sub.add_parser(f"{verb}-user", help=f"{verb} a user")
        parser.add_argument("name")
        parser.add_argument("--account", required=True)
    for verb in ("disable", "enable"):
        parser = sub.add_parser(f"{verb}-key", help=f"make a key {'Inactive' if verb == 'disable' else 'Active'}")
        parser.add_argument("access_key")
    policy = sub.add_parser("create-policy", help="create a managed policy of an account from a JSON file")
    policy.add_argument("name")
    policy.add_argument("file", type=Path)
    policy.add_argument("--account", required=True)
    for verb, preposition in (("attach", "to"), ("detach", "from")):
        parser = sub.add_parser(f"{verb}-policy", help=f"{verb} a policy {preposition} a user")
        parser.add_argument("policy")
        parser.add_argument("--user", required=True)
        parser.add_argument("--account", required=True)


def add_key_options(create_key: argparse.ArgumentParser, list_keys: argparse.ArgumentParser) -> None:
    """`create-key` / `list-keys` make and list admin keys, or an account's or user's keys."""
    for parser in (create_key, list_keys):
        parser.add_argument("--account", help="an account id or name (default: admin keys)")
        parser.add_argument("--user", help="a user of --account")
    _key_options(create_key)


def _key_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--access-key", help="choose the access key (default: generated)")
    parser.add_argument("--secret-key", help="choose the secret key (default: generated)")


def service(store: MetaStore, data_dir: Path) -> tuple[AccountService, IdentityService]:
    identities = IdentityService(store, data_dir)
    return AccountService(store, identities, Authorizer(OwnerAccess(identities))), identities


async def run(args: argparse.Namespace, store: MetaStore, data_dir: Path) -> int:
    """Run one identity command; a JunctionError is the operator's mistake: message, exit 1."""
    accounts, _identities = service(store, data_dir)
    try:
        return await _dispatch(args, accounts)
    except JunctionError as exc:
        print(f"{exc.code}: {exc.text}", file=sys.stderr)
        return 1


async def _account_id(accounts: AccountService, ref: str) -> str:
    return str((await accounts.account(ref))["id"])


async def _dispatch(args: argparse.Namespace, accounts: AccountService) -> int:
    action = args.action
    if action == "create-account":
        made = await accounts.create_account(args.name, args.access_key, args.secret_key)
        print(f"account: {made['id']} ({made['name']})")
        print(
            f"access key: {made['access_key']}\nsecret key: {made['secret_key']}\ncanonical id: {made['canonical_id']}"
        )
    elif action == "list-accounts":
        for row in await accounts.visible_accounts(_ADMIN):
            state = "disabled" if row["disabled"] else "active"
            print(f"{row['id']}\t{row['name']}\t{state}\t{row['canonical_id']}\t{_when(row['created'])}")
    elif action in ("delete-account", "disable-account", "enable-account"):
        account_id = await _account_id(accounts, args.account)
        if action == "delete-account":
            await accounts.delete_account(account_id)
        else:
            await accounts.set_account_disabled(account_id, action == "disable-account")
        print(f"{action.split('-')[0]}d account {args.account}")
    elif action == "create-user":
        account_id = await _account_id(accounts, args.account)
        document = args.policy.read_text() if args.policy else None
        user = await accounts.create_user(
            account_id, args.name, password=args.password, policies=args.attach, document=document
        )
        try:
            key = await accounts.create_key(account_id, args.name, args.access_key, args.secret_key)
        except JunctionError:
            await accounts.delete_user(account_id, args.name)
            raise
        print(f"user: {user['arn']}")
        print(f"access key: {key['access_key']}\nsecret key: {key['secret_key']}")
    elif action == "list-users":
        for row in await accounts.users(await _account_id(accounts, args.account)):
            print(
                f"{row['name']}\t{'disabled' if row['disabled'] else 'active'}\t{row['arn']}\t{_when(row['created'])}"
            )
    elif action in ("delete-user", "disable-user", "enable-user"):
        account_id = await _account_id(accounts, args.account)
        if action == "delete-user":
            await accounts.delete_user(account_id, args.name)
        else:
            await accounts.update_user(account_id, args.name, {"disabled": action == "disable-user"})
        print(f"{action.split('-')[0]}d user {args.name}")
    elif action in ("disable-key", "enable-key"):
        await accounts.set_key_status(None, args.access_key, "Inactive" if action == "disable-key" else "Active")
        print(f"{action.split('-')[0]}d key {args.access_key}")
    elif action == "create-policy":
        account_id = await _account_id(accounts, args.account)
        await accounts.put_policy(account_id, args.name, args.file.read_text(), create=True)
        print(f"created policy {args.name}")
    elif action in ("attach-policy", "detach-policy"):
        account_id = await _account_id(accounts, args.account)
        if action == "attach-policy":
            await accounts.attach(account_id, args.user, args.policy)
        else:
            await accounts.detach(account_id, args.user, args.policy)
        print(f"{action.split('-')[0]}ed {args.policy}")
    return 0


async def create_key(args: argparse.Namespace, store: MetaStore, data_dir: Path) -> int:
    """`create-key --account A [--user U]`: a key of an account's root or of a user."""
    accounts, _ = service(store, data_dir)
    try:
        account_id = await _account_id(accounts, args.account)
        key = await accounts.create_key(account_id, args.user, args.access_key, args.secret_key)
    except JunctionError as exc:
        print(f"{exc.code}: {exc.text}", file=sys.stderr)
        return 1
    print(f"access key: {key['access_key']}\nsecret key: {key['secret_key']}")
    return 0


async def list_keys(args: argparse.Namespace, store: MetaStore, data_dir: Path) -> int:
    accounts, _ = service(store, data_dir)
    try:
        keys = await accounts.keys(await _account_id(accounts, args.account), args.user)
    except JunctionError as exc:
        print(f"{exc.code}: {exc.text}", file=sys.stderr)
        return 1
    for key in keys:
        print(
            f"{key['access_key']}\t{key['kind']}\t{key['user'] or '(root)'}\t{key['status']}\t{_when(key['created'])}"
        )
    return 0


async def delete_key(access_key: str, store: MetaStore, data_dir: Path) -> int:
    """An account's or user's key (admin keys are handled by admin.py)."""
    accounts, _ = service(store, data_dir)
    try:
        await accounts.delete_key(None, access_key)
    except JunctionError as exc:
        print(f"{exc.code}: {exc.text}", file=sys.stderr)
        return 1
    print(f"deleted {access_key}")
    return 0


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat(timespec="seconds")


class _Administrator:
    """The CLI acts as a gateway administrator (it has the data dir)."""

    admin = True


_ADMIN: Any = _Administrator()
