"""TLS on FTP data connections (`PROT P`) run over an ssl.SSLObject on a plain TCP stream.

asyncio's own TLS transport (3.11) loses the end of an upload when the client's close_notify
and FIN arrive while the reader is paused for backpressure: on resuming it reads once, then
shuts down and drops what is still buffered. Here the raw stream keeps TCP's own backpressure
and every decrypted byte is handed on before EOF is reported. A connection that ends without
close_notify is an error, not an end of file (it could be a truncated upload)."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

RAW_BLOCK = 64 * 1024


class TlsDataStream:
    """Reader and writer in one, with the methods aioftp's StreamIO uses."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, context: ssl.SSLContext) -> None:
        self._reader = reader
        self._writer = writer
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._incoming, self._outgoing, server_side=True)
        self._eof = False

    async def handshake(self) -> None:
        while True:
            try:
                self._tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                await self.drain()
                if not await self._fill():
                    raise ConnectionResetError("the TLS handshake was cut off") from None
        await self.drain()

    async def _fill(self) -> bool:
        data = await self._reader.read(RAW_BLOCK)
        if not data:
            self._incoming.write_eof()
            return False
        self._incoming.write(data)
        return True

    async def read(self, count: int = -1) -> bytes:
        while not self._eof:
            try:
                data = self._tls.read(count if count > 0 else RAW_BLOCK)
            except ssl.SSLWantReadError:
                await self.drain()
                await self._fill()  # at EOF the next read ends cleanly or raises SSLEOFError
                continue
            except ssl.SSLZeroReturnError:  # close_notify: a clean end
                self._eof = True
                break
            except ssl.SSLEOFError:
                raise ConnectionResetError("the data connection ended without TLS close_notify") from None
            if data:
                return data
            self._eof = True
        return b""

    def write(self, data: bytes) -> None:
        self._tls.write(data)

    async def drain(self) -> None:
        pending = self._outgoing.read()
        if pending:
            self._writer.write(pending)
            await self._writer.drain()

    def close(self) -> None:
        """Send close_notify (without waiting for the client's) and close the socket."""
        try:
            self._tls.unwrap()
        except ssl.SSLError:
            pass
        pending = self._outgoing.read()
        if pending and not self._writer.is_closing():
            self._writer.write(pending)
        self._writer.close()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._writer.get_extra_info(name, default)

    @property
    def transport(self) -> asyncio.BaseTransport:
        return self._writer.transport
