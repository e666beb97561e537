"""gateway.domain.file_version: a generation file's `stat` once per request, in the request's task only."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from gateway.domain.file_version import file_version, forget, per_request


def replace(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)  # a new inode, as the generation files are replaced


def test_without_a_request_every_look_is_a_stat(tmp_path: Path) -> None:
    path = tmp_path / "x.gen"
    assert file_version(str(path)) is None
    replace(path, "1")
    first = file_version(str(path))
    assert first is not None
    replace(path, "22")
    assert file_version(str(path)) != first


def test_a_request_sees_its_first_look_until_it_forgets(tmp_path: Path) -> None:
    path = tmp_path / "x.gen"
    replace(path, "1")

    async def request() -> None:
        per_request()
        first = file_version(str(path))
        replace(path, "22")  # another process's change, committed while the request runs
        assert file_version(str(path)) == first
        forget(str(path))  # this process replaced it: seen at once
        assert file_version(str(path)) != first

    asyncio.run(request())


def test_each_request_and_each_task_it_starts_looks_for_itself(tmp_path: Path) -> None:
    path = tmp_path / "x.gen"
    replace(path, "1")

    async def main() -> None:
        async def request() -> tuple[int, int, int] | None:
            per_request()
            return file_version(str(path))

        before = await asyncio.create_task(request())
        replace(path, "22")
        assert await asyncio.create_task(request()) != before  # the next request sees the change

        per_request()
        mine = file_version(str(path))
        replace(path, "333")
        child = await asyncio.create_task(asyncio.sleep(0, file_version(str(path))))
        assert child == mine  # evaluated in this task: the memo
        in_child = await asyncio.create_task(_look(path))
        assert in_child != mine  # a task of its own (it may outlive the request): a fresh stat
        assert await asyncio.to_thread(file_version, str(path)) != mine  # a thread: no memo, no error

    asyncio.run(main())


async def _look(path: Path) -> tuple[int, int, int] | None:
    return file_version(str(path))
