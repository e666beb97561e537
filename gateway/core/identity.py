"""Access key -> `Identity`, cached in-process and invalidated at once by any change.

Every request resolves its access key (the secret for SigV4, then the caller and its
compiled identity policies). Doing that in SQL per request would cost more than the 4 KiB
GET itself, so resolutions are cached. Any change to accounts, users, keys or policies --
by this process, another worker, or `junction admin` writing the same SQLite file -- commits
and then replaces `<data dir>/access.gen` (a new inode each time). Before using its caches a
process compares that file's `stat` with the one it last saw: one system call, no SQL.
Gateway instances that share the database but not the data dir also bump a generation row
in the database, which each polls once a second (`watch_shared`): there a change takes
effect within that second.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.file_version import file_version, forget
from gateway.domain.models import Bucket
from gateway.meta.identity_store import KeySnapshot
from gateway.meta.store import MetaStore

from .audit_scope import note
from .authz import Authorizer, BucketAccess, Identity, PublicAccessBlock, principal_context
from .iam.acl import Grant
from .iam.conditions import PolicyError
from .iam.evaluate import Decision, Request, decide
from .iam.policy import Caller, Policy, parse_policy
from .identity_policies import BUILTIN_POLICIES, export_policy, rules_policy

log = logging.getLogger("junction.identity")

GENERATION_FILE = "access.gen"
SHARED_GENERATION = "identity"  # its name in the shared database (cluster_store generations)
GENERATION_POLL = 1.0  # seconds: how soon a change made on an instance without this data dir is seen
FIRST_ACCOUNT = "root"
ADMIN_KINDS = ("root", "admin")  # gateway administrators: every action on every resource
CACHE_SIZE = 10_000
DENY_ALL = parse_policy(json.dumps({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}))


def new_account_ids() -> tuple[str, str]:
    """A fresh (12-digit account id, 64-hex canonical id) pair."""
    return f"{secrets.randbelow(9 * 10**11) + 10**11}", secrets.token_hex(32)


class Generation:
    """The `access.gen` file: replaced after every identity change, compared by `stat`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._name = str(path)

    def current(self) -> tuple[int, int, int] | None:
        return file_version(self._name)  # one `stat` per request (gateway/domain/file_version.py)

    def bump(self) -> None:
        """Write a new file and rename it over the old one: a new inode, whatever the clock."""
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # private, like the data dir
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(8))  # no fsync: a lost bump after a power cut only costs a cache fill
        os.replace(temporary, self.path)
        forget(self._name)


@dataclass(frozen=True, slots=True)
class Resolved:
    """What the cache holds per access key; `secret` is None when the key may not sign requests."""

    secret: str | None
    identity: Identity | None
    reason: str = ""


UNKNOWN = Resolved(None, None, "unknown")


