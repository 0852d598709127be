"""testgen input derivation: value pools from hints, docstring examples, calls, assertions."""

from __future__ import annotations

import ast
import pathlib
from typing import Any

import pytest

from linewright.features.testgen import derive, values
from linewright.features.testgen.measure import Universe, greedy, universe
from tests.unit.test_testgen_target import (
    GEO,
    INDENTS,
    ONLY_MEMBER,
    SOLUTION,
    indented,
    line_of,
    make_project,
    make_target,
)


def shape(annotation: str) -> values.Shape:
    return values.shape_of(ast.parse(annotation, mode="eval").body)


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        pytest.param("int", ("int",), id="int"),
        pytest.param("List[int]", ("list", ("int",)), id="typing-list"),
        pytest.param("list[str]", ("list", ("str",)), id="builtin-list"),
        pytest.param("Optional[float]", ("union", (("none",), ("float",))), id="optional"),
        pytest.param("int | None", ("union", (("int",), ("none",))), id="pep604"),
        pytest.param("Dict[str, int]", ("dict", ("str",), ("int",)), id="dict"),
        pytest.param("Tuple[int, str]", ("tuple", (("int",), ("str",)), False), id="tuple"),
        pytest.param("tuple[int, ...]", ("tuple", (("int",),), True), id="variadic-tuple"),
        pytest.param("'Stack'", ("any",), id="forward-ref-unknown"),
        pytest.param("'List[int]'", ("list", ("int",)), id="forward-ref"),
        pytest.param("numpy.ndarray", ("any",), id="unknown"),
    ],
)
def test_shape_of(annotation: str, expected: values.Shape) -> None:
    assert shape(annotation) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(3, ("int",), id="int"),
        pytest.param(True, ("bool",), id="bool-before-int"),
        pytest.param([1.5, 2.0], ("list", ("float",)), id="list"),
        pytest.param({"a": 1}, ("dict", ("str",), ("int",)), id="dict"),
        pytest.param((1, "a"), ("tuple", (("int",), ("str",)), False), id="tuple"),
    ],
)
def test_shape_of_value(value: Any, expected: values.Shape) -> None:
    assert values.shape_of_value(value) == expected


def test_pools_put_the_functions_own_literals_first() -> None:
    function = ast.parse('def f(x):\n    """Doc."""\n    return x > 41 or x == "yes"\n').body[0]
    constants = values.constants(function)
    assert constants == {"int": [41, 40, 42], "float": [], "str": ["yes"]}
    ints = values.pool(("int",), constants)
    assert ints[:3] == [41, 40, 42] and 0 in ints and len(ints) <= values.POOL_SIZE
    lists = values.pool(("list", ("int",)), constants)
    assert [] in lists and [40] in lists and all(isinstance(v, list) for v in lists)
    assert values.pool(("list", ("int",)), constants) == lists  # deterministic
    assert values.pool(("union", (("none",), ("str",))), {})[:2] == [None, ""]


@pytest.mark.parametrize(
    ("docstring", "expected"),
    [
        pytest.param(">>> f(1, 2)\n3", [([1, 2], {})], id="doctest"),
        pytest.param(
            "f([1, 'a)']) == 3 and f(x=2)", [([[1, "a)"]], {}), ([], {"x": 2})], id="prose"
        ),
        pytest.param("f(1) ➞ 2\nf(1) ➞ 2", [([1], {})], id="deduplicated"),
        pytest.param("g.f(1) and f(y)", [], id="other-names-and-variables"),
        pytest.param("f(1, [2", [], id="unclosed"),
    ],
)
def test_docstring_examples(docstring: str, expected: list[Any]) -> None:
    assert values.docstring_examples(docstring, "f") == expected


def test_cases_start_with_the_docstring_examples(tmp_path: pathlib.Path) -> None:
    target = make_target(make_project(tmp_path), line_of(GEO, "return math.sqrt"))
    setup, cases = derive.cases(target, 40)
    assert setup == "from pkg.geo import dist\n"
    assert cases[0] == derive.Case("c0", "dist([0, 0], [3, 4])", True)
    assert [c.id for c in cases] == [f"c{i}" for i in range(len(cases))]
    assert len(cases) == 40 and len({c.expr for c in cases}) == 40
    assert all(c.expr.startswith("dist(") for c in cases)
    assert derive.cases(target, 40) == (setup, cases)


@pytest.mark.parametrize(
    ("needle", "expected"),
    [
        pytest.param("self.items.append", "Stack().push(1)", id="method-with-constructor"),
        pytest.param("return Stack(n)", "Stack.make(1)", id="staticmethod"),
        pytest.param("self.size = size", "vars(Stack(1))", id="constructor"),
        pytest.param("return n + 1", "asyncio.run(fetch(1))", id="async"),
    ],
)
def test_call_expressions(tmp_path: pathlib.Path, needle: str, expected: str) -> None:
    target = make_target(make_project(tmp_path), line_of(GEO, needle))
    assert derive.call_expr(target, [1], {}, []) == expected


