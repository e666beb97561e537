"""`junction admin ...`: manage admin keys (console + S3 + native) in a data dir's store."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path

from .meta.store import MetaStore


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=Path("./data"), help="the gateway's data dir")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("create-key", help="create an admin key pair (the secret is shown once)")
    sub.add_parser("list-keys", help="list root and admin keys")
    delete = sub.add_parser("delete-key", help="delete an admin key")
    delete.add_argument("access_key")


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    store = MetaStore(args.data_dir / "meta.sqlite3")
    await store.open()
    try:
        if args.action == "create-key":
            access_key, secret_key = "JXA" + secrets.token_hex(9).upper(), secrets.token_urlsafe(30)
            await store.credentials.put(access_key, secret_key, "admin")
            print(f"access key: {access_key}\nsecret key: {secret_key}")
            return 0
        if args.action == "list-keys":
            rows = await store.credentials.of_kinds("root", "admin")
            for key_row in rows:
                created = datetime.fromtimestamp(key_row["created"], tz=UTC).isoformat(timespec="seconds")
                print(f"{key_row['access_key']}\t{key_row['kind']}\t{created}")
            return 0
        row = await store.credentials.get(args.access_key)
        if row is None or row["kind"] != "admin":
            print(f"no admin key {args.access_key}", file=sys.stderr)
            return 1
        await store.credentials.delete(args.access_key)
        print(f"deleted {args.access_key}")
        return 0
    finally:
        await store.close()
