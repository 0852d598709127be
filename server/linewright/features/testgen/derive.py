"""Execution-derived (characterisation) tests: call the target in the sandbox on inputs from
its docstring examples, type hints and body literals, and assert what it did.

They need no model, so the feature works offline and with the weakest model. They pin down
the current behaviour, bugs included. `cases()` builds the calls, the sandbox runs them
(a "probe" job), `characterise()` turns the useful outcomes into test functions.
"""

from __future__ import annotations

import ast
import contextlib
import random
import re
import zlib
from dataclasses import dataclass
from typing import Any

from linewright.features.testgen import values
from linewright.features.testgen.measure import Universe, greedy
from linewright.features.testgen.records import Candidate
from linewright.features.testgen.target import Target

DULL_ERRORS = frozenset(
    {"TypeError", "AttributeError", "NameError", "UnboundLocalError", "RecursionError",
     "AssertionError", "SystemExit", "KeyboardInterrupt", "MemoryError"}
)  # fmt: skip
"""Exceptions that mostly mean "wrong kind of input"; kept only if the target raises them."""
RICH_CHARS = 60
TRIVIAL = frozenset({"None", "0", "''", "[]", "{}", "()", "False", "True", "0.0", "set()"})


@dataclass(frozen=True)
class Case:
    """One call of the target to run in the sandbox."""

    id: str
    expr: str
    example: bool
    """Taken from the docstring."""


@dataclass(frozen=True)
class Param:
    name: str
    shape: values.Shape
    default: ast.expr | None
    keyword_only: bool


def cases(target: Target, limit: int) -> tuple[str, list[Case]]:
    """(setup code, calls): docstring examples, each with one argument varied, then a
    deterministic spread over the value pools of every parameter."""
    function = target.function_ast()
    params = _params(function, skip_first=target.kind in ("method", "classmethod"))
    examples = values.docstring_examples(
        target.docstring, target.name, method=bool(target.class_name)
    )
    examples = [e for e in examples if _fits(e, params)]
    constants = values.constants(function)
    pools = [_pool(p, i, examples, constants) for i, p in enumerate(params)]
    rows = [(args, kwargs, True) for args, kwargs in examples]
    rows += [(a, k, False) for a, k in _variations(examples, pools)]
    rows += [(a, k, False) for a, k in _spread(target, params, pools, limit)]
    ctors = _constructors(target) if target.kind == "method" else [None]
    found: dict[str, Case] = {}
    for index, (args, kwargs, example) in enumerate(rows):
        expr = call_expr(target, args, kwargs, ctors[index % len(ctors)])
        if expr not in found and len(found) < limit:
            found[expr] = Case(f"c{len(found)}", expr, example)
    setup = ("import asyncio\n" if target.is_async else "") + target.import_line + "\n"
    return setup, list(found.values())


def call_expr(
    target: Target, args: list[Any], kwargs: dict[str, Any], ctor: list[Any] | None
) -> str:
    """The call as a test writes it, e.g. `Stack(3).push(1)` or `asyncio.run(f(1))`."""
    inner = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
    if target.name == "__init__" and target.class_name:
        return f"vars({target.class_name}({inner}))"
    if target.kind == "method":
        head = f"{target.class_name}({', '.join(map(repr, ctor or []))}).{target.name}"
    else:
        head = f"{target.class_name}.{target.name}" if target.class_name else target.name
    call = f"{head}({inner})"
    return (
        f"asyncio.run({call})"
        if target.is_async
        else f"list({call})"
        if target.is_generator
        else call
    )


def _params(function: ast.FunctionDef | ast.AsyncFunctionDef, skip_first: bool) -> list[Param]:
    spec = function.args
    positional = spec.posonlyargs + spec.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(spec.defaults))
    defaults += spec.defaults
    found = [
        Param(a.arg, values.shape_of(a.annotation), d, False)
        for a, d in zip(positional, defaults, strict=True)
    ]
    found = found[1:] if skip_first and found else found
    found += [
        Param(a.arg, values.shape_of(a.annotation), d, True)
        for a, d in zip(spec.kwonlyargs, spec.kw_defaults, strict=True)
    ]
    return found


def _fits(example: tuple[list[Any], dict[str, Any]], params: list[Param]) -> bool:
    args, kwargs = example
    names = {p.name for p in params}
    required = sum(1 for p in params if p.default is None and not p.keyword_only)
    positional = sum(1 for p in params if not p.keyword_only)
    return len(args) <= positional and set(kwargs) <= names and len(args) + len(kwargs) >= required


def _pool(
    param: Param, index: int, examples: list[Any], constants: dict[str, list[Any]]
) -> list[Any]:
    seen = [a[index] for a, _ in examples if index < len(a) and not param.keyword_only]
    seen += [k[param.name] for _, k in examples if param.name in k]
    shape = param.shape
    if shape == ("any",) and seen:
        shape = values.shape_of_value(seen[0])
    elif shape == ("any",) and param.default is not None:
        with contextlib.suppress(ValueError):
            shape = values.shape_of_value(ast.literal_eval(param.default))
    return values.unique(seen + values.pool(shape, constants))


def _row(params: list[Param], chosen: list[Any], full: bool) -> tuple[list[Any], dict[str, Any]]:
    """Arguments for one call: the positional parameters (only the required ones unless
    `full`; Python puts those first) and the required keyword-only ones by name."""
    positional = [p for p in params if not p.keyword_only]
    count = len(positional) if full else sum(1 for p in positional if p.default is None)
    kwargs = {
        p.name: v
        for p, v in zip(params, chosen, strict=True)
        if p.keyword_only and p.default is None
    }
    return list(chosen[:count]), kwargs


