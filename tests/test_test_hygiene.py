"""No test asserts a quantifier over a collection it has not shown to be non-empty.

``assert all(ok(x) for x in xs)`` and ``assert not any(bad(x) for x in xs)`` pass when ``xs`` is
empty: a detector that finds nothing, a source that yields no block or a command that prints no line
would pass them. Every such assertion in ``tests/`` must iterate over a collection the same function
has proven non-empty before it (or in an earlier ``and`` operand of the same assertion), by

- asserting it: ``assert xs`` (alone or as an ``and`` operand);
- bounding its length from below: ``assert len(xs) == 3``, ``assert len(xs) >= 1``,
  ``assert 1 <= len(xs) <= 6``, ``assert len(xs) == len(ys)`` (a computed count is trusted);
- comparing it, or a comprehension over it, with a non-empty literal:
  ``assert [b.start for b in xs] == [0, 10]``, or finding something in it: ``assert "a" in xs``;
- unpacking it: ``(x,) = xs``;
- binding it to a non-empty literal or ``range(n)`` (in the function or at module level), or deriving
  it from a proven collection by an unfiltered comprehension, ``list``/``sorted``/…, a slice or
  ``.values()``; a proven comprehension proves what it iterates over.

The sources are parsed, never run, and every check is a rule about one function, so it is simple to
state and cannot be satisfied by accident at run time; the rule is tested on snippets below.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).parent

# Test files exempt from the check (none: every quantifier in tests/ has been audited).
NOT_YET_AUDITED: frozenset[str] = frozenset()

# Calls whose result is non-empty exactly when their (first) argument is.
_SAME_LENGTH = frozenset({"enumerate", "sorted", "list", "tuple", "set", "frozenset", "reversed", "pairwise",
                          "iter"})
_VIEWS = frozenset({"values", "keys", "items"})
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def _key(node: ast.expr) -> str:
    return ast.unparse(node)


def _call_name(node: ast.expr) -> str | None:
    """``f`` of ``f(...)`` or ``m.f(...)``; None for anything else."""
    if not isinstance(node, ast.Call):
        return None
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _sources(node: ast.expr) -> list[ast.expr]:
    """``node`` and the collections that are non-empty exactly when iterating ``node`` yields something.

    ``xs[1:]``, ``xs.values()``, ``sorted(xs)``, ``enumerate(xs)`` → ``xs``; ``zip(a, b)`` → ``a`` and ``b``.
    A slice counts as its whole: the length bound that proves ``xs`` is expected to cover the slice.
    """
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        return [node, *_sources(node.value)]
    if not isinstance(node, ast.Call):
        return [node]
    name = _call_name(node)
    if name in _VIEWS and isinstance(node.func, ast.Attribute) and not node.args:
        return [node, *_sources(node.func.value)]
    if name in _SAME_LENGTH and len(node.args) == 1:
        return [node, *_sources(node.args[0])]
    if name == "zip" and node.args:
        return [node, *(s for arg in node.args for s in _sources(arg))]
    return [node]


def _literally_non_empty(node: ast.expr) -> bool:
    """A display with elements, or a ``range`` of constants that holds something."""
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return bool(node.elts)
    if isinstance(node, ast.Dict):
        return bool(node.keys)
    if isinstance(node, ast.Call) and _call_name(node) in _SAME_LENGTH and len(node.args) == 1:
        return _literally_non_empty(node.args[0])  # list(range(0, 300, 64))
    if isinstance(node, ast.Call) and _call_name(node) == "range" and node.args and all(
            isinstance(a, ast.Constant) and type(a.value) is int for a in node.args):
        return len(range(*(a.value for a in node.args))) > 0  # type: ignore[misc]
    return False


def _conjuncts(test: ast.expr) -> list[ast.expr]:
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return [c for value in test.values for c in _conjuncts(value)]
    return [test]


def _quantified(conjunct: ast.expr) -> ast.expr | None:
    """What ``all(...)`` or ``not any(...)`` iterates over, or None if ``conjunct`` is neither."""
    if isinstance(conjunct, ast.UnaryOp) and isinstance(conjunct.op, ast.Not):
        call, wanted = conjunct.operand, "any"
    else:
        call, wanted = conjunct, "all"
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == wanted
            and len(call.args) == 1):
        return None
    arg = call.args[0]
    return arg.generators[0].iter if isinstance(arg, _COMPREHENSIONS) else arg


def _len_of(node: ast.expr) -> ast.expr | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len" and len(node.args) == 1:
        return node.args[0]
    return None


def _at_least_one(op: ast.cmpop, bound: ast.expr, *, len_on_left: bool) -> bool:
    """``len(xs) <op> bound`` (or ``bound <op> len(xs)``) implies ``len(xs) >= 1``."""
    if not len_on_left:  # mirror ``c < len(xs)`` into ``len(xs) > c``
        op = {ast.Lt: ast.Gt(), ast.LtE: ast.GtE()}.get(type(op), op)
    if not isinstance(op, (ast.Eq, ast.Gt, ast.GtE)):
        return False
    if not (isinstance(bound, ast.Constant) and isinstance(bound.value, (int, float))):
        return True  # a count the test computed: trusted
    return bound.value > 0 if isinstance(op, ast.Gt) else bound.value >= 1


def _proven_by(conjunct: ast.expr) -> Iterator[ast.expr]:
    """Collections an asserted ``conjunct`` proves non-empty."""
    if not isinstance(conjunct, ast.Compare):
        if not isinstance(conjunct, (ast.UnaryOp, ast.BoolOp, ast.Constant)):
            yield conjunct  # ``assert xs``
        return
    operands = [conjunct.left, *conjunct.comparators]
    for (left, right), op in zip(itertools.pairwise(operands), conjunct.ops):
        for counted, bound, on_left in ((_len_of(left), right, True), (_len_of(right), left, False)):
            if counted is not None and _at_least_one(op, bound, len_on_left=on_left):
                yield counted
        if isinstance(op, ast.Eq):
            if _literally_non_empty(right):
                yield left
            if _literally_non_empty(left):
                yield right
        if isinstance(op, ast.In):
            yield right


def _statements_before(function: ast.AST, line: int, col: int) -> list[ast.stmt]:
    return sorted((node for node in ast.walk(function) if isinstance(node, ast.stmt) and node is not function
                   and (node.lineno, node.col_offset) < (line, col)), key=lambda n: (n.lineno, n.col_offset))


def _made_from(value: ast.expr) -> list[ast.expr]:
    """What a non-empty ``value`` proves non-empty: a comprehension its iterable, a view or copy its origin."""
    if isinstance(value, _COMPREHENSIONS):
        return _sources(value.generators[0].iter)
    return _sources(value)


def _is_proven(iterable: ast.expr, proven: set[str]) -> bool:
    if _literally_non_empty(iterable) or _key(iterable) in proven:
        return True
    if isinstance(iterable, _COMPREHENSIONS):  # unfiltered: as long as what it iterates over
        generator = iterable.generators[0]
        return len(iterable.generators) == 1 and not generator.ifs and _is_proven(generator.iter, proven)
    sources = _sources(iterable)
    return len(sources) > 1 and all(_is_proven(s, proven) for s in sources[1:])


def _prove(proven: set[str], value: ast.expr) -> None:
    proven.add(_key(value))
    proven.update(_key(s) for s in _made_from(value))


def _close(proven: set[str], assignments: list[tuple[str, ast.expr]]) -> None:
    """Carry proofs through the assignments ``name = value``, both ways, until nothing changes."""
    while True:
        before = len(proven)
        for name, value in assignments:
            if name not in proven and _is_proven(value, proven):
                proven.add(name)
            if name in proven:
                _prove(proven, value)
        if len(proven) == before:
            return


def _module_literals(tree: ast.Module) -> set[str]:
    """Module-level names bound to a non-empty literal (``PERSON_KEYS = ("a", "b")``)."""
    return {_key(target) for node in tree.body if isinstance(node, ast.Assign) and _literally_non_empty(node.value)
            for target in node.targets if isinstance(target, ast.Name)}


def vacuous_assertions(source: str) -> list[tuple[int, str]]:
    """``(line, assertion)`` of every ``assert all(...)`` / ``assert not any(...)`` in ``source`` over a
    collection its function has not proven non-empty before it."""
    tree = ast.parse(source)
    module_proven = _module_literals(tree)
    found: set[tuple[int, str]] = set()
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for function in functions:
        for node in ast.walk(function):
            if not isinstance(node, ast.Assert):
                continue
            conjuncts = _conjuncts(node.test)
            for index, conjunct in enumerate(conjuncts):
                iterable = _quantified(conjunct)
                if iterable is None:
                    continue
                proven = set(module_proven)
                assignments: list[tuple[str, ast.expr]] = []
                asserted = [c for stmt in _statements_before(function, node.lineno, node.col_offset)
                            if isinstance(stmt, ast.Assert) for c in _conjuncts(stmt.test)]
                for stmt in _statements_before(function, node.lineno, node.col_offset):
                    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                        target = stmt.targets[0]
                        if isinstance(target, ast.Name):
                            assignments.append((target.id, stmt.value))
                        elif (isinstance(target, ast.Tuple) and isinstance(stmt.value, ast.Tuple)
                              and len(target.elts) == len(stmt.value.elts)):  # ``a, b = xs[:5], xs[5:]``
                            assignments.extend((t.id, v) for t, v in zip(target.elts, stmt.value.elts)
                                               if isinstance(t, ast.Name))
                        elif isinstance(target, ast.Tuple) and not any(isinstance(e, ast.Starred) for e in target.elts):
                            _prove(proven, stmt.value)  # ``(x,) = xs``: xs holds something
                    elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value:
                        assignments.append((stmt.target.id, stmt.value))
                for proof in [*asserted, *conjuncts[:index]]:
                    for value in _proven_by(proof):
                        _prove(proven, value)
                _close(proven, assignments)
                if not _is_proven(iterable, proven):
                    found.add((node.lineno, ast.unparse(conjunct)))
    return sorted(found)


def _test_files() -> list[Path]:
    return [p for p in sorted(TESTS.rglob("*.py")) if p.relative_to(TESTS).as_posix() not in NOT_YET_AUDITED]


def test_the_test_files_are_read() -> None:
    names = {p.relative_to(TESTS).as_posix() for p in _test_files()}
    assert "test_test_hygiene.py" in names and "conftest.py" in names and len(names) >= 60


def test_no_quantifier_over_a_collection_not_proven_non_empty() -> None:
    offenders = [f"{path.relative_to(TESTS)}:{line}: assert {text}"
                 for path in _test_files() for line, text in vacuous_assertions(path.read_text())]
    assert offenders == [], "prove the collection non-empty first (assert it, or check its length):\n" + \
        "\n".join(offenders)


VACUOUS = '''
def test_a(run):
    records = run()
    assert all(r["ok"] for r in records)

def test_b(run):
    out = run()
    assert all(line.startswith("{") for line in out.splitlines())

def test_c(run):
    records = run()
    assert isinstance(records, list) and all(r for r in records)

def test_d(run):
    records = run()
    assert not any(r["drone"] for r in records)

def test_e(run):
    records = run()
    assert len(records) >= 0
    assert len(records) < 5
    assert all(r for r in records)

def test_f(run):
    records = run()
    assert all(r for r in records)
    assert records
'''

PROVEN = '''
KEYS = ("a", "b")

def test_a(run):
    records = run()
    assert records
    assert all(r["ok"] for r in records)

def test_b(run):
    records = run()
    assert records and all(r["ok"] for r in records)

def test_c(run):
    records = run()
    assert 1 <= len(records) <= 6
    assert all(r["ok"] for r in records[1:])

def test_d(run):
    blocks = run()
    assert [b.start for b in blocks] == [0, 10]
    starts = [b.start for b in blocks]
    assert all(s >= 0 for s in starts)

def test_e(run):
    events = run()
    kinds = [e["event"] for e in events]
    assert "start" in kinds
    assert all(e["id"] for e in events)

def test_f(record):
    assert not any(key in record for key in KEYS)
    assert all(x > 0 for x in range(1, 4))

def test_g(run):
    data = run()
    assert len(data["per_class"]) == len(run.classes)
    assert all(n > 0 for n in data["per_class"].values())

def test_i(run):
    seen = run()
    assert len(seen) == 12
    before, after = seen[:5], seen[5:]
    assert all(x for x in before) and all(x for x in after)
    assert all(x for x in list(range(0, 300, 64)))

def test_h(run):
    (only,) = run()
    seen = [x for x in run() if x]
    assert len(seen) == 2
    times = sorted(seen)
    assert all(b > a for a, b in zip(times, times[1:]))
'''


def test_the_rule_flags_a_quantifier_over_an_unproven_collection() -> None:
    flagged = vacuous_assertions(VACUOUS)
    assert [line for line, _ in flagged] == [4, 8, 12, 16, 22, 26]


def test_the_rule_accepts_every_proof() -> None:
    assert vacuous_assertions(PROVEN) == []
