"""gateway.client stays a client: the server never imports it, it imports nothing of the
server's, and the server runs without `requests` (the `client` extra's one dependency)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "gateway" / "client"
SERVER_PACKAGES = ("gateway", "backends", "s3xml")


def imported_modules(path: Path) -> set[str]:
    """Absolute names of the modules `path` imports (relative imports resolved)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def server_modules() -> list[Path]:
    return [
        p
        for top in SERVER_PACKAGES
        for p in (ROOT / top).rglob("*.py")
        if CLIENT not in p.parents and ".venv" not in p.parts
    ]


def test_no_server_module_imports_the_client() -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(n for n in imported_modules(p) if n.startswith("gateway.client"))
        for p in server_modules()
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    assert len(offenders) > 50  # the scan did see the server


def test_the_client_imports_nothing_of_the_server() -> None:
    for path in CLIENT.rglob("*.py"):
        foreign = [
            n
            for n in imported_modules(path)
            if n.split(".")[0] in SERVER_PACKAGES and not n.startswith("gateway.client")
        ]
        assert foreign == [], path


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_importing_the_client_loads_no_server_module() -> None:
    result = run_python(
        "import sys, gateway.client\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('gateway', 'backends', 's3xml')"
        " and not m.startswith('gateway.client') and m != 'gateway'))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_server_runs_without_requests() -> None:
    result = run_python(
        "import sys; sys.modules['requests'] = None\n"  # any `import requests` now fails
        "import gateway.app, gateway.cli\n"
        "from gateway.app import create_app\n"
        "from gateway.config import Config\n"
        "import tempfile\n"
        "create_app(Config(data_dir=tempfile.mkdtemp(), root_access_key='AK', root_secret_key='SK'))\n"
        "print('ok')"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
