"""The house's shape (issue 24): short functions, small modules, no import cycles, folders by stage.

Read from the source with radon and ``ast``, so a change that grows a function past the
limits fails here, in the suite, not in a review months later.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

radon_complexity = pytest.importorskip("radon.complexity", reason="radon is in the [test] extra: pip install -e '.[test]'")
radon_visitors = pytest.importorskip("radon.visitors", reason="radon is in the [test] extra: pip install -e '.[test]'")

PACKAGE = Path(__file__).resolve().parent.parent / "generator"
MAX_FUNCTION_LINES = 80
MAX_COMPLEXITY = 20
MAX_MODULE_LINES = 700
STAGES = ("core", "load", "parse", "plan", "render", "write", "search", "build", "serve", "commands", "importer")


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "_themes" not in p.parts)


def _name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    return ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)


def _functions(blocks: list) -> list:
    """Every function, method and closure radon sees, once each."""
    out: dict[tuple[int, str], object] = {}
    todo = list(blocks)
    while todo:
        b = todo.pop()
        if isinstance(b, radon_visitors.Function):
            out.setdefault((b.lineno, b.name), b)
            todo.extend(b.closures)
        else:  # a class: its methods and inner classes
            todo.extend(b.methods)
            todo.extend(getattr(b, "inner_classes", []))
    return list(out.values())


def test_no_function_is_long_or_tangled() -> None:
    found = []
    for path in _modules():
        for f in _functions(radon_complexity.cc_visit(path.read_text(encoding="utf-8"))):
            length = f.endline - f.lineno + 1
            if length > MAX_FUNCTION_LINES or f.complexity > MAX_COMPLEXITY:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{f.lineno} {f.fullname}: {length} 行，圈复杂度 {f.complexity}")
    assert not found, f"超过 {MAX_FUNCTION_LINES} 行或圈复杂度超过 {MAX_COMPLEXITY} 的函数：\n" + "\n".join(sorted(found))


def test_no_module_is_too_long() -> None:
    found = [f"{p.relative_to(PACKAGE.parent)}: {n} 行" for p in _modules() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES]
    assert not found, f"超过 {MAX_MODULE_LINES} 行的模块：\n" + "\n".join(found)


def _imports(path: Path) -> set[str]:
    """The generator modules this one imports when it is imported (imports inside functions are lazy by design)."""
    out: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("generator"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("generator"):
            out.add(str(node.module))
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out - {_name(path)}


def _cycles(graph: dict[str, list[str]]) -> list[str]:
    """Every cycle a depth-first walk of ``graph`` meets, as "a → b → a"."""
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append(" → ".join([*stack[stack.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
    return cycles


def test_no_import_cycle() -> None:
    modules = {_name(p): p for p in _modules()}
    graph = {name: sorted(m for m in _imports(path) if m in modules) for name, path in modules.items()}
    assert sum(map(len, graph.values())) > len(modules), "the import graph was not read"
    cycles = _cycles(graph)
    assert not cycles, "模块之间有循环导入：\n" + "\n".join(cycles)


def test_the_cycle_check_sees_a_cycle() -> None:
    assert _cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == ["a → b → c → a"]
    assert _cycles({"a": ["b"], "b": [], "c": ["a", "b"]}) == []


def test_the_folders_read_as_the_pipeline() -> None:
    present = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert set(STAGES) <= present, sorted(set(STAGES) - present)
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in {"__init__.py", "__main__.py", "cli.py"})
    assert not loose, f"generator/ 顶层只放 cli.py：{loose}"
    missing = [str(p.relative_to(PACKAGE.parent)) for p in _modules() if ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) is None]
    assert not missing, f"没有模块说明（docstring）的模块：{missing}"
