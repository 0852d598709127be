"""Post-processing stages one by one: unit cut, suffix overlap, seams, window, parse check."""

from __future__ import annotations

import pytest

from linewright.core.syntax.languages import LanguageSpec, language_named, parser_for
from linewright.core.syntax.nodes import error_count
from linewright.core.syntax.queries import captures, load_query
from linewright.features.completion.overlap import (
    settle,
    trim_anchor,
    trim_anchored,
    trim_overlap,
)
from linewright.features.completion.parsecheck import ParseCheck
from linewright.features.completion.units import cut_at_unit
from linewright.features.completion.window import Window, window_at


def spec_of(language: str) -> LanguageSpec:
    spec = language_named(language)
    assert spec is not None
    return spec


@pytest.mark.parametrize(
    ("language", "head", "text", "cut", "shorter"),
    [
        pytest.param("python", "def f(x):\n    ", "return x\n\ndef g():\n    pass", "return x", (),
                     id="py-function-body"),
        pytest.param("python", "def f(x):\n    if x:\n        ", "a = 1\n    b = 2", "a = 1", (),
                     id="py-dedent"),
        pytest.param("python", "x = foo(", "a, b)\nprint(x)", "a, b)", (), id="py-statement"),
        pytest.param("python", "import os\n", "import re\nimport sys\n\ndef f():\n    pass",
                     "import re\nimport sys", ("import re",), id="py-top-level-paragraph"),
        pytest.param("python", "def f():\n    ", "a = 1\n    b = 2\n    c = (",
                     "a = 1\n    b = 2\n    c = (", ("a = 1\n    b = 2", "a = 1"),
                     id="py-unfinished-has-shorter"),
        pytest.param("c", "int f(void) {\n  ", "return 1;\n}\n\nint g(void) {}",
                     "return 1;\n}", ("return 1;",), id="c-matching-close"),
        pytest.param("c", "int f(void) {\n  int x = g(", "1, 2);\n  return x;\n}", "1, 2);", (),
                     id="c-argument-list-statement"),
        pytest.param("javascript", "items.forEach((x) => {\n  ", "log(x);\n});\nfoo();",
                     "log(x);\n}", ("log(x);",), id="js-arrow-body"),
        pytest.param("javascript", "", "const a = 1;\nconst b = 2;\n\nfunction f() {}",
                     "const a = 1;\nconst b = 2;", ("const a = 1;",), id="js-top-level-paragraph"),
        pytest.param("python", "x = 1\n", "   \n", "   \n", (), id="blank"),
    ],
)  # fmt: skip
def test_cut_at_unit(
    language: str, head: str, text: str, cut: str, shorter: tuple[str, ...]
) -> None:
    result = cut_at_unit(spec_of(language), head, text)
    assert result is not None
    assert (result.text, result.shorter) == (cut, shorter)


def test_cut_at_unit_uses_context_query_without_units_file() -> None:
    # Go has no units.scm: its context.scm statements and blocks stand in.
    result = cut_at_unit(spec_of("go"), "func f() {\n\t", "return\n}\n\nfunc g() {}\n")
    assert result is not None
    assert result.text == "return\n}"


@pytest.mark.parametrize(
    ("text", "suffix", "line_prefix", "expected"),
    [
        pytest.param("a, b)", ")\n", None, "a, b", id="closer"),
        pytest.param('name")', '")\n', None, "name", id="quote-and-paren"),
        pytest.param("x + 1", "\nmore", None, None, id="none"),
        pytest.param("ab", "b + 1", None, None, id="not-inside-a-word"),
        pytest.param("return 1", "return 18\n", None, None, id="not-ending-inside-a-word"),
        pytest.param(
            "x\nvalues.append(total",
            "values.append(totals)\n",
            None,
            "x\n",
            id="long-repeat-cut-mid-word",
        ),
        pytest.param("a()\n  }", "\n}\n", None, "a()", id="whitespace-insensitive"),
        pytest.param("x = 1\n    return y\n", "\n    return y\n", "    ", "x = 1", id="next-line"),
        pytest.param("x = 1\ny = 2", "y = 2\n", "", "x = 1\n", id="keeps-needed-break"),
        pytest.param("ind=i", "      i+=1\n", "", None, id="line-start-needs-line-start"),
        pytest.param("ind=i", "i+=1\n", "x = ", "ind=", id="mid-line"),
        pytest.param("    return a", "    return a\n", "", "", id="all-repeated"),
        pytest.param("        return a", "    return a\n", "", None, id="other-indentation"),
        pytest.param("a()\n}", "\n  }\n", "  ", None, id="other-column-brace"),
    ],
)
def test_trim_overlap(
    text: str, suffix: str, line_prefix: str | None, expected: str | None
) -> None:
    assert trim_overlap(text, suffix, line_prefix=line_prefix) == expected


