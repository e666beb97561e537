"""docs/ARCHITECTURE.md's operation -> file table matches the code, so the document cannot rot.

The tables are checked, each against the code that dispatches requests:
- S3: every row's sample request is routed (by the real `gateway.s3.router.route`) to the named
  handler in the named file, and every handler the router can return has a row;
- native: the rows are exactly `gateway.native.routes.ROUTES`;
- console: the rows are exactly the routes `gateway.console.routes.register` adds;
- browser: the rows are exactly `gateway.browser.routes.ROUTES`;
- file API: the rows are exactly `gateway.files.routes.ROUTES`;
- FTP and SFTP: the rows are exactly `gateway.ftp.routes.ROUTES`.
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from gateway.browser import routes as browser_routes
from gateway.console import routes as console_routes
from gateway.files import routes as file_routes
from gateway.ftp import routes as ftp_routes
from gateway.native import routes as native_routes
from gateway.s3 import router as s3_router
from gateway.s3 import unconfigured
from gateway.s3.context import S3Call, parse_query, split_target

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "ARCHITECTURE.md"
CODE_SPAN = re.compile(r"`([^`]*)`")
TOP_DIRS = {"gateway", "backends", "s3xml", "tests", "conformance", "bench", "docs"}


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]

    @property
    def handler(self) -> str:
        return _span(self.cells[-2])

    @property
    def file(self) -> str:
        return _span(self.cells[-1])


def _span(cell: str) -> str:
    found = CODE_SPAN.findall(cell)
    return found[0] if found else cell.strip()


def _table(heading: str) -> list[Row]:
    """The rows of the first markdown table under the `### heading` section."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"### {heading}")
    rows: list[Row] = []
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = tuple(c.strip() for c in line.strip().strip("|").split("|"))
        if set("".join(cells)) <= set("-: "):  # the separator line
            continue
        rows.append(Row(cells))
    assert len(rows) > 1, f"no table under ### {heading}"
    return rows[1:]  # without the header row


S3_ROWS = _table("S3 API")
NATIVE_ROWS = _table("Native API")
CONSOLE_ROWS = _table("Console API")
BROWSER_ROWS = _table("Browser API")
FILE_ROWS = _table("File API")
FTP_ROWS = _table("FTP and SFTP")


