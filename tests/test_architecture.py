"""The package's shape, read from the source: no private names across subpackages, no import cycles,
a pure ``dsp/``.

Every module of rfclassify is parsed (never imported), so a rule broken in a module that no test
imports is still found.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import rfclassify

ROOT = Path(rfclassify.__file__).parent
PACKAGE = "rfclassify"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}
TREES: dict[str, ast.Module] = {name: ast.parse(path.read_text(), str(path)) for name, path in MODULES.items()}


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _absolute(module: str, node: ast.ImportFrom) -> str:
    """The absolute module an ``from ... import`` names (relative imports resolved against ``module``)."""
    if not node.level:
        return node.module or ""
    base = module.split(".") if _is_package(module) else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _subpackage(module: str) -> str:
    """``rfclassify.<this>``: the subpackage (or top-level module) a module belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _imports(module: str, tree: ast.AST) -> Iterator[tuple[str, str | None, str | None, int]]:
    """``(target module, imported name or None, local alias, line)`` of every rfclassify import in ``tree``.

    ``from pkg import x`` where ``pkg.x`` is a module names that module (name ``None``).
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    yield alias.name, None, alias.asname, node.lineno
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(module, node)
            if target.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in MODULES:
                    yield sub, None, alias.asname or alias.name, node.lineno
                else:
                    yield target, alias.name, alias.asname or alias.name, node.lineno


def _top_level_imports(module: str, tree: ast.Module) -> Iterator[str]:
    """Modules imported when ``module`` is (module-level statements, not ``if TYPE_CHECKING:`` blocks)."""

    def statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
        for stmt in body:
            if isinstance(stmt, ast.If):
                test = ast.unparse(stmt.test)
                if test in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
                    yield from statements(stmt.orelse)
                    continue
                yield from statements(stmt.body)
                yield from statements(stmt.orelse)
            elif isinstance(stmt, ast.Try):
                for part in (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody):
                    yield from statements(part)
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                yield stmt

    for stmt in statements(tree.body):
        for target, _name, _alias, _line in _imports(module, stmt):
            if target in MODULES:
                yield target


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (or a module importing itself) (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph[v]:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_package_is_parsed() -> None:
    assert len(MODULES) > 50
    assert {"rfclassify.detect.engine", "rfclassify.features.context", "rfclassify.dsp.spectrogram"} <= MODULES.keys()


def test_no_private_names_across_subpackages() -> None:
    found = []
    for module, tree in TREES.items():
        here = _subpackage(module)
        aliases: dict[str, str] = {}  # local name -> the rfclassify module it is bound to
        for target, name, alias, line in _imports(module, tree):
            if _subpackage(target) == here:
                continue
            path = target.split(".")[2:]
            if any(_private(p) for p in path) or (name is not None and _private(name)):
                found.append(f"{module}:{line} imports {target}{'.' + name if name else ''}")
            if name is None and alias is not None:
                aliases[alias] = target
        for node in ast.walk(tree):
            # module._name, through an alias of another subpackage's module
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and _private(node.attr):
                target = aliases.get(node.value.id)
                if target is not None:
                    found.append(f"{module}:{node.lineno} uses {target}.{node.attr}")
    assert found == []


def test_the_rule_sees_a_private_import() -> None:
    tree = ast.parse("from rfclassify.features.order_stats import _hidden\nfrom . import _local\n")
    got = [(t, n) for t, n, _a, _line in _imports("rfclassify.node.service", tree)]
    assert got == [("rfclassify.features.order_stats", "_hidden"), ("rfclassify.node", "_local")]


def test_no_import_cycles() -> None:
    graph = {module: set(_top_level_imports(module, tree)) for module, tree in TREES.items()}
    assert sum(len(v) for v in graph.values()) > 100  # the graph was built
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert _cycles(graph) == [["a", "b", "c"], ["e"]]


def _dataclass_or_namedtuple(cls: ast.ClassDef) -> bool:
    for dec in cls.decorator_list:
        call = dec.func if isinstance(dec, ast.Call) else dec
        if ast.unparse(call) in ("dataclass", "dataclasses.dataclass"):
            return True
    return any(ast.unparse(base) in ("NamedTuple", "typing.NamedTuple") for base in cls.bases)


def test_dsp_holds_only_functions_and_result_records() -> None:
    """``dsp/``: pure functions; a class is only a dataclass or NamedTuple of results, never holding stream state."""
    found = []
    for module, tree in TREES.items():
        if not module.startswith(f"{PACKAGE}.dsp."):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                if not _dataclass_or_namedtuple(node):
                    found.append(f"{module}:{node.lineno} class {node.name} is no dataclass or NamedTuple")
                for fn in node.body:
                    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or fn.name in ("__init__", "__post_init__"):
                        continue
                    for sub in ast.walk(fn):
                        targets = sub.targets if isinstance(sub, ast.Assign) else [getattr(sub, "target", None)]
                        for t in targets:
                            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self":
                                found.append(f"{module}:{sub.lineno} {node.name}.{fn.name} assigns self.{t.attr}")
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                found.append(f"{module}:{node.lineno} rebinds {', '.join(node.names)} across calls")
    assert found == []