@pytest.mark.parametrize(
    ("text", "suffix", "expected"),
    [
        pytest.param("x\n    return False\n", "\n    return False\n", "x", id="whole-suffix"),
        pytest.param("x = f(a)\n", ")\n", None, id="short-suffix-is-no-anchor"),
        pytest.param("y\n    total += value\n    ret", "\n    total += value\n    ret = 1\n",
                     "y", id="long-stretch"),
    ],
)  # fmt: skip
def test_trim_anchored(text: str, suffix: str, expected: str | None) -> None:
    assert trim_anchored(text, suffix, min_chars=12) == expected


@pytest.mark.parametrize(
    ("text", "suffix", "expected"),
    [
        pytest.param("a = 1\n    return y\n    z()", "\n    return y\n", "a = 1", id="repeat"),
        pytest.param("return y\nz()", "\nreturn y\n", None, id="first-line-is-not-checked"),
        pytest.param("a = 1\n    }\n", "\n    }\n", None, id="too-short"),
    ],
)
def test_trim_anchor(text: str, suffix: str, expected: str | None) -> None:
    assert trim_anchor(text, suffix) == expected


@pytest.mark.parametrize(
    ("kept", "rest", "suffix", "expected"),
    [
        pytest.param("return a", "\n\n", "\n", "return a\n", id="ends-with-blank-line"),
        pytest.param("return a", "\n\n    b()", "\n    b()", "return a", id="goes-on"),
        pytest.param("return a", "\n", "", "return a\n", id="final-line-break"),
        pytest.param("x = 1  ", "", "\n", "x = 1", id="trailing-spaces"),
        pytest.param("a", " + b", "", "a", id="mid-line"),
    ],
)
def test_settle(kept: str, rest: str, suffix: str, expected: str) -> None:
    assert settle(kept, rest, suffix) == expected


def big_python(functions: int) -> str:
    body = "".join(f"    v{i} = compute({i}, [a, b])\n" for i in range(8))
    return "".join(f"def f{n}(a, b):\n{body}    return a\n\n\n" for n in range(functions))


def test_window_is_bounded_and_node_aligned() -> None:
    text = big_python(400)  # about 4,400 lines
    cursor = text.index("def f200(")
    cursor = text.index("    v4", cursor)
    spec = spec_of("python")
    tree = parser_for(spec).parse(text.encode())
    window = window_at(text[:cursor], text[cursor:], tree, cursor)
    assert text[:cursor].endswith(window.prefix)
    assert text[cursor:].startswith(window.suffix)
    assert 200 < len(window.prefix) + len(window.suffix) < 8_000
    assert (
        window.prefix.startswith(("def ", "    ")) and text[cursor - len(window.prefix) - 1] == "\n"
    )
    whole = (window.prefix + window.suffix).encode()
    assert error_count(parser_for(spec).parse(whole)) == 0


@pytest.mark.parametrize("where", ["start", "end", "past-last-child"])
def test_window_at_the_edges_of_a_big_file(where: str) -> None:
    text = big_python(400) + ("\n\n" if where == "past-last-child" else "")
    cursor = 0 if where == "start" else len(text)
    tree = parser_for(spec_of("python")).parse(text.encode())
    window = window_at(text[:cursor], text[cursor:], tree, cursor)
    assert text[:cursor].endswith(window.prefix) and text[cursor:].startswith(window.suffix)
    assert 0 < len(window.prefix) + len(window.suffix) < 8_000


def test_window_without_tree_is_whole_lines() -> None:
    prefix, suffix = "a\n" * 5000 + "bc", "d\n" + "e\n" * 5000
    window = window_at(prefix, suffix, None, len(prefix))
    assert window.prefix.endswith("a\nbc") and window.prefix.startswith("a\n")
    assert window.suffix.startswith("d\n") and window.suffix.endswith("e\n")
    assert len(window.prefix) < 2_000 and len(window.suffix) < 2_000


def test_window_of_small_file_is_all_of_it() -> None:
    text = "def f():\n    return 1\n"
    spec = spec_of("python")
    tree = parser_for(spec).parse(text.encode())
    assert window_at(text[:13], text[13:], tree, 13) == Window(text[:13], text[13:])


