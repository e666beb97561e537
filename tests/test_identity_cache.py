"""The identity cache: no SQL on the hot path while nothing changes, and a change made by
another process (the CLI, another worker) is seen by the very next resolution.

Measured on the real store and service, in process, by counting the statements SQLite runs
(its trace callback) and timing 1000 resolutions; the figures are printed, not asserted."""

from __future__ import annotations

import time
from pathlib import Path

from gateway.core.accounts import AccountService
from gateway.core.authz import Authorizer
from gateway.core.identity import IdentityService, OwnerAccess
from gateway.meta.db import _sqlite
from gateway.meta.store import MetaStore

ROOT_KEY, ROOT_SECRET = "ROOTKEYFORCACHE", "root-secret-123456"


async def open_service(data_dir: Path) -> tuple[MetaStore, IdentityService, AccountService, list[str]]:
    store = MetaStore(data_dir / "meta.sqlite3")
    await store.open()
    await store.credentials.put(ROOT_KEY, ROOT_SECRET, "root")
    identities = IdentityService(store, data_dir)
    await identities.start(ROOT_KEY)
    statements: list[str] = []
    reader = store.db.reader
    await reader._execute(lambda: _sqlite(reader).set_trace_callback(statements.append))
    return store, identities, AccountService(store, identities, Authorizer(OwnerAccess(identities))), statements


async def test_cached_resolution_runs_no_sql(tmp_path: Path) -> None:
    store, identities, accounts, statements = await open_service(tmp_path)
    try:
        account = await accounts.create_account("acme")
        await accounts.create_user(account["id"], "alice", policies=["read-only"])
        key = (await accounts.create_key(account["id"], "alice"))["access_key"]
        assert (await identities.resolve(key)).caller.user == "alice"

        statements.clear()
        started = time.perf_counter()
        for _ in range(1000):
            await identities.secret_for(key)
            await identities.resolve(key)
        cached = time.perf_counter() - started
        assert statements == []  # 2000 cached lookups, not one statement

        started = time.perf_counter()
        for _ in range(1000):
            identities._seen = None  # as if something changed before every request
            identities._keys.clear()
            await identities.resolve(key)
        uncached = time.perf_counter() - started
        assert len(statements) >= 1000  # a fill reads the key, its account, user and policies
        print(
            f"\n1000 resolutions: cached {cached * 1000:.1f} ms for 2000 lookups (0 SQL statements), "
            f"uncached {uncached * 1000:.1f} ms ({len(statements)} SQL statements)"
        )
    finally:
        await store.close()


async def test_a_change_by_another_process_applies_at_once(tmp_path: Path) -> None:
    store, gateway_side, _accounts, _ = await open_service(tmp_path)
    cli_store, _cli_identities, cli_accounts, _ = await open_service(tmp_path)  # the CLI's own connection
    try:
        account = await cli_accounts.create_account("beta")
        key = account["access_key"]
        assert await gateway_side.secret_for(key) == account["secret_key"]
        fills = gateway_side.fills
        await gateway_side.secret_for(key)
        assert gateway_side.fills == fills  # cached

        await cli_accounts.set_account_disabled(account["id"], True)
        assert await gateway_side.secret_for(key) is None  # the next lookup sees it
        await cli_accounts.set_account_disabled(account["id"], False)
        assert await gateway_side.secret_for(key) == account["secret_key"]
        await cli_accounts.set_key_status(None, key, "Inactive")
        assert await gateway_side.secret_for(key) is None
    finally:
        await cli_store.close()
        await store.close()
