"""The prompt stage: budgets, windows, anchors, healing, extra context, stops, the request."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import pytest

from linewright.config import CompletionSettings
from linewright.core.documents import Document
from linewright.core.errors import BackendUnavailable
from linewright.core.llm.client import HttpClient, Timeouts
from linewright.core.llm.llamacpp import LlamaCppBackend, build_infill_request
from linewright.core.llm.types import BackendInfo, ChatRequest, ExtraChunk, Generation
from linewright.features.completion.context import (
    IMPORT_SCAN_BYTES,
    Anchor,
    CompletionContext,
    Mode,
    Trigger,
    anchor_spans,
    anchors,
    enclosing_definitions,
    extra_candidates,
    from_document,
)
from linewright.features.completion.neighbors import NeighborRing
from linewright.features.completion.prompt import (
    CALIBRATION_SAMPLE,
    DEFAULT_BYTES_PER_TOKEN,
    RATIO_MARGIN,
    Budget,
    Prompt,
    TokenRatio,
    budget,
    build_prompt,
    build_request,
    elision_marker,
    healing_text,
    prefix_window,
    stop_sequences,
    suffix_window,
    windowed_prefix,
)

CURSOR = "█"


def at_cursor(text: str, language: str = "python", **kw: object) -> CompletionContext:
    """The context of a document whose cursor is written as █."""
    offset = text.index(CURSOR)
    doc = Document(f"file:///w/a.{language[:2]}", language, 1, text.replace(CURSOR, ""))
    return from_document(doc, doc.position_at(offset), Trigger.INVOKED, **kw)  # type: ignore[arg-type]


def plain(prefix: str, suffix: str = "", **kw: object) -> CompletionContext:
    return CompletionContext("file:///w/a.py", 1, "python", prefix, suffix, **kw)  # type: ignore[arg-type]


# -- budgets ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "fim", "n_ctx", "expected"),
    [
        pytest.param(CompletionSettings(), True, None, Budget(2048, 512, 1024), id="fim"),
        pytest.param(CompletionSettings(), False, None, Budget(2048, 0, 1024), id="prefix-only"),
        pytest.param(
            CompletionSettings(extra_context=False), True, None, Budget(2048, 512, 0), id="no-extra"
        ),
        pytest.param(CompletionSettings(), True, 8192, Budget(2048, 512, 1024), id="fits-n-ctx"),
        pytest.param(
            CompletionSettings(prefix_tokens=1000, suffix_tokens=200, extra_tokens=300),
            True,
            1000,  # room 1000 - 64 - 32 = 904 of 1500 tokens asked
            Budget(1204, 240, 360),
            id="scaled-to-n-ctx",
        ),
    ],
)
def test_budget(
    settings: CompletionSettings, fim: bool, n_ctx: int | None, expected: Budget
) -> None:
    assert budget(settings, fim=fim, bytes_per_token=2.0, n_ctx=n_ctx) == expected


@pytest.mark.parametrize(
    ("fim", "n_batch", "expected"),
    [
        # /infill keeps 3 * (512 // 4) = 384 prefix tokens (less our overhead) and 126 suffix.
        pytest.param(True, 512, Budget(704, 252, 1024), id="infill-batch-512"),
        pytest.param(True, 4096, Budget(2048, 512, 1024), id="large-batch"),
        pytest.param(False, 512, Budget(2048, 0, 1024), id="prefix-only-not-clamped"),
    ],
)
def test_budget_stays_inside_infill_batch(fim: bool, n_batch: int, expected: Budget) -> None:
    assert budget(CompletionSettings(), fim=fim, bytes_per_token=2.0, n_batch=n_batch) == expected


# -- token healing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line_prefix", "heal"),
    [
        pytest.param("    ", " ", id="indent"),
        pytest.param("\t", "\t", id="tab"),
        pytest.param("", "", id="line-start"),
        pytest.param("    x = ", " ", id="after-code-and-space"),
        pytest.param("x =  ", " ", id="one-of-two-spaces"),
        pytest.param("    retu", " retu", id="word-after-indent"),
        pytest.param("    x = fo", " fo", id="word-after-space"),
        pytest.param("\tx =\tfo", "\tfo", id="word-after-tab"),
        pytest.param("self.na", "na", id="attribute"),
        pytest.param("print(va", "va", id="argument"),
        pytest.param("value", "value", id="word-at-column-0"),
        pytest.param("x = 12", " 12", id="number"),
        pytest.param("s = naïve_wo", " naïve_wo", id="unicode-word"),
        pytest.param("x = foo.", "", id="punctuation"),
        pytest.param("x = " + "a" * 49, "", id="word-too-long"),
    ],
)
def test_healing_text(line_prefix: str, heal: str) -> None:
    assert healing_text(line_prefix) == heal


# -- windows ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "budget_bytes", "cap", "expected"),
    [
        pytest.param("aaaa\nbbbb\ncc", 100, 100, "aaaa\nbbbb\ncc", id="fits"),
        pytest.param("aaaa\nbbbb\ncc", 7, 100, "bbbb\ncc", id="exactly-two-lines"),
        pytest.param("aaaa\nbbbb\ncc", 6, 100, "cc", id="line-start-after-budget"),
        pytest.param("aaaa\nbbbbbbbb", 3, 100, "bbbbbbbb", id="cursor-line-kept-whole"),
        pytest.param("aaaa\nbbbb\ncc", 100, 9, "bbbb\ncc", id="cap-drops-partial-line"),
        pytest.param("abcdefgh = ", 100, 5, "gh = ", id="cap-inside-cursor-line"),
        pytest.param("ééé\nab", 8, 100, "ab", id="budget-counts-bytes"),
        pytest.param("ééé\nab", 9, 100, "ééé\nab", id="non-ascii-fits"),
        pytest.param("aaaa\nbb", 100, 0, "", id="cap-zero"),
        pytest.param("a\n", 0, 100, "", id="budget-zero-empty-line"),
    ],
)
def test_prefix_window(prefix: str, budget_bytes: int, cap: int, expected: str) -> None:
    assert prefix_window(prefix, budget_bytes, cap) == expected


@pytest.mark.parametrize(
    ("suffix", "budget_bytes", "cap", "expected"),
    [
        pytest.param("ab\ncd", 100, 100, "ab\ncd", id="fits"),
        pytest.param(")\nrest", 100, 3, ")\n", id="cap-drops-partial-line"),
        pytest.param("ab\ncd\nef", 5, 100, "ab\n", id="budget-one-line"),
        pytest.param("ab\ncd\nef", 6, 100, "ab\ncd\n", id="budget-two-lines"),
        pytest.param("abcdefgh\nx", 3, 100, "abcdefgh\n", id="cursor-line-kept-whole"),
        pytest.param("abcdefgh", 100, 3, "abc", id="cap-inside-cursor-line"),
        pytest.param("é\né\n", 4, 100, "é\n", id="budget-counts-bytes"),
        pytest.param("ab", 100, 0, "", id="cap-zero"),
    ],
)
def test_suffix_window(suffix: str, budget_bytes: int, cap: int, expected: str) -> None:
    assert suffix_window(suffix, budget_bytes, cap) == expected


# -- anchors: imports and headers kept above the window ------------------------------------

FILLER = "".join(f"VALUE_{i} = {i}\n" for i in range(30))
PY_METHOD = (
    "import os\nfrom typing import Any\n\n"
    + FILLER
    + "\n\nclass Shape:\n    side = 1\n    side = 2\n\n    def area(self) -> float:\n"
    + "        x = 1\n" * 6
    + "        return x█\n"
)
C_FUNCTION = (
    '#include <stdio.h>\n#include "util.h"\n\nstatic int g = 0;\n'
    + "".join(f"int f{i}(void) {{ return {i}; }}\n" for i in range(12))
    + "\nint main(int argc, char **argv)\n{\n"
    + '    puts("x");\n' * 6
    + "    █\n}\n"
)


def window_of(text: str, budget_bytes: int, cap: int = 4000, language: str = "python") -> str:
    ctx = at_cursor(text, language)
    return windowed_prefix(ctx, budget_bytes, cap, enclosing_definitions(ctx))


@pytest.mark.parametrize(
    ("text", "language", "budget_bytes", "expected"),
    [
        pytest.param(
            PY_METHOD,
            "python",
            200,
            "import os\nfrom typing import Any\n# ...\nclass Shape:\n    # ...\n"
            "    def area(self) -> float:\n        # ...\n"
            + "        x = 1\n" * 4
            + "        return x",
            id="python-imports-class-method",
        ),
        pytest.param(
            PY_METHOD,
            "python",
            300,
            "import os\nfrom typing import Any\n# ...\n"
            + "".join(f"VALUE_{i} = {i}\n" for i in range(25, 30))
            + "\n\nclass Shape:\n    side = 1\n    side = 2\n\n    def area(self) -> float:\n"
            + "        x = 1\n" * 6
            + "        return x",
            id="python-headers-inside-window",
        ),
        pytest.param(
            C_FUNCTION,
            "c",
            120,
            "#include <stdio.h>\n// ...\nint main(int argc, char **argv)\n"
            '    // ...\n    puts("x");\n    puts("x");\n    ',
            id="c-header-and-first-include",
        ),
        pytest.param(
            C_FUNCTION,
            "c",
            140,
            '#include <stdio.h>\n#include "util.h"\n// ...\nint main(int argc, char **argv)\n'
            '    // ...\n    puts("x");\n    puts("x");\n    ',
            id="c-includes-function",
        ),
        pytest.param("x = 1\ny = 2\nz = █", "python", 100, "x = 1\ny = 2\nz = ", id="prefix-fits"),
    ],
)
def test_windowed_prefix_keeps_anchors(
    text: str, language: str, budget_bytes: int, expected: str
) -> None:
    assert window_of(text, budget_bytes, language=language) == expected


def test_windowed_prefix_never_repeats_a_header_inside_the_window() -> None:
    text = "import os\n" + FILLER + "def f(a):\n    b = a\n    return b█\n"
    # The header's reserved room is given back once the window holds it: two more lines.
    out = window_of(text, 90)
    assert out == (
        "import os\n# ...\nVALUE_28 = 28\nVALUE_29 = 29\ndef f(a):\n    b = a\n    return b"
    )
    assert len(out.encode()) <= 90


def test_windowed_prefix_headers_before_imports_when_short_of_room() -> None:
    imports = "".join(f"from package.module_{i} import name_{i}\n" for i in range(4))
    text = imports + FILLER + "def f(a):\n" + "    b = a\n" * 6 + "    return b█\n"
    # 120 bytes: 60 for anchors; the header (10) and one import (36) fit, not two.
    out = window_of(text, 120)
    assert out == (
        "from package.module_0 import name_0\n# ...\ndef f(a):\n    # ...\n"
        + "    b = a\n" * 3
        + "    return b"
    )
    assert len(out.encode()) <= 120


def test_windowed_prefix_gives_up_anchors_before_the_cursor_line() -> None:
    line = "    total = " + "value + " * 10 + "1"
    text = "import os\n" + FILLER + "def f(a):\n" + line + "█\n"
    # The cap leaves room for the cursor's line only if no anchor is added.
    assert window_of(text, 4000, cap=len(line) + 5) == line


def test_windowed_prefix_plain_text_has_no_anchors() -> None:
    ctx = plain("import os\n" + FILLER + "x = ")
    assert windowed_prefix(ctx, 20, 4000, []) == "VALUE_29 = 29\nx = "


def test_anchors_are_top_level_imports_and_enclosing_headers() -> None:
    text = (
        "import os\n\ndef f():\n    import json\n    return 1\n\n"
        "class A:\n    def m(self):\n        y = █\n\nimport late\n"
    )
    ctx = at_cursor(text)
    found = anchors(ctx, enclosing_definitions(ctx))
    source = ctx.prefix.encode()
    assert [(a.kind, source[a.start : a.end].decode()) for a in found] == [
        ("import", "import os"),
        ("header", "class A:"),
        ("header", "    def m(self):"),
    ]


def test_anchors_look_for_imports_in_the_files_head_only() -> None:
    filler = "".join(f"VALUE_{i} = {i}\n" for i in range(IMPORT_SCAN_BYTES // 14 + 1))
    ctx = at_cursor("import os\n" + filler + "import late\nx = █")
    source = ctx.prefix.encode()
    assert [source[a.start : a.end] for a in anchors(ctx, [])] == [b"import os"]


@pytest.mark.parametrize(
    ("found", "limit", "expected"),
    [
        pytest.param([Anchor(0, 3, "import"), Anchor(4, 7, "import")], 100, [(0, 8)], id="merged"),
        pytest.param(
            [Anchor(0, 3, "import"), Anchor(8, 11, "header"), Anchor(12, 15, "header")],
            4,
            [(12, 16)],
            id="innermost-header-first",
        ),
        pytest.param(
            [Anchor(0, 3, "import"), Anchor(8, 11, "header")], 8, [(0, 4), (8, 12)], id="both"
        ),
    ],
)
def test_anchor_spans(found: list[Anchor], limit: int, expected: list[tuple[int, int]]) -> None:
    data = b"aaa\nbbb\nccc\nddd\n"
    assert anchor_spans(data, found, limit) == expected


@pytest.mark.parametrize(
    ("language", "marker"),
    [
        pytest.param("python", "# ...", id="python"),
        pytest.param("c", "// ...", id="c"),
        pytest.param("plaintext", None, id="plaintext"),
    ],
)
def test_elision_marker(language: str, marker: str | None) -> None:
    assert elision_marker(language) == marker


@pytest.mark.parametrize(
    ("text", "names"),
    [
        pytest.param("def f(x):\n    y = x\n    █", ["f"], id="blank-line-in-body"),
        pytest.param("def f(x):\n    y = x\n█", [], id="dedented-to-top-level"),
        pytest.param(
            "class A:\n    def m(self):\n        y = 1\n    █",
            ["A"],
            id="method-level-in-class",
        ),
        pytest.param(
            "class A:\n    def m(self):\n        y = █",
            ["A", "m"],
            id="in-method",
        ),
        pytest.param("x = █", [], id="module-level"),
    ],
)
def test_enclosing_definitions(text: str, names: list[str]) -> None:
    assert [d.name_text for d in enclosing_definitions(at_cursor(text))] == names


def test_enclosing_definitions_needs_a_tree() -> None:
    assert enclosing_definitions(plain("def f():\n    ")) == []


# -- stops and the request ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "inside", "stops"),
    [
        pytest.param("python", True, ("\n\n\n", "\ndef ", "\nclass "), id="python-in-def"),
        pytest.param("python", False, ("\n\n\n",), id="python-top-level"),
        pytest.param("go", True, ("\n\n\n", "\nfunc ", "\ntype "), id="go-in-func"),
        pytest.param("c", True, ("\n\n\n",), id="c"),
    ],
)
def test_stop_sequences(language: str, inside: bool, stops: tuple[str, ...]) -> None:
    assert stop_sequences(language, inside) == stops
    assert len(stops) <= 3  # OpenAI-compatible servers keep four; the template needs one


PROMPT = Prompt("p", "s", extra=(ExtraChunk("b.py", "x\n"),), stop_multi=("\n\n\n", "\ndef "))


@pytest.mark.parametrize(
    ("mode", "settings", "supports_n", "expected"),
    [
        pytest.param(Mode.SINGLE, CompletionSettings(), False, (("\n",), 48, 1), id="single"),
        pytest.param(
            Mode.MULTI, CompletionSettings(), False, (("\n\n\n", "\ndef "), 64, 1), id="multi"
        ),
        pytest.param(
            Mode.MULTI,
            CompletionSettings(candidates=3, temperature=0.7),
            True,
            (("\n\n\n", "\ndef "), 64, 3),
            id="candidates",
        ),
        pytest.param(
            Mode.MULTI,
            CompletionSettings(candidates=3),
            True,
            (("\n\n\n", "\ndef "), 64, 1),
            id="greedy-needs-one",
        ),
        pytest.param(
            Mode.SINGLE,
            CompletionSettings(candidates=3, temperature=0.7),
            False,
            (("\n",), 48, 1),
            id="backend-without-n",
        ),
    ],
)
def test_build_request(
    mode: Mode,
    settings: CompletionSettings,
    supports_n: bool,
    expected: tuple[tuple[str, ...], int, int],
) -> None:
    request = build_request(PROMPT, mode, settings, supports_n=supports_n)
    assert (request.stop, request.max_tokens, request.n) == expected
    assert (request.prefix, request.suffix, request.extra) == ("p", "s", PROMPT.extra)


# -- the whole prompt ---------------------------------------------------------------------


def test_build_prompt_heals_a_partial_word_for_prefix_only_models() -> None:
    prompt = build_prompt(plain("y = 1\nx = fo", ")\n"), CompletionSettings(), fim=False)
    assert (prompt.prefix, prompt.suffix, prompt.heal) == ("y = 1\nx =", None, " fo")


def test_build_prompt_sends_fim_models_the_exact_cursor() -> None:
    prompt = build_prompt(plain("y = 1\nx = fo", ")\nz\n"), CompletionSettings(), fim=True)
    assert (prompt.prefix, prompt.suffix, prompt.heal) == ("y = 1\nx = fo", ")\nz\n", "")


def test_build_prompt_heals_only_what_the_window_holds() -> None:
    prompt = build_prompt(plain("x = foo"), CompletionSettings(prefix_chars=2), fim=False)
    assert (prompt.prefix, prompt.heal) == ("oo", "")


def test_build_prompt_stops_at_a_new_definition_inside_one() -> None:
    inside = build_prompt(at_cursor("def f():\n    █"), CompletionSettings(), fim=True)
    outside = build_prompt(at_cursor("x = 1\n█"), CompletionSettings(), fim=True)
    assert (inside.stop_multi, outside.stop_multi) == (
        ("\n\n\n", "\ndef ", "\nclass "),
        ("\n\n\n",),
    )


def parsers_ring() -> NeighborRing:
    ring = NeighborRing()
    for name, text in (
        ("c.py", "PARSERS = {}\n"),
        ("b.py", "def parse(text):\n    return PARSERS[text]\n"),
        ("d.py", "def render(page):\n    return page\n"),
    ):
        ring.opened(Document(f"file:///w/{name}", "python", 1, text), name)
    return ring


B_PY = ExtraChunk("b.py", "def parse(text):\n    return PARSERS[text]\n")
C_PY = ExtraChunk("c.py", "PARSERS = {}\n")


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        # b.py shares 2 of 4 identifiers, c.py 1 of 3, d.py none: b.py is best, c.py older.
        pytest.param(CompletionSettings(), (C_PY, B_PY), id="ring-order"),
        pytest.param(CompletionSettings(extra_tokens=54), (B_PY,), id="best-within-budget"),
        pytest.param(CompletionSettings(extra_context=False), (), id="disabled"),
    ],
)
def test_build_prompt_extra(settings: CompletionSettings, expected: tuple[ExtraChunk, ...]) -> None:
    ctx = plain("value = parse(PARSERS)", neighbors=parsers_ring())
    assert build_prompt(ctx, settings, fim=True, bytes_per_token=1.0).extra == expected


def test_extra_candidates_leave_out_the_current_file() -> None:
    ring = parsers_ring()
    ctx = at_cursor("value = parse(PARSERS)█", neighbors=ring)  # file:///w/a.py
    assert [c.filename for c in extra_candidates(ctx)] == ["b.py", "c.py"]
    inside_b = CompletionContext(
        "file:///w/b.py", 1, "python", "parse(PARSERS)", "", neighbors=ring
    )
    assert [c.filename for c in extra_candidates(inside_b)] == ["c.py"]
    assert extra_candidates(plain("value = parse(PARSERS)")) == []  # no ring


# -- bytes per token ----------------------------------------------------------------------


@dataclass
class TokenizingBackend:
    """A `Backend` whose tokenizer answers a fixed number of tokens, or fails."""

    tokens: int | None
    fail: bool = False
    calls: list[str] = field(default_factory=list)
    name: str = "scripted"

    async def info(self) -> BackendInfo:
        return BackendInfo(self.name, "x://", supports_tokenize=self.tokens is not None)

    async def complete(self, request: object) -> Generation:
        raise NotImplementedError

    async def chat(self, request: ChatRequest) -> Generation:
        raise NotImplementedError

    async def tokenize(self, text: str) -> list[int] | None:
        self.calls.append(text)
        if self.fail:
            raise BackendUnavailable("down", url="x://")
        return None if self.tokens is None else list(range(self.tokens))

    async def aclose(self) -> None:
        return None


async def test_token_ratio_is_measured_once_per_backend() -> None:
    ratio, backend = TokenRatio(), TokenizingBackend(tokens=100)
    info = await backend.info()
    expected = len(CALIBRATION_SAMPLE.encode()) / 100 * RATIO_MARGIN
    assert await ratio.bytes_per_token(backend, info) == pytest.approx(expected)
    assert await ratio.bytes_per_token(backend, info) == pytest.approx(expected)
    assert backend.calls == [CALIBRATION_SAMPLE]
    other = BackendInfo("scripted", "y://", model="m", supports_tokenize=True)
    await ratio.bytes_per_token(backend, other)
    assert len(backend.calls) == 2  # another server or model is measured on its own


async def test_token_ratio_without_a_tokenizer_is_the_default() -> None:
    ratio, backend = TokenRatio(), TokenizingBackend(tokens=None)
    assert await ratio.bytes_per_token(backend, await backend.info()) == DEFAULT_BYTES_PER_TOKEN
    assert backend.calls == []


async def test_token_ratio_after_a_failure_measures_again() -> None:
    ratio, backend = TokenRatio(), TokenizingBackend(tokens=50, fail=True)
    info = await backend.info()
    assert await ratio.bytes_per_token(backend, info) == DEFAULT_BYTES_PER_TOKEN
    backend.fail = False
    assert await ratio.bytes_per_token(backend, info) > DEFAULT_BYTES_PER_TOKEN
    assert len(backend.calls) == 2


# -- on a real llama.cpp server -----------------------------------------------------------


async def test_extra_context_reaches_infill_on_a_real_server(tiny_llama_url: str) -> None:
    """The ring's chunk goes through context, prompt and request into `/infill`'s prompt."""
    ring = NeighborRing()
    helper = "def helper_value(count):\n    return count + 41\n"
    ring.opened(Document("file:///w/utils.py", "python", 1, helper), "utils.py")
    ctx = at_cursor("result = helper_value(█)\n", neighbors=ring)
    settings = CompletionSettings(max_tokens=2)
    http = HttpClient(Timeouts(read=120.0))
    try:
        backend = LlamaCppBackend(tiny_llama_url, http)
        info = await backend.info()
        ratio = await TokenRatio().bytes_per_token(backend, info)
        prompt = build_prompt(ctx, settings, fim=info.supports_fim, bytes_per_token=ratio)
        request = build_request(prompt, Mode.SINGLE, settings, supports_n=info.supports_n)
    finally:
        await http.aclose()
    assert 0.5 < ratio < DEFAULT_BYTES_PER_TOKEN  # the tiny vocabulary: about a byte a token
    call = build_infill_request(request)
    async with httpx.AsyncClient(base_url=tiny_llama_url, timeout=120.0) as client:
        response = await client.post(call.path, json=call.body)
    built = response.json()["prompt"]
    assert f"<|file_sep|>utils.py\n{helper}" in built
    assert "<|fim_prefix|>result = helper_value(<|fim_suffix|>)\n<|fim_middle|>" in built
    assert built.index("utils.py") < built.index("<|fim_prefix|>")
