"""Post-processing end to end: raw model text -> suggestion, per language; cleaning; ranking.

Sources mark the cursor with "‸"; contexts are built from a real `Document` (tree and all)
with an explicitly invoked trigger, and the gate picks the mode, as in the feature.
"""

from __future__ import annotations

import pytest

from linewright.core.documents import Document
from linewright.features.completion.context import (
    CompletionContext,
    Mode,
    Trigger,
    decide_mode,
    from_document,
)
from linewright.features.completion.fit import MAX_FIT_CHARS
from linewright.features.completion.postprocess import MAX_RAW_CHARS, clean, process, rank
from linewright.features.completion.repeats import MAX_NESTING, has_loop, is_repetitive, too_deep

CURSOR = "‸"
EXTENSIONS = {"python": "py", "c": "c", "javascript": "js", "plaintext": "txt"}


def context(language: str, marked: str) -> CompletionContext:
    """The context at the cursor mark of `marked` in a document of `language`."""
    index = marked.index(CURSOR)
    doc = Document(f"file:///t.{EXTENSIONS[language]}", language, 1, marked.replace(CURSOR, ""))
    return from_document(doc, doc.position_at(index), Trigger.INVOKED)


def run(language: str, marked: str, raw: str, heal: str = "") -> str:
    ctx = context(language, marked)
    return process(raw, ctx, decide_mode(ctx), heal)


PY_BODY = "def f(a):\n    ‸\n"
PY_NEXT = "def f(a):\n    ‸\n    return b\n"
C_BODY = "int f(int x) {\n  ‸\n}\n"
JS_ARROW = "items.forEach((x) => {\n  ‸\n});\n"


