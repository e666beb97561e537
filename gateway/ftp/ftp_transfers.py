"""STOR, APPE and RETR over the data connection, replacing aioftp's: a data connection that
breaks mid-transfer (a client gone, a failed TLS record) is answered `426` and the session goes
on, and a broken upload stores nothing (aioftp would commit what had arrived, then drop the
whole session). A transfer ends well only when the client closes the data connection itself."""

from __future__ import annotations

import asyncio
import logging
import ssl
from pathlib import PurePosixPath
from typing import Any

import aioftp
from aioftp.common import Connection
from aioftp.server import ConnectionConditions, PathPermissions

from gateway.domain.errors import ErrorCode, JunctionError

from .ftp_pathio import JunctionPathIO, ReadHandle, WriteHandle

log = logging.getLogger("junction.ftp")
DATA_ERRORS = (ConnectionError, ssl.SSLError, OSError, TimeoutError, asyncio.IncompleteReadError)


def answer_error(connection: Connection, exc: JunctionError) -> None:
    if exc.code in (ErrorCode.AccessDenied, ErrorCode.Unauthorized):
        connection.response("550", exc.message or "permission denied")
    elif exc.code in (ErrorCode.NoSuchKey, ErrorCode.NoSuchBucket):
        connection.response("550", exc.message or "no such file or directory")
    elif exc.code == ErrorCode.QuotaExceeded:
        connection.response("552", exc.message or "quota exceeded")
    else:
        connection.response("451", exc.message or str(exc.code))


class Transfers(aioftp.Server):
    @ConnectionConditions(ConnectionConditions.login_required, ConnectionConditions.passive_server_started)
    @PathPermissions(PathPermissions.writable)  # type: ignore[arg-type]
    async def stor(self, connection: Connection, rest: Any, mode: str = "wb") -> bool:
        real_path, _virtual = self.get_paths(connection, rest)
        namespace = connection.user.namespace
        await namespace.check_write(str(real_path))  # refused before the client sends a byte
        if not await connection.path_io.is_dir(real_path.parent):
            connection.response("550", "path unreachable")
            return True
        handle = WriteHandle(str(real_path), append=mode == "ab")
        handle.offset = connection.restart_offset
        task = asyncio.create_task(self._receive(connection, handle))
        connection.extra_workers.add(task)
        connection.response("150", "data transfer started")
        return True

    async def appe(self, connection: Connection, rest: Any) -> bool:
        return await self.stor(connection, rest, "ab")

    @ConnectionConditions(ConnectionConditions.login_required, ConnectionConditions.passive_server_started)
    @PathPermissions(PathPermissions.readable)  # type: ignore[arg-type]
    async def retr(self, connection: Connection, rest: Any) -> bool:
        real_path, _virtual = self.get_paths(connection, rest)
        if not await connection.path_io.is_file(real_path):
            connection.response("550", "no such file")
            return True
        handle = ReadHandle(str(real_path))
        handle.offset = connection.restart_offset
        task = asyncio.create_task(self._send(connection, handle))
        connection.extra_workers.add(task)
        connection.response("150", "data transfer started")
        return True

    # ------------------------------------------------------------ listings

    @ConnectionConditions(ConnectionConditions.login_required, ConnectionConditions.passive_server_started)
    @PathPermissions(PathPermissions.readable)  # type: ignore[arg-type]
    async def list(self, connection: Connection, rest: Any) -> bool:
        return await self._start_listing(connection, rest, "list")

    @ConnectionConditions(ConnectionConditions.login_required, ConnectionConditions.passive_server_started)
    @PathPermissions(PathPermissions.readable)  # type: ignore[arg-type]
    async def mlsd(self, connection: Connection, rest: Any) -> bool:
        return await self._start_listing(connection, rest, "mlsd")

    @ConnectionConditions(ConnectionConditions.login_required, ConnectionConditions.passive_server_started)
    @PathPermissions(PathPermissions.readable)  # type: ignore[arg-type]
    async def nlst(self, connection: Connection, rest: Any) -> bool:
        return await self._start_listing(connection, rest, "nlst")

    async def _start_listing(self, connection: Connection, rest: Any, kind: str) -> bool:
        real_path, _virtual = self.get_paths(connection, rest)
        if not await connection.path_io.is_dir(real_path):
            connection.response("550", "no such directory")
            return True
        task = asyncio.create_task(self._send_listing(connection, real_path, kind))
        connection.extra_workers.add(task)
        connection.response("150", f"{kind} transfer started")
        return True

    async def _send_listing(self, connection: Connection, path: Any, kind: str) -> None:
        """LIST (ls -l lines), MLSD (facts) or NLST (names), from one listing of the metadata."""
        pathio: JunctionPathIO = connection.path_io
        stream = await self._data_stream(connection)
        if stream is None:
            return
        try:
            async with stream:
                async for child in pathio.list(path):
                    if kind == "nlst":
                        line = child.name
                    elif kind == "mlsd":
                        line = await self.build_mlsx_string(connection, child)
                    else:
                        line = await self.build_list_string(connection, PurePosixPath(str(child)))
                    await stream.write((line + "\r\n").encode(self.encoding))
        except JunctionError as exc:
            answer_error(connection, exc)
            return
        except DATA_ERRORS as exc:
            log.info("ftp listing to %s broken off: %s", connection.client_host, exc)
            connection.response("426", "data connection lost")
            return
        connection.response("226", f"{kind} transfer done")

    # ------------------------------------------------------------ the data connection

    async def _data_stream(self, connection: Connection) -> Any:
        """The data connection, once the client has opened it (425 if it does not in time)."""
        try:
            await asyncio.wait_for(connection.future.data_connection, connection.wait_future_timeout)
        except TimeoutError:
            connection.response("425", "Can't open data connection")
            return None
        stream = connection.data_connection
        del connection.data_connection
        return stream

    async def _receive(self, connection: Connection, handle: WriteHandle) -> None:
        pathio: JunctionPathIO = connection.path_io
        stream = await self._data_stream(connection)
        if stream is None:
            return
        try:
            try:
                async with stream:
                    async for data in stream.iter_by_block(connection.block_size):
                        await pathio.write(handle, data)
            except DATA_ERRORS as exc:
                await pathio.abort(handle)
                log.info("ftp upload from %s broken off: %s", connection.client_host, exc)
                connection.response("426", "data connection lost; nothing was stored")
                return
            except asyncio.CancelledError:
                await pathio.abort(handle)
                connection.response("426", "transfer aborted; nothing was stored")
                connection.response("226", "abort successful")
                raise
            await pathio.finish(handle)
        except JunctionError as exc:
            await pathio.abort(handle)
            answer_error(connection, exc)
            return
        connection.response("226", "data transfer done")

    async def _send(self, connection: Connection, handle: ReadHandle) -> None:
        pathio: JunctionPathIO = connection.path_io
        stream = await self._data_stream(connection)
        if stream is None:
            return
        try:
            async with stream:
                while True:
                    data = await pathio.read(handle, connection.block_size)
                    if not data:
                        break
                    await stream.write(data)
        except JunctionError as exc:
            answer_error(connection, exc)
            return
        except DATA_ERRORS as exc:
            log.info("ftp download to %s broken off: %s", connection.client_host, exc)
            connection.response("426", "data connection lost")
            return
        except asyncio.CancelledError:
            connection.response("426", "transfer aborted")
            connection.response("226", "abort successful")
            raise
        finally:
            await pathio.close(handle)
        connection.response("226", "data transfer done")
