"""The file tree an FTP/SFTP login sees, over gateway/core: `/` lists the buckets the login may
see, `/<bucket>/<key...>` is the S3 key (its first segment the package), a folder is a key
prefix. Every action is asked of the Authorizer with S3's action names and condition keys,
so a login may do exactly what its user may do on S3, narrowed by its home and its read-only
switch; every write is a normal object write (versions, quotas, locks apply)."""

from __future__ import annotations

import contextlib
import mimetypes
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from gateway.core.audit_scope import CURRENT, AuditScope
from gateway.core.conditions import ByteRange
from gateway.core.ftp_logins import FtpLogin
from gateway.core.identity import request_context
from gateway.core.objects import CopySource, ObjectAttrs, WriteConditions
from gateway.core.service import Core
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Bucket, ObjectInfo
from s3xml.errors import STATUS as S3_STATUS

PAGE = 1000
FOLDER_MARKER_TYPE = "application/x-directory"
MTIME = "mtime"  # user metadata a client's modification time is kept in (rclone's S3 backend uses it too)


def mtime_of(obj: ObjectInfo) -> float:
    """The time a client set (MFMT, SFTP setstat, rclone's x-amz-meta-mtime), else the write's."""
    try:
        return float(obj.meta[MTIME])
    except (KeyError, ValueError):
        return obj.updated


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    is_dir: bool
    size: int = 0
    mtime: float = 0.0


@dataclass(frozen=True, slots=True)
class Target:
    """A path resolved into the namespace: the root, a bucket, or a key (a file or a folder)."""

    bucket: str  # "" : the root
    key: str  # "" : the bucket itself

    @property
    def prefix(self) -> str:
        """The folder's key prefix ("" for a bucket's top)."""
        return self.key + "/" if self.key else ""


def not_found(message: str = "No such file or directory") -> JunctionError:
    return JunctionError(ErrorCode.NoSuchKey, message)


def denied(message: str = "Access Denied") -> JunctionError:
    return JunctionError(ErrorCode.AccessDenied, message)


def clean_parts(path: str) -> list[str]:
    """A client path's segments ("." dropped, ".." pops; never above the login's root)."""
    parts: list[str] = []
    for part in path.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return parts