@pytest.mark.parametrize(
    ("language", "marked", "raw", "expected"),
    [
        # Unit cut: the block (Python) or the matching close (braces).
        pytest.param(
            "python", PY_BODY, "return a\ndef g():\n    pass\n", "return a", id="py-block"
        ),
        pytest.param(
            "python", "def f(a):\n    ‸\n\n\ndef h():\n    pass\n", "return a\n\n\ndef g():\n",
            "return a", id="py-block-before-next-def",
        ),
        pytest.param(
            "python", PY_BODY, "return a\n\nprint(f(1))\n", "return a", id="py-block-then-code"
        ),
        pytest.param("python", "def f(a):\n    ‸", "return a\n", "return a\n", id="py-last-line"),
        pytest.param(
            "python", "def f(a):\n    if a:\n        ‸\n", "b = 1\n    c = 2\n", "b = 1",
            id="py-dedent-leaves-block",
        ),
        pytest.param(
            "python", "x = foo(\n    ‸\n", "1,\n    2,\n)\nprint(x)\n", "1,\n    2,\n)",
            id="py-argument-list",
        ),
        pytest.param("c", C_BODY, "return x;\n}\n\nint g(void) {}\n", "return x;", id="c-close"),
        pytest.param(
            "c", "int f(int x) {\n  if (x) {\n    ‸\n  } else {\n  }\n}\n",
            "a();\n  } else {\n    b();\n  }\n}\n", "a();", id="c-inner-block",
        ),
        pytest.param("javascript", JS_ARROW, "log(x);\n});\n\nrun();\n", "log(x);", id="js-close"),
        # Overlap with the suffix: closers, rest of line, next lines.
        pytest.param("python", "x = foo(‸)\n", "a, b)\n", "a, b", id="py-closer"),
        pytest.param("javascript", "const x = foo(‸);\n", "a, b);", "a, b", id="js-closer"),
        pytest.param(
            "python", 's = name("‸")\n', 'abc")\n', "abc", id="py-quote-and-paren"
        ),
        pytest.param(
            "python", PY_NEXT, "b = a * 2\n    return b\n\n\ndef g():\n    pass\n", "b = a * 2",
            id="py-next-lines",
        ),
        pytest.param(
            "python", PY_NEXT, "b = a * 2\n    return b + 1\n", "b = a * 2\n    return b + 1",
            id="py-no-overlap-kept",
        ),
        pytest.param(
            "python", "def f(a):\n    x = 1\n    ‸\n    return x\n",
            "y = 2\n    return x\n    z()\n", "y = 2", id="py-next-line-then-other",
        ),
        # Line opening: a whole new line above the code at the cursor.
        pytest.param(
            "python", "def f(a):\n‸    return a\n", "    a += 1\n    return a\n", "    a += 1\n",
            id="py-line-above-code",
        ),
        pytest.param(
            "python", "def f(a):\n‸    return a\n", "    return a\n", "", id="py-echo-of-line"
        ),
        pytest.param(
            "python", "def f(a):\n‸    return a\n", "    # add one\n", "    # add one\n",
            id="py-comment-above-code",
        ),
        pytest.param(
            "python", "def f(a):\n    if a:\n        b = 1\n‸        return b\n", "    else:\n",
            "    else:\n", id="py-header-adopts-next-lines",
        ),
        pytest.param(
            "python", "def f(a):\n    b = 1\n    ‸\n    return b\n",
            "\nprint(f(1))\nprint(f(2))\n", "", id="py-top-level-code-inside-body",
        ),
        # Parse check: reject, or offer a shorter cut at a unit boundary.
        pytest.param("python", PY_BODY, "return a +* 2\n", "", id="py-broken"),
        pytest.param("python", PY_BODY, "b = 1\n    c = foo(\n", "b = 1", id="py-shorter-cut"),
        pytest.param("c", C_BODY, "return x +;\n}\n", "", id="c-broken"),
        pytest.param("c", C_BODY, "x++;\n  return g(x;\n}\n", "x++;", id="c-shorter-cut"),
        pytest.param("javascript", JS_ARROW, "log(x;\n});\n", "", id="js-broken"),
        # Single-line mode: the line end.
        pytest.param("python", "x = ‸\n", "compute(1)\ny = 2\n", "compute(1)", id="py-single-line"),
        pytest.param("c", "int y = ‸;\n", "x + 1;\nint z = 2;\n", "x + 1", id="c-single-line"),
        # Repetition and emptiness.
        pytest.param(
            "python", "def f(a):\n    b = a\n    ‸\n", "b = a\n", "", id="echo-line-above"
        ),
        pytest.param(
            "python", PY_BODY, "a.x()\n    a.y()\n    a.x()\n    a.y()\n", "", id="loop"
        ),
        pytest.param("python", PY_BODY, "  \n \n", "", id="whitespace-only"),
        pytest.param("python", PY_BODY, "", "", id="empty"),
        # Plain text: line and indentation rules.
        pytest.param(
            "plaintext", "notes:\n  ‸\n", "first\n  second\n\nother\n", "first\n  second",
            id="plain-block",
        ),
        pytest.param("plaintext", "a (‸)\n", "b)\n", "b", id="plain-closer"),
    ],
)  # fmt: skip
def test_process(language: str, marked: str, raw: str, expected: str) -> None:
    assert run(language, marked, raw) == expected


HOSTILE_SITES = {
    "python": (PY_BODY, "return a"),
    "c": (C_BODY, "return x;"),
    "javascript": (JS_ARROW, "log(x);"),
}


@pytest.mark.parametrize("language", sorted(HOSTILE_SITES))
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("<|fim_middle|>CODE<|fim_suffix|>", "CODE", id="fim-tokens"),
        pytest.param("CODE<|endoftext|>import os\n", "CODE", id="end-token-cuts"),
        pytest.param("<think>a plan\n</think>CODE", "CODE", id="think"),
        pytest.param("<think>never closed\nCODE", "", id="think-unclosed"),
        pytest.param("```\nCODE\n```\n", "CODE", id="fence"),
        pytest.param("\x00CODE\x07\x1f", "CODE", id="control-chars"),
        pytest.param("\x1b[31mCODE\x1b[0m", "CODE", id="ansi-escapes"),
        pytest.param("CODE\u202e\u2066", "CODE", id="bidi-controls"),
        pytest.param("\ufffdCODE\ud800", "CODE", id="invalid-utf8-leftovers"),
        pytest.param(" CODE", "CODE", id="healed-space"),
    ],
)
def test_process_hostile_output(language: str, raw: str, expected: str) -> None:
    marked, code = HOSTILE_SITES[language]
    heal = " " if raw.startswith(" ") else ""
    out = run(language, marked, raw.replace("CODE", code), heal)
    assert out == expected.replace("CODE", code)


