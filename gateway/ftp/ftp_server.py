"""The FTP server (aioftp) in the gateway's event loop: logins from gateway/core/ftp_logins.py,
files from the login's Namespace, explicit FTPS (`AUTH TLS`, `PROT P` data connections) with
the gateway's certificate, passive mode only, data ports from a configurable range. aioftp
lacks a few commands clients rely on (FEAT, SIZE, MDTM, NOOP, OPTS, AUTH); they are added here."""

from __future__ import annotations

import asyncio
import errno
import functools
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import Any

import aioftp
from aioftp import errors as ftp_errors
from aioftp.common import Connection
from aioftp.server import (
    AbstractUserManager,
    ConnectionConditions,
    PathConditions,
    PathPermissions,
    Permission,
    User,
    worker,
)

from gateway.core.service import Core
from gateway.domain.errors import ErrorCode, JunctionError

from .ftp_pathio import JunctionPathIO
from .namespace import Namespace

log = logging.getLogger("junction.ftp")
FEATURES = [
    "UTF8",
    "SIZE",
    "MDTM",
    "REST STREAM",
    "EPSV",
    "PASV",
    "MLST type*;size*;modify*;",
    "AUTH TLS",
    "PBSZ",
    "PROT",
]
DENIED = {ErrorCode.AccessDenied, ErrorCode.Unauthorized}
MISSING = {ErrorCode.NoSuchKey, ErrorCode.NoSuchBucket}


class JunctionUsers(AbstractUserManager):
    """Every name may try; the password decides (the same answer whether or not the name exists)."""

    def __init__(self, core: Core, tls: bool) -> None:
        super().__init__()
        self.core = core
        self.tls = tls

    async def get_user(self, login: str) -> tuple[AbstractUserManager.GetUserResponse, User | None, str]:
        user = User(login=login, base_path=Path("/"), home_path=PurePosixPath("/"))
        return AbstractUserManager.GetUserResponse.PASSWORD_REQUIRED, user, "password required"

    async def authenticate(self, user: User, password: str) -> bool:
        assert user.login is not None
        login = await self.core.ftp_logins.with_password(user.login, password)
        if login is None:
            log.info("ftp sign-in refused for %r", user.login[:64])
            return False
        user.namespace = Namespace(self.core, login, getattr(user, "client_ip", None), False)  # type: ignore[attr-defined]
        user.permissions = [Permission("/", readable=True, writable=login.writable)]
        return True

    async def notify_logout(self, user: User) -> None:
        return None


def _answer(connection: Connection, exc: JunctionError) -> None:
    if exc.code in DENIED:
        connection.response("550", exc.message or "permission denied")
    elif exc.code in MISSING:
        connection.response("550", exc.message or "no such file or directory")
    else:
        connection.response("550", exc.message or str(exc.code))


def _guarded(command: Callable[[Connection, Any], Awaitable[bool]]) -> Callable[[Connection, Any], Awaitable[bool]]:
    """A refused or failed action is one FTP reply; the session goes on."""

    @functools.wraps(command)
    async def run(connection: Connection, rest: Any) -> bool:
        try:
            return await command(connection, rest)
        except JunctionError as exc:
            _answer(connection, exc)
            return True

    return run


def _without_flags(
    command: Callable[[Connection, Any], Awaitable[bool]],
) -> Callable[[Connection, Any], Awaitable[bool]]:
    """`LIST -la dir` (ls-style flags some clients send) lists `dir`."""

    @functools.wraps(command)
    async def run(connection: Connection, rest: Any) -> bool:
        words = str(rest).split(" ")
        while words and words[0].startswith("-"):
            words.pop(0)
        return await command(connection, " ".join(words))

    return run


