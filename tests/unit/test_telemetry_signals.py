"""features.telemetry.signals: the request-time and suggestion features, without code."""

from __future__ import annotations

import pytest

from linewright.core.documents import Document
from linewright.core.positions import Position
from linewright.features.completion import CompletionContext, Suggestion, Trigger
from linewright.features.completion.context import from_document
from linewright.features.telemetry.signals import (
    char_class,
    code_features,
    parse_check,
    request_features,
    suggestion_features,
)

SOURCE = "def add(a, b):\n    return a +\n\nx = 1\n"


def context(text: str, line: int, col: int, language_id: str = "python") -> CompletionContext:
    doc = Document(f"file:///t/m.{language_id}", language_id, 3, text)
    return from_document(doc, Position(line, col), Trigger.AUTOMATIC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", "none", id="nothing"),
        pytest.param("a", "word", id="letter"),
        pytest.param("_", "word", id="underscore"),
        pytest.param("é", "word", id="unicode-letter"),
        pytest.param("7", "digit", id="digit"),
        pytest.param("\n", "newline", id="newline"),
        pytest.param("\t", "space", id="tab"),
        pytest.param("(", "open", id="open"),
        pytest.param("}", "close", id="close"),
        pytest.param("'", "quote", id="quote"),
        pytest.param(".", "dot", id="dot"),
        pytest.param(":", "colon", id="colon"),
        pytest.param(",", "comma", id="comma"),
        pytest.param(";", "semicolon", id="semicolon"),
        pytest.param("=", "operator", id="operator"),
        pytest.param("#", "other", id="other"),
    ],
)
def test_char_class(text: str, expected: str) -> None:
    assert char_class(text) == expected


def test_request_features_describe_the_cursor_without_code() -> None:
    ctx = context(SOURCE, 1, 14)  # after "return a +"
    assert request_features(ctx) == {
        "node_kind": "ERROR",
        "parent_kind": "function_definition",
        "line": 1,
        "column": 14,
        "relative_line": 0.2,
        "indent": 4,
        "line_is_blank": False,
        "at_line_end": True,
        "in_comment_or_string": False,
        "char_before": "operator",
        "char_after": "newline",
        "document_chars": len(SOURCE),
        "document_lines": 5,
    }


def test_request_features_on_a_blank_line_of_plain_text() -> None:
    features = request_features(context("one\n  \ntwo", 1, 2, language_id="plaintext"))
    assert (features["node_kind"], features["parent_kind"]) == (None, None)
    assert features["line_is_blank"] is True and features["indent"] == 2
    assert (features["char_before"], features["char_after"]) == ("space", "newline")


@pytest.mark.parametrize(
    ("text", "replace_suffix", "expected"),
    [
        pytest.param(" b", 0, True, id="completes-the-expression"),
        pytest.param(" (b", 0, False, id="unbalanced-paren"),
        pytest.param(" b\n    return 0", 0, True, id="multi-line"),
        pytest.param(" b)", 0, False, id="stray-closer"),
    ],
)
def test_parse_check(text: str, replace_suffix: int, expected: bool) -> None:
    ctx = context(SOURCE, 1, 14)
    assert parse_check(ctx, Suggestion("lw-1", text, -0.5, replace_suffix)) is expected


def test_parse_check_replacing_the_suffix() -> None:
    ctx = context("f(a, )\n", 0, 5)
    assert parse_check(ctx, Suggestion("lw-1", "b)", None, replace_suffix=1)) is True
    assert parse_check(ctx, Suggestion("lw-1", "b)", None, replace_suffix=0)) is False


def test_parse_check_without_a_grammar_is_unknown() -> None:
    ctx = context("hello\n", 0, 5, language_id="plaintext")
    assert parse_check(ctx, Suggestion("lw-1", " world", None)) is None


def test_parse_check_leaves_the_request_tree_alone() -> None:
    ctx = context(SOURCE, 1, 14)
    before = str(ctx.tree.root_node)
    parse_check(ctx, Suggestion("lw-1", " (((", None))
    assert str(ctx.tree.root_node) == before


def test_suggestion_features() -> None:
    ctx = context(SOURCE, 1, 14)
    assert suggestion_features(ctx, Suggestion("lw-1", " b\n    pass", -0.75)) == {
        "length": 11,
        "lines": 2,
        "mean_logprob": -0.75,
        "replace_suffix": 0,
        "parse_ok": True,
    }


def test_code_features_hold_the_code() -> None:
    ctx = context(SOURCE, 1, 14)
    assert code_features(ctx, Suggestion("lw-1", " b", None)) == {
        "prefix": "def add(a, b):\n    return a +",
        "suffix": "\n\nx = 1\n",
        "text": " b",
    }


def test_parse_check_ignores_errors_elsewhere_in_the_file() -> None:
    source = "def add(a, b):\n    return a +\n\nbroken = (\n"
    assert parse_check(context(source, 1, 14), Suggestion("lw-1", " b", None)) is True