@pytest.mark.parametrize("language", ["python", "c", "javascript", "plaintext"])
def test_process_enormous_output_is_bounded(language: str) -> None:
    marked = {"python": PY_BODY, "c": C_BODY, "javascript": JS_ARROW, "plaintext": "‸"}[language]
    raw = "x = x + 1;\n" * 200_000
    out = run(language, marked, raw)
    assert len(out) <= MAX_RAW_CHARS
    assert not has_loop(out)


def test_process_cuts_long_output_at_a_line_break() -> None:
    raw = "".join(f"v{i} = {i}\n    " for i in range(2_000))
    out = run("python", PY_BODY, raw)
    assert 0 < len(out) <= MAX_FIT_CHARS
    assert raw.startswith(out) and raw[len(out)] == "\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("(" * (MAX_NESTING + 1), True, id="runaway"),
        pytest.param("(" * MAX_NESTING + ")" * MAX_NESTING, False, id="deep-but-legal"),
        pytest.param("()" * 10_000, False, id="long-but-flat"),
        pytest.param(")" * 100 + "(" * 10, False, id="closers-first"),
        pytest.param("f(a[{" * 25, True, id="mixed"),
    ],
)
def test_too_deep(text: str, expected: bool) -> None:
    assert too_deep(text) is expected


def test_process_mode_none_gives_nothing() -> None:
    assert process("return a", context("python", PY_BODY), Mode.NONE, "") == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("a<|fim_middle|>b", "ab", id="fim-token"),
        pytest.param("a<|file_sep|>other file", "a", id="file-separator"),
        pytest.param("a<|im_end|>\n<|im_start|>user", "a", id="chat-end"),
        pytest.param("x\u2066 = 1\u2069", "x = 1", id="bidi-isolates"),
        pytest.param("\ufeffx = 1", "x = 1", id="bom"),
    ],
)
def test_clean(raw: str, expected: str) -> None:
    assert clean(raw) == expected


@pytest.mark.parametrize(
    ("text", "line_prefix", "prefix", "expected"),
    [
        pytest.param("b = a", "    ", "def f():\n    b = a\n    ", True, id="echo"),
        pytest.param("b = a", "    ", "def f():\n        b = a\n    ", False, id="other-indent"),
        pytest.param("}", "", "  }\n", False, id="closer-repeats"),
        pytest.param("x()\ny()\nx()\ny()", "", "", True, id="two-line-loop"),
        pytest.param("x()\ny()\nz()", "", "", False, id="no-loop"),
        pytest.param("a = 1", "    b = ", "    b = a = 1\n    b = ", True, id="mid-line-echo"),
        pytest.param("a = 2", "    b = ", "    b = a = 1\n    b = ", False, id="mid-line"),
    ],
)
def test_is_repetitive(text: str, line_prefix: str, prefix: str, expected: bool) -> None:
    assert is_repetitive(text, line_prefix, prefix) is expected


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        pytest.param([("a", -2.0), ("b", -0.5), ("c", -1.0)], ["b", "c", "a"], id="by-logprob"),
        pytest.param([("a", None), ("b", None)], ["a", "b"], id="stable-without"),
        pytest.param([("a", None), ("b", -3.0)], ["b", "a"], id="known-first"),
        pytest.param([("x = 1", -1.0), ("x = 1\n  ", -0.1)], ["x = 1\n  "], id="dedupe-trailing"),
        pytest.param([("", -0.1), ("  ", None), ("y", None)], ["y"], id="drop-blank"),
        pytest.param([("a", float("nan")), ("b", -1.0)], ["b", "a"], id="nan-is-unknown"),
        pytest.param([], [], id="empty"),
    ],
)
def test_rank(candidates: list[tuple[str, float | None]], expected: list[str]) -> None:
    assert rank(candidates) == expected