def _function_names(file: str) -> set[str]:
    tree = ast.parse((ROOT / file).read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def _file_of(function: Any) -> str:
    function = inspect.unwrap(function)
    return Path(inspect.getfile(function)).resolve().relative_to(ROOT).as_posix()


@pytest.mark.parametrize(
    "row", S3_ROWS + NATIVE_ROWS + CONSOLE_ROWS + BROWSER_ROWS + FILE_ROWS + FTP_ROWS, ids=lambda r: r.cells[0]
)
def test_named_handler_is_defined_in_named_file(row: Row) -> None:
    assert (ROOT / row.file).is_file(), f"{row.file} does not exist"
    assert row.handler in _function_names(row.file), f"{row.handler} is not defined in {row.file}"


def test_every_path_the_document_names_exists() -> None:
    """Prose names files too (`gateway/auth/sigv4.py`, `domain/mapping.py`, `backends/`): none may be stale."""
    named = {
        span
        for span in CODE_SPAN.findall(DOC.read_text(encoding="utf-8"))
        if "/" in span and " " not in span and (span.endswith((".py", ".md")) or span.split("/")[0] in TOP_DIRS)
    }
    assert len(named) > 20
    missing = sorted(p for p in named if not (ROOT / p).exists() and not (ROOT / "gateway" / p).exists())
    assert missing == []


def _s3_call(request_cell: str) -> S3Call:
    """An S3Call for a sample like `PUT /bkt/key?partNumber=1&uploadId=u` `x-amz-copy-source: a/b`."""
    first, *headers = CODE_SPAN.findall(request_cell)
    method, target = first.split(" ", 1)
    request = make_mocked_request(
        method, target, headers={name.strip(): value.strip() for name, value in (h.split(":", 1) for h in headers)}
    )
    bucket, key = split_target(request, "")
    return S3Call(
        request=request,
        core=None,  # type: ignore[arg-type]  # routing never touches the core
        bucket=bucket,
        key=key,
        query=parse_query(request),
        request_id="doc-test",
        identity=None,  # type: ignore[arg-type]
        auth=None,
        region="us-east-1",
    )


@pytest.mark.parametrize("row", [r for r in S3_ROWS if not r.cells[1].startswith("`OPTIONS")], ids=lambda r: r.cells[0])
def test_s3_sample_request_routes_to_named_handler(row: Row) -> None:
    handler = s3_router.route(_s3_call(row.cells[1]))
    assert (handler.__name__, _file_of(handler)) == (row.handler, row.file)


def _router_handlers() -> set[tuple[str, str]]:
    """Every coroutine function of a gateway.s3 module that router.py mentions: what `route` may return."""
    tree = ast.parse(inspect.getsource(s3_router))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module = getattr(s3_router, node.value.id, None)
            if isinstance(module, ModuleType) and module.__name__.startswith("gateway.s3."):
                target = getattr(module, node.attr, None)
                if inspect.iscoroutinefunction(target):
                    found.add((node.attr, _file_of(target)))
    return found


def test_every_s3_handler_has_a_row() -> None:
    documented = {(r.handler, r.file) for r in S3_ROWS}
    assert _router_handlers() - documented == set()


def test_every_s3_subresource_operation_has_a_row() -> None:
    """Handlers shared by several operations (the "none configured" GETs) still need one row each."""
    documented = set()
    for row in S3_ROWS:
        call = _s3_call(row.cells[1])
        documented |= {(name, call.key is not None, call.request.method) for name in call.query}
    expected = set(s3_router.SUBRESOURCES) | {(name, False, "GET") for name in unconfigured.ABSENT}
    assert expected - documented == set()


def test_s3_handlers_are_named_after_their_aws_operations() -> None:
    """CreateMultipartUpload is answered by `create_multipart_upload`, so a search for the operation finds it.

    Exempt: a handler that answers several operations (the "none configured" GETs) and the
    OPTIONS preflight, which is not an AWS API operation.
    """
    shared = {h for h in (r.handler for r in S3_ROWS) if sum(r.handler == h for r in S3_ROWS) > 1}
    misnamed = {}
    for row in S3_ROWS:
        if row.handler in shared or row.cells[1].startswith("`OPTIONS"):
            continue
        operation = row.cells[0].split(" (")[0].strip()
        if row.handler != _snake(operation):
            misnamed[operation] = row.handler
    assert misnamed == {}


def test_native_table_is_the_route_table() -> None:
    documented = {(_span(r.cells[0]), _span(r.cells[1]), r.handler, r.file) for r in NATIVE_ROWS}
    actual = {
        (path, method, handler.__name__, _file_of(handler))
        for path, (method, _kind, handler) in native_routes.ROUTES.items()
    }
    assert documented == actual


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_native_handlers_are_named_after_their_routes() -> None:
    """`/v1/object/downloadByPath` is answered by `object_download_by_path`: a search for either finds both."""
    misnamed = {}
    for path, (_method, _kind, handler) in native_routes.ROUTES.items():
        _, _v1, resource, action = path.split("/")
        if handler.__name__ != f"{_snake(resource)}_{_snake(action)}":
            misnamed[path] = handler.__name__
    assert misnamed == {}


def test_console_table_is_the_route_table() -> None:
    app = web.Application()
    console_routes.register(app, core=None)  # type: ignore[arg-type]  # registering never touches the core
    actual = {
        (route.resource.canonical, route.method, inspect.unwrap(route.handler).__name__, _file_of(route.handler))
        for route in app.router.routes()
        if route.resource is not None
    }
    documented = {(_span(r.cells[0]), _span(r.cells[1]), r.handler, r.file) for r in CONSOLE_ROWS}
    assert documented == actual


def test_browser_table_is_the_route_table() -> None:
    documented = [(_span(r.cells[0]), _span(r.cells[1]), r.handler, r.file) for r in BROWSER_ROWS]
    actual = [
        (path, method, handler.__name__, _file_of(handler))
        for method, path, handler, _signed_in, _status in browser_routes.ROUTES
    ]
    assert sorted(documented) == sorted(actual)


def test_file_api_table_is_the_route_table() -> None:
    documented = [(_span(r.cells[0]), _span(r.cells[1]), r.handler, r.file) for r in FILE_ROWS]
    actual = [(path, method, handler.__name__, _file_of(handler)) for method, path, handler in file_routes.ROUTES]
    assert sorted(documented) == sorted(actual)


def test_ftp_table_is_the_route_table() -> None:
    documented = [(_span(r.cells[0]), _span(r.cells[1]), r.handler, r.file) for r in FTP_ROWS]
    actual = [(path, method, handler.__name__, _file_of(handler)) for method, path, handler in ftp_routes.ROUTES]
    assert sorted(documented) == sorted(actual)
