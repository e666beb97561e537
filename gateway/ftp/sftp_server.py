"""The SFTP server (asyncssh) in the gateway's event loop: password or public-key sign-in of
the logins in gateway/core/ftp_logins.py, files from the login's Namespace. Only the SFTP
subsystem is served (no shell, no exec, no forwarding). Uploads must arrive in order (every
client tried sends its writes so); a first write at a non-zero offset resumes after the
stored object's first bytes. The host key is made once in the data dir (0600)."""

from __future__ import annotations

import contextlib
import errno
import functools
import inspect
import logging
import os
import stat as stat_module
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import asyncssh
from asyncssh import SFTPAttrs, SFTPName

from gateway.core.ftp_logins import FtpLogin
from gateway.core.service import Core
from gateway.datadir import write_private_file
from gateway.domain.errors import ErrorCode, JunctionError
from gateway.http.ratelimit import limit_of

from .namespace import Entry, Namespace, clean_parts
from .upload import UploadPipe

log = logging.getLogger("junction.sftp")
SIGN_IN_FAILURES = limit_of("ftp-login")  # shared with FTP's (the same object)
HOST_KEY = "ssh_host_ed25519_key"
T = TypeVar("T")


def host_key(data_dir: Path) -> asyncssh.SSHKey:
    """The server's key, made by whichever worker or instance gets there first."""
    path = data_dir / HOST_KEY
    if not path.exists():
        key = asyncssh.generate_private_key("ssh-ed25519")
        with contextlib.suppress(FileExistsError):
            write_private_file(path, key.export_private_key().decode(), exclusive=True)
    return asyncssh.read_private_key(str(path))


def sftp_error(exc: JunctionError) -> asyncssh.SFTPError:
    message = exc.message or str(exc.code)
    if exc.code in (ErrorCode.AccessDenied, ErrorCode.Unauthorized):
        return asyncssh.SFTPPermissionDenied(message)
    if exc.code in (ErrorCode.NoSuchKey, ErrorCode.NoSuchBucket):
        return asyncssh.SFTPNoSuchFile(message)
    return asyncssh.SFTPFailure(message)