class IdentityService:
    """Resolution of access keys and bucket owners, with the caches the hot path relies on."""

    def __init__(self, store: MetaStore, data_dir: Path) -> None:
        self.store = store
        self.generation = Generation(data_dir / GENERATION_FILE)
        self._seen: tuple[tuple[int, int, int] | None, int] | None = None
        self._keys: OrderedDict[str, Resolved] = OrderedDict()
        self._users: OrderedDict[int, tuple[Resolved, dict[str, Any] | None]] = OrderedDict()  # password sign-ins
        self._accounts: dict[str, dict[str, Any]] | None = None  # id -> row
        self._first: dict[str, Any] | None = None
        self._buckets: dict[int, Bucket] = {}
        self._shared = 0  # the shared database's identity generation, as last polled
        self._watcher: asyncio.Task[None] | None = None
        self._publishing: set[asyncio.Task[None]] = set()
        self.fills = 0  # cache misses that went to the database (the hot path must not add any)

    async def start(self, root_access_key: str) -> None:
        self._first = await self.store.identity.ensure_first_account(FIRST_ACCOUNT, new_account_ids(), root_access_key)
        self.changed()

    def changed(self) -> None:
        """Call after committing an identity change: every process drops its caches."""
        self.generation.bump()
        self._publish()
        self._check()

    def _publish(self) -> None:
        """Bump the shared database's identity generation too, for instances that do not share
        this data dir (they poll it: `watch_shared`). Fire and forget: this process's own caches
        were dropped already, and a lost bump only delays the others until the next change."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self.store.cluster.bump(SHARED_GENERATION))
        self._publishing.add(task)
        task.add_done_callback(self._published)

    def _published(self, task: asyncio.Task[None]) -> None:
        self._publishing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("could not publish an identity change to other instances: %s", task.exception())

    def watch_shared(self, interval: float = GENERATION_POLL) -> None:
        """Poll the shared identity generation (one indexed read per interval): a change made
        on another gateway instance reaches this one's caches within `interval`."""
        self._watcher = asyncio.get_running_loop().create_task(self._watch(interval), name="junction-identity-gen")

    async def _watch(self, interval: float) -> None:
        while True:
            try:
                self._shared = await self.store.cluster.generation(SHARED_GENERATION)
            except Exception as exc:  # the database away for a moment: keep the caches, retry
                log.warning("could not read the shared identity generation: %s", exc)
            await asyncio.sleep(interval)

    async def stop(self) -> None:
        for task in [self._watcher, *self._publishing]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._watcher = None

    def _check(self) -> None:
        current = (self.generation.current(), self._shared)
        if current != self._seen:
            self._keys.clear()
            self._users.clear()
            self._buckets.clear()
            self._accounts = None
            self._seen = current

    # ------------------------------------------------------------ access keys

    async def resolved(self, access_key: str) -> Resolved:
        self._check()
        hit = self._keys.get(access_key)
        if hit is not None:
            return hit
        if not _storable(access_key):
            return UNKNOWN
        self.fills += 1
        snapshot = await self.store.identity.key_snapshot(access_key)
        resolved = await self._resolve(snapshot) if snapshot is not None else UNKNOWN
        self._keys[access_key] = resolved
        if len(self._keys) > CACHE_SIZE:
            self._keys.popitem(last=False)
        return resolved

    async def secret_for(self, access_key: str) -> str | None:
        """The secret to verify a signature with: only for an Active key of an enabled owner."""
        return (await self.resolved(access_key)).secret

    async def resolve(self, access_key: str) -> Identity:
        """The caller behind a verified access key (InvalidAccessKeyId when it may not be used)."""
        identity = (await self.resolved(access_key)).identity
        if identity is None:
            raise JunctionError(
                ErrorCode.InvalidAccessKeyId, "The AWS Access Key Id you provided does not exist in our records."
            )
        return identity

    async def resolve_user(self, user_id: int) -> tuple[Identity | None, dict[str, Any] | None]:
        """The caller behind a user who signed in with a password (the web console), and the
        user's row; (None, row) when the user or its account is disabled, (None, None) when gone."""
        self._check()
        hit = self._users.get(user_id)
        if hit is None:
            self.fills += 1
            snapshot = await self.store.sessions.user_snapshot(user_id)
            hit = (await self._resolve(snapshot), snapshot.user) if snapshot is not None else (UNKNOWN, None)
            self._users[user_id] = hit
            if len(self._users) > CACHE_SIZE:
                self._users.popitem(last=False)
        return hit[0].identity, hit[1]

    async def _resolve(self, snap: KeySnapshot) -> Resolved:
        key, account, user = snap.key, snap.account, snap.user
        policies = _compiled(snap) if user is not None else ()
        user_name = user["name"] if user else None
        if key["kind"] == "export" and user is None and key["bucket_id"] is not None:
            # an export key written straight into the table (before accounts, or by a tool):
            # its flags still say what it may do, until the next start adopts it
            bucket = await self.bucket(key["bucket_id"])
            account = await self.owner_account(bucket)
            user_name = f"export-{key['access_key']}"
            document = export_policy(
                bucket.name, readonly=bool(key["readonly"]), appendonly=bool(key["appendonly"]), iprange=key["iprange"]
            )
            policies = (parse_policy(json.dumps(document)),)
        if key["status"] != "Active":
            return Resolved(None, None, "inactive key")
        if account is not None and account["disabled"]:
            return Resolved(None, None, "disabled account")
        if user is not None and user["disabled"]:
            return Resolved(None, None, "disabled user")
        admin = key["kind"] in ADMIN_KINDS
        if account is None:
            account = self._first
            if account is None or not admin:
                return Resolved(None, None, "key without an account")
        caller = Caller(account["id"], user_name, account["canonical_id"])
        identity = Identity(
            caller,
            key["access_key"],
            policies,
            admin=admin,
            api_only=bool(key["apionly"]),
            no_overwrite=bool(key["appendonly"]),
        )
        sealed = key.get("secret_key")  # a password sign-in has no key, so no secret
        return Resolved(self.store.credentials.open_secret(sealed) if sealed else None, identity)

    # ------------------------------------------------------------ accounts and bucket owners

    async def accounts_by_id(self) -> dict[str, dict[str, Any]]:
        self._check()
        if self._accounts is None:
            self.fills += 1
            self._accounts = {a["id"]: a for a in await self.store.identity.accounts()}
        return self._accounts

    async def first_account(self) -> dict[str, Any]:
        if self._first is None:
            self._first = await self.store.identity.account(FIRST_ACCOUNT)
        return self._first

    async def owner_account(self, bucket: Bucket) -> dict[str, Any]:
        """The account owning a bucket. `buckets.owner` holds an account id; rows written before
        accounts existed hold the creator's access key, which resolves to that key's account,
        and anything else belongs to the first account."""
        accounts = await self.accounts_by_id()
        if bucket.owner in accounts:
            return accounts[bucket.owner]
        resolved = await self.resolved(bucket.owner)
        if resolved.identity is not None and resolved.identity.caller.account_id in accounts:
            return accounts[resolved.identity.caller.account_id]
        first = await self.first_account()
        return accounts.get(first["id"], first)

    async def account_exists(self, account_id: str) -> bool:
        return account_id in await self.accounts_by_id()

    @staticmethod
    def bucket_owner_of(identity: Identity) -> str:
        """What a new bucket's `owner` column holds: the creating caller's account id."""
        assert identity.caller.account_id is not None
        return identity.caller.account_id

    async def bucket(self, bucket_id: int) -> Bucket:
        """A bucket by id for authorization, cached like keys: deleting a bucket bumps the
        generation, so a reused id never finds the old bucket here."""
        self._check()
        hit = self._buckets.get(bucket_id)
        if hit is not None:
            return hit
        self.fills += 1
        bucket = await self.store.buckets.get_by_id(bucket_id)
        if bucket is None:
            raise JunctionError(ErrorCode.NoSuchBucket)
        if len(self._buckets) > CACHE_SIZE:
            self._buckets.clear()
        self._buckets[bucket_id] = bucket
        return bucket


