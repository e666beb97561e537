"""send_stream (gateway/http/streaming.py) over a real aiohttp server on loopback: how many
socket writes a download costs, and that every byte arrives whatever the number of pieces."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from gateway.http.streaming import send_stream


def pieces_of(*pieces: bytes):
    async def stream() -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    return stream()


async def serve(aiohttp_server, pieces: tuple[bytes, ...]):
    writes: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        transport = request.transport
        assert transport is not None
        real_write = transport.write

        def counting_write(data) -> None:  # type: ignore[no-untyped-def]
            writes.append(len(data))
            real_write(data)

        transport.write = counting_write  # type: ignore[method-assign]
        size = sum(len(p) for p in pieces)
        response = web.StreamResponse(headers={"Content-Length": str(size)})
        try:
            return await send_stream(request, response, pieces_of(*pieces))
        finally:
            transport.write = real_write  # type: ignore[method-assign]

    app = web.Application()
    app.router.add_get("/", handler)
    return await aiohttp_server(app), writes


async def test_a_one_piece_object_is_one_socket_write(aiohttp_server):
    server, writes = await serve(aiohttp_server, (b"x" * 4096,))
    async with aiohttp.ClientSession() as session, session.get(server.make_url("/")) as reply:
        assert reply.status == 200 and await reply.read() == b"x" * 4096
    assert len(writes) == 1, writes  # status line, headers and body together


async def test_an_empty_object_is_one_socket_write(aiohttp_server):
    server, writes = await serve(aiohttp_server, ())
    async with aiohttp.ClientSession() as session, session.get(server.make_url("/")) as reply:
        assert reply.status == 200 and await reply.read() == b""
    assert len(writes) == 1, writes


async def test_several_pieces_arrive_whole_and_in_order(aiohttp_server):
    pieces = (b"a" * 1000, b"b" * 3000, b"c" * 10)
    server, writes = await serve(aiohttp_server, pieces)
    async with aiohttp.ClientSession() as session, session.get(server.make_url("/")) as reply:
        assert await reply.read() == b"".join(pieces)
    assert len(writes) == len(pieces), writes  # the headers ride with the first piece
