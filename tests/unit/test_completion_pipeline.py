"""The completion feature's pure stages and its one backend call (scripted backend)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from linewright.config import CompletionSettings
from linewright.core.documents import Document
from linewright.core.llm.types import (
    BackendInfo,
    Choice,
    CompletionRequest,
    Generation,
)
from linewright.core.positions import Position
from linewright.features.completion import CompletionFeature
from linewright.features.completion.context import (
    CompletionContext,
    Mode,
    Trigger,
    decide_mode,
    from_document,
)
from linewright.features.completion.postprocess import (
    clean,
    cut_block,
    finish,
    trim_suffix_overlap,
    unheal,
)
from linewright.features.completion.prompt import healing_text
from tests.support.scripted import CompletionOnly


def ctx(
    prefix: str, suffix: str = "", trigger: Trigger = Trigger.AUTOMATIC, **kw: object
) -> CompletionContext:
    return CompletionContext("file:///a.py", 1, "python", prefix, suffix, trigger, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("context", "mode"),
    [
        pytest.param(ctx("def f():\n    "), Mode.MULTI, id="empty-body-line"),
        pytest.param(ctx("def f():"), Mode.MULTI, id="after-colon"),
        pytest.param(ctx("int main() {"), Mode.MULTI, id="after-brace"),
        pytest.param(ctx("x = foo(a, "), Mode.SINGLE, id="mid-expression"),
        pytest.param(ctx("for op in o", "", Trigger.INVOKED), Mode.MULTI, id="invoked-line-end"),
        pytest.param(
            ctx("x = foo(a, ", ")", Trigger.INVOKED), Mode.SINGLE, id="invoked-closer-right"
        ),
        pytest.param(ctx("x = foo(", ")"), Mode.MULTI, id="open-paren-closer-right"),
        pytest.param(ctx("x = ", "bar + 1"), Mode.NONE, id="text-right-automatic"),
        pytest.param(ctx("x = ", "bar + 1", Trigger.INVOKED), Mode.SINGLE, id="text-right-invoked"),
        pytest.param(ctx("# a comment ", in_comment_or_string=True), Mode.SINGLE, id="comment"),
    ],
)
def test_gate(context: CompletionContext, mode: Mode) -> None:
    assert decide_mode(context) == mode


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("a<|fim_middle|>b", "ab", id="fim-token"),
        pytest.param("<think>hmm</think>x = 1", "x = 1", id="think-block"),
        pytest.param("```python\nx = 1\n```", "x = 1", id="code-fence"),
        pytest.param("x\x00 = \x1b1", "x = 1", id="control-chars"),
        pytest.param("a\r\nb", "a\nb", id="crlf"),
    ],
)
def test_clean(raw: str, expected: str) -> None:
    assert clean(raw) == expected


def test_clean_bounds_enormous_output() -> None:
    assert len(clean("x" * 1_000_000)) == 20_000


@pytest.mark.parametrize(
    ("text", "line_prefix", "block_indent", "expected"),
    [
        pytest.param("return x\n\ny = 2", "    ", None, "return x", id="blank-line"),
        pytest.param("a = 1\n    b = 2\nc = 3", "    ", None, "a = 1\n    b = 2", id="dedent"),
        pytest.param("a = 1\n  b = 2", "    ", 4, "a = 1", id="below-block-indent"),
        pytest.param("\n    return 1\n", "", 4, "\n    return 1", id="leading-newline"),
    ],
)
def test_cut_block(text: str, line_prefix: str, block_indent: int | None, expected: str) -> None:
    assert cut_block(text, line_prefix, block_indent) == expected


@pytest.mark.parametrize(
    ("text", "suffix", "expected"),
    [
        pytest.param("a, b)", ")", "a, b", id="closing-paren"),
        pytest.param('name")', '")\n', "name", id="quote-and-paren"),
        pytest.param("x + 1", "\nmore", "x + 1", id="no-overlap"),
        pytest.param("foo(", " ", "foo(", id="whitespace-only-suffix"),
    ],
)
def test_trim_suffix_overlap(text: str, suffix: str, expected: str) -> None:
    assert trim_suffix_overlap(text, suffix) == expected


def test_finish_single_line_stops_at_newline() -> None:
    assert (
        finish("x + 1\ny = 2", multiline=False, line_prefix="a = ", suffix="", block_indent=None)
        == "x + 1"
    )


def test_finish_drops_whitespace_only() -> None:
    assert finish("   \n  ", multiline=True, line_prefix="", suffix="", block_indent=None) == ""


@pytest.mark.parametrize(
    ("line_prefix", "heal"),
    [
        pytest.param("    ", " ", id="indent"),
        pytest.param("\t", "\t", id="tab"),
        pytest.param("", "", id="line-start"),
        pytest.param("    x = ", " ", id="code-then-space"),
        pytest.param("    x", " x", id="partial-word"),
    ],
)
def test_healing_text(line_prefix: str, heal: str) -> None:
    assert healing_text(line_prefix) == heal


@pytest.mark.parametrize(
    ("text", "heal", "expected"),
    [
        pytest.param(" return x", " ", "return x", id="healed-space"),
        pytest.param("\treturn x", " ", "return x", id="other-whitespace"),
        pytest.param("\n    return x", " ", "\n    return x", id="newline-first"),
        pytest.param("return x", "", "return x", id="no-heal"),
        pytest.param(" foo(x)", " fo", "o(x)", id="word-exact"),
        pytest.param("foo(x)", " fo", "o(x)", id="word-without-space"),
        pytest.param("\tfoo", " fo", "o", id="word-after-tab"),
        pytest.param(" bar()", " fo", "", id="word-disagrees"),
        pytest.param("\n    foo", " fo", "", id="word-after-newline"),
        pytest.param("Foo", " fo", "", id="word-case-differs"),
        pytest.param("name)", "na", "me)", id="word-no-space"),
        pytest.param(" fo", " fo", "", id="word-nothing-new"),
    ],
)
def test_unheal(text: str, heal: str, expected: str) -> None:
    assert unheal(text, heal) == expected


def test_context_from_document_reads_the_tree() -> None:
    doc = Document("file:///a.py", "python", 3, "def f(x):\n    y = x\n    \n")
    c = from_document(doc, Position(2, 4), Trigger.INVOKED)
    assert (c.prefix, c.suffix, c.version, c.language) == (
        "def f(x):\n    y = x\n    ",
        "\n",
        3,
        "python",
    )
    inside = from_document(
        Document("file:///a.py", "python", 1, 's = "abc"\n'), Position(0, 6), Trigger.INVOKED
    )
    assert inside.in_comment_or_string
    assert not c.in_comment_or_string


@dataclass
class ScriptedBackend(CompletionOnly):
    """A `Backend` that answers every request with fixed texts and records the requests."""

    texts: list[str]
    fim: bool = False
    requests: list[CompletionRequest] = field(default_factory=list)
    name: str = "scripted"

    async def info(self) -> BackendInfo:
        return BackendInfo(name=self.name, url="scripted://", supports_fim=self.fim)

    async def complete(self, request: CompletionRequest) -> Generation:
        self.requests.append(request)
        return Generation(tuple(Choice(t, tokens=None) for t in self.texts))


async def test_feature_heals_prefix_only_prompts_and_dedupes() -> None:
    backend = ScriptedBackend([" return x\n\nfoo", " return x", "   "])
    feature = CompletionFeature(lambda: backend, CompletionSettings)
    out = await feature.suggest(ctx("def f(x):\n    ", "\n"))
    assert [s.text for s in out] == ["return x"]
    request = backend.requests[0]
    assert request.prefix == "def f(x):\n   "  # one space short: token healing
    assert request.suffix is None  # prefix-only backend


async def test_feature_sends_suffix_to_fim_backends_and_respects_windows() -> None:
    backend = ScriptedBackend(["1"], fim=True)
    settings = CompletionSettings(prefix_chars=5, suffix_chars=3)
    feature = CompletionFeature(lambda: backend, lambda: settings)
    await feature.suggest(ctx("abcdefgh = ", ")\nrest"))
    request = backend.requests[0]
    assert (request.prefix, request.suffix) == ("gh = ", ")\n")  # windows end at whole lines


async def test_feature_disabled_or_gated_makes_no_call() -> None:
    backend = ScriptedBackend(["x"])
    off = CompletionFeature(lambda: backend, lambda: CompletionSettings(enabled=False))
    assert await off.suggest(ctx("def f():\n    ")) == []
    gated = CompletionFeature(lambda: backend, CompletionSettings)
    assert await gated.suggest(ctx("x = ", "foo()")) == []
    assert backend.requests == []


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("x = 1\n" * 1_000_000, id="huge-6MB"),
        pytest.param("def f():\n    \x00\x01binary\n    ", id="binary"),
    ],
)
async def test_huge_and_binary_documents_complete_as_plain_text(text: str) -> None:
    doc = Document("file:///big.py", "python", 1, text)
    assert doc.tree is None
    end = doc.position_at(len(text))
    context = from_document(doc, end, Trigger.INVOKED)
    backend = ScriptedBackend(["y = 2"])
    feature = CompletionFeature(lambda: backend, CompletionSettings)
    assert [s.text for s in await feature.suggest(context)] == ["y = 2"]
    assert len(backend.requests[0].prefix) <= CompletionSettings().prefix_chars


@pytest.mark.parametrize(
    "eol",
    [pytest.param("\n", id="lf"), pytest.param("\r\n", id="crlf"), pytest.param("\r", id="cr")],
)
@pytest.mark.parametrize(
    "trigger",
    [pytest.param(Trigger.AUTOMATIC, id="typing"), pytest.param(Trigger.INVOKED, id="invoked")],
)
async def test_a_block_suggestion_keeps_every_line_and_the_files_line_break(
    eol: str, trigger: Trigger
) -> None:
    lines = ["def total(items):", "    ", "", "", "print(total([1]))", ""]
    doc = Document("file:///a.py", "python", 1, eol.join(lines))
    answer = ["result = 0", "    for x in items:", "        result += x", "    return result", ""]
    backend = ScriptedBackend([eol.join(answer)], fim=True)
    feature = CompletionFeature(lambda: backend, CompletionSettings)
    out = await feature.suggest(from_document(doc, Position(1, 4), trigger))
    assert [s.text for s in out] == [eol.join(answer[:4])]
    assert "\r" not in backend.requests[0].prefix + (backend.requests[0].suffix or "")