GATEWAY_ACTIONS = frozenset({"junction:ManageUserSpaces", "junction:ManageSyncTasks", "junction:ManageJobs"})


def request_context(source_ip: str | None, secure: bool, user_agent: str | None) -> dict[str, tuple[str, ...]]:
    """The global condition keys every front end knows about a request's transport."""
    context: dict[str, tuple[str, ...]] = {"aws:securetransport": ("true" if secure else "false",)}
    if source_ip:
        context["aws:sourceip"] = (source_ip,)
    if user_agent is not None:
        context["aws:useragent"] = (user_agent,)
    return context


async def authorize(
    authorizer: Authorizer,
    identity: Identity,
    action: str,
    *,
    bucket: Bucket | None = None,
    key: str | None = None,
    context: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """`Authorizer.authorize`, except that the gateway-wide junction: actions (user spaces, sync
    tasks, jobs) are not an account root's by default: only an administrator's, or a user's
    whose policy grants them."""
    note(identity, action, bucket, key)  # also when refused here, before the Authorizer
    if action in GATEWAY_ACTIONS and not identity.admin and identity.caller.user is None:
        raise JunctionError(ErrorCode.AccessDenied, "Access Denied: only gateway administrators may do this")
    await authorizer.authorize(identity, action, bucket=bucket, key=key, context=context)


def refused_outright(identity: Identity, context: dict[str, tuple[str, ...]]) -> bool:
    """True when the caller's own policies deny it everything here (an export's address range):
    front ends that list or probe (the console) refuse such a caller up front with 403."""
    if identity.admin or not identity.policies:
        return False
    request = Request(identity.caller, "s3:ListAllMyBuckets", "*", {**principal_context(identity), **context})
    return decide(request, owner_account=None, identity_policies=identity.policies) is Decision.DENY


class OwnerAccess:
    """The simplest `AccessSource`: a bucket's owner account has FULL_CONTROL and there is no
    bucket policy. The S3 access-control endpoints (ACLs, policies, ownership controls, the
    bucket-level block) supply the full source; this one serves until they are wired."""

    def __init__(self, identities: IdentityService) -> None:
        self._identities = identities

    async def bucket_access(self, bucket: Bucket) -> BucketAccess:
        owner = await self._identities.owner_account(bucket)
        return BucketAccess(
            owner_account=owner["id"],
            owner_canonical=owner["canonical_id"],
            grants=(Grant(owner["canonical_id"], "FULL_CONTROL"),),
            public_access_block=account_block(owner),
        )


def account_block(account: dict[str, Any]) -> PublicAccessBlock:
    flags = json.loads(account.get("public_access_block") or "{}")
    return PublicAccessBlock(
        bool(flags.get("BlockPublicAcls")),
        bool(flags.get("IgnorePublicAcls")),
        bool(flags.get("BlockPublicPolicy")),
        bool(flags.get("RestrictPublicBuckets")),
    )


def _compiled(snap: KeySnapshot) -> tuple[Policy, ...]:
    """The user's identity policies, parsed; a stored one that no longer parses denies everything
    (it was validated when written, so this is damage, and failing open would be worse)."""
    documents: list[str] = []
    for name in snap.attached:
        if name in BUILTIN_POLICIES:
            documents.append(json.dumps(BUILTIN_POLICIES[name]))
        elif name in snap.managed:
            documents.append(snap.managed[name])
    documents.extend(snap.inline)
    rules = rules_policy([(r["bucket"], r["prefix"], r["access"]) for r in snap.rules])
    if rules is not None:
        documents.append(json.dumps(rules))
    policies = []
    for document in documents:
        try:
            policies.append(parse_policy(document))
        except PolicyError as exc:
            log.error("a stored identity policy of user %s no longer parses (%s): denying it", snap.key["user_id"], exc)
            return (DENY_ALL,)
    return tuple(policies)


def _storable(access_key: str) -> bool:
    """A key no row can hold (a header may carry lone surrogates SQLite cannot bind) is unknown."""
    if not access_key or not access_key.isprintable() or len(access_key) > 1024:
        return False
    try:
        access_key.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
