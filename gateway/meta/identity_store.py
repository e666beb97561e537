"""Accounts, users, access keys, managed policies, attachments and per-path rules.

Every method is one unit of work. `key_snapshot` reads everything a request needs to know
about an access key (its owner, the owner's state and policies) in one read snapshot, so
the identity cache is filled with one hop to the database per key.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError

from .db import Database, inserted_id

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class KeySnapshot:
    """An access key with its account, user, attached policies and rules, read at one moment."""

    key: Row
    account: Row | None
    user: Row | None
    attached: tuple[str, ...] = ()  # built-in or managed policy names
    managed: dict[str, str] = field(default_factory=dict)  # name -> document of the attached managed ones
    inline: tuple[str, ...] = ()  # inline documents
    rules: tuple[Row, ...] = ()


def _dict(row: sqlite3.Row | None) -> Row | None:
    return {k: row[k] for k in row.keys()} if row is not None else None


def _rows(cursor: sqlite3.Cursor) -> list[Row]:
    return [{k: r[k] for k in r.keys()} for r in cursor.fetchall()]


def _exists(what: str) -> JunctionError:
    return JunctionError(ErrorCode.EntityAlreadyExists, f"{what} already exists")


class IdentityStore:
    """The identity tables, and the identity columns of `credentials`."""

    def __init__(self, db: Database, seal: Callable[[str], str] = lambda s: s) -> None:
        self.db = db
        self._seal = seal  # access-key secrets are stored sealed (see MetaStore.seal_secret)

    # ------------------------------------------------------------ accounts

    async def create_account(self, account_id: str, name: str, canonical_id: str) -> Row:
        def insert(conn: sqlite3.Connection) -> Row:
            if conn.execute("SELECT 1 FROM accounts WHERE name = ?", (name,)).fetchone():
                raise _exists(f"account {name!r}")
            now = time.time()
            conn.execute(
                "INSERT INTO accounts (id, name, canonical_id, created) VALUES (?, ?, ?, ?)",
                (account_id, name, canonical_id, now),
            )
            row = _dict(conn.execute("SELECT * FROM accounts WHERE id = ?", (account_id,)).fetchone())
            assert row is not None
            return row

        return await self.db.transaction(insert)

    async def ensure_first_account(self, name: str, new_ids: tuple[str, str], root_access_key: str) -> Row:
        """The account of the configured root key (created when absent); root and legacy keys join it."""

        def ensure(conn: sqlite3.Connection) -> Row:
            row = (
                conn.execute(
                    "SELECT a.* FROM credentials c JOIN accounts a ON a.id = c.account_id "
                    "WHERE c.kind = 'root' ORDER BY c.created LIMIT 1"
                ).fetchone()
                or conn.execute("SELECT * FROM accounts WHERE name = ?", (name,)).fetchone()
            )
            if row is None:
                conn.execute(
                    "INSERT INTO accounts (id, name, canonical_id, created) VALUES (?, ?, ?, ?)",
                    (new_ids[0], name, new_ids[1], time.time()),
                )
                row = conn.execute("SELECT * FROM accounts WHERE id = ?", (new_ids[0],)).fetchone()
            account = _dict(row)
            assert account is not None
            conn.execute(
                "UPDATE credentials SET account_id = ? WHERE kind = 'root' AND account_id IS NULL", (account["id"],)
            )
            conn.execute("UPDATE credentials SET account_id = ? WHERE access_key = ?", (account["id"], root_access_key))
            return account

        return await self.db.transaction(ensure)

    async def accounts(self) -> list[Row]:
        return [dict(r) for r in await self.db.fetchall("SELECT * FROM accounts ORDER BY created, id")]

    async def account(self, id_or_name: str) -> Row:
        row = await self.db.fetchone("SELECT * FROM accounts WHERE id = ? OR name = ?", (id_or_name, id_or_name))
        if row is None:
            raise JunctionError(ErrorCode.NoSuchAccount, f"account {id_or_name!r} does not exist")
        return dict(row)

    async def update_account(self, account_id: str, **fields: object) -> None:
        """Set `disabled` and/or `public_access_block` (a dict, stored as JSON)."""
        values = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in fields.items()}
        assignments = ", ".join(f"{k} = ?" for k in values)
        await self.db.transaction(
            lambda conn: conn.execute(f"UPDATE accounts SET {assignments} WHERE id = ?", (*values.values(), account_id))
        )

    async def delete_account(self, account_id: str) -> None:
        """Users, keys and policies go with it; an account that still owns buckets is refused."""

        def delete(conn: sqlite3.Connection) -> None:
            keys = [
                r[0] for r in conn.execute("SELECT access_key FROM credentials WHERE account_id = ?", (account_id,))
            ]
            owned = conn.execute(
                f"SELECT name FROM buckets WHERE owner = ? OR owner IN ({', '.join('?' for _ in keys)}) LIMIT 1",
                (account_id, *keys),
            ).fetchone()
            if owned:
                raise JunctionError(
                    ErrorCode.DeleteConflict, f"the account still owns bucket {owned[0]!r}: delete its buckets first"
                )
            if conn.execute(
                "SELECT 1 FROM credentials WHERE account_id = ? AND kind = 'root'", (account_id,)
            ).fetchone():
                raise JunctionError(ErrorCode.DeleteConflict, "the gateway's first account cannot be deleted")
            conn.execute("DELETE FROM accounts WHERE id = ?", (account_id,))

        await self.db.transaction(delete)

    async def canonical_ids(self) -> dict[str, str]:
        """canonical id -> account id, for bucket policies naming CanonicalUser principals."""
        rows = await self.db.fetchall("SELECT id, canonical_id FROM accounts")
        return {r["canonical_id"]: r["id"] for r in rows}

    # ------------------------------------------------------------ users

    async def create_user(self, account_id: str, name: str, password_hash: str | None) -> Row:
        def insert(conn: sqlite3.Connection) -> Row:
            if conn.execute("SELECT 1 FROM users WHERE account_id = ? AND name = ?", (account_id, name)).fetchone():
                raise _exists(f"user {name!r}")
            cur = conn.execute(
                "INSERT INTO users (account_id, name, password_hash, created) VALUES (?, ?, ?, ?)",
                (account_id, name, password_hash, time.time()),
            )
            row = _dict(conn.execute("SELECT * FROM users WHERE id = ?", (inserted_id(cur),)).fetchone())
            assert row is not None
            return row

        return await self.db.transaction(insert)

    async def users(self, account_id: str) -> list[Row]:
        rows = await self.db.fetchall("SELECT * FROM users WHERE account_id = ? ORDER BY name", (account_id,))
        return [dict(r) for r in rows]

    async def user(self, account_id: str, name: str) -> Row:
        row = await self.db.fetchone("SELECT * FROM users WHERE account_id = ? AND name = ?", (account_id, name))
        if row is None:
            raise JunctionError(ErrorCode.NoSuchUser, f"user {name!r} does not exist in this account")
        return dict(row)

    async def update_user(self, user_id: int, **fields: object) -> None:
        """Set `disabled` and/or `password_hash`."""
        assignments = ", ".join(f"{k} = ?" for k in fields)
        await self.db.transaction(
            lambda conn: conn.execute(f"UPDATE users SET {assignments} WHERE id = ?", (*fields.values(), user_id))
        )

    async def delete_user(self, user_id: int) -> None:
        """Its keys, attachments, inline policies and rules go with it (ON DELETE CASCADE)."""
        await self.db.transaction(lambda conn: conn.execute("DELETE FROM users WHERE id = ?", (user_id,)))

    async def adopt_export(self, export_id: int, access_key: str, account_id: str, document: str) -> int:
        """Give a console export its user (`export-<id>` in the volume owner's account) and
        generated policy; return the user id. Safe to repeat (startup adopts leftovers)."""

        def adopt(conn: sqlite3.Connection) -> int:
            name = f"export-{export_id}"
            row = conn.execute("SELECT id FROM users WHERE account_id = ? AND name = ?", (account_id, name)).fetchone()
            if row is None:
                cur = conn.execute(
                    "INSERT INTO users (account_id, name, created) VALUES (?, ?, ?)", (account_id, name, time.time())
                )
                user_id = inserted_id(cur)
            else:
                user_id = row[0]
            conn.execute(
                "UPDATE credentials SET account_id = ?, user_id = ? WHERE access_key = ?",
                (account_id, user_id, access_key),
            )
            conn.execute(
                "INSERT OR REPLACE INTO user_inline_policies (user_id, name, document) VALUES (?, 'export', ?)",
                (user_id, document),
            )
            return user_id

        return await self.db.transaction(adopt)

    async def legacy_exports(self) -> list[Row]:
        """Exports made before accounts existed (no user yet), with what their policy needs."""
        rows = await self.db.fetchall(
            "SELECT e.id, e.access_key, e.bucket_id, c.readonly, c.appendonly, c.iprange "
            "FROM exports e JOIN credentials c ON c.access_key = e.access_key WHERE c.user_id IS NULL"
        )
        return [dict(r) for r in rows]

    async def export_users(self, bucket_id: int) -> list[int]:
        """The users behind a volume's console exports."""
        rows = await self.db.fetchall(
            "SELECT user_id FROM credentials WHERE kind = 'export' AND bucket_id = ? AND user_id IS NOT NULL",
            (bucket_id,),
        )
        return [r[0] for r in rows]

    async def delete_users(self, user_ids: list[int]) -> None:
        if user_ids:
            await self.db.transaction(
                lambda conn: conn.executemany("DELETE FROM users WHERE id = ?", [(u,) for u in user_ids])
            )

    # ------------------------------------------------------------ access keys

    async def create_key(
        self, access_key: str, secret_key: str, kind: str, account_id: str | None, user_id: int | None
    ) -> Row:
        def insert(conn: sqlite3.Connection) -> Row:
            if conn.execute("SELECT 1 FROM credentials WHERE access_key = ?", (access_key,)).fetchone():
                raise _exists(f"access key {access_key!r}")
            conn.execute(
                "INSERT INTO credentials (access_key, secret_key, kind, account_id, user_id, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (access_key, self._seal(secret_key), kind, account_id, user_id, time.time()),
            )
            row = _dict(
                conn.execute(f"SELECT {KEY_COLUMNS} FROM credentials c WHERE access_key = ?", (access_key,)).fetchone()
            )
            assert row is not None
            return row

        return await self.db.transaction(insert)

    async def keys(self, account_id: str | None = None, user_id: int | None = None) -> list[Row]:
        """Keys (never their secrets) of an account's root and users, or of one user."""
        sql = f"SELECT {KEY_COLUMNS}, u.name AS user_name FROM credentials c LEFT JOIN users u ON u.id = c.user_id"
        where: list[str] = []
        params: list[object] = []
        if account_id is not None:
            where.append("c.account_id = ?")
            params.append(account_id)
        if user_id is not None:
            where.append("c.user_id = ?")
            params.append(user_id)
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = await self.db.fetchall(sql + " ORDER BY c.created, c.access_key", tuple(params))
        return [dict(r) for r in rows]

    async def key(self, access_key: str) -> Row:
        row = await self.db.fetchone(f"SELECT {KEY_COLUMNS} FROM credentials c WHERE access_key = ?", (access_key,))
        if row is None:
            raise JunctionError(ErrorCode.NoSuchAccessKey, f"access key {access_key!r} does not exist")
        return dict(row)

    async def set_key_status(self, access_key: str, status: str) -> None:
        await self.db.transaction(
            lambda conn: conn.execute("UPDATE credentials SET status = ? WHERE access_key = ?", (status, access_key))
        )

    async def delete_key(self, access_key: str) -> None:
        await self.db.transaction(
            lambda conn: conn.execute("DELETE FROM credentials WHERE access_key = ?", (access_key,))
        )

    async def key_snapshot(self, access_key: str) -> KeySnapshot | None:
        """Everything resolution needs, in one read snapshot; None for an unknown key."""
        return await self.db.query(lambda conn: _snapshot(conn, access_key))

    # ------------------------------------------------------------ managed policies

    async def put_policy(self, account_id: str, name: str, document: str, *, create: bool) -> None:
        """Create (refused if it exists) or replace (refused if absent) a managed policy."""

        def put(conn: sqlite3.Connection) -> None:
            exists = conn.execute(
                "SELECT 1 FROM policies WHERE account_id = ? AND name = ?", (account_id, name)
            ).fetchone()
            now = time.time()
            if create:
                if exists:
                    raise _exists(f"policy {name!r}")
                conn.execute(
                    "INSERT INTO policies (account_id, name, document, created, updated) VALUES (?, ?, ?, ?, ?)",
                    (account_id, name, document, now, now),
                )
            else:
                if not exists:
                    raise JunctionError(ErrorCode.NoSuchPolicy, f"policy {name!r} does not exist in this account")
                conn.execute(
                    "UPDATE policies SET document = ?, updated = ? WHERE account_id = ? AND name = ?",
                    (document, now, account_id, name),
                )

        await self.db.transaction(put)

    async def policies(self, account_id: str) -> list[Row]:
        rows = await self.db.fetchall("SELECT * FROM policies WHERE account_id = ? ORDER BY name", (account_id,))
        return [dict(r) for r in rows]

    async def policy(self, account_id: str, name: str) -> Row:
        row = await self.db.fetchone("SELECT * FROM policies WHERE account_id = ? AND name = ?", (account_id, name))
        if row is None:
            raise JunctionError(ErrorCode.NoSuchPolicy, f"policy {name!r} does not exist in this account")
        return dict(row)

    async def delete_policy(self, account_id: str, name: str) -> None:
        """Refused while attached to a user (as IAM's DeleteConflict)."""

        def delete(conn: sqlite3.Connection) -> None:
            user = conn.execute(
                "SELECT u.name FROM user_policies up JOIN users u ON u.id = up.user_id "
                "WHERE u.account_id = ? AND up.policy = ? LIMIT 1",
                (account_id, name),
            ).fetchone()
            if user:
                raise JunctionError(
                    ErrorCode.DeleteConflict, f"policy {name!r} is attached to user {user[0]!r}: detach it first"
                )
            if not conn.execute("DELETE FROM policies WHERE account_id = ? AND name = ?", (account_id, name)).rowcount:
                raise JunctionError(ErrorCode.NoSuchPolicy, f"policy {name!r} does not exist in this account")

        await self.db.transaction(delete)

    # ------------------------------------------------------------ attachments, inline policies, rules

    async def attach(self, user_id: int, policy: str) -> None:
        await self.db.transaction(
            lambda conn: conn.execute(
                "INSERT OR IGNORE INTO user_policies (user_id, policy) VALUES (?, ?)", (user_id, policy)
            )
        )

    async def detach(self, user_id: int, policy: str) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            cur = conn.execute("DELETE FROM user_policies WHERE user_id = ? AND policy = ?", (user_id, policy))
            if not cur.rowcount:
                raise JunctionError(ErrorCode.NoSuchPolicy, f"policy {policy!r} is not attached to this user")

        await self.db.transaction(delete)

    async def attached(self, user_id: int) -> list[str]:
        rows = await self.db.fetchall("SELECT policy FROM user_policies WHERE user_id = ? ORDER BY policy", (user_id,))
        return [r[0] for r in rows]

    async def put_inline(self, user_id: int, name: str, document: str | None) -> None:
        """Set (or, with None, remove) one of the user's inline policies."""

        def put(conn: sqlite3.Connection) -> None:
            if document is None:
                conn.execute("DELETE FROM user_inline_policies WHERE user_id = ? AND name = ?", (user_id, name))
            else:
                conn.execute(
                    "INSERT OR REPLACE INTO user_inline_policies (user_id, name, document) VALUES (?, ?, ?)",
                    (user_id, name, document),
                )

        await self.db.transaction(put)

    async def inline(self, user_id: int) -> dict[str, str]:
        rows = await self.db.fetchall(
            "SELECT name, document FROM user_inline_policies WHERE user_id = ? ORDER BY name", (user_id,)
        )
        return {r["name"]: r["document"] for r in rows}

    async def set_rules(self, user_id: int, rules: list[tuple[str, str, str]]) -> None:
        """Replace the user's per-path rules with (bucket, prefix, access) triples."""

        def replace(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM user_rules WHERE user_id = ?", (user_id,))
            conn.executemany(
                "INSERT OR IGNORE INTO user_rules (user_id, bucket, prefix, access) VALUES (?, ?, ?, ?)",
                [(user_id, *rule) for rule in rules],
            )

        await self.db.transaction(replace)

    async def rules(self, user_id: int) -> list[Row]:
        rows = await self.db.fetchall(
            "SELECT bucket, prefix, access FROM user_rules WHERE user_id = ? ORDER BY id", (user_id,)
        )
        return [dict(r) for r in rows]


KEY_COLUMNS = (
    "c.access_key, c.kind, c.account_id, c.user_id, c.status, c.created, c.bucket_id, c.description, "
    "c.iprange, c.apionly, c.readonly, c.appendonly"
)


def _snapshot(conn: sqlite3.Connection, access_key: str) -> KeySnapshot | None:
    key = _dict(conn.execute("SELECT * FROM credentials WHERE access_key = ?", (access_key,)).fetchone())
    if key is None:
        return None
    account = None
    if key["account_id"] is not None:
        account = _dict(conn.execute("SELECT * FROM accounts WHERE id = ?", (key["account_id"],)).fetchone())
    if key["user_id"] is None:
        return KeySnapshot(key, account, None)
    return _with_user(conn, key, account, key["user_id"])


def user_snapshot(conn: sqlite3.Connection, user_id: int) -> KeySnapshot | None:
    """A user as `key_snapshot` sees one, for a caller that signed in with the user's password:
    the key part is a stand-in (kind 'user', Active, no secret) and never leaves the process."""
    user = _dict(conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone())
    if user is None:
        return None
    account = _dict(conn.execute("SELECT * FROM accounts WHERE id = ?", (user["account_id"],)).fetchone())
    key: Row = {
        "access_key": None,
        "kind": "user",
        "status": "Active",
        "account_id": user["account_id"],
        "user_id": user_id,
        "bucket_id": None,
        "iprange": "",
        "apionly": 0,
        "readonly": 0,
        "appendonly": 0,
    }
    return _with_user(conn, key, account, user_id)


def _with_user(conn: sqlite3.Connection, key: Row, account: Row | None, user_id: int) -> KeySnapshot:
    user = _dict(conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone())
    attached = tuple(r[0] for r in conn.execute("SELECT policy FROM user_policies WHERE user_id = ?", (user_id,)))
    managed = {
        r[0]: r[1]
        for r in conn.execute(
            "SELECT p.name, p.document FROM user_policies up JOIN policies p ON p.name = up.policy "
            "WHERE up.user_id = ? AND p.account_id = ?",
            (user_id, key["account_id"]),
        )
    }
    inline = tuple(
        r[0] for r in conn.execute("SELECT document FROM user_inline_policies WHERE user_id = ?", (user_id,))
    )
    rules = tuple(_rows(conn.execute("SELECT bucket, prefix, access FROM user_rules WHERE user_id = ?", (user_id,))))
    return KeySnapshot(key, account, user, attached, managed, inline, rules)
