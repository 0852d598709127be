"""Static review of a candidate before it runs: it parses, it calls the target, and it has
none of the test smells studies find in model-written tests.

Fixed: print calls and sleeps are removed, duplicated asserts are removed, assertion
roulette (more than `ROULETTE` unlabeled asserts) is split into one test per assert when the
test is setup-then-asserts, and labelled otherwise. Dropped: unsafe tests (`safety`: they are
run later outside the sandbox), empty tests, tests without an assertion, tests whose
assertions cannot fail, tests that never name the target.

A check that can fail: an `assert` on something the test computed (it names a variable or
calls something) that is not a constant, a tuple or other display (always true), a
comparison of two identical expressions (unless they call methods: `s.pop() == s.pop()`),
an `or` with a true constant, or a bare `pytest.approx(...)` (approx counts as a comparison
operand); `with pytest.raises/warns(...)` and their call forms; `pytest.fail`; `assert*`
calls (mock's, numpy's) on something computed. Checks inside a `try` whose handler catches
AssertionError, Exception, BaseException or everything without raising again, or inside
`contextlib.suppress` of those, do not count.
"""

from __future__ import annotations

import ast
import dataclasses

from linewright.features.testgen.allowlist import foreign_names
from linewright.features.testgen.records import Candidate, Dropped
from linewright.features.testgen.safety import unsafe
from linewright.features.testgen.target import Target

ROULETTE = 3
EXPECTING = frozenset({"raises", "warns", "deprecated_call"})
BROAD = frozenset({"AssertionError", "Exception", "BaseException"})
DISPLAYS = (ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.JoinedStr, ast.Lambda)


def review(
    candidate: Candidate, target: Target, *, screen: bool = True
) -> tuple[list[Candidate], Dropped | None]:
    """The candidate as it will run (fixed, maybe split), or why it is dropped. `screen=False`
    skips the static safety check (only the sandbox's tests do that, to prove it holds)."""
    try:
        node = ast.parse(candidate.source).body[0]
        for statement in candidate.preamble:
            ast.parse(statement)
    except (SyntaxError, IndexError, ValueError) as exc:
        return [], _drop(candidate, "parse", f"does not parse: {exc}")
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return [], _drop(candidate, "parse", "is not a test function")
    own = {target.name, target.import_name, target.module.split(".")[0]}
    foreign = foreign_names(target.text) - own
    danger = screen and unsafe(node, [ast.parse(p) for p in candidate.preamble], own, foreign)
    if danger:
        return [], _drop(candidate, "unsafe", f"does something unsafe ({danger})")
    if _is_empty(node.body):
        return [], _drop(candidate, "smell", "empty test")
    fixes: list[str] = []
    for fix, label in (
        (_drop_calls, "removed print and sleep calls"),
        (_dedupe_asserts, "removed duplicated asserts"),
    ):
        if fix(node):
            fixes.append(label)
    missing = _missing_check(node)
    if missing:
        return [], _drop(candidate, *missing)
    if not _names_target(node, candidate.preamble, target):
        return [], _drop(candidate, "no-target", f"does not call `{target.qualname}`")
    tests = _split_roulette(node)
    if tests is None and _unlabeled(node) > ROULETTE:
        _label(node)
        fixes.append("labelled the asserts (assertion roulette)")
    if tests is not None:
        fixes.append(f"split assertion roulette into {len(tests)} tests")
    found = []
    for function in tests or [node]:
        ast.fix_missing_locations(function)
        source = ast.unparse(function) + "\n" if fixes else candidate.source
        found.append(
            dataclasses.replace(
                candidate, name=function.name, source=source, fixes=candidate.fixes + tuple(fixes)
            )
        )
    return found, None


def _drop(candidate: Candidate, reason: str, detail: str) -> Dropped:
    return Dropped(candidate.name, candidate.origin, reason, detail)


def _is_empty(body: list[ast.stmt]) -> bool:
    """Only a docstring, `pass` or `...`."""
    return all(
        isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
        for s in body
    )


