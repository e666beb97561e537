"""Starting and stopping the FTP and SFTP servers. One process binds their ports: worker 0
(the others share the HTTP port through the kernel, but an FTP session's passive data port
must be opened by the process holding its control connection, so the servers cannot be
spread). The on/off switch (`/api/ftp/start|stop`) is a row every worker and instance shares;
the serving process follows it within a second and records whether its servers are up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway.core.service import Core

if TYPE_CHECKING:  # imported when a server opens: aioftp and asyncssh cost a gateway without FTP
    import asyncssh  # a fifth of its start-up (python -X importtime)

    from .ftp_server import JunctionFtpServer

log = logging.getLogger("junction.ftp")
FOLLOW_EVERY = 1.0  # seconds between looks at the shared switch


@dataclass(frozen=True, slots=True)
class FtpSettings:
    host: str
    ftp_port: int  # 0: no FTP server
    sftp_port: int  # 0: no SFTP server
    passive_ports: tuple[int, ...] | None  # None: any free port
    passive_address: str | None  # what PASV announces (behind NAT); None: the control connection's address
    tls: ssl.SSLContext | None  # FTPS (AUTH TLS) with the gateway's certificate

    @property
    def configured(self) -> bool:
        return bool(self.ftp_port or self.sftp_port)


def parse_port_range(text: str) -> tuple[int, ...] | None:
    """ "30000-30099" (or "30000,30001,...") -> the ports; "" -> None."""
    text = text.strip()
    if not text:
        return None
    ports: list[int] = []
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        first, last = int(low), int(high or low)
        if not 1 <= first <= last <= 65535:
            raise ValueError(f"bad passive port range {part!r}")
        ports.extend(range(first, last + 1))
    return tuple(ports)


class FtpServers:
    def __init__(self, core: Core, settings: FtpSettings) -> None:
        self.core = core
        self.settings = settings
        self._ftp: JunctionFtpServer | None = None
        self._sftp: asyncssh.SSHAcceptor | None = None
        self._follow: asyncio.Task[None] | None = None

    @property
    def up(self) -> bool:
        return self._ftp is not None or self._sftp is not None

    async def start(self) -> None:
        """Serve at start-up unless an administrator stopped the servers; then follow the switch."""
        if not self.settings.configured:
            return
        wanted = await self.core.ftp_logins.wanted()
        if wanted is None or wanted:
            await self._open()
        await self.core.ftp_logins.set_running(self.up)
        self._follow = asyncio.ensure_future(self._follow_switch())

    async def _follow_switch(self) -> None:
        while True:
            await asyncio.sleep(FOLLOW_EVERY)
            try:
                wanted = await self.core.ftp_logins.wanted()
                if wanted and not self.up:
                    await self._open()
                elif wanted is False and self.up:
                    await self._close()
                else:
                    continue
                await self.core.ftp_logins.set_running(self.up)
            except Exception:
                log.exception("ftp: following the on/off switch failed")

    async def _open(self) -> None:
        settings = self.settings
        try:
            if settings.ftp_port:
                from .ftp_server import JunctionFtpServer

                server = JunctionFtpServer(self.core, tls=settings.tls, data_ports=settings.passive_ports)
                server.ipv4_pasv_forced_response_address = settings.passive_address
                await server.start(settings.host, settings.ftp_port)
                self._ftp = server
                log.info(
                    "ftp: serving FTP%s on %s:%d", "/FTPS" if settings.tls else "", settings.host, settings.ftp_port
                )
            if settings.sftp_port:
                from .sftp_server import start_sftp

                self._sftp = await start_sftp(self.core, settings.host, settings.sftp_port)
                log.info("ftp: serving SFTP on %s:%d", settings.host, settings.sftp_port)
        except OSError as exc:
            log.error("ftp: cannot listen: %s", exc)
            await self._close()

    async def _close(self) -> None:
        if self._ftp is not None:
            server, self._ftp = self._ftp, None
            await server.close()
            log.info("ftp: FTP server stopped")
        if self._sftp is not None:
            acceptor, self._sftp = self._sftp, None
            acceptor.close()
            await acceptor.wait_closed()
            log.info("ftp: SFTP server stopped")

    async def stop(self) -> None:
        if self._follow is not None:
            self._follow.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follow
        was_up = self.up
        await self._close()
        if was_up:
            with contextlib.suppress(Exception):
                await self.core.ftp_logins.set_running(False)
