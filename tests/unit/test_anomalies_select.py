"""Line selection for line-anomaly flags: what is scanned, code without comments, facts."""

from __future__ import annotations

import pytest

from linewright.core.documents import Document
from linewright.features.anomalies.select import (
    NO_COMMENT,
    SourceLine,
    comment_distances,
    near_duplicates,
    normalise,
    select_lines,
    split_lines,
)

PYTHON = '''import os  # the os
"""Module docstring
spanning lines."""


class A:
    """Doc."""

    def f(self, x):
        # a comment
        y = x + 1  # trailing
        s = """multi
line"""
        return (
            y
        )
'''

C = """#include <stdio.h>
/* block
   comment */
int main(void) {
    int x = 1; // one
    return x;
}
"""


def scanned(text: str, uri: str, language: str, **options: float) -> list[SourceLine]:
    doc = Document(uri, language, 1, text)
    kwargs = {"max_line_chars": 240, "duplicate_similarity": 0.9, **options}
    return select_lines(doc.text, doc.tree, doc.language, **kwargs)  # type: ignore[arg-type]


def test_python_lines_with_logic_only() -> None:
    assert [(s.number, s.indent, s.code) for s in scanned(PYTHON, "file:///a.py", "python")] == [
        (0, "", "import os"),
        (5, "", "class A:"),
        (8, "    ", "def f(self, x):"),
        (10, "        ", "y = x + 1"),
        (11, "        ", 's = """multi'),
        (13, "        ", "return ("),
        (14, "            ", "y"),
    ]


def test_c_comments_are_context_only() -> None:
    assert [(s.number, s.code) for s in scanned(C, "file:///a.c", "c")] == [
        (0, "#include <stdio.h>"),
        (3, "int main(void) {"),
        (4, "int x = 1;"),
        (5, "return x;"),
    ]


def test_without_a_grammar_comment_marker_lines_are_skipped() -> None:
    text = "x = 1\n# c\n\n)\ny = 2 # t\n  // also\n"
    lines = select_lines(text, None, None, max_line_chars=240, duplicate_similarity=0.9)
    # trailing comments cannot be told from code without a grammar: they stay
    assert [(s.number, s.code) for s in lines] == [(0, "x = 1"), (4, "y = 2 # t")]


def test_long_lines_are_not_scanned() -> None:
    text = "a = 1\nb = '" + "x" * 50 + "'\n"
    assert [s.number for s in scanned(text, "file:///l.py", "python", max_line_chars=20)] == [0]


def test_crlf_lines_and_a_file_that_does_not_parse() -> None:
    text = "def f(:\r\n    return 1 +\r\n"
    lines = scanned(text, "file:///b.py", "python")
    assert [(s.number, s.code) for s in lines] == [(0, "def f(:"), (1, "return 1 +")]
    assert split_lines(text) == ["def f(:", "    return 1 +", ""]


def test_comment_distance_is_to_the_nearest_comment_line() -> None:
    lines = {s.number: s.comment_distance for s in scanned(PYTHON, "file:///a.py", "python")}
    assert lines[0] == 0  # trailing comment on the line itself
    assert lines[10] == 0
    assert lines[8] == 1  # the comment line right below
    assert lines[14] == 4


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        pytest.param([False, False], [NO_COMMENT, NO_COMMENT], id="no-comment"),
        pytest.param([True, False, False, True], [0, 1, 1, 0], id="both-sides"),
        pytest.param([False, False, True], [2, 1, 0], id="below"),
    ],
)
def test_comment_distances(flags: list[bool], expected: list[int]) -> None:
    assert comment_distances(flags) == expected


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        pytest.param(["x = a[0]", "y = b + 1", "x = a[1]"], [True, False, True], id="similar"),
        pytest.param(["return x", "return  x"], [True, True], id="whitespace-only"),
        pytest.param(["a = 1", "total = compute(values)"], [False, False], id="different"),
        pytest.param(["f(a)", "g(b)", "f(a)", "f(a)"], [True, False, True, True], id="three"),
    ],
)
def test_near_duplicates(codes: list[str], expected: list[bool]) -> None:
    assert near_duplicates(codes, 0.85) == expected


def test_normalise() -> None:
    assert normalise("  a  +\tb ") == "a + b"