def _is_noise(statement: ast.stmt) -> bool:
    """`print(...)`, `time.sleep(...)`, `sleep(...)`, `await asyncio.sleep(...)`."""
    if not isinstance(statement, ast.Expr):
        return False
    value = statement.value.value if isinstance(statement.value, ast.Await) else statement.value
    return isinstance(value, ast.Call) and _callee(value) in ("print", "sleep", "pprint")


def _blocks(node: ast.AST) -> list[list[ast.stmt]]:
    """Every statement list in the function (bodies of ifs, loops, withs, tries...)."""
    found = []
    for child in ast.walk(node):
        for name in ("body", "orelse", "finalbody"):
            block = getattr(child, name, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                found.append(block)
        for handler in getattr(child, "handlers", ()):
            found.append(handler.body)
    return found


def _drop_calls(node: ast.AST) -> bool:
    changed = False
    for block in _blocks(node):
        kept = [s for s in block if not _is_noise(s)]
        if len(kept) != len(block):
            block[:] = kept or [ast.Pass()]
            changed = True
    return changed


def _dedupe_asserts(node: ast.AST) -> bool:
    """Remove an assert identical to an earlier one with only asserts between them and no
    method calls in it (a repeated `stack.pop()` check is not a duplicate)."""
    changed = False
    for block in _blocks(node):
        seen: set[str] = set()
        kept: list[ast.stmt] = []
        for statement in block:
            if not isinstance(statement, ast.Assert):
                seen.clear()
                kept.append(statement)
                continue
            key = ast.dump(statement)
            if key in seen and not _has_method_call(statement):
                changed = True
                continue
            seen.add(key)
            kept.append(statement)
        block[:] = kept
    return changed


def _has_method_call(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) for n in ast.walk(node)
    )


def _missing_check(node: ast.AST) -> tuple[str, str] | None:
    """None when the test has a check that can fail, else (reason, detail)."""
    hidden = _swallowed(node)
    vacuous = None
    for child in ast.walk(node):
        if isinstance(child, ast.Assert):
            check: ast.AST = child
            ok = _can_fail(child.test)
        elif isinstance(child, ast.withitem) and _callee(child.context_expr) in EXPECTING:
            check, ok = child.context_expr, True
        elif isinstance(child, ast.Call) and _is_check_call(child):
            check, ok = child, _is_check_call(child, strict=True)
        else:
            continue
        if ok and id(check) not in hidden:
            return None
        vacuous = vacuous or check
    if vacuous is None:
        return "smell", "no assertion"
    snippet = ast.unparse(vacuous).splitlines()[0][:60]
    return "vacuous", f"its assertions cannot fail (`{snippet}`)"


def _can_fail(test: ast.expr) -> bool:
    if isinstance(test, DISPLAYS) or _is_approx(test):
        return False
    if (
        isinstance(test, ast.BoolOp)
        and isinstance(test.op, ast.Or)
        and any(isinstance(v, ast.Constant) and v.value for v in test.values)
    ):
        return False
    if isinstance(test, ast.Compare) and len(test.comparators) == 1:
        left, right = test.left, test.comparators[0]
        if ast.dump(left) == ast.dump(right) and not _has_method_call(left):
            return False
    return _depends(test)


def _depends(node: ast.AST) -> bool:
    """Names a variable or calls something, so its value depends on what the test ran;
    `pytest.approx(...)` depends on its arguments only."""
    if isinstance(node, ast.Call) and _is_approx(node):
        return any(_depends(a) for a in [*node.args, *node.keywords])
    if isinstance(node, (ast.Name, ast.Call)):
        return True
    return any(_depends(child) for child in ast.iter_child_nodes(node))


