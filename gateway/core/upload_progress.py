"""Server-side progress of browser uploads: bytes received so far, keyed by an upload id the
client chose, readable by any worker process.

The handler that streams an upload writes `<data dir>/upload-progress/<digest>.json` at most
every `WRITE_EVERY` seconds (a new file renamed into place), and once more when the upload
ends; a watcher (the SSE route) polls that file. The digest covers the signed-in subject, so
one caller can never follow another's upload whatever id it guesses.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

DIRECTORY = "upload-progress"
WRITE_EVERY = 0.2  # seconds between progress writes
WATCH_EVERY = 0.2  # seconds between reads of a watched upload
STALE_AFTER = 3600.0  # a record older than this (a crashed upload) is removed by the next upload
WAIT_FOR_START = 30.0  # a watcher waits this long for an upload that has not begun


class UploadProgress:
    """One upload's counters, written through to its file."""

    def __init__(self, path: Path, total: int | None) -> None:
        self._path = path
        self.loaded = 0
        self.total = total
        self.state = "uploading"
        self.error = ""
        self._written = 0.0

    def record(self) -> dict[str, Any]:
        return {"loaded": self.loaded, "total": self.total, "status": self.state, "error": self.error}

    def add(self, size: int) -> None:
        self.loaded += size
        if time.monotonic() - self._written >= WRITE_EVERY:
            self._write()

    def finish(self, state: str, error: str = "") -> None:
        self.state, self.error = state, error
        if state == "completed":
            self.total = self.loaded
        self._write()

    def _write(self) -> None:
        self._written = time.monotonic()
        temporary = self._path.with_name(f".{self._path.name}.{secrets.token_hex(4)}")
        with contextlib.suppress(OSError):  # progress is a courtesy: never fail the upload over it
            temporary.write_text(json.dumps(self.record()))
            os.replace(temporary, self._path)


class UploadProgressService:
    def __init__(self, data_dir: Path) -> None:
        self._dir = data_dir / DIRECTORY

    def _path(self, subject: str, upload_id: str) -> Path:
        digest = hashlib.sha256(f"{subject}\0{upload_id}".encode("utf-8", "surrogatepass")).hexdigest()
        return self._dir / f"{digest}.json"

    def start(self, subject: str, upload_id: str, total: int | None) -> UploadProgress:
        self._dir.mkdir(mode=0o700, exist_ok=True)
        self._sweep()
        progress = UploadProgress(self._path(subject, upload_id), total)
        progress.finish("uploading")
        return progress

    def _sweep(self) -> None:
        cutoff = time.time() - STALE_AFTER
        with contextlib.suppress(OSError):
            for entry in os.scandir(self._dir):
                with contextlib.suppress(OSError):
                    if entry.stat().st_mtime < cutoff:
                        os.unlink(entry.path)

    def read(self, subject: str, upload_id: str) -> dict[str, Any] | None:
        try:
            value = json.loads(self._path(subject, upload_id).read_text())
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    async def watch(self, subject: str, upload_id: str) -> AsyncIterator[dict[str, Any]]:
        """Each change of the upload's record, ending after its final state (or, when it never
        starts, with one `unknown` record after `WAIT_FOR_START` seconds)."""
        last: dict[str, Any] | None = None
        started = time.monotonic()
        while True:
            record = self.read(subject, upload_id)
            if record is None:
                if time.monotonic() - started > WAIT_FOR_START:
                    yield {"loaded": 0, "total": None, "status": "unknown", "error": "no such upload"}
                    return
            elif record != last:
                last = record
                yield record
                if record.get("status") != "uploading":
                    return
            await asyncio.sleep(WATCH_EVERY)
