"""The layers hold: front ends -> core -> meta / backends, never back up, and no import cycles.

Read from the source with `ast` (nothing is imported), so a violation fails here before
anyone has to notice it in review. Every import counts: module level, inside functions,
and under `if TYPE_CHECKING:` (a type-only import still ties the two modules together).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gateway", "backends", "s3xml")
FRONT_ENDS = (
    "gateway.s3",
    "gateway.native",
    "gateway.console",
    "gateway.browser",
    "gateway.files",
    "gateway.ftp",
    "gateway.openapi",
    "gateway.app",
)


def _module_files() -> dict[str, Path]:
    files: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            files[".".join(parts)] = path
    return files


MODULES = _module_files()


def _imported_names(module: str, path: Path) -> set[str]:
    """Every dotted name `module` imports (for `from x import y`: both x and x.y)."""
    names: set[str] = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            names.add(source)
            names.update(f"{source}.{alias.name}" for alias in node.names)
    return names


def _internal(name: str) -> str | None:
    """The project module a dotted name lives in (None for third-party and stdlib)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


IMPORTS = {module: _imported_names(module, path) for module, path in MODULES.items()}
GRAPH = {
    module: {dep for dep in map(_internal, names) if dep is not None and dep != module}
    for module, names in IMPORTS.items()
}


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _violations(importers: tuple[str, ...], forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    found = []
    for module, names in sorted(IMPORTS.items()):
        if not any(_within(module, p) for p in importers):
            continue
        for name in sorted(names):
            if any(_within(name, f) for f in forbidden) and not any(_within(name, a) for a in allowed):
                found.append(f"{module} imports {name}")
    return found


def test_the_module_table_is_read() -> None:
    """Guard against a walk that silently finds nothing (every rule below would pass)."""
    assert "gateway.core.service" in GRAPH and "gateway.meta.store" in GRAPH
    assert "gateway.meta.store" in GRAPH["gateway.core.service"]


def test_front_ends_reach_storage_only_through_core() -> None:
    assert _violations(FRONT_ENDS, ("gateway.meta", "backends")) == []


def test_front_ends_do_not_import_each_other() -> None:
    """What two front ends share (request signing, the download loop) lives below them."""
    packages = (
        "gateway.s3",
        "gateway.native",
        "gateway.console",
        "gateway.browser",
        "gateway.files",
        "gateway.ftp",
    )
    found = []
    for own in packages:
        found += _violations((own,), tuple(p for p in packages if p != own))
    assert found == []


def test_front_ends_never_touch_the_store_behind_core() -> None:
    """`core.store.x(...)` would pass the import rule while skipping the core's services."""
    found = []
    for module, path in sorted(MODULES.items()):
        if not any(_within(module, p) for p in FRONT_ENDS):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute) and node.attr == "store":
                owner = node.value
                name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
                if name == "core":
                    found.append(f"{module}:{node.lineno} uses {ast.unparse(node)}")
    assert found == []


def test_core_knows_no_http_framework() -> None:
    assert _violations(("gateway.core",), ("aiohttp",)) == []


def test_backends_know_nothing_of_the_gateway() -> None:
    """Storage adapters are usable on their own: they may use the XML helpers, not the gateway."""
    assert _violations(("backends",), ("gateway",)) == []


def test_meta_does_not_import_core() -> None:
    """The store sits below the core: the types both need live in gateway.domain."""
    assert _violations(("gateway.meta",), ("gateway.core",)) == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    assert _cycles(GRAPH) == []


MAX_MODULE_LINES = 600


def test_every_module_stays_under_600_lines() -> None:
    """One job per module: a module that grows past this wants splitting along its jobs."""
    long = {}
    for module, path in MODULES.items():
        lines = len(path.read_text().splitlines())
        if lines >= MAX_MODULE_LINES:
            long[module] = lines
    assert long == {}
