"""gateway.domain.file_version: a generation file's `stat` once per request, and only while it runs."""

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
        memo = per_request()
        first = file_version(str(path))
        replace(path, "22")  # another process's change, committed while the request runs
        assert file_version(str(path)) == first
        assert await asyncio.to_thread(file_version, str(path)) == first  # the request's own thread call
        forget(str(path))  # this process replaced it: seen at once
        assert file_version(str(path)) != first
        memo.close()

    asyncio.run(request())


def test_each_request_looks_again_and_a_task_outliving_one_looks_for_itself(tmp_path: Path) -> None:
    path = tmp_path / "x.gen"
    replace(path, "1")

    async def main() -> None:
        async def request() -> tuple[int, int, int] | None:
            memo = per_request()
            try:
                return file_version(str(path))
            finally:
                memo.close()

        before = await asyncio.create_task(request())
        replace(path, "22")
        assert await asyncio.create_task(request()) != before  # the next request sees the change

        started = asyncio.Event()
        go_on = asyncio.Event()

        async def lives_on() -> tuple[int, int, int] | None:
            started.set()
            await go_on.wait()
            return file_version(str(path))

        async def request_starting_a_task() -> asyncio.Task[tuple[int, int, int] | None]:
            memo = per_request()
            seen = file_version(str(path))
            task = asyncio.create_task(lives_on())  # inherits the request's context
            await started.wait()
            memo.close()
            assert seen is not None
            return task

        task = await asyncio.create_task(request_starting_a_task())
        mine = file_version(str(path))
        replace(path, "333")
        go_on.set()
        assert await task != mine  # the request ended: the task's look is a fresh stat

    asyncio.run(main())
