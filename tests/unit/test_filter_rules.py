"""filtering.rules: the suggestions hidden outright."""

from __future__ import annotations

import pytest

from linewright.features.filtering.features import Candidate, History
from linewright.features.filtering.rules import first_rule, prefix_key

REJECTED = History("rejected", 1.0, "return total", prefix_key("def f():\n    "))


@pytest.mark.parametrize(
    ("text", "history", "key", "expected"),
    [
        pytest.param("", History(), "k", "empty", id="empty"),
        pytest.param(" \n\t", History(), "k", "empty", id="whitespace"),
        pytest.param("x = 1\nx = 1\nx = 1", History(), "k", "repetitive", id="line-loop"),
        pytest.param("self." * 12 + "x", History(), "k", "repetitive", id="token-loop"),
        pytest.param("[0, 0, 0, 0, 0, 0, 0, 0]", History(), "k", None, id="zeros-are-code"),
        pytest.param("    }\n  }\n}\n}\n}", History(), "k", None, id="closers-repeat-fine"),
        pytest.param("x = 1\nx = 1\ny = 2", History(), "k", None, id="twice-is-fine"),
        pytest.param("a, b, c, d, e, f", History(), "k", None, id="varied-tokens"),
        pytest.param(
            "return total ", REJECTED, prefix_key("def f():\n    "), "duplicate", id="duplicate"
        ),
        pytest.param(
            "return total", REJECTED, prefix_key("def f():\n    r"), None, id="user-typed-since"
        ),
        pytest.param(
            "return total",
            History("accepted", 1.0, "return total", prefix_key("def f():\n    ")),
            prefix_key("def f():\n    "),
            None,
            id="previous-was-accepted",
        ),
        pytest.param("return totals", REJECTED, prefix_key("def f():\n    "), None, id="other"),
    ],
)
def test_first_rule(text: str, history: History, key: str, expected: str | None) -> None:
    assert first_rule(Candidate(text), history, key) == expected


def test_prefix_key_ignores_trailing_whitespace_only() -> None:
    assert prefix_key("x" * 1000 + "\n    ") == prefix_key("x" * 1000 + "\n")
    assert prefix_key("abc\n") != prefix_key("abd\n")
    assert len(prefix_key("y" * 5000)) == 200