def translated(method: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    @functools.wraps(method)
    async def run(*args: Any) -> T:
        try:
            return await method(*args)
        except JunctionError as exc:
            raise sftp_error(exc) from None

    return run


def attrs_of(entry: Entry) -> SFTPAttrs:
    mode = (stat_module.S_IFDIR | 0o755) if entry.is_dir else (stat_module.S_IFREG | 0o644)
    mtime = int(entry.mtime)
    return SFTPAttrs(
        type=asyncssh.FILEXFER_TYPE_DIRECTORY if entry.is_dir else asyncssh.FILEXFER_TYPE_REGULAR,
        size=entry.size,
        permissions=mode,
        atime=mtime,
        mtime=mtime,
        uid=0,
        gid=0,
        nlink=1,
    )


def text(path: bytes) -> str:
    try:
        return path.decode("utf-8")
    except UnicodeDecodeError:
        raise asyncssh.SFTPInvalidFilename("paths are UTF-8") from None


class SshLogins(asyncssh.SSHServer):
    """One per SSH connection: which login it signed in as."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.login: FtpLogin | None = None
        self.client_ip: str | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        peer = conn.get_extra_info("peername")
        self.client_ip = peer[0] if peer else None

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    async def validate_password(self, username: str, password: str) -> bool:
        address = self.client_ip or "-"
        if SIGN_IN_FAILURES.blocked_until(address) is not None:
            log.info("sftp sign-in from %s refused: too many failures in a minute", address)
            return False
        self.login = await self.core.ftp_logins.with_password(username, password)
        if self.login is None:
            SIGN_IN_FAILURES.record(address)
            log.info("sftp sign-in refused for %r from %s", username[:64], address)
        return self.login is not None

    def public_key_auth_supported(self) -> bool:
        return True

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        offered = key.export_public_key("openssh").split()[:2]
        for line in await self.core.ftp_logins.public_keys(username):
            if line.split()[:2] == [part.decode() for part in offered]:
                self.login = await self.core.ftp_logins.with_key(username)
                return self.login is not None
        return False


class ReadFile:
    def __init__(self, path: str, size: int) -> None:
        self.path = path
        self.size = size
        self.position = -1
        self.stream: AsyncIterator[bytes] | None = None
        self.pending = b""

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Only for asyncssh's ranges@asyncssh.com (where the data is): an object has no holes."""
        if whence == getattr(os, "SEEK_HOLE", -1):
            return self.size
        if offset >= self.size:
            raise OSError(errno.ENXIO, "past the end")
        return offset


class WriteFile:
    def __init__(self, path: str, append: bool) -> None:
        self.path = path
        self.append = append
        self.position = 0
        self.pipe: UploadPipe | None = None
        self.mtime: int | float | None = None


class JunctionSftp(asyncssh.SFTPServer):
    def __init__(self, chan: asyncssh.SSHServerChannel[bytes], core: Core) -> None:
        super().__init__(chan)
        owner = chan.get_connection().get_owner()
        assert isinstance(owner, SshLogins) and owner.login is not None
        self.ns = Namespace(core, owner.login, owner.client_ip, True, "sftp")
        self._uploads: set[UploadPipe] = set()  # aborted if the session ends before their close

    def realpath(self, path: bytes) -> bytes:
        return ("/" + "/".join(clean_parts(text(path)))).encode()

    @translated
    async def stat(self, path: bytes) -> SFTPAttrs:
        return attrs_of(await self.ns.stat(text(path)))

    lstat = stat

    async def fstat(self, file_obj: object) -> SFTPAttrs:
        if isinstance(file_obj, WriteFile):
            return SFTPAttrs(size=file_obj.position, permissions=stat_module.S_IFREG | 0o644)
        assert isinstance(file_obj, ReadFile)
        return await self.stat(file_obj.path.encode())

    @translated
    async def setstat(self, path: bytes, attrs: SFTPAttrs) -> None:
        """A modification time is kept (namespace.set_mtime); modes, owners: accepted, ignored."""
        if attrs.mtime is not None:
            await self.ns.set_mtime(text(path), float(attrs.mtime))

    lsetstat = setstat

    async def fsetstat(self, file_obj: object, attrs: SFTPAttrs) -> None:
        """On a file being written the time is set once it is committed (at close)."""
        if isinstance(file_obj, WriteFile):
            file_obj.mtime = attrs.mtime if attrs.mtime is not None else file_obj.mtime
        elif isinstance(file_obj, ReadFile):
            await self.setstat(file_obj.path.encode(), attrs)

    async def scandir(self, path: bytes) -> AsyncIterator[SFTPName]:
        try:
            async for entry in self.ns.listdir(text(path)):
                name = SFTPName(entry.name.encode(), attrs=attrs_of(entry))
                formatted = self.format_longname(name)  # fills name.longname (ls -l)
                if inspect.isawaitable(formatted):
                    await formatted
                yield name
        except JunctionError as exc:
            raise sftp_error(exc) from None

    @translated
    async def open(self, path: bytes, pflags: int, attrs: SFTPAttrs) -> object:
        name = text(path)
        if pflags & (asyncssh.FXF_WRITE | asyncssh.FXF_APPEND | asyncssh.FXF_CREAT | asyncssh.FXF_TRUNC):
            if pflags & asyncssh.FXF_EXCL:
                with contextlib.suppress(JunctionError):
                    await self.ns.stat(name)
                    raise asyncssh.SFTPFileAlreadyExists("the file exists")
            await self.ns.check_write(name)
            return WriteFile(name, bool(pflags & asyncssh.FXF_APPEND))
        entry = await self.ns.stat(name)
        if entry.is_dir:
            raise asyncssh.SFTPFailure("is a directory")
        return ReadFile(name, entry.size)

    async def open56(self, path: bytes, desired_access: int, flags: int, attrs: SFTPAttrs) -> object:
        """SFTP v5/v6 opens, mapped onto `open` (asyncssh's default opens a local file)."""
        disposition = flags & asyncssh.FXF_ACCESS_DISPOSITION
        creating = disposition in (
            asyncssh.FXF_CREATE_NEW,
            asyncssh.FXF_CREATE_TRUNCATE,
            asyncssh.FXF_TRUNCATE_EXISTING,
        )
        appending = bool(desired_access & asyncssh.ACE4_APPEND_DATA or flags & asyncssh.FXF_APPEND_DATA)
        if desired_access & asyncssh.ACE4_WRITE_DATA or appending or creating:
            pflags = asyncssh.FXF_WRITE | asyncssh.FXF_CREAT
            pflags |= asyncssh.FXF_APPEND if appending else asyncssh.FXF_TRUNC
            if disposition == asyncssh.FXF_CREATE_NEW:
                pflags |= asyncssh.FXF_EXCL
        else:
            pflags = asyncssh.FXF_READ
        return await self.open(path, pflags, attrs)

    # Whatever asyncssh's SFTPServer would do on the local file system is refused here.
    def readlink(self, path: bytes) -> bytes:
        raise asyncssh.SFTPOpUnsupported("there are no links")

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPOpUnsupported("links are not kept")

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPOpUnsupported("links are not kept")

    def statvfs(self, path: bytes) -> Any:
        raise asyncssh.SFTPOpUnsupported("no file system statistics")

    def fstatvfs(self, file_obj: object) -> Any:
        raise asyncssh.SFTPOpUnsupported("no file system statistics")

    def lock(self, file_obj: object, offset: int, length: int, lock_flags: int) -> None:
        raise asyncssh.SFTPOpUnsupported("no byte-range locks")

    def unlock(self, file_obj: object, offset: int, length: int) -> None:
        raise asyncssh.SFTPOpUnsupported("no byte-range locks")

    def fsync(self, file_obj: object) -> None:
        return None  # a file is durable once closed (committed), not before

    def format_user(self, uid: int | None) -> str:
        return "junction"

    def format_group(self, gid: int | None) -> str:
        return "junction"

    @translated
    async def read(self, file_obj: object, offset: int, size: int) -> bytes:
        assert isinstance(file_obj, ReadFile)
        if offset != file_obj.position or file_obj.stream is None:
            if file_obj.stream is not None:
                await file_obj.stream.aclose()  # type: ignore[attr-defined]
            _obj, file_obj.stream = await self.ns.open_read(file_obj.path, offset)
            file_obj.position, file_obj.pending = offset, b""
        if not file_obj.pending:
            file_obj.pending = await anext(file_obj.stream, b"")
        data, file_obj.pending = file_obj.pending[:size], file_obj.pending[size:]
        file_obj.position += len(data)
        return data

    @translated
    async def write(self, file_obj: object, offset: int, data: bytes) -> int:
        assert isinstance(file_obj, WriteFile)
        if file_obj.pipe is None:
            start = offset
            if file_obj.append:
                with contextlib.suppress(JunctionError):
                    start = (await self.ns.stat(file_obj.path)).size
                offset = start
            file_obj.pipe = self._pipe(file_obj.path, start)
            file_obj.position = start
        if offset != file_obj.position:
            await file_obj.pipe.abort()
            raise asyncssh.SFTPFailure("writes must be sequential (this server streams uploads into objects)")
        await file_obj.pipe.write(data)
        file_obj.position += len(data)
        return len(data)

    def _pipe(self, path: str, offset: int) -> UploadPipe:
        ns = self.ns
        pipe = UploadPipe(lambda body: ns.write(path, body, offset))
        self._uploads.add(pipe)
        return pipe

    @translated
    async def close(self, file_obj: object) -> None:
        if isinstance(file_obj, WriteFile):
            if file_obj.pipe is None:
                file_obj.pipe = self._pipe(file_obj.path, 0)
            self._uploads.discard(file_obj.pipe)
            await file_obj.pipe.close()
            if file_obj.mtime is not None:
                await self.ns.set_mtime(file_obj.path, float(file_obj.mtime))
        elif isinstance(file_obj, ReadFile) and file_obj.stream is not None:
            await file_obj.stream.aclose()  # type: ignore[attr-defined]

    @translated
    async def remove(self, path: bytes) -> None:
        await self.ns.delete(text(path))

    @translated
    async def mkdir(self, path: bytes, attrs: SFTPAttrs) -> None:
        await self.ns.mkdir(text(path))

    @translated
    async def rmdir(self, path: bytes) -> None:
        await self.ns.rmdir(text(path))

    @translated
    async def rename(self, oldpath: bytes, newpath: bytes) -> None:
        await self.ns.rename(text(oldpath), text(newpath))

    posix_rename = rename

    async def exit(self) -> None:
        """The session ended: an upload it never closed is not committed."""
        for pipe in list(self._uploads):
            await pipe.abort()
        self._uploads.clear()


async def start_sftp(core: Core, host: str, port: int) -> asyncssh.SSHAcceptor:
    return await asyncssh.listen(
        host,
        port,
        server_factory=lambda: SshLogins(core),
        server_host_keys=[host_key(core.data_dir)],
        sftp_factory=lambda chan: JunctionSftp(chan, core),
        sftp_version=3,  # what every client speaks; v4-v6 opens are mapped (open56) all the same
        allow_scp=False,
        agent_forwarding=False,
        x11_forwarding=False,
        allow_pty=False,
        login_timeout=60,
    )
