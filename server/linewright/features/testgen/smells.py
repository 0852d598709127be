"""Static review of a candidate before it runs: it parses, it calls the target, and it has
none of the test smells studies find in model-written tests.

Fixed: print calls and sleeps are removed, duplicated asserts are removed, assertion
roulette (more than `ROULETTE` unlabeled asserts) is split into one test per assert when the
test is setup-then-asserts, and labelled otherwise. Dropped: empty tests, tests without an
assertion (an `assert` on a constant does not count), tests that never name the target.
"""

from __future__ import annotations

import ast
import dataclasses

from linewright.features.testgen.records import Candidate, Dropped
from linewright.features.testgen.target import Target

ROULETTE = 3
CHECKERS = ("raises", "warns", "approx", "fail")


def review(candidate: Candidate, target: Target) -> tuple[list[Candidate], Dropped | None]:
    """The candidate as it will run (fixed, maybe split), or why it is dropped."""
    try:
        node = ast.parse(candidate.source).body[0]
        for statement in candidate.preamble:
            ast.parse(statement)
    except (SyntaxError, IndexError, ValueError) as exc:
        return [], _drop(candidate, "parse", f"does not parse: {exc}")
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return [], _drop(candidate, "parse", "is not a test function")
    if _is_empty(node.body):
        return [], _drop(candidate, "smell", "empty test")
    fixes: list[str] = []
    for fix, label in (
        (_drop_calls, "removed print and sleep calls"),
        (_dedupe_asserts, "removed duplicated asserts"),
    ):
        if fix(node):
            fixes.append(label)
    if not _asserts_something(node):
        return [], _drop(candidate, "smell", "no assertion (or only ones that cannot fail)")
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
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    name = (
        func.id
        if isinstance(func, ast.Name)
        else func.attr
        if isinstance(func, ast.Attribute)
        else ""
    )
    return name in ("print", "sleep", "pprint")


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


def _asserts_something(node: ast.AST) -> bool:
    for child in ast.walk(node):
        if isinstance(child, ast.Assert) and not isinstance(child.test, ast.Constant):
            return True
        if isinstance(child, ast.Call):
            func = child.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            if name.startswith("assert") or (isinstance(func, ast.Attribute) and name in CHECKERS):
                return True
    return False


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