@pytest.mark.parametrize(
    ("language", "window", "middle", "keeps"),
    [
        pytest.param("python", Window("def f(x):\n    ", "\n"), "return x", True, id="py-clean"),
        pytest.param("python", Window("def f(x):\n    ", "\n"), "return (x", False, id="py-open"),
        pytest.param("python", Window("x = foo(", "\n"), "1", True, id="py-already-broken"),
        pytest.param("python", Window("x = foo(", "\n"), "1)", True, id="py-repairs"),
        pytest.param("python", Window("x = foo(", "\n"), "a b", True, id="py-nested-error"),
        pytest.param("python", Window("x = foo(", ")\n"), "1))]", False, id="py-adds-errors"),
        pytest.param("c", Window("int f(void) {\n  ", "\n}\n"), "return 1;", True, id="c-clean"),
        pytest.param("c", Window("int f(void) {\n  ", "\n}\n"), "return 1;\n}", False,
                     id="c-extra-brace"),
        pytest.param("javascript", Window("const x = [", "];\n"), "1, 2", True, id="js-clean"),
        pytest.param("javascript", Window("const x = [", "];\n"), "1, 2]", False, id="js-extra"),
    ],
)  # fmt: skip
def test_parse_check(language: str, window: Window, middle: str, keeps: bool) -> None:
    check = ParseCheck(spec_of(language), window)
    assert check.keeps_parse(middle) is keeps


BODY = Window("def f(a):\n    x = 1\n", "    return x\n")
OPENS = Window("def f(a):\n", "    return a\n")


@pytest.mark.parametrize(
    ("window", "middle", "keeps"),
    [
        pytest.param(BODY, "    y = 2\n", True, id="aligned"),
        pytest.param(BODY, "assert x\n", False, id="dedented-before-body"),
        pytest.param(BODY, "      y = 2\n", False, id="over-indented"),
        pytest.param(BODY, "    if x:\n", True, id="header-adopting-the-rest"),
        pytest.param(OPENS, "    # note\n", True, id="comment-on-its-line"),
        pytest.param(OPENS, "    # note", False, id="comment-swallows-code"),
    ],
)
def test_parse_check_python_layout(window: Window, middle: str, keeps: bool) -> None:
    assert ParseCheck(spec_of("python"), window).keeps_parse(middle) is keeps


def test_parse_check_parses_the_baseline_once_and_only_when_needed() -> None:
    check = ParseCheck(spec_of("python"), Window("x = f(", ")\n"))
    assert check.keeps_parse("1") and check.keeps_parse("2")
    assert check.parses == 2  # both clean: no baseline needed
    assert not check.keeps_parse("(3") and not check.keeps_parse("[4")
    assert check.parses == 5  # two more, plus the baseline once


UNIT_SAMPLES = {
    "python": (
        "import os\ndef f(a):\n    if a:\n        return 1\n    x = g(a,\n          2)\n",
        [
            "import os",
            "def f(a):\n    if a:\n        return 1\n    x = g(a,\n          2)",
            "if a:\n        return 1\n    x = g(a,\n          2)",
            "if a:\n        return 1",
            "return 1",
            "return 1",
            "x = g(a,\n          2)",
        ],
    ),
    "c": (
        "#include <a.h>\nint f(int a) {\n  if (a) { return 1; }\n  return g(a);\n}\n",
        [
            "#include <a.h>\n",
            "int f(int a) {\n  if (a) { return 1; }\n  return g(a);\n}",
            "{\n  if (a) { return 1; }\n  return g(a);\n}",
            "if (a) { return 1; }",
            "{ return 1; }",
            "return 1;",
            "return g(a);",
        ],
    ),
    "javascript": (
        "class A {\n  m(a) {\n    if (a) { return 1; }\n  }\n}\n",
        [
            "class A {\n  m(a) {\n    if (a) { return 1; }\n  }\n}",
            "{\n  m(a) {\n    if (a) { return 1; }\n  }\n}",
            "m(a) {\n    if (a) { return 1; }\n  }",
            "{\n    if (a) { return 1; }\n  }",
            "if (a) { return 1; }",
            "{ return 1; }",
            "return 1;",
        ],
    ),
}


@pytest.mark.parametrize("language", sorted(UNIT_SAMPLES))
def test_units_query_golden_captures(language: str) -> None:
    source, expected = UNIT_SAMPLES[language]
    spec = spec_of(language)
    query = load_query(spec, "units")
    assert query is not None
    tree = parser_for(spec).parse(source.encode())
    found = [
        (node.text or b"").decode()
        for _, node in captures(query, tree.root_node, names=frozenset({"lw.unit"}))
    ]
    assert found == expected


def test_python_blocks_are_indented() -> None:
    spec = spec_of("python")
    query = load_query(spec, "units")
    assert query is not None
    tree = parser_for(spec).parse(b"if a:\n    b = 1\n    c = 2\n")
    found = captures(query, tree.root_node, names=frozenset({"lw.indented"}))
    assert [(node.text or b"").decode() for _, node in found] == ["b = 1\n    c = 2"]