class JunctionFtpServer(aioftp.Server):
    def __init__(self, core: Core, *, tls: ssl.SSLContext | None, data_ports: Iterable[int] | None) -> None:
        super().__init__(
            JunctionUsers(core, tls is not None),
            path_io_factory=JunctionPathIO,
            data_ports=data_ports,
            idle_timeout=300,
            socket_timeout=60,
            wait_future_timeout=10,
            welcome_message="Junction FTP",
        )
        self.tls = tls
        extra = {"feat": self.feat, "size": self.size, "mdtm": self.mdtm, "noop": self.noop, "opts": self.opts}
        if tls is not None:
            extra["auth"] = self.auth
        self.commands_mapping.update(extra)
        for name in ("stor", "appe", "retr", "dele", "mkd", "rmd", "rnto", "rnfr", "list", "mlsd", "mlst", "cwd"):
            self.commands_mapping[name] = _guarded(self.commands_mapping[name])
        self.commands_mapping["stor"] = _guarded(self._checked_stor)
        self.commands_mapping["appe"] = _guarded(self._checked_appe)
        self.commands_mapping["pass"] = self._pass_with_address
        self.commands_mapping["prot"] = self.prot_level
        self.commands_mapping["nlst"] = _guarded(_without_flags(self.nlst))
        self.commands_mapping["list"] = _guarded(_without_flags(self.list))

    async def parse_command(self, stream: Any, censor_commands: tuple[str] = ("pass",)) -> Any:
        """A client that hangs up ends its session quietly (aioftp would log a traceback)."""
        try:
            return await super().parse_command(stream, censor_commands)
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            return False

    async def _pass_with_address(self, connection: Connection, rest: str) -> bool:
        if connection.future.user.done():
            connection.user.client_ip = connection.client_host
        return await self.pass_(connection, rest)

    async def _checked_stor(self, connection: Connection, rest: str) -> bool:
        await self._may_write(connection, rest)
        return await self.stor(connection, rest)

    async def _checked_appe(self, connection: Connection, rest: str) -> bool:
        await self._may_write(connection, rest)
        return await self.appe(connection, rest)

    async def _may_write(self, connection: Connection, rest: str) -> None:
        """Refuse a write up front (550) rather than after the client has sent the bytes."""
        if connection.future.logged.done() and hasattr(connection.user, "namespace"):
            real_path, _virtual = self.get_paths(connection, rest)
            await connection.user.namespace.check_write(str(real_path))

    # ------------------------------------------------------------ commands aioftp lacks

    async def feat(self, connection: Connection, rest: str) -> bool:
        features = [f for f in FEATURES if self.tls is not None or f not in ("AUTH TLS", "PBSZ", "PROT")]
        connection.response("211", ["Features:", *features, "End"], True)
        return True

    @ConnectionConditions(ConnectionConditions.login_required, ConnectionConditions.passive_server_started)
    @PathConditions(PathConditions.path_must_exists)
    @PathPermissions(PathPermissions.readable)  # type: ignore[arg-type]
    async def nlst(self, connection: Connection, rest: str | PurePosixPath) -> bool:
        """Names only, one a line (aioftp has LIST and MLSD)."""

        @ConnectionConditions(
            ConnectionConditions.data_connection_made,
            wait=True,
            fail_code="425",
            fail_info="Can't open data connection",
        )
        @worker  # type: ignore[arg-type]
        async def nlst_worker(self: JunctionFtpServer, connection: Connection, rest: str) -> bool:
            stream = connection.data_connection
            del connection.data_connection
            async with stream:
                async for path in connection.path_io.list(real_path):
                    await stream.write((path.name + "\r\n").encode(self.encoding))
            connection.response("226", "list transfer done")
            return True

        real_path, _virtual = self.get_paths(connection, rest)
        task: asyncio.Task[bool] = asyncio.create_task(nlst_worker(self, connection, str(rest)))  # type: ignore[arg-type]
        connection.extra_workers.add(task)
        connection.response("150", "list transfer started")
        return True

    async def noop(self, connection: Connection, rest: str) -> bool:
        connection.response("200", "ok")
        return True

    async def opts(self, connection: Connection, rest: str) -> bool:
        if rest.upper().startswith("UTF8"):
            connection.response("200", "UTF-8 is always on")
        else:
            connection.response("501", "option not understood")
        return True

    async def _stat_file(self, connection: Connection, rest: str) -> Any:
        if not connection.future.logged.done():
            connection.response("530", "not logged in")
            return None
        real_path, _virtual = self.get_paths(connection, rest)
        try:
            entry = await connection.user.namespace.stat(str(real_path))
        except JunctionError as exc:
            _answer(connection, exc)
            return None
        if entry.is_dir:
            connection.response("550", "not a plain file")
            return None
        return entry

    async def size(self, connection: Connection, rest: str) -> bool:
        entry = await self._stat_file(connection, rest)
        if entry is not None:
            connection.response("213", str(entry.size))
        return True

    async def mdtm(self, connection: Connection, rest: str) -> bool:
        entry = await self._stat_file(connection, rest)
        if entry is not None:
            connection.response("213", time.strftime("%Y%m%d%H%M%S", time.gmtime(entry.mtime)))
        return True

    async def auth(self, connection: Connection, rest: str) -> bool:
        """AUTH TLS: answer 234 and start TLS on the control connection before reading on (the
        reply is written and the handshake set up with no await between, so no byte of the
        client's handshake can reach the command parser in clear)."""
        if rest.upper() not in ("TLS", "SSL", "TLS-C"):
            connection.response("504", "AUTH TLS only")
            return True
        if getattr(connection, "tls_on", False):
            connection.response("503", "already under TLS")
            return True
        assert self.tls is not None
        stream = connection.command_connection
        writer: asyncio.StreamWriter = stream.writer
        writer.write(b"234 AUTH TLS ok\r\n")
        connection.tls_on = True
        try:
            await writer.start_tls(self.tls)
        except (ssl.SSLError, OSError, ConnectionError) as exc:
            log.info("ftp TLS handshake with %s failed: %s", connection.client_host, exc)
            return False
        return True

    async def prot_level(self, connection: Connection, rest: str) -> bool:
        level = rest.strip().upper()
        if level == "P" and getattr(connection, "tls_on", False):
            connection.prot_private = True
            connection.response("200", "data connections are protected")
        elif level == "C":
            connection.prot_private = False
            connection.response("200", "data connections are in clear")
        else:
            connection.response("536", "PROT P needs AUTH TLS first")
        return True

    async def _start_passive_server(
        self,
        connection: Connection,
        handler_callback: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
    ) -> asyncio.Server:
        """aioftp's, with TLS on the data connection when the session asked for PROT P."""
        context = self.tls if getattr(connection, "prot_private", False) else None
        if self.available_data_ports is None:
            return await asyncio.start_server(handler_callback, connection.server_host, 0, ssl=context)
        viewed: set[int] = set()
        while True:
            try:
                priority, port = self.available_data_ports.get_nowait()
            except asyncio.QueueEmpty:
                raise ftp_errors.NoAvailablePort from None
            if port in viewed:
                self.available_data_ports.put_nowait((priority, port))
                raise ftp_errors.NoAvailablePort
            viewed.add(port)
            try:
                server = await asyncio.start_server(handler_callback, connection.server_host, port, ssl=context)
            except OSError as err:
                self.available_data_ports.put_nowait((priority + 1, port))
                if err.errno != errno.EADDRINUSE:
                    raise
                continue
            connection.passive_server_port = port
            return server
