"""The package layout is a checked contract: every module imports on its own, no import cycles,
and the pure layers never reach into processes, files or the command line."""
from __future__ import annotations

import ast
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bench"
#: strategies of optional engines (make extras): importable only where those are installed
OPTIONAL = {"bench.strategies.ray_local", "bench.strategies.mpire_pool", "bench.strategies.loky_direct"}
#: layer -> layers it must never import (lazily or not): analysis and model are pure, render only renders
FORBIDDEN = {
    "bench.model": ("bench.",),
    "bench.analysis": ("bench.execute", "bench.cli", "bench.entrypoints", "bench.render", "bench.api"),
    "bench.measure": ("bench.execute", "bench.cli", "bench.render", "bench.machine", "bench.api"),
    "bench.render": ("bench.execute", "bench.cli", "bench.entrypoints", "bench.measure"),
    "bench.machine": ("bench.cli", "bench.render", "bench.api"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(imported: str, names: list[str]) -> set[str]:
    """``from a.b import c``: the module a.b.c when c is a module, else a.b."""
    found = {f"{imported}.{n}" for n in names if f"{imported}.{n}" in MODULES}
    return found | ({imported} if len(found) < len(names) else set())


def imports_of(path: Path) -> set[str]:
    """Every bench module ``path`` imports, at the top or inside a function (absolute imports only)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found |= _resolve(node.module, [a.name for a in node.names])
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m in MODULES and m != module_name(path)}


def graph() -> dict[str, set[str]]:
    return {name: imports_of(path) for name, path in MODULES.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path a -> ... -> a, or None (depth-first search with colours)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def is_parent_package(importer: str, imported: str) -> bool:
    """``bench.cli.run`` importing ``bench.cli`` runs the package's __init__ first anyway: not a cycle."""
    return importer.startswith(imported + ".")


@pytest.mark.unit
def test_find_cycle_finds_one_and_only_a_real_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


@pytest.mark.unit
def test_no_import_cycles():
    edges = {m: {d for d in deps if not is_parent_package(m, d)} for m, deps in graph().items()}
    assert find_cycle(edges) is None


@pytest.mark.unit
@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_pure_layers_stay_pure(layer):
    offending = [f"{m} imports {d}" for m, deps in graph().items() if m == layer or m.startswith(layer + ".")
                 for d in sorted(deps) if d.startswith(FORBIDDEN[layer])]
    assert not offending


def _import_alone(name: str) -> tuple[str, int, str]:
    done = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    return name, done.returncode, (done.stderr.strip().splitlines() or [""])[-1]


def test_every_module_imports_alone_in_a_fresh_interpreter():
    """An import that only works after another module was imported first is a hidden cycle or order bug."""
    names = [m for m in MODULES if m not in OPTIONAL and not m.endswith("__main__")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        failed = [(n, err) for n, code, err in pool.map(_import_alone, names) if code != 0]
    assert not failed