def test_characterise_keeps_what_adds_coverage(tmp_path: pathlib.Path) -> None:
    source = (
        "def sign(x: int) -> int:\n    if x < 0:\n        raise ValueError('negative')\n"
        "    return 1 if x else 0\n"
    )
    target = make_target(make_project(tmp_path, source, "m.py"), 2)
    space = universe(target)
    assert space == Universe(frozenset({2, 3, 4}), frozenset({(2, 3), (2, 4)}))
    cases = [derive.Case(f"c{i}", f"sign({v})", i == 0) for i, v in enumerate([5, 7, -1, 0])]
    positive = {"lines": [2, 4], "arcs": [[2, 4]]}
    results: dict[str, dict[str, Any]] = {
        "c0": {"outcome": "value", "repr": "1", **positive},
        "c1": {"outcome": "value", "repr": "1", **positive},
        "c2": {"outcome": "raises", "exc": "ValueError", "builtin": True, "lines": [2, 3]},
        "c3": {"outcome": "value", "repr": "0", **positive, "violation": ["network", "x"]},
    }
    results["c2"]["arcs"] = [[2, 3]]
    tests = derive.characterise(target, cases, results, space, 10)
    assert [(t.name, t.source, t.preamble) for t in tests] == [
        ("test_sign_example_1", "def test_sign_example_1():\n    assert sign(5) == 1\n", ()),
        (
            "test_sign_raises_valueerror",
            "def test_sign_raises_valueerror():\n"
            "    with pytest.raises(ValueError):\n        sign(-1)\n",
            ("import pytest",),
        ),
    ]


RAISES = {"outcome": "raises", "exc": "TypeError", "builtin": True}


@pytest.mark.parametrize(
    ("event", "source", "expected"),
    [
        pytest.param({"outcome": "value", "repr": "None"}, "", "assert f(1) is None", id="none"),
        pytest.param(
            {"outcome": "value", "repr": "0.1"}, "", "assert f(1) == pytest.approx(0.1)", id="float"
        ),
        pytest.param({"outcome": "value", "repr": "2.0"}, "", "assert f(1) == 2.0", id="int-float"),
        pytest.param(RAISES, "", None, id="dull-error"),
        pytest.param(
            RAISES,
            "raise TypeError('x')",
            "with pytest.raises(TypeError):\n        f(1)",
            id="raised-on-purpose",
        ),
        pytest.param({**RAISES, "exc": "Oops", "builtin": False}, "", None, id="not-builtin"),
        pytest.param({"outcome": "unrepresentable", "type": "Foo"}, "", None, id="unrepresentable"),
        pytest.param({"outcome": "nondeterministic"}, "", None, id="nondeterministic"),
    ],
)
def test_assertions(
    tmp_path: pathlib.Path, event: dict[str, Any], source: str, expected: str | None
) -> None:
    body = f"def f(x):\n    {source or 'return x'}\n"
    target = make_target(make_project(tmp_path, body, "m.py"), 2)
    found = derive._assertion(target, derive.Case("c0", "f(1)", False), event)
    assert (found[1] if found else None) == (f"    {expected}\n" if expected else None)


def test_greedy_prefers_gain_then_preference_then_order() -> None:
    a, b, c = frozenset({1, 2}), frozenset({2, 3}), frozenset({1, 2, 3})
    assert greedy([a, b, c], [0, 0, 0], 5) == [2]
    assert greedy([a, b, frozenset({4})], [0, 1, 0], 5) == [1, 0, 2]
    assert greedy([a, b, frozenset({4})], [0, 1, 0], 2) == [1, 0]
    assert greedy([frozenset(), a], [5, 0], 5) == [1]


@pytest.mark.parametrize(("indent", "eol"), INDENTS)
@pytest.mark.parametrize(
    ("template", "constructed"),
    [
        pytest.param(SOLUTION, ("Solution(True)", "Solution(False)"), id="with-init"),
        pytest.param(ONLY_MEMBER, ("Solution()",), id="only-member"),
    ],
)
def test_calls_of_a_method_in_any_indentation(
    tmp_path: pathlib.Path, template: str, constructed: tuple[str, ...], indent: str, eol: str
) -> None:
    source = indented(template, indent, eol)
    path = make_project(tmp_path, source, "src/pkg/solution.py")
    target = make_target(path, line_of(source, "return"), source, column=3 * len(indent))
    setup, calls = derive.cases(target, 8)
    assert setup == "from pkg.solution import Solution\n"
    assert calls and all(c.expr.startswith(constructed) for c in calls)
    assert {c.expr.split(".isNumber")[0] for c in calls} == set(constructed)
    if template is SOLUTION:
        assert calls[0] == derive.Case("c0", 'Solution(True).isNumber("1")'.replace('"', "'"), True)