def _variations(
    examples: list[Any], pools: list[list[Any]]
) -> list[tuple[list[Any], dict[str, Any]]]:
    rows = []
    for args, kwargs in examples:
        for index in range(len(args)):
            for value in pools[index][:4]:
                changed = list(args)
                changed[index] = value
                rows.append((changed, dict(kwargs)))
    return rows


def _spread(target: Target, params: list[Param], pools: list[list[Any]], limit: int) -> list[Any]:
    """The typical call first, then diagonal rows through the pools, then seeded random ones."""
    if not params:
        return [([], {})]
    rows = [_row(params, [p[0] for p in pools], full=False)]
    longest = max(len(p) for p in pools)
    rows += [
        _row(params, [p[(r + 2 * i) % len(p)] for i, p in enumerate(pools)], full=r % 3 == 2)
        for r in range(longest)
    ]
    rng = random.Random(zlib.crc32(target.qualname.encode()))
    rows += [
        _row(params, [rng.choice(p) for p in pools], full=rng.random() < 0.3)
        for _ in range(3 * limit)
    ]
    return rows


def _constructors(target: Target) -> list[list[Any]]:
    """Constructor argument lists for instance methods, from `__init__`'s parameters."""
    init = _init_of(target.class_context)
    if init is None:
        return [[]]
    params = [p for p in _params(init, skip_first=True) if not p.keyword_only]
    pools = [_pool(p, i, [], {}) for i, p in enumerate(params)]
    rows = [[p[r % len(p)] for p in pools] for r in range(4)] if pools else []
    defaults = all(p.default is not None for p in params)
    return [[], *rows] if defaults else rows


def _init_of(class_context: str | None) -> ast.FunctionDef | None:
    """The `__init__` in a method's class context, or None: a class without one has a
    header only, which is no Python block (whatever the file's indentation)."""
    if not class_context or "__init__" not in class_context:
        return None
    try:
        tree = ast.parse(class_context)
    except SyntaxError:  # a header alone, or a class the file itself does not parse
        return None
    return next(
        (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None
    )


def characterise(
    target: Target,
    calls: list[Case],
    results: dict[str, dict[str, Any]],
    universe: Universe,
    limit: int,
) -> list[Candidate]:
    """Test functions for the calls whose outcome can be asserted, picked greedily by the
    coverage they add (ties: docstring examples, non-trivial results, richer calls)."""
    options = []
    for case in calls:
        event = results.get(case.id)
        test = _assertion(target, case, event) if event and "violation" not in event else None
        if test is not None and event is not None:
            covers = universe.items(event.get("lines", ()), event.get("arcs", ()))
            dull = event.get("repr") in TRIVIAL
            options.append(
                (case, test, covers, (case.example, "repr" in event, not dull, _richness(case)))
            )
    picked = sorted(greedy([o[2] for o in options], [o[3] for o in options], limit))
    base = re.sub(r"\W+", "_", target.qualname.replace("__init__", "init")).strip("_").lower()
    names: set[str] = set()
    found = []
    for index in picked:
        case, (label, body, preamble), _, _ = options[index]
        name = _unique_name(f"test_{base}_{label}", names)
        found.append(Candidate(name, f"def {name}():\n{body}", preamble, "derived"))
    return found


def _richness(case: Case) -> int:
    """Tie-break between calls covering the same code: more data in the call (up to a
    readable length) makes a coincidence like `f([1.5]) == 1.5` under a mutant less likely."""
    return min(len(case.expr), RICH_CHARS)


def _assertion(
    target: Target, case: Case, event: dict[str, Any]
) -> tuple[str, str, tuple[str, ...]] | None:
    """(name label, body, preamble) asserting the recorded outcome, or None."""
    outcome = event.get("outcome")
    kind = "example" if case.example else "case"
    if outcome == "value":
        text = event["repr"]
        if text in ("None", "True", "False"):
            return kind, f"    assert {case.expr} is {text}\n", ()
        if _is_float(text):
            return kind, f"    assert {case.expr} == pytest.approx({text})\n", ("import pytest",)
        return kind, f"    assert {case.expr} == {text}\n", ()
    if outcome == "object" and event.get("type") == target.import_name:
        body = f"    result = {case.expr}\n    assert isinstance(result, {target.import_name})\n"
        return kind, body + f"    assert vars(result) == {event['vars']}\n", ()
    if outcome == "raises" and event.get("builtin"):
        name = event["exc"]
        raised = re.search(rf"\braise\s+{name}\b", target.source) or (
            name == "AssertionError" and re.search(r"\bassert\b", target.source)
        )
        if name in DULL_ERRORS and not raised:
            return None
        body = f"    with pytest.raises({name}):\n        {case.expr}\n"
        return f"raises_{name.lower()}", body, ("import pytest",)
    return None


def _is_float(text: str) -> bool:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return False
    return isinstance(value, float) and not value.is_integer()


def _unique_name(name: str, taken: set[str]) -> str:
    """`name`, numbered for examples and cases (`_1`, `_2`) and on a clash."""
    numbered = name.endswith(("_case", "_example"))
    number = 1
    candidate = f"{name}_1" if numbered else name
    while candidate in taken:
        number += 1
        candidate = f"{name}_{number}"
    taken.add(candidate)
    return candidate
