"""What buckets and objects say about access: the `AccessSource` the Authorizer asks, and the
S3 access-control settings (bucket and object ACLs, bucket policy, ownership controls, public
access block) it serves, read and written.

Bucket settings are cached per process like identities (core/identity.py): any change bumps
the shared generation (`access.gen`), and every process compares that file's `stat` before
trusting its cache, so a steady-state request costs no SQL here. Object ACLs are not cached:
they are read only when a decision needs them (ACLs enabled and the bucket alone did not
allow the request), see `gateway.s3.access`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Bucket
from gateway.meta.access_store import BucketAccessRow
from gateway.meta.store import MetaStore

from .acl import Acl, grants_from_json, grants_to_json
from .authz import BUCKET_OWNER_ENFORCED, OBJECT_WRITER, BucketAccess, ObjectAccess, PublicAccessBlock
from .iam.acl import OWNERSHIP, Grant
from .iam.conditions import PolicyError
from .iam.policy import USER_ARN, Policy, parse_policy
from .notifications import NotificationService, ObjectEvent
from .versioning import parse_version_id

# New buckets, as S3 creates them since April 2023: ACLs disabled, all public access blocked.
DEFAULT_OWNERSHIP = BUCKET_OWNER_ENFORCED
DEFAULT_BLOCK = PublicAccessBlock(True, True, True, True)
BLOCK_FIELDS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
CACHE_SIZE = 10_000


class GenerationLike(Protocol):
    def current(self) -> object: ...


class Directory(Protocol):
    """What the identity service tells about accounts (core/identity.py)."""

    @property
    def generation(self) -> GenerationLike: ...

    def changed(self) -> None: ...
    async def owner_account(self, bucket: Bucket) -> Mapping[str, Any]: ...
    async def accounts_by_id(self) -> Mapping[str, Mapping[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class BucketSettings:
    """A bucket's access as the engine sees it, plus what was configured (for the Get* calls)."""

    access: BucketAccess
    stored: BucketAccessRow
    owner_name: str


def block_to_json(block: PublicAccessBlock) -> str:
    values = (
        block.block_public_acls,
        block.ignore_public_acls,
        block.block_public_policy,
        block.restrict_public_buckets,
    )
    return json.dumps(dict(zip(BLOCK_FIELDS, values, strict=True)))


def block_from_json(text: str | None) -> PublicAccessBlock:
    flags = json.loads(text or "{}")
    return PublicAccessBlock(*(bool(flags.get(name)) for name in BLOCK_FIELDS))


def new_bucket_row(ownership: str | None, acl: Acl | None) -> BucketAccessRow:
    """The settings a CreateBucket stores: its ownership (S3's default unless given), the
    default public access block, and its ACL when it grants more than the owner's."""
    grants = None if acl is None or acl.grants == Acl.private(acl.owner).grants else grants_to_json(acl.grants)
    return BucketAccessRow(
        grants=grants, ownership=ownership or DEFAULT_OWNERSHIP, public_access_block=block_to_json(DEFAULT_BLOCK)
    )


