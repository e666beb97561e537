"""The FTP server (aioftp) in the gateway's event loop: logins from gateway/core/ftp_logins.py,
files from the login's Namespace, explicit FTPS (`AUTH TLS`, `PROT P` data connections) with
the gateway's certificate, passive mode only, data ports from a configurable range. aioftp
lacks a few commands clients rely on (FEAT, SIZE, MDTM, NOOP, OPTS, AUTH); they are added here."""

from __future__ import annotations

import asyncio
import calendar
import errno
import functools
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from aioftp import errors as ftp_errors
from aioftp.common import Connection
from aioftp.server import (
    AbstractUserManager,
    Permission,
    User,
)

from gateway.core.service import Core
from gateway.domain.errors import JunctionError
from gateway.http.ratelimit import limit_of

from .ftp_pathio import JunctionPathIO
from .ftp_transfers import Transfers, answer_error
from .namespace import Namespace
from .tls_data import TlsDataStream

log = logging.getLogger("junction.ftp")
SIGN_IN_FAILURES = limit_of("ftp-login")  # failed password sign-ins per minute per address, FTP and SFTP together
FEATURES = [
    "UTF8",
    "SIZE",
    "MDTM",
    "REST STREAM",
    "EPSV",
    "PASV",
    "MLST type*;size*;modify*;",
    "MFMT",
    "AUTH TLS",
    "PBSZ",
    "PROT",
]


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
        address = getattr(user, "client_ip", None) or "-"
        if SIGN_IN_FAILURES.blocked_until(address) is not None:
            log.info("ftp sign-in from %s refused: too many failures in a minute", address)
            return False
        login = await self.core.ftp_logins.with_password(user.login, password)
        if login is None:
            SIGN_IN_FAILURES.record(address)
            log.info("ftp sign-in refused for %r from %s", user.login[:64], address)
            return False
        secure = bool(getattr(user, "tls", False))
        user.namespace = Namespace(self.core, login, getattr(user, "client_ip", None), secure, "ftp")  # type: ignore[attr-defined]
        # the namespace refuses a read-only login's writes itself (and audits the refusal)
        user.permissions = [Permission("/", readable=True, writable=True)]
        return True

    async def notify_logout(self, user: User) -> None:
        return None


def _guarded(command: Callable[[Connection, Any], Awaitable[bool]]) -> Callable[[Connection, Any], Awaitable[bool]]:
    """A refused or failed action is one FTP reply; the session goes on."""

    @functools.wraps(command)
    async def run(connection: Connection, rest: Any) -> bool:
        try:
            return await command(connection, rest)
        except JunctionError as exc:
            answer_error(connection, exc)
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


class JunctionFtpServer(Transfers):
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
        extra = {
            "feat": self.feat,
            "size": self.size,
            "mdtm": self.mdtm,
            "mfmt": self.mfmt,
            "noop": self.noop,
            "opts": self.opts,
        }
        if tls is not None:
            extra["auth"] = self.auth
        self.commands_mapping.update(extra)
        for name in ("dele", "mkd", "rmd", "rnto", "rnfr", "mlst", "cwd"):
            self.commands_mapping[name] = _guarded(self.commands_mapping[name])
        for name in ("stor", "appe", "retr"):  # ftp_transfers.py's
            self.commands_mapping[name] = _guarded(getattr(self, name))
        self.commands_mapping["pass"] = self._pass_with_address
        self.commands_mapping["prot"] = self.prot_level
        self.commands_mapping["nlst"] = _guarded(_without_flags(self.nlst))
        self.commands_mapping["list"] = _guarded(_without_flags(self.list))
        self.commands_mapping["mlsd"] = _guarded(self.mlsd)

    async def parse_command(self, stream: Any, censor_commands: tuple[str] = ("pass",)) -> Any:
        """A client that hangs up ends its session quietly (aioftp would log a traceback)."""
        try:
            return await super().parse_command(stream, censor_commands)
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            return False
        except (ValueError, UnicodeDecodeError) as exc:  # a line past the reader's limit, bytes not UTF-8
            log.info("ftp command line refused, closing the session: %s", type(exc).__name__)
            return False

    async def _pass_with_address(self, connection: Connection, rest: str) -> bool:
        if connection.future.user.done():
            connection.user.client_ip = connection.client_host
            connection.user.tls = getattr(connection, "tls_on", False)  # aws:SecureTransport
        return await self.pass_(connection, rest)

    # ------------------------------------------------------------ commands aioftp lacks

    async def feat(self, connection: Connection, rest: str) -> bool:
        features = [f for f in FEATURES if self.tls is not None or f not in ("AUTH TLS", "PBSZ", "PROT")]
        connection.response("211", ["Features:", *features, "End"], True)
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
            answer_error(connection, exc)
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

    async def mfmt(self, connection: Connection, rest: str) -> bool:
        """MFMT YYYYMMDDHHMMSS path: keep the client's modification time (namespace.set_mtime)."""
        if not connection.future.logged.done():
            connection.response("530", "not logged in")
            return True
        stamp, _, name = rest.partition(" ")
        try:
            mtime = calendar.timegm(time.strptime(stamp[:14], "%Y%m%d%H%M%S"))
        except ValueError:
            connection.response("501", "MFMT YYYYMMDDHHMMSS path")
            return True
        real_path, _virtual = self.get_paths(connection, name)
        try:
            await connection.user.namespace.set_mtime(str(real_path), float(mtime))
        except JunctionError as exc:
            answer_error(connection, exc)
            return True
        connection.response("213", f"Modify={stamp[:14]}; {name}")
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
        """aioftp's, with TLS on the data connection when the session asked for PROT P
        (tls_data.py: not asyncio's TLS transport, which can drop an upload's last bytes)."""
        context = self.tls if getattr(connection, "prot_private", False) else None
        handler = handler_callback if context is None else _tls_handler(handler_callback, context)
        if self.available_data_ports is None:
            return await asyncio.start_server(handler, connection.server_host, 0)
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
                server = await asyncio.start_server(handler, connection.server_host, port)
            except OSError as err:
                self.available_data_ports.put_nowait((priority + 1, port))
                if err.errno != errno.EADDRINUSE:
                    raise
                continue
            connection.passive_server_port = port
            return server


def _tls_handler(
    handler: Callable[[Any, Any], Awaitable[None]], context: ssl.SSLContext
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stream = TlsDataStream(reader, writer, context)
        try:
            await asyncio.wait_for(stream.handshake(), 30)
        except (ssl.SSLError, OSError, TimeoutError) as exc:
            log.info("ftp data connection TLS handshake failed: %s", exc)
            writer.close()
            return
        await handler(stream, stream)

    return accept