def _is_approx(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and _callee(node) == "approx"


def _is_check_call(call: ast.Call, strict: bool = False) -> bool:
    """`pytest.raises(E, f, x)`, `pytest.fail(...)`, `assert_*(...)`; `strict`: one that
    can fail (a `self.assertTrue(True)` cannot)."""
    name, func = _callee(call), call.func
    if name in EXPECTING and isinstance(func, ast.Attribute):
        return len(call.args) >= 2 or not strict
    if name == "fail" and isinstance(func, ast.Attribute):
        return True
    if not name.startswith("assert"):
        return False
    on_object = isinstance(func, ast.Attribute) and getattr(func.value, "id", "") != "self"
    return not strict or on_object or any(_depends(a) for a in [*call.args, *call.keywords])


def _swallowed(node: ast.AST) -> set[int]:
    """Ids of the nodes inside a `try` or `suppress` that hides a failing assert."""
    hidden: set[int] = set()
    for child in ast.walk(node):
        body: list[ast.stmt] = []
        if isinstance(child, ast.Try) or type(child).__name__ == "TryStar":
            if any(_swallows(h) for h in getattr(child, "handlers", ())):
                body = getattr(child, "body", [])
        elif isinstance(child, (ast.With, ast.AsyncWith)):
            for item in child.items:
                expr = item.context_expr
                if _callee(expr) == "suppress" and isinstance(expr, ast.Call):
                    body = child.body if any(_callee(a) in BROAD for a in expr.args) else body
        hidden.update(id(n) for statement in body for n in ast.walk(statement))
    return hidden


def _swallows(handler: ast.ExceptHandler) -> bool:
    caught = handler.type
    types = caught.elts if isinstance(caught, ast.Tuple) else [caught] if caught else []
    if caught is not None and not any(_callee(t) in BROAD for t in types):
        return False
    return not any(
        isinstance(n, ast.Raise) or (isinstance(n, ast.Call) and _callee(n) == "fail")
        for statement in handler.body
        for n in ast.walk(statement)
    )


def _callee(node: ast.expr) -> str:
    """`f` for `f(...)`, `m.f(...)`, `f` and `m.f`; else ""."""
    func = node.func if isinstance(node, ast.Call) else node
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _names_target(node: ast.AST, preamble: tuple[str, ...], target: Target) -> bool:
    names = {target.import_name, target.name}
    trees = [node, *(ast.parse(p) for p in preamble if not p.startswith(("import ", "from ")))]
    for tree in trees:
        for child in ast.walk(tree):
            if isinstance(child, ast.Name) and child.id in names:
                return True
            if isinstance(child, ast.Attribute) and child.attr in names:
                return True
    return False


def _unlabeled(node: ast.AST) -> int:
    return sum(1 for n in ast.walk(node) if isinstance(n, ast.Assert) and n.msg is None)


def _split_roulette(
    node: ast.FunctionDef | ast.AsyncFunctionDef,
) -> list[ast.FunctionDef | ast.AsyncFunctionDef] | None:
    """One test per assert, when the body is plain setup followed by asserts only."""
    if _unlabeled(node) <= ROULETTE:
        return None
    body = node.body
    first = next(i for i, s in enumerate(body) if isinstance(s, ast.Assert) or i == len(body) - 1)
    setup, checks = body[:first], body[first:]
    if not all(isinstance(s, ast.Assert) for s in checks):
        return None
    if any(isinstance(n, ast.Assert) for s in setup for n in ast.walk(s)):
        return None
    tests = []
    for number, check in enumerate(checks, 1):
        copy = ast.parse(ast.unparse(node)).body[0]
        assert isinstance(copy, (ast.FunctionDef, ast.AsyncFunctionDef))
        copy.name = f"{node.name}_{number}"
        fresh = ast.parse(ast.unparse(ast.Module(body=setup, type_ignores=[]))).body
        copy.body = [*fresh, check]
        tests.append(copy)
    return tests


def _label(node: ast.AST) -> None:
    for child in ast.walk(node):
        if isinstance(child, ast.Assert) and child.msg is None:
            child.msg = ast.Constant(ast.unparse(child.test)[:120])