class AccessService:
    """The full `AccessSource`, and the S3 access-control settings behind it."""

    def __init__(self, store: MetaStore, directory: Directory) -> None:
        self._store = store
        self._directory = directory
        self._seen: object = None
        self._settings: dict[tuple[int, str], BucketSettings] = {}
        self._canonical: dict[str, Mapping[str, Any]] | None = None  # canonical id -> account
        self.fills = 0  # cache misses that went to the database (the steady state adds none)
        self.events: NotificationService | None = None  # s3:ObjectAcl:Put (set by the core)

    def _check(self) -> None:
        current = self._directory.generation.current()
        if current != self._seen:
            self._settings.clear()
            self._canonical = None
            self._seen = current

    def _changed(self) -> None:
        self._directory.changed()
        self._check()

    # ------------------------------------------------------------ accounts

    async def accounts_by_canonical(self) -> Mapping[str, Mapping[str, Any]]:
        self._check()
        if self._canonical is None:
            accounts = await self._directory.accounts_by_id()
            self._canonical = {a["canonical_id"]: a for a in accounts.values()}
        return self._canonical

    async def display_name(self, canonical: str) -> str:
        account = (await self.accounts_by_canonical()).get(canonical)
        return str(account["name"]) if account else canonical

    async def canonical_exists(self) -> set[str]:
        return set(await self.accounts_by_canonical())

    # ------------------------------------------------------------ the AccessSource

    async def settings(self, bucket: Bucket) -> BucketSettings:
        self._check()
        hit = self._settings.get((bucket.id, bucket.name))
        if hit is not None:
            return hit
        self.fills += 1
        owner = await self._directory.owner_account(bucket)
        stored = await self._store.access.bucket(bucket.id)
        account_block = block_from_json(owner.get("public_access_block"))
        block = block_from_json(stored.public_access_block) | account_block
        canonical = str(owner["canonical_id"])
        grants = grants_from_json(stored.grants) if stored.grants else (Grant(canonical, "FULL_CONTROL"),)
        access = BucketAccess(
            owner_account=str(owner["id"]),
            owner_canonical=canonical,
            grants=grants,
            policy=await self._stored_policy(bucket, stored.policy),
            ownership=stored.ownership or OBJECT_WRITER,
            public_access_block=block,
        )
        settings = BucketSettings(access, stored, str(owner["name"]))
        if len(self._settings) >= CACHE_SIZE:
            self._settings.clear()
        self._settings[(bucket.id, bucket.name)] = settings
        return settings

    async def bucket_access(self, bucket: Bucket) -> BucketAccess:
        return (await self.settings(bucket)).access

    async def _stored_policy(self, bucket: Bucket, text: str | None) -> Policy | None:
        if text is None:
            return None
        canonical = await self.accounts_by_canonical()
        try:
            return parse_policy(text, bucket=bucket.name, canonical_account=lambda c: _account_id(canonical, c))
        except PolicyError:
            # validated when stored: damage, and a policy that cannot be read must not widen access
            return Policy((), {})

    async def object_access(self, bucket: Bucket, key: str, version_id: str | None = None) -> ObjectAccess:
        """The owner and ACL of the current object or of one version (the client's id)."""
        stored = None if version_id is None else parse_version_id(version_id)
        text = await self._store.access.object_acl(bucket.id, key, stored)
        if text is None:
            owner = (await self.settings(bucket)).access.owner_canonical
            return ObjectAccess(owner, (Grant(owner, "FULL_CONTROL"),))
        acl = Acl.from_json(text)
        return ObjectAccess(acl.owner, acl.grants)

    # ------------------------------------------------------------ settings

    async def set_bucket_grants(self, bucket: Bucket, acl: Acl) -> None:
        owner = (await self.settings(bucket)).access.owner_canonical
        value = None if acl.grants == Acl.private(owner).grants else grants_to_json(acl.grants)
        await self._set(bucket, "grants", value)

    async def set_policy(self, bucket: Bucket, text: str | None) -> None:
        await self._set(bucket, "policy", text)

    async def set_ownership(self, bucket: Bucket, ownership: str | None) -> None:
        if ownership is not None and ownership not in OWNERSHIP:
            raise JunctionError(ErrorCode.MalformedXML, f"Unknown ObjectOwnership '{ownership}'")
        await self._set(bucket, "ownership", ownership)

    async def set_public_access_block(self, bucket: Bucket, block: PublicAccessBlock | None) -> None:
        await self._set(bucket, "public_access_block", None if block is None else block_to_json(block))

    async def _set(self, bucket: Bucket, field: str, value: str | None) -> None:
        if not await self._store.access.set_bucket_field(bucket.id, field, value):
            raise JunctionError(ErrorCode.NoSuchBucket, bucket=bucket.name)
        self._changed()

    async def set_object_acl(self, bucket: Bucket, key: str, version_id: str | None, acl: Acl) -> None:
        """PutObjectAcl; an ACL that differs from the one the object had is notified
        (s3:ObjectAcl:Put: S3 sends none when the request changes nothing)."""
        owner = (await self.settings(bucket)).access.owner_canonical
        value = None if acl == Acl.private(owner) else acl.to_json()
        stored = None if version_id is None else parse_version_id(version_id)
        before = await self.object_access(bucket, key, version_id) if self.events is not None else None
        if not await self._store.access.put_object_acl(bucket.id, key, stored, value):
            raise JunctionError(ErrorCode.NoSuchKey, bucket=bucket.name, key=key)
        if before is None or (before.owner_canonical, set(before.grants)) == (acl.owner, set(acl.grants)):
            return
        etag = None
        if version_id is None:
            obj = await self._store.objects.get(bucket.id, key, with_blocks=False)
            version_id, etag = obj.version_id, obj.etag
        assert self.events is not None
        await self.events.emit(bucket.id, "ObjectAcl:Put", ObjectEvent(key, etag=etag, version_id=version_id))

    # ------------------------------------------------------------ policies

    async def parse_bucket_policy(self, bucket: Bucket, text: bytes) -> Policy:
        """Validate a bucket policy as PutBucketPolicy must: principals must exist here."""
        accounts = await self._directory.accounts_by_id()
        canonical = await self.accounts_by_canonical()
        users = await self._existing_users(text)
        return parse_policy(
            text,
            bucket=bucket.name,
            account_exists=lambda a: a in accounts,
            user_exists=lambda arn: arn in users,
            canonical_account=lambda c: _account_id(canonical, c),
        )

    async def _existing_users(self, text: bytes) -> set[str]:
        """The user ARNs the document names that exist (the parser's lookups are synchronous)."""
        found: set[str] = set()
        for arn in _strings_in(text):
            match = USER_ARN.match(arn)
            if match is None or match.group(2) == "root":
                continue
            try:
                await self._store.identity.user(match.group(1), match.group(2)[len("user/") :])
            except JunctionError:
                continue
            found.add(arn)
        return found


def _account_id(canonical: Mapping[str, Mapping[str, Any]], canonical_id: str) -> str | None:
    account = canonical.get(canonical_id)
    return str(account["id"]) if account else None


def _strings_in(text: bytes) -> set[str]:
    """Every string value of a JSON document (empty when it does not parse: the parser says why)."""
    try:
        document = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return set()
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk(document)
    return found
