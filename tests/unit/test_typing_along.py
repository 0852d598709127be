"""Typing along: keystrokes that match the suggestion on screen are answered from memory."""

from __future__ import annotations

import pytest

from linewright.config import CompletionSettings
from linewright.core.documents import Document
from linewright.core.positions import Position, Range
from linewright.features.completion import CompletionFeature, Shown, Suggestion, follow
from linewright.features.completion.context import Trigger, from_document
from tests.unit.test_cache_feature import Scripted

SHOWN = Shown(
    "def f(x):\n    ",
    "\n",
    (Suggestion("lw-1", "return x + 1"), Suggestion("lw-2", "raise ValueError(x)", -0.5)),
)
P = SHOWN.prefix


@pytest.mark.parametrize(
    ("prefix", "suffix", "expected"),
    [
        pytest.param(P, "\n", list(SHOWN.suggestions), id="nothing-typed-yet"),
        pytest.param(
            P + "r",
            "\n",
            [Suggestion("lw-1", "eturn x + 1"), Suggestion("lw-2", "aise ValueError(x)", -0.5)],
            id="both-match",
        ),
        pytest.param(P + "ret", "\n", [Suggestion("lw-1", "urn x + 1")], id="one-matches"),
        pytest.param(P + "return x +", "\n", [Suggestion("lw-1", " 1")], id="almost-all"),
        pytest.param(P + "return x + 1", "\n", None, id="fully-typed"),
        pytest.param(P + "return x ", "\n", [Suggestion("lw-1", "+ 1")], id="typed-a-space"),
        pytest.param(P + "x", "\n", None, id="diverged"),
        pytest.param(P + "returm", "\n", None, id="typo"),
        pytest.param(P + "r", "\n\nmore", None, id="text-after-cursor-changed"),
        pytest.param(P[:-1], "\n", None, id="deleted-before-the-suggestion"),
        pytest.param("# edit\n" + P + "r", "\n", None, id="edited-above"),
        pytest.param("def f(x):\n  ", "  \n", None, id="cursor-moved-left"),
    ],
)
def test_follow(prefix: str, suffix: str, expected: list[Suggestion] | None) -> None:
    assert follow(SHOWN, prefix, suffix) == expected


def test_follow_skips_a_whitespace_only_rest() -> None:
    shown = Shown("", "", (Suggestion("a", "x = 1\n    "),))
    assert follow(shown, "x = 1", "") is None


SOURCE = "def total(values):\n    \n"
URI = "file:///t.py"


def type_at(doc: Document, line: int, character: int, text: str) -> None:
    """Insert `text` at (line, character) as an editor's didChange would."""
    at = Position(line, character)
    doc.apply_change(Range(at, at), text)
    doc.version += 1


async def test_typing_the_suggestion_needs_no_model() -> None:
    backend = Scripted(["return sum(values)"])
    feature = CompletionFeature(lambda: backend, CompletionSettings)
    doc = Document(URI, "python", 1, SOURCE)
    first = await feature.suggest(from_document(doc, Position(1, 4), Trigger.AUTOMATIC))
    assert [s.text for s in first] == ["return sum(values)"]
    type_at(doc, 1, 4, "ret")
    ctx = from_document(doc, Position(1, 7), Trigger.AUTOMATIC)
    assert feature.typing_along(ctx) == [Suggestion(first[0].id, "urn sum(values)")]
    assert await feature.suggest(ctx) == [Suggestion(first[0].id, "urn sum(values)")]
    type_at(doc, 1, 7, "urn sum(")
    ctx = from_document(doc, Position(1, 15), Trigger.AUTOMATIC)
    assert [s.text for s in await feature.suggest(ctx)] == ["values)"]
    assert len(backend.requests) == 1


@pytest.mark.parametrize(
    ("typed", "where"),
    [
        pytest.param("x", (1, 4), id="diverged"),
        pytest.param("return sum(values)", (1, 4), id="fully-typed"),
        pytest.param("r", (0, 0), id="typed-elsewhere"),
    ],
)
async def test_leaving_the_suggestion_asks_the_model(typed: str, where: tuple[int, int]) -> None:
    backend = Scripted(["return sum(values)"])
    feature = CompletionFeature(lambda: backend, CompletionSettings)
    doc = Document(URI, "python", 1, SOURCE)
    await feature.suggest(from_document(doc, Position(1, 4), Trigger.AUTOMATIC))
    type_at(doc, *where, typed)
    cursor = Position(1, 4 + len(typed)) if where == (1, 4) else Position(1, 4)
    ctx = from_document(doc, cursor, Trigger.INVOKED)
    assert feature.typing_along(ctx) is None
    await feature.suggest(ctx)
    assert len(backend.requests) == 2


async def test_typing_along_is_per_document_and_forgotten_on_close() -> None:
    backend = Scripted(["return sum(values)"])
    feature = CompletionFeature(lambda: backend, CompletionSettings)
    one = Document(URI, "python", 1, SOURCE)
    two = Document("file:///u.py", "python", 1, SOURCE)
    await feature.suggest(from_document(one, Position(1, 4), Trigger.AUTOMATIC))
    assert feature.typing_along(from_document(two, Position(1, 4), Trigger.AUTOMATIC)) is None
    assert feature.typing_along(from_document(one, Position(1, 4), Trigger.AUTOMATIC))
    feature.forget(URI)
    assert feature.typing_along(from_document(one, Position(1, 4), Trigger.AUTOMATIC)) is None


async def test_typing_along_is_off_when_completion_is() -> None:
    backend = Scripted(["return sum(values)"])
    settings = [CompletionSettings()]
    feature = CompletionFeature(lambda: backend, lambda: settings[0])
    doc = Document(URI, "python", 1, SOURCE)
    await feature.suggest(from_document(doc, Position(1, 4), Trigger.AUTOMATIC))
    settings[0] = CompletionSettings(enabled=False)
    ctx = from_document(doc, Position(1, 4), Trigger.AUTOMATIC)
    assert feature.typing_along(ctx) is None
    assert await feature.suggest(ctx) == []


async def test_an_empty_answer_keeps_nothing_to_type_along() -> None:
    backend = Scripted(["   "])
    feature = CompletionFeature(lambda: backend, CompletionSettings)
    doc = Document(URI, "python", 1, SOURCE)
    assert await feature.suggest(from_document(doc, Position(1, 4), Trigger.AUTOMATIC)) == []
    assert feature.typing_along(from_document(doc, Position(1, 4), Trigger.AUTOMATIC)) is None
