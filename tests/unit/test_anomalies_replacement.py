"""FLAG replacements: the model's line is offered only when the file parses as well with it,
and no message ends in an empty "it would write: "."""

from __future__ import annotations

import pathlib
from dataclasses import dataclass, field

import pytest

from linewright.config import FlagSettings
from linewright.core.documents import Document
from linewright.core.llm.types import (
    BackendInfo,
    Choice,
    CompletionRequest,
    Generation,
    TokenLogprob,
)
from linewright.features.anomalies import AnomalyFeature, Snapshot
from linewright.features.anomalies.replacement import ReplacementCheck, single_line
from linewright.features.anomalies.sarif import message
from linewright.features.anomalies.store import LineCache
from tests.support.scripted import CompletionOnly
from tests.unit.test_anomalies_sarif import scored_flag

PYTHON = 'def f(a):\n    s = "x" + a\n    return a - 1\n'
C = "int f(int a) {\n  int b = a - 1;\n  return b;\n}\n"
BROKEN = "def f(a:\n    return a - 1\n"


def check(language: str, text: str) -> ReplacementCheck:
    doc = Document(f"file:///m.{'py' if language == 'python' else 'c'}", language, 1, text)
    return ReplacementCheck(doc.text, doc.tree, doc.language)


@pytest.mark.parametrize("eol", [pytest.param("\n", id="lf"), pytest.param("\r\n", id="crlf")])
@pytest.mark.parametrize(
    ("language", "text", "line", "alternative", "usable"),
    [
        pytest.param("python", PYTHON, 2, "return a + 1", True, id="py-operator"),
        pytest.param("python", PYTHON, 2, "{", False, id="py-open-brace"),
        pytest.param("python", PYTHON, 1, 's = "x + a', False, id="py-unterminated-string"),
        pytest.param("python", PYTHON, 2, "return (a", False, id="py-open-paren"),
        pytest.param("c", C, 1, "int b = a + 1;", True, id="c-operator"),
        pytest.param("c", C, 1, "{", False, id="c-open-brace"),
        pytest.param("c", C, 1, 'char *s = "abc;', False, id="c-unterminated-string"),
        pytest.param("python", BROKEN, 1, "return a + 1", True, id="already-broken-elsewhere"),
        pytest.param("python", BROKEN, 0, "def f(a):", True, id="repairs-the-file"),
    ],
)
def test_a_replacement_must_not_add_syntax_errors(
    language: str, text: str, line: int, alternative: str, usable: bool, eol: str
) -> None:
    text = text.replace("\n", eol)
    rows = text.split("\n")
    code = rows[line].rstrip("\r").strip()
    start = rows[line].index(code)
    found = check(language, text)
    assert found.keeps_parse(line, start, start + len(code), alternative) is usable


def test_no_grammar_no_syntax_to_break_and_no_tree_no_check() -> None:
    assert ReplacementCheck("x = 1\n", None, None).keeps_parse(0, 0, 5, "{")
    spec = Document("file:///m.py", "python", 1, "").language
    assert not ReplacementCheck("x = 1\n", None, spec).keeps_parse(0, 0, 5, "x = 2")


@pytest.mark.parametrize(
    ("alternative", "kept"),
    [
        pytest.param("x = 2", "x = 2", id="a-line"),
        pytest.param("", None, id="empty"),
        pytest.param("   ", None, id="blank"),
        pytest.param(None, None, id="not-asked"),
        pytest.param("a\nb", None, id="two-lines"),
        pytest.param("a\rb", None, id="carriage-return"),
    ],
)
def test_single_line(alternative: str | None, kept: str | None) -> None:
    assert single_line(alternative) == kept


@pytest.mark.parametrize("alternative", ["", "   ", "x = a - 1", " x = a - 1 "])
def test_a_message_never_ends_in_an_empty_alternative(alternative: str) -> None:
    text = message(scored_flag(" +", alternative))
    assert "it would write" not in text and not text.rstrip().endswith(":")


@dataclass
class Greedy(CompletionOnly):
    """A model without scoring that always writes `line`, and is never sure of the file's."""

    line: str
    requests: list[CompletionRequest] = field(default_factory=list)

    async def info(self) -> BackendInfo:
        return BackendInfo(name="greedy", url="scripted://", supports_fim=True)

    async def complete(self, request: CompletionRequest) -> Generation:
        self.requests.append(request)
        line = self.line or " "  # an empty line still is an answer that differs
        tokens = (TokenLogprob(line, -0.1, (("zzz", -6.0),)),)
        return Generation((Choice(line + "\n", "stop", tokens),))


@pytest.mark.parametrize("eol", [pytest.param("\n", id="lf"), pytest.param("\r\n", id="crlf")])
@pytest.mark.parametrize(
    ("written", "offered"),
    [
        pytest.param("{", False, id="open-brace"),
        pytest.param('s = "unterminated', False, id="unterminated-string"),
        pytest.param("", False, id="empty"),
        pytest.param("value = 0", True, id="parses"),
    ],
)
async def test_scan_offers_only_replacements_that_parse(
    tmp_path: pathlib.Path, written: str, offered: bool, eol: str
) -> None:
    text = PYTHON.replace("\n", eol)
    backend = Greedy(written)
    feature = AnomalyFeature(
        lambda: backend, lambda: FlagSettings(min_score=1e-6), LineCache(tmp_path / "c")
    )
    result = await feature.scan(Snapshot.of(Document("file:///ws/m.py", "python", 1, text)))
    assert result.flags and backend.requests
    for flag in result.flags:
        assert flag.alternative == (written if offered else None)
        assert "it would write: " not in message(flag) or message(flag).endswith(written)
        line = text.split("\n")[flag.line]
        assert line[flag.end :] in ("", "\r")  # the range stops before the line break
    again = await feature.cached(Snapshot.of(Document("file:///ws/m.py", "python", 2, text)))
    assert [f.alternative for f in again] == [f.alternative for f in result.flags]
