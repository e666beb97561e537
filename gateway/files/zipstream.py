"""A zip archive written as it is sent: stdlib `zipfile` over a write-only sink.

Given a file object that cannot seek, `zipfile` writes each entry's local header, then its
data, then a data descriptor (sizes and CRC after the data), and the central directory at the
end; so the archive goes out in order, piece by piece, and nothing but the piece in hand and
the central directory (about 100 bytes an entry) is held. No temporary file, no third-party
package: `zipstream-ng` would do the same on top of the same module.
"""

from __future__ import annotations

import time
import zipfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

ZIP64_LIMIT = (1 << 31) - 1


class _Sink:
    """What zipfile writes goes into a buffer the sender empties after every write."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def write(self, data: bytes) -> int:
        self._buffer += data
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = bytes(self._buffer)
        self._buffer.clear()
        return data


@dataclass(frozen=True, slots=True)
class Entry:
    name: str  # the name inside the archive
    size: int
    modified: float
    read: Callable[[], AsyncIterator[bytes]]


def safe_name(name: str) -> str:
    """No absolute names, no `..`: an archive that unpacks inside the folder it is unpacked in."""
    parts = [p if p not in (".", "..") else "_" for p in name.replace("\\", "/").split("/") if p]
    return "/".join(parts) or "_"


async def zip_stream(entries: AsyncIterator[Entry], *, level: int = 0) -> AsyncIterator[bytes]:
    """`level` 0: entries stored as they are; 1-9: deflated at that level."""
    sink = _Sink()
    method = zipfile.ZIP_DEFLATED if level else zipfile.ZIP_STORED
    archive = zipfile.ZipFile(sink, "w", compression=method, allowZip64=True, compresslevel=level or None)
    async for entry in entries:
        info = zipfile.ZipInfo(safe_name(entry.name), time.gmtime(max(entry.modified, 315532800))[:6])
        info.compress_type = method
        for attr in ("compress_level", "_compresslevel"):  # what ZipFile.open sets for a name (3.13 renamed it)
            if hasattr(info, attr):
                setattr(info, attr, level or None)
        info.file_size = entry.size  # zipfile picks zip64 headers from the announced size
        with archive.open(info, "w", force_zip64=entry.size > ZIP64_LIMIT) as member:
            async for chunk in entry.read():
                member.write(chunk)
                piece = sink.take()
                if piece:
                    yield piece
        piece = sink.take()
        if piece:
            yield piece
    archive.close()
    yield sink.take()
