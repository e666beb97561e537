"""`junction admin ...`: admin keys (console + S3 + native), accounts, users and policies
(admin_identity.py), and blob collection, on a data dir. Changes apply at once to a running
gateway: every command that changes who may do what bumps `<data dir>/access.gen`."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path

from . import admin_identity
from .config import load_config
from .core.identity import GENERATION_FILE, Generation
from .core.secretbox import SecretBox
from .meta.store import MetaStore


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, help="the gateway's data dir (default: as configured, ./data)")
    parser.add_argument("--config", type=Path, help="TOML config file (for data_dir, secrets_key, orphan_grace)")
    sub = parser.add_subparsers(dest="action", required=True)
    create_key = sub.add_parser(
        "create-key", help="create an admin key pair, or --account's (the secret is shown once)"
    )
    list_keys = sub.add_parser("list-keys", help="list root and admin keys, or --account's")
    admin_identity.add_key_options(create_key, list_keys)
    delete = sub.add_parser("delete-key", help="delete an admin, account or user key")
    delete.add_argument("access_key")
    admin_identity.add_commands(sub)
    gc = sub.add_parser("gc", help="reclaim unreferenced and uncommitted blobs older than the grace")
    gc.add_argument(
        "--grace",
        type=float,
        help="seconds a blob must be unreferenced before it goes (default: orphan_grace, 24 h); 0 only with "
        "the gateway stopped or idle, or a write in flight loses its data and fails",
    )
    gc.add_argument("--dry-run", action="store_true", help="only count what would be reclaimed")


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    config = load_config(args.config, {"data_dir": args.data_dir}, root_keys=False)
    if args.action == "gc":
        return await _gc(
            config.data_dir, config.secrets_key, config.orphan_grace if args.grace is None else args.grace, args.dry_run
        )
    store = MetaStore(config.data_dir / "meta.sqlite3", SecretBox.for_data_dir(config.data_dir, config.secrets_key))
    await store.open()
    try:
        if args.action in admin_identity.COMMANDS:
            return await admin_identity.run(args, store, config.data_dir)
        if args.action == "create-key" and args.account:
            return await admin_identity.create_key(args, store, config.data_dir)
        if args.action == "list-keys" and args.account:
            return await admin_identity.list_keys(args, store, config.data_dir)
        if args.action == "create-key":
            if args.user:
                print("--user needs --account", file=sys.stderr)
                return 2
            access_key = args.access_key or "JXA" + secrets.token_hex(9).upper()
            secret_key = args.secret_key or secrets.token_urlsafe(30)
            await store.credentials.put(access_key, secret_key, "admin")
            Generation(config.data_dir / GENERATION_FILE).bump()
            print(f"access key: {access_key}\nsecret key: {secret_key}")
            return 0
        if args.action == "list-keys":
            rows = await store.credentials.of_kinds("root", "admin")
            for key_row in rows:
                created = datetime.fromtimestamp(key_row["created"], tz=UTC).isoformat(timespec="seconds")
                print(f"{key_row['access_key']}\t{key_row['kind']}\t{created}")
            return 0
        row = await store.credentials.get(args.access_key)
        if row is not None and row["kind"] in ("account", "user"):
            return await admin_identity.delete_key(args.access_key, store, config.data_dir)
        if row is None or row["kind"] != "admin":
            print(f"no admin key {args.access_key}", file=sys.stderr)
            return 1
        await store.credentials.delete(args.access_key)
        Generation(config.data_dir / GENERATION_FILE).bump()
        print(f"deleted {args.access_key}")
        return 0
    finally:
        await store.close()


async def _gc(data_dir: Path, secrets_key: str, grace: float, dry_run: bool) -> int:
    """Open the data dir's store and spaces as the gateway does (no server, no periodic tasks)."""
    if grace < 0:
        print("--grace must be 0 or more seconds", file=sys.stderr)
        return 2
    if not (data_dir / "meta.sqlite3").exists():
        print(f"no gateway data in {data_dir}", file=sys.stderr)
        return 1
    from .core.blobs import BlobIO
    from .core.liveness import OWNERS_DIR
    from .core.spaces import Spaces

    data_dir = data_dir.resolve()
    box = SecretBox.for_data_dir(data_dir, secrets_key)
    store = MetaStore(data_dir / "meta.sqlite3", box)
    await store.open()
    spaces = Spaces(store, data_dir, box)
    try:
        await spaces.open()
        blobs = BlobIO(store, spaces, owners_dir=data_dir / OWNERS_DIR)  # blobs of dead gateways go at once
        found = await blobs.reclaim(grace, dry_run=dry_run, strays=True)
    finally:
        await spaces.close()
        await store.close()
    verb = "reclaimable" if dry_run else "reclaimed"
    print(
        f"{verb}: {found.count} items, {found.bytes} bytes "
        f"({found.blobs} blobs, {found.blob_bytes} bytes; {found.temporaries} temporary files, "
        f"{found.temporary_bytes} bytes; {found.strays} stray files, {found.stray_bytes} bytes; grace {grace:g} s)"
    )
    return 0
