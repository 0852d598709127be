"""Per-line contexts for line-anomaly flags: bounded by definitions, stable under edits."""

from __future__ import annotations

import pytest

from linewright.core.documents import Document
from linewright.features.anomalies.select import select_lines, split_lines
from linewright.features.anomalies.window import LineContext, build_contexts, window_start

SOURCE = """import os
import sys

X = 1


class A:
    size = 2

    def f(self, x):
        y = x + 1
        return y


def g():
    return os.sep
"""


def contexts(
    text: str, *, fim: bool = False, prefix_lines: int = 60, suffix_lines: int = 20
) -> dict[int, LineContext]:
    doc = Document("file:///w.py", "python", 1, text)
    lines = select_lines(
        doc.text, doc.tree, doc.language, max_line_chars=240, duplicate_similarity=0.9
    )
    built = build_contexts(
        split_lines(doc.text), doc.tree, doc.language, lines,
        fim=fim, prefix_lines=prefix_lines, suffix_lines=suffix_lines,
    )  # fmt: skip
    return {ctx.line.number: ctx for ctx in built}


def test_method_line_sees_imports_class_header_and_its_method() -> None:
    ctx = contexts(SOURCE)[11]
    assert (
        ctx.prefix
        == "import os\nimport sys\nclass A:\n    def f(self, x):\n        y = x + 1\n       "
    )
    assert (ctx.heal, ctx.target, ctx.suffix) == (" ", " return y", None)


def test_definition_line_belongs_to_the_outer_scope() -> None:
    ctx = contexts(SOURCE)[9]
    assert ctx.prefix == "import os\nimport sys\nclass A:\n    size = 2\n\n   "
    assert ctx.target == " def f(self, x):"


def test_column_zero_line_needs_no_healing() -> None:
    ctx = contexts(SOURCE)[14]
    assert ctx.heal == "" and ctx.target == "def g():"
    assert ctx.prefix.endswith("        return y\n\n\n")


def test_prefix_only_models_skip_a_line_with_nothing_above() -> None:
    assert 0 not in contexts(SOURCE)
    assert contexts(SOURCE, fim=True)[0].prefix == ""


def test_fim_suffix_is_the_rest_of_the_definition() -> None:
    ctx = contexts(SOURCE, fim=True)[10]
    assert ctx.prefix.endswith("    def f(self, x):\n        ")
    assert (ctx.heal, ctx.target, ctx.suffix) == ("", "y = x + 1", "\n        return y")
    assert contexts(SOURCE, fim=True, suffix_lines=0)[10].suffix == ""


def test_an_edit_in_one_function_leaves_the_others_contexts_alone() -> None:
    edited = SOURCE.replace("y = x + 1", "y = x + 2")
    before, after = contexts(SOURCE), contexts(edited)
    # the edited line, the method's lines below it, and the next top-level line (its
    # prefix is the module above it); the other function's body keeps its context
    assert {n for n in before if before[n] != after[n]} == {10, 11, 14}
    before, after = contexts(SOURCE, fim=True), contexts(edited, fim=True)
    changed = {n for n in before if before[n] != after[n]}
    assert {9, 10, 11} <= changed and 15 not in changed  # FIM: the suffix sees it too


@pytest.mark.parametrize(
    ("number", "scope_start", "prefix_lines", "expected"),
    [
        pytest.param(10, 0, 60, 0, id="fits"),
        pytest.param(60, 0, 60, 0, id="exactly-full"),
        pytest.param(61, 0, 60, 30, id="first-step"),
        pytest.param(90, 0, 60, 30, id="same-step"),
        pytest.param(91, 0, 60, 60, id="second-step"),
        pytest.param(120, 100, 10, 110, id="offset-scope"),
        pytest.param(5, 0, 1, 4, id="one-line-window"),
    ],
)
def test_window_start_moves_in_steps(
    number: int, scope_start: int, prefix_lines: int, expected: int
) -> None:
    assert window_start(number, scope_start, prefix_lines) == expected


def test_long_function_keeps_its_header_when_the_window_moves() -> None:
    body = "".join(f"    v{i} = {i}\n" for i in range(30))
    ctx = contexts("import os\ndef big():\n" + body, prefix_lines=10)[25]
    rows = ctx.prefix.split("\n")
    assert rows[:2] == ["import os", "def big():"]
    assert rows[2] == "    v14 = 14"  # the window start moved in steps of 5 from the def
    assert rows[-2] == "    v22 = 22" and ctx.target == " v23 = 23"


def test_plain_text_uses_the_lines_above() -> None:
    from linewright.features.anomalies.select import select_lines as select

    text = "alpha\nbeta\ngamma\n"
    lines = select(text, None, None, max_line_chars=240, duplicate_similarity=0.9)
    built = build_contexts(
        split_lines(text), None, None, lines, fim=False, prefix_lines=1, suffix_lines=0
    )
    assert [(c.line.number, c.prefix, c.target) for c in built] == [
        (1, "alpha\n", "beta"),
        (2, "beta\n", "gamma"),
    ]
