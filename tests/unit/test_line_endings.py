"""Line endings in completion: every stage gives on a CRLF or mixed document what it gives on
the LF one, and suggestions come back with the document's dominant line break.

Each case is written three ways (LF, CRLF, and a mix where most breaks are CRLF); the LF
result is the reference, converted to the document's line break where it is text to insert.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from linewright.config import CompletionSettings
from linewright.core.documents import Document, line_ending
from linewright.core.llm.types import BackendInfo, Choice, CompletionRequest, Generation
from linewright.core.syntax.languages import language_named
from linewright.features.completion import CompletionFeature
from linewright.features.completion.context import (
    CompletionContext,
    Trigger,
    anchors,
    decide_mode,
    enclosing_definitions,
    from_document,
)
from linewright.features.completion.endings import lf_view, to_document, to_lf
from linewright.features.completion.fit import candidates, fit
from linewright.features.completion.overlap import trim_anchor, trim_anchored, trim_overlap
from linewright.features.completion.parsecheck import ParseCheck
from linewright.features.completion.postprocess import process
from linewright.features.completion.prompt import build_prompt
from linewright.features.completion.rank import rank
from linewright.features.completion.repeats import is_repetitive
from linewright.features.completion.units import cut_at_unit
from linewright.features.completion.window import Window, window_at
from tests.support.scripted import CompletionOnly

CURSOR = "‸"
EXTENSIONS = {"python": "py", "c": "c", "javascript": "js", "plaintext": "txt"}
ENDINGS = [
    pytest.param("\n", id="lf"),
    pytest.param("\r\n", id="crlf"),
    pytest.param("mixed", id="mixed"),
]


def written(marked: str, eol: str) -> str:
    """`marked` (LF) with its line breaks as `eol`; "mixed": CRLF but every third is LF."""
    lines = marked.split("\n")
    mixed = eol == "mixed"
    breaks = [
        "\n" if mixed and i % 3 == 1 else "\r\n" if mixed else eol for i in range(len(lines) - 1)
    ]
    return "".join(line + brk for line, brk in zip(lines, breaks, strict=False)) + lines[-1]


def document(language: str, marked: str, eol: str) -> tuple[Document, int]:
    text = written(marked, eol)
    index = text.index(CURSOR)
    uri = f"file:///t.{EXTENSIONS[language]}"
    return Document(uri, language, 1, text.replace(CURSOR, "")), index


def context(
    language: str, marked: str, eol: str, trigger: Trigger = Trigger.INVOKED
) -> CompletionContext:
    doc, index = document(language, marked, eol)
    return from_document(doc, doc.position_at(index), trigger)


def window_of(ctx: CompletionContext) -> Window:
    lf = lf_view(ctx)
    return lf.window or window_at(lf.prefix, lf.suffix, lf.tree, lf.cursor_byte)


# (language, document with the cursor, the model's answer, the suggestion on the LF file)
CASES = [
    pytest.param(
        "python",
        "def total(items):\n    ‸\n\n\nprint(total([1]))\n",
        "result = 0\n    for x in items:\n        result += x\n    return result\n\n\ndef g():\n",
        "result = 0\n    for x in items:\n        result += x\n    return result",
        id="py-block",
    ),
    pytest.param(
        "python",
        "def f(a):\n    x = 1\n    ‸\n    return x\n",
        "y = 2\n    return x\n    z()\n",
        "y = 2",
        id="py-suffix-overlap",
    ),
    pytest.param(
        "python",
        "def f(a):\n‸    return a\n",
        "    a += 1\n    return a\n",
        "    a += 1\n",
        id="py-line-opening",
    ),
    pytest.param(
        "c",
        "int f(int x) {\n  if (x) {\n    ‸\n  }\n  return 0;\n}\n",
        "x++;\n    x *= 2;\n  }\n  return 0;\n}\n",
        "x++;\n    x *= 2;",
        id="c-block",
    ),
    pytest.param(
        "plaintext",
        "notes:\n  ‸\n\nend\n",
        "one\n  two\n\nthree\n",
        "one\n  two",
        id="plain-block",
    ),
]


def test_line_ending_is_the_dominant_break() -> None:
    assert [
        line_ending(t) for t in ("", "a", "a\nb", "a\r\nb\r\n", "a\r\nb\nc\r\n", "a\rb", "a\r\nb\n")
    ] == ["\n", "\n", "\n", "\r\n", "\r\n", "\r", "\n"]
    assert Document("file:///a.py", "python", 1, "x = 1\r\ny = 2\r\n").line_ending == "\r\n"


@pytest.mark.parametrize("eol", ENDINGS)
@pytest.mark.parametrize(("language", "marked", "raw", "expected"), CASES)
def test_context_and_gate(language: str, marked: str, raw: str, expected: str, eol: str) -> None:
    reference = context(language, marked, "\n", Trigger.AUTOMATIC)
    ctx = context(language, marked, eol, Trigger.AUTOMATIC)
    lf = lf_view(ctx)
    assert (lf.prefix, lf.suffix) == (reference.prefix, reference.suffix)
    for view in (ctx, lf):  # the line properties hold whatever the break
        assert (view.line_prefix, view.line_suffix) == (
            reference.line_prefix,
            reference.line_suffix,
        )
        assert decide_mode(view) == decide_mode(reference)
    assert ctx.block_indent == reference.block_indent
    found = enclosing_definitions(ctx)
    assert [d.name_text for d in found] == [d.name_text for d in enclosing_definitions(reference)]
    source = ctx.prefix.encode()
    assert [(a.kind, to_lf(source[a.start : a.end].decode())) for a in anchors(ctx, found)] == [
        (a.kind, reference.prefix.encode()[a.start : a.end].decode())
        for a in anchors(reference, enclosing_definitions(reference))
    ]


ANCHORED = (
    "import os\nimport sys\n\n\ndef work(path):\n"
    + "".join(f"    step_{i} = os.path.join(path, '{i}')\n" for i in range(40))
    + "    ‸\n    return path\n"
)


@pytest.mark.parametrize("eol", ENDINGS)
@pytest.mark.parametrize("fim", [pytest.param(True, id="fim"), pytest.param(False, id="prefix")])
@pytest.mark.parametrize(
    ("marked", "settings"),
    [
        pytest.param(CASES[0].values[1], CompletionSettings(), id="whole"),
        pytest.param(ANCHORED, CompletionSettings(prefix_tokens=120), id="anchors"),
    ],
)
def test_prompt(marked: str, settings: CompletionSettings, fim: bool, eol: str) -> None:
    reference = build_prompt(context("python", marked, "\n"), settings, fim=fim)
    prompt = build_prompt(context("python", marked, eol), settings, fim=fim)
    assert prompt == reference
    assert "\r" not in prompt.prefix + (prompt.suffix or "")
    if marked == ANCHORED:
        assert prompt.prefix.startswith("import os\nimport sys\n") and "# ...\n" in prompt.prefix


@pytest.mark.parametrize("eol", ENDINGS)
@pytest.mark.parametrize(("language", "marked", "raw", "expected"), CASES)
def test_window_units_parse_check(
    language: str, marked: str, raw: str, expected: str, eol: str
) -> None:
    reference, ctx = context(language, marked, "\n"), context(language, marked, eol)
    window = window_of(ctx)
    assert window == window_of(reference)
    assert "\r" not in window.prefix + window.suffix
    spec = language_named(language)
    if spec is None or ctx.tree is None:
        return
    assert cut_at_unit(spec, window.prefix, raw) == cut_at_unit(
        spec, window_of(reference).prefix, raw
    )
    mine, theirs = ParseCheck(spec, window), ParseCheck(spec, window_of(reference))
    for middle in (expected, expected + "\n)(", ""):
        assert mine.errors(middle) == theirs.errors(middle)
    assert mine.keeps_parse(expected) and not mine.keeps_parse(expected + "\n)(")


@pytest.mark.parametrize("eol", ENDINGS)
@pytest.mark.parametrize(("language", "marked", "raw", "expected"), CASES)
def test_overlap_repeats_fit(language: str, marked: str, raw: str, expected: str, eol: str) -> None:
    reference, lf = context(language, marked, "\n"), lf_view(context(language, marked, eol))
    for trim in (trim_overlap, trim_anchored):
        assert trim(raw, lf.suffix, min_chars=4, line_prefix=lf.line_prefix) == trim(
            raw, reference.suffix, min_chars=4, line_prefix=reference.line_prefix
        )
    assert trim_anchor(raw, lf.suffix) == trim_anchor(raw, reference.suffix)
    looping = f"x = 1\n{lf.line_prefix}x = 1\n"
    for text, loops in ((raw, False), (looping, True)):
        assert is_repetitive(text, lf.line_prefix, lf.prefix) is loops
    spec = language_named(language)
    if spec is None or lf.tree is None:
        return
    mode = decide_mode(lf)
    assert fit(raw, lf, mode, spec) == fit(raw, reference, mode, spec) == expected
    window = window_of(lf)
    assert list(candidates(raw, lf, spec, window)) == list(
        candidates(raw, reference, spec, window_of(reference))
    )


@pytest.mark.parametrize("eol", ENDINGS)
@pytest.mark.parametrize(("language", "marked", "raw", "expected"), CASES)
def test_process(language: str, marked: str, raw: str, expected: str, eol: str) -> None:
    ctx = context(language, marked, eol)
    lf = lf_view(ctx)
    mode = decide_mode(lf)
    # the model may answer in the file's own style; what it sends is cleaned to LF first
    for answer in (raw, to_document(raw, line_ending(ctx.prefix + ctx.suffix))):
        assert process(answer, lf, mode, "") == expected


@pytest.mark.parametrize("eol", ENDINGS)
def test_rank_is_the_same_in_every_line_ending(eol: str) -> None:
    scored = [("a\n  b", -1.0), ("c\nd", -0.5), ("a\n  b\n", -0.2), ("e", None)]
    brk = "\r\n" if eol == "mixed" else eol
    converted = [(to_document(text, brk), lp) for text, lp in scored]
    assert rank(converted) == [to_document(text, brk) for text in rank(scored)]
    assert len(rank(converted)) == 3


@dataclass
class Scripted(CompletionOnly):
    """Answers every request with `texts` and records the requests."""

    texts: list[str]
    requests: list[CompletionRequest] = field(default_factory=list)

    async def info(self) -> BackendInfo:
        return BackendInfo(name="scripted", url="scripted://", supports_fim=True)

    async def complete(self, request: CompletionRequest) -> Generation:
        self.requests.append(request)
        return Generation(tuple(Choice(t) for t in self.texts))


@pytest.mark.parametrize("eol", ENDINGS)
@pytest.mark.parametrize(("language", "marked", "raw", "expected"), CASES)
async def test_feature_writes_the_documents_line_break(
    language: str, marked: str, raw: str, expected: str, eol: str
) -> None:
    doc, index = document(language, marked, eol)
    position = doc.position_at(index)
    backend = Scripted([to_document(raw, doc.line_ending)])
    feature = CompletionFeature(lambda: backend, CompletionSettings)
    ctx = from_document(doc, position, Trigger.INVOKED)
    [suggestion] = await feature.suggest(ctx)
    assert suggestion.text == to_document(expected, doc.line_ending)
    assert "\r" not in backend.requests[0].prefix + (backend.requests[0].suffix or "")
    # inserted at the cursor's LSP position, the rest of the file keeps its breaks
    before = doc.text
    doc.apply_change(None, before[:index] + suggestion.text + before[index:])
    assert to_lf(doc.text) == to_lf(before[:index]) + expected + to_lf(before[index:])