class Namespace:
    """One login's view. Paths are absolute in the login's view ("/" its home)."""

    def __init__(self, core: Core, login: FtpLogin, client_ip: str | None, secure: bool, protocol: str) -> None:
        self.core = core
        self.login = login
        self.client_ip = client_ip or ""
        self.protocol = protocol  # "ftp" or "sftp": the audit log's front end
        self.context = request_context(client_ip, secure, f"junction-{protocol}")
        self._rule_paths: list[tuple[str, str]] | None = None

    @contextlib.asynccontextmanager
    async def _audited(
        self, operation: str, path: str, *, failures_only: bool = False
    ) -> AsyncIterator[dict[str, int]]:
        """One audit-log entry per change, as the HTTP front ends make one per request: who (the
        Authorizer notes it), what, where, the outcome; yields a dict for the bytes written."""
        caller = self.login.identity.caller
        scope = AuditScope(
            account=caller.account_id or "",
            user=caller.user or "",
            access_key=f"{self.protocol}:{self.login.name}",
            address=self.client_ip,
        )
        token = CURRENT.set(scope)
        arrived, status, written = time.time(), 500, {"size": 0}
        try:
            yield written
            status = 200
        except JunctionError as exc:
            status = S3_STATUS.get(exc.code, 400)
            raise
        finally:
            CURRENT.reset(token)
            if status != 200 or not failures_only:
                self.core.audit.record(
                    scope,
                    time=arrived,
                    front_end=self.protocol,
                    method=operation,
                    path=path,
                    route=f"{operation} {self.protocol}",
                    status=status,
                    size=written["size"],
                    address=self.client_ip,
                )

    # ------------------------------------------------------------ paths and checks

    def resolve(self, path: str) -> Target:
        parts = clean_parts(path)
        if self.login.bucket:
            home = [p for p in self.login.prefix.split("/") if p]
            key = "/".join([*home, *parts])
            return Target(self.login.bucket, key)
        if not parts:
            return Target("", "")
        return Target(parts[0], "/".join(parts[1:]))

    async def _authorize(self, action: str, bucket: Bucket | None = None, key: str | None = None, **extra: str) -> None:
        context: dict[str, Any] = dict(self.context)
        context.update({k.replace("_", ":", 1): (v,) for k, v in extra.items()})
        await self.core.authorize(self.login.identity, action, bucket=bucket, key=key, context=context)

    async def _allowed(self, action: str, bucket: Bucket | None = None, key: str | None = None, **extra: str) -> bool:
        try:
            await self._authorize(action, bucket, key, **extra)
        except JunctionError as exc:
            if exc.code != ErrorCode.AccessDenied:
                raise
            return False
        return True

    def _require_writable(self) -> None:
        if not self.login.writable:
            raise denied("this login is read-only")

    async def _bucket(self, name: str) -> Bucket:
        try:
            return await self.core.buckets.get(name)
        except JunctionError as exc:
            if exc.code == ErrorCode.NoSuchBucket:
                raise not_found() from None
            raise

    async def _object(self, bucket: str, key: str) -> ObjectInfo | None:
        if not key or key.endswith("/"):
            return None
        try:
            return await self.core.objects.head(bucket, key)
        except JunctionError as exc:
            if exc.code in (ErrorCode.NoSuchKey, ErrorCode.InvalidArgument, ErrorCode.KeyTooLongError):
                return None
            raise

    async def _folder_exists(self, bucket: str, key: str) -> bool:
        page = await self.core.list_objects(bucket, prefix=key + "/", max_keys=1)
        return bool(page.objects)

    # ------------------------------------------------------------ reading the tree

    async def visible_buckets(self) -> list[Bucket]:
        """The login's account's buckets (all, for an administrator) it may list or holds a rule in."""
        identity = self.login.identity
        rules = await self._rule_buckets()
        seen = []
        for bucket in await self.core.buckets.list():
            if not identity.admin:
                owner = await self.core.identity.owner_account(bucket)
                if owner["id"] != identity.caller.account_id:
                    continue
            if identity.admin or bucket.name in rules or await self._allowed("s3:ListBucket", bucket, s3_prefix=""):
                seen.append(bucket)
        return seen

    async def _rules(self) -> list[tuple[str, str]]:
        """(bucket, prefix) of the user's per-path rules: folders shown on the way to them."""
        if self._rule_paths is None:
            caller = self.login.identity.caller
            self._rule_paths = []
            if caller.user and caller.account_id is not None:
                try:
                    user = await self.core.accounts.user(caller.account_id, caller.user)
                except JunctionError:
                    user = {}
                self._rule_paths = [(r["bucket"], r["prefix"]) for r in user.get("rules", [])]
        return self._rule_paths

    async def _rule_buckets(self) -> set[str]:
        return {bucket for bucket, _prefix in await self._rules()}

    async def _on_the_way(self, target: Target) -> list[str]:
        """Rule prefixes at or below this folder (it exists for the login even when empty)."""
        return [
            prefix
            for bucket, prefix in await self._rules()
            if bucket == target.bucket and prefix.startswith(target.prefix) and prefix != ""
        ]

    async def stat(self, path: str) -> Entry:
        target = self.resolve(path)
        name = (clean_parts(path) or ["/"])[-1]
        if not target.bucket:
            return Entry("/", True)
        bucket = await self._bucket(target.bucket)
        if not target.key:
            if not self.login.bucket and bucket.name not in {b.name for b in await self.visible_buckets()}:
                raise not_found()
            return Entry(name, True, 0, bucket.created)
        obj = await self._object(target.bucket, target.key)
        if obj is not None and await self._allowed("s3:GetObject", bucket, target.key):
            return Entry(name, False, obj.size, mtime_of(obj))
        if obj is None and self.login.bucket and target.prefix == self.login.prefix:
            return Entry(name, True)  # the login's own home, even before anything is in it
        if obj is None and await self._on_the_way(target):
            return Entry(name, True)  # a folder a rule names, or one on the way to it
        if await self._allowed("s3:ListBucket", bucket, s3_prefix=target.prefix, s3_delimiter="/"):
            if await self._folder_exists(target.bucket, target.key):
                return Entry(name, True)
            if obj is None:
                raise not_found()
        if obj is not None:
            raise denied()
        raise not_found()

    async def listdir(self, path: str) -> AsyncIterator[Entry]:
        target = self.resolve(path)
        if not target.bucket:
            for bucket in await self.visible_buckets():
                yield Entry(bucket.name, True, 0, bucket.created)
            return
        bucket = await self._bucket(target.bucket)
        prefix = target.prefix
        if not await self._allowed("s3:ListBucket", bucket, s3_prefix=prefix, s3_delimiter="/"):
            below = await self._on_the_way(target)
            if not below:
                raise denied()
            for name in sorted({p[len(prefix) :].split("/", 1)[0] for p in below if p != prefix}):
                yield Entry(name, True)
            return
        marker = ""
        while True:
            page = await self.core.list_objects(bucket.name, prefix=prefix, delimiter="/", marker=marker, max_keys=PAGE)
            for common in page.prefixes:
                name = common[len(prefix) :].rstrip("/")
                if name not in ("", ".", ".."):  # a key like `a//b` has no name a file tree can show
                    yield Entry(name, True)
            for obj in page.objects:
                name = obj.key[len(prefix) :]
                if obj.key.endswith("/") or name in ("", ".", ".."):
                    continue  # the folder's own marker, or a name no client could address
                yield Entry(name, False, obj.size, mtime_of(obj))
            if not page.truncated:
                return
            marker = page.next_marker

    async def open_read(self, path: str, offset: int = 0) -> tuple[ObjectInfo, AsyncIterator[bytes]]:
        target = self.resolve(path)
        if not target.key:
            raise not_found("not a file")
        bucket = await self._bucket(target.bucket)
        await self._authorize("s3:GetObject", bucket, target.key)
        obj = await self._object(target.bucket, target.key)
        if obj is None:
            raise not_found()
        if offset >= obj.size:
            return obj, _empty()
        return obj, self.core.objects.read(obj, ByteRange(offset, obj.size - 1) if offset else None)

    # ------------------------------------------------------------ writing

    async def _write(self, path: str, body: AsyncIterator[bytes], offset: int = 0) -> ObjectInfo:
        """Stream `body` into the object; from `offset` (a resumed upload, an append): the
        existing object's first `offset` bytes, then `body`, as one new object write."""
        self._require_writable()
        target = self.resolve(path)
        if not target.key or target.key.endswith("/"):
            raise denied("not a file name")
        bucket = await self._bucket(target.bucket)
        await self._authorize("s3:PutObject", bucket, target.key)
        if offset:
            await self._authorize("s3:GetObject", bucket, target.key)
            old = await self._object(target.bucket, target.key)
            if old is None or old.size < offset:
                raise JunctionError(ErrorCode.InvalidRange, "cannot resume past the end of the stored file")
            body = _chain(self.core.objects.read(old, ByteRange(0, offset - 1)), body)
        content_type = mimetypes.guess_type(target.key)[0] or ""
        return await self.core.objects.put(
            bucket.name,
            target.key,
            body,
            length=None,
            attrs=ObjectAttrs(content_type=content_type),
            conditions=WriteConditions(no_overwrite=self.login.identity.no_overwrite),
        )

    async def write(self, path: str, body: AsyncIterator[bytes], offset: int = 0) -> ObjectInfo:
        async with self._audited("STOR", path) as written:
            obj = await self._write(path, body, offset)
            written["size"] = obj.size
            return obj

    async def delete(self, path: str) -> None:
        async with self._audited("DELE", path):
            await self._delete(path)

    async def mkdir(self, path: str) -> None:
        async with self._audited("MKD", path):
            await self._mkdir(path)

    async def rmdir(self, path: str) -> None:
        async with self._audited("RMD", path):
            await self._rmdir(path)

    async def rename(self, source: str, destination: str) -> None:
        async with self._audited("RENAME", f"{source} -> {destination}"):
            await self._rename(source, destination)

    async def set_mtime(self, path: str, mtime: float) -> None:
        async with self._audited("MFMT", path):
            await self._set_mtime(path, mtime)

    async def check_write(self, path: str) -> None:
        """Raise as `write` would before its first byte (the FTP server answers 550 up front);
        a refusal is in the audit log as the write's."""
        async with self._audited("STOR", path, failures_only=True):
            await self._check_write(path)

    async def _check_write(self, path: str) -> None:
        self._require_writable()
        target = self.resolve(path)
        if not target.key or target.key.endswith("/"):
            raise denied("not a file name")
        await self._authorize("s3:PutObject", await self._bucket(target.bucket), target.key)

    async def _set_mtime(self, path: str, mtime: float) -> None:
        """Keep a client's modification time as the object's `mtime` metadata (a metadata-only
        copy onto itself, sharing the bytes; in a versioned bucket that is a new version)."""
        self._require_writable()
        target = self.resolve(path)
        if not target.key:
            return  # folders and buckets have no time of their own: accepted, nothing kept
        bucket = await self._bucket(target.bucket)
        obj = await self._object(target.bucket, target.key)
        if obj is None:
            if await self._folder_exists(target.bucket, target.key):
                return
            raise not_found()
        await self._authorize("s3:PutObject", bucket, target.key)
        value = f"{mtime:.9f}".rstrip("0").rstrip(".")
        if obj.meta.get(MTIME) == value:
            return
        await self._authorize("s3:GetObject", bucket, target.key)
        await self.core.objects.copy(
            CopySource(bucket.name, target.key),
            bucket.name,
            target.key,
            replace_attrs=ObjectAttrs(
                content_type=obj.content_type, headers=obj.headers, meta={**obj.meta, MTIME: value}
            ),
            conditions=WriteConditions(if_match=obj.etag),
        )

    async def _delete(self, path: str) -> None:
        self._require_writable()
        target = self.resolve(path)
        if not target.key:
            raise denied("not a file")
        bucket = await self._bucket(target.bucket)
        await self._authorize("s3:DeleteObject", bucket, target.key)
        if await self._object(target.bucket, target.key) is None:
            raise not_found()
        await self.core.objects.delete(bucket.name, target.key)

    async def _mkdir(self, path: str) -> None:
        """A folder is a zero-byte `prefix/` marker (a package's own marker at the top level);
        at the root, a bucket."""
        self._require_writable()
        target = self.resolve(path)
        if not target.bucket:
            raise denied("the root is not writable")
        if not target.key:
            await self._authorize("s3:CreateBucket")
            await self.core.buckets.create(target.bucket, self.core.identity.bucket_owner_of(self.login.identity))
            return
        bucket = await self._bucket(target.bucket)
        await self._authorize("s3:PutObject", bucket, target.prefix)
        await self.core.objects.put(
            bucket.name, target.prefix, _empty(), length=0, attrs=ObjectAttrs(content_type=FOLDER_MARKER_TYPE)
        )

    async def _rmdir(self, path: str) -> None:
        self._require_writable()
        target = self.resolve(path)
        if not target.bucket or (self.login.bucket and target.prefix == self.login.prefix):
            raise denied("cannot remove the root")
        bucket = await self._bucket(target.bucket)
        if not target.key:
            await self._authorize("s3:DeleteBucket", bucket)
            await self.core.buckets.delete(bucket.name)
            return
        await self._authorize("s3:ListBucket", bucket, s3_prefix=target.prefix, s3_delimiter="")
        page = await self.core.list_objects(bucket.name, prefix=target.prefix, max_keys=2)
        keys = [o.key for o in page.objects]
        if not keys:
            raise not_found()
        if keys != [target.prefix]:
            raise JunctionError(ErrorCode.BucketNotEmpty, "Directory not empty")
        await self._authorize("s3:DeleteObject", bucket, target.prefix)
        await self.core.objects.delete(bucket.name, target.prefix)

    async def _rename(self, source: str, destination: str) -> None:
        """A move: the object (every object under a folder) copied by sharing its blocks (no
        bytes copied), then the source deleted."""
        self._require_writable()
        src, dst = self.resolve(source), self.resolve(destination)
        if not src.key or not dst.key:
            raise denied("buckets cannot be renamed")
        src_bucket, dst_bucket = await self._bucket(src.bucket), await self._bucket(dst.bucket)
        if await self._object(src.bucket, src.key) is not None:
            await self._move(src_bucket, src.key, dst_bucket, dst.key)
            return
        await self._authorize("s3:ListBucket", src_bucket, s3_prefix=src.prefix, s3_delimiter="")
        if dst.prefix.startswith(src.prefix) and src.bucket == dst.bucket:
            raise JunctionError(ErrorCode.InvalidArgument, "cannot move a folder into itself")
        moved = 0
        while True:  # each page's keys are gone once moved: always list from the start
            page = await self.core.list_objects(src_bucket.name, prefix=src.prefix, max_keys=PAGE)
            for obj in page.objects:
                await self._move(src_bucket, obj.key, dst_bucket, dst.prefix + obj.key[len(src.prefix) :])
                moved += 1
            if not page.truncated:
                break
        if not moved:
            raise not_found()

    async def _move(self, src_bucket: Bucket, src_key: str, dst_bucket: Bucket, dst_key: str) -> None:
        await self._authorize("s3:GetObject", src_bucket, src_key)
        await self._authorize("s3:PutObject", dst_bucket, dst_key)
        await self._authorize("s3:DeleteObject", src_bucket, src_key)
        await self.core.objects.copy(
            CopySource(src_bucket.name, src_key),
            dst_bucket.name,
            dst_key,
            replace_attrs=None,
            conditions=WriteConditions(no_overwrite=self.login.identity.no_overwrite),
        )
        await self.core.objects.delete(src_bucket.name, src_key)


async def _empty() -> AsyncIterator[bytes]:
    return
    yield b""  # pragma: no cover  (makes this an async generator)


async def _chain(first: AsyncIterator[bytes], second: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    async for chunk in first:
        yield chunk
    async for chunk in second:
        yield chunk
