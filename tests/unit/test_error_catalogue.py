"""The error catalogue is complete in every front end, and raise sites use it as intended."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from gateway.console.errors import STATUS as CONSOLE_STATUS
from gateway.domain.errors import MALFORMED_REQUEST, MESSAGES, MISSING_RESOURCE, ErrorCode, JunctionError
from gateway.native.envelope import ERRORS as NATIVE_ERRORS
from s3xml.errors import STATUS as S3_STATUS

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [p for d in ("gateway", "backends", "s3xml") for p in (ROOT / d).rglob("*.py")]
TABLES = {"messages": MESSAGES, "s3": S3_STATUS, "native": NATIVE_ERRORS, "console": CONSOLE_STATUS}


@pytest.mark.parametrize("name", TABLES)
def test_every_code_is_mapped(name: str) -> None:
    table = TABLES[name]
    assert set(table) == set(ErrorCode), f"{name} table misses {sorted(set(ErrorCode) - set(table))}"


def test_statuses_are_errors_or_not_modified() -> None:
    for code in ErrorCode:
        for status in (S3_STATUS[code], NATIVE_ERRORS[code][1], CONSOLE_STATUS[code]):
            assert status == 304 or 400 <= status < 600, (code, status)


@pytest.mark.parametrize(("group", "status"), [(MALFORMED_REQUEST, 400), (MISSING_RESOURCE, 404)])
def test_the_shared_groups_have_one_status_everywhere(group: tuple[ErrorCode, ...], status: int) -> None:
    for code in group:
        assert (S3_STATUS[code], NATIVE_ERRORS[code][1], CONSOLE_STATUS[code]) == (status, status, status), code


def test_only_server_faults_are_5xx_in_s3() -> None:
    server_side = {
        ErrorCode.InternalError,
        ErrorCode.OperationFailed,
        ErrorCode.NotImplemented,
        ErrorCode.StorageTestFailed,
        ErrorCode.CorruptedObject,  # stored bytes fail their check: the storage's fault, never the client's
        ErrorCode.ServiceUnavailable,
        ErrorCode.SlowDown,
        ErrorCode.InsufficientStorage,  # the storage is full: the server's to fix, not the client's
    }
    assert {c for c in ErrorCode if S3_STATUS[c] >= 500} == server_side


def test_error_text_falls_back_to_the_catalogue() -> None:
    assert JunctionError(ErrorCode.NoSuchKey).text == MESSAGES[ErrorCode.NoSuchKey]
    assert JunctionError(ErrorCode.NoSuchKey, "gone").text == "gone"


def _raise_sites() -> list[tuple[str, int, ast.Call]]:
    sites = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "JunctionError":
                sites.append((str(path.relative_to(ROOT)), node.lineno, node))
    return sites


def test_codes_are_never_string_literals() -> None:
    literal = [
        f"{path}:{line}"
        for path, line, call in _raise_sites()
        if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)
    ]
    assert not literal, f"use ErrorCode members, not strings: {literal}"


def test_raise_sites_do_not_repeat_the_default_message() -> None:
    repeated = []
    for path, line, call in _raise_sites():
        if len(call.args) < 2 or not isinstance(call.args[1], ast.Constant):
            continue
        code = call.args[0]
        if isinstance(code, ast.Attribute) and code.attr in ErrorCode.__members__:
            default = MESSAGES[ErrorCode[code.attr]]
            if call.args[1].value.rstrip(".") == default.rstrip("."):
                repeated.append(f"{path}:{line} ({code.attr})")
    assert not repeated, f"drop the message, the catalogue has it: {repeated}"
