"""The prompt for one completion: windows around the cursor, token healing, the request.

Pure functions of a `CompletionContext`; the backend's capabilities arrive as plain values.
Decisions, by name:

- **Estimated token budgets.** Windows are sized in tokens but counted in UTF-8 bytes with
  a bytes-per-token ratio `TokenRatio` measures once per backend and model (`/tokenize` of
  a fixed sample): a tokenize round trip per keystroke would cost more than the pipeline.
  Bytes, as byte-level tokenizers see them, keep the ratio right for non-ASCII text. The
  budgets shrink to fit the model's context and, for `/infill`, llama.cpp's batch limits.
- **Whole lines.** Windows start and end at line boundaries and keep the cursor's whole
  line; only `prefix_chars`/`suffix_chars` cut a line longer than the cap (minified code).
- **Anchors.** Top-level imports and the headers of the definitions around the cursor that
  the window leaves out are put back above it in file order, each gap marked by an elision
  comment (`# ...`) indented like the next line, within `ANCHOR_SHARE` of the budget
  (headers first, innermost first). FIM and prefix-only models get the same prefix: a
  comment is inert in every language, where a bare `...` is code in Python.
- **Token healing** for prefix-only models (`healing_text`).
- **Extra context in ring order.** The most similar chunks that fit are sent in the order
  they entered the ring: the prompt's head changes only with the chosen set, so the
  server's prompt cache stays warm.
- **Stops per language.** One line: "\\n". Several: two blank lines, plus a new top-level
  definition when inside one (`TOP_LEVEL_STOPS`); at most three, as OpenAI-compatible
  servers keep four and the FIM template's end token needs one.
- **Candidates.** `n` > 1 only where the backend supports it and the temperature is above
  0: greedy decoding answers the same text n times.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from linewright.config import CompletionSettings
from linewright.core.errors import BackendError
from linewright.core.llm.types import Backend, BackendInfo, CompletionRequest, ExtraChunk
from linewright.core.syntax.languages import language_named
from linewright.core.syntax.nodes import Definition
from linewright.features.completion.context import (
    CompletionContext,
    Mode,
    anchor_spans,
    anchors,
    enclosing_definitions,
    extra_candidates,
)
from linewright.features.completion.endings import to_lf
from linewright.features.completion.neighbors import fit_extra

log = logging.getLogger(__name__)

STOP_SINGLE = ("\n",)
STOP_MULTI = ("\n\n\n",)
"""Multi-line answers stop at two blank lines (the block cut usually stops earlier)."""
TOP_LEVEL_STOPS: Mapping[str, tuple[str, ...]] = {
    "python": ("\ndef ", "\nclass "),
    "javascript": ("\nfunction ", "\nexport "),
    "typescript": ("\nfunction ", "\nexport "),
    "tsx": ("\nfunction ", "\nexport "),
    "go": ("\nfunc ", "\ntype "),
    "rust": ("\nfn ", "\npub "),
}
"""A new top-level definition: the model has left the one the cursor is in."""
SINGLE_LINE_MAX_TOKENS = 48
DEFAULT_BYTES_PER_TOKEN = 3.0
"""Used until (or when no) tokenizer is measured: below what code tokenizers reach."""
RATIO_MARGIN = 0.9
"""Measured ratios are lowered by 10%: code denser than the sample stays in budget."""
CONTEXT_OVERHEAD_TOKENS = 32
"""Room left in the model's context for FIM markers and file separators."""
ANCHOR_SHARE = 0.5
GAP_ALLOWANCE = 16
"""Bytes reserved per anchor for what precedes it: an elision comment or a blank gap."""
MAX_HEAL_WORD = 48
CALIBRATION_SAMPLE = """import os
from dataclasses import dataclass


@dataclass
class Point:
    x: float = 0.0

    def distance_to(self, other: "Point") -> float:
        return abs(self.x - other.x)  # on a line


static int count_words(const char *text) {
    int count = 0;
    for (; *text != '\\0'; ++text) { if (isspace((unsigned char)*text)) ++count; }
    return count;
}

export function debounce(fn, waitMs = 200) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), waitMs); };
}
"""
"""Code in three languages whose `/tokenize` length gives a backend's bytes per token."""


@dataclass(frozen=True)
class Prompt:
    """What is sent, plus `heal`: the tail of the prefix left for the model to rewrite."""

    prefix: str
    suffix: str | None
    heal: str = ""
    extra: tuple[ExtraChunk, ...] = ()
    stop_multi: tuple[str, ...] = STOP_MULTI
    """Stop sequences for a multi-line answer (they depend on the language and position)."""


@dataclass(frozen=True)
class Budget:
    """Window sizes in UTF-8 bytes."""

    prefix: int
    suffix: int
    extra: int


def budget(
    settings: CompletionSettings,
    *,
    fim: bool,
    bytes_per_token: float = DEFAULT_BYTES_PER_TOKEN,
    n_ctx: int | None = None,
    n_batch: int | None = None,
) -> Budget:
    """Token budgets -> byte budgets, scaled down together to fit `n_ctx` with the answer.

    `n_batch` is llama.cpp's batch size when `/infill` builds the prompt: it keeps at most
    3/4 of a batch of prefix and 1/4 (less 2) of suffix, dropping the head of the prefix,
    where the anchors are, so the budgets stay inside those limits.
    """
    prefix_tokens = settings.prefix_tokens
    suffix_tokens = settings.suffix_tokens if fim else 0
    if fim and n_batch:
        prefix_tokens = min(prefix_tokens, 3 * (n_batch // 4) - CONTEXT_OVERHEAD_TOKENS)
        suffix_tokens = min(suffix_tokens, max(0, n_batch // 4 - 2))
    tokens = [max(0, prefix_tokens), suffix_tokens]
    tokens.append(settings.extra_tokens if settings.extra_context else 0)
    total = sum(tokens)
    if n_ctx and total:
        room = max(0, n_ctx - settings.max_tokens - CONTEXT_OVERHEAD_TOKENS)
        if total > room:
            tokens = [t * room // total for t in tokens]
    prefix, suffix, extra = (int(t * bytes_per_token) for t in tokens)
    return Budget(prefix, suffix, extra)


def healing_text(line_prefix: str) -> str:
    """The tail of the prompt to leave for the model to regenerate (token healing).

    A prompt that ends in indentation makes models whose tokenizer merges "spaces + word"
    (the default SmolLM2 among them) answer an empty line: the spaces are already spent and
    the merged token cannot follow. Ending the prompt one whitespace character short lets
    the model write that character together with the next word, as it was trained to
    (measured on SmolLM2: the full indentation gives an empty first line, the line start
    gives a new definition, one space short gives the statement).

    The same holds after code (`x = |`: one space short) and for a partial word at the
    cursor: the prompt ends before the word and before one space or tab in front of it, and
    the model writes them again (`unheal` keeps what follows, or drops an answer that does
    not start with the word). Words longer than `MAX_HEAL_WORD` are left alone. Measured on
    SmolLM2 over 150 HumanEval lines each, exact rest of the line: cursor after a space 1
    plain vs 53 healed; cursor two letters into a word 3 plain vs 53 healed (56 dropped).
    """
    if line_prefix[-1:] in (" ", "\t"):
        return line_prefix[-1]
    start = len(line_prefix)
    while start > 0 and (line_prefix[start - 1].isalnum() or line_prefix[start - 1] == "_"):
        start -= 1
    if start == len(line_prefix) or len(line_prefix) - start > MAX_HEAL_WORD:
        return ""
    if start > 0 and line_prefix[start - 1] in " \t":
        start -= 1
    return line_prefix[start:]


def prefix_window(prefix: str, budget: int, cap: int) -> str:
    """The end of `prefix` within `budget` UTF-8 bytes and `cap` characters, from a line start.

    The cursor's line is kept whole, even over budget, unless it alone exceeds `cap`.
    """
    text = prefix[len(prefix) - cap :] if cap else ""
    if len(text) < len(prefix) and "\n" in text:
        text = text[text.index("\n") + 1 :]  # the cap cut a line above the cursor's
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= budget:
        return text
    cursor_line = data.rfind(b"\n") + 1
    cut = data.find(b"\n", len(data) - budget - 1) + 1
    start = min(cut, cursor_line) if cut else cursor_line
    return data[start:].decode("utf-8", "surrogatepass")


def suffix_window(suffix: str, budget: int, cap: int) -> str:
    """The start of `suffix` within `budget` bytes and `cap` characters, ending at a line end.

    The rest of the cursor's line is kept whole unless it alone exceeds `cap`.
    """
    text = suffix[:cap]
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= budget and len(text) == len(suffix):
        return text
    cursor_line_end = data.find(b"\n") + 1 or len(data)
    cut = data.rfind(b"\n", 0, min(budget, len(data))) + 1
    return data[: max(cut, cursor_line_end)].decode("utf-8", "surrogatepass")


def windowed_prefix(
    ctx: CompletionContext, budget: int, cap: int, definitions: list[Definition]
) -> str:
    """The prefix window, with the anchors it leaves out put back above it."""
    window = prefix_window(ctx.prefix, budget, cap)
    if len(window) == len(ctx.prefix) or ctx.tree is None:
        return window
    data = ctx.prefix.encode("utf-8", "surrogatepass")
    if len(data) != ctx.cursor_byte:
        return window  # the tree's offsets are not this text's
    kept = anchor_spans(data, anchors(ctx, definitions), int(budget * ANCHOR_SHARE))
    if not kept:
        return window
    # Room for every chosen anchor first; then give back the room of those that the
    # narrower window holds anyway (a wider window only holds more of them).
    for _ in range(2):
        reserved = sum(e - s for s, e in kept) + GAP_ALLOWANCE * len(kept)
        narrow = prefix_window(ctx.prefix, max(0, budget - reserved), max(0, cap - reserved))
        start = len(data) - len(narrow.encode("utf-8", "surrogatepass"))
        kept = [(s, e) for s, e in kept if s < start]
    if not kept or len(narrow) < len(ctx.line_prefix):
        return window  # nothing left out worth keeping, or it would cost the cursor's line
    start = max([start] + [e for _, e in kept])  # an anchor crossing the window's top
    return _join(data, [*kept, (start, len(data))], elision_marker(ctx.language))


def elision_marker(language: str) -> str | None:
    """The comment standing for left-out lines in `language` ("# ...", "// ..."), or None."""
    spec = language_named(language)
    if spec is None:
        return None
    if spec.line_comment:
        return f"{spec.line_comment} ..."
    return f"{spec.block_comment[0]} ... {spec.block_comment[1]}" if spec.block_comment else None


def _join(data: bytes, spans: list[tuple[int, int]], marker: str | None) -> str:
    """The spans' text; a gap between two is kept when short and blank, else marked."""
    parts: list[str] = []
    for i, (start, end) in enumerate(spans):
        text = data[start:end].decode("utf-8", "surrogatepass")
        gap = data[spans[i - 1][1] : start] if i else b""
        if gap and len(gap) <= GAP_ALLOWANCE and not gap.strip():
            parts.append(gap.decode())
        elif gap and marker is not None:
            indent = text[: len(text) - len(text.lstrip(" \t"))]
            parts.append(f"{indent}{marker}\n")
        parts.append(text)
    return "".join(parts)


def stop_sequences(language: str, in_definition: bool) -> tuple[str, ...]:
    """Stops for a multi-line answer in `language` (see "Stops per language")."""
    return STOP_MULTI + (TOP_LEVEL_STOPS.get(language, ()) if in_definition else ())


def build_prompt(
    ctx: CompletionContext,
    settings: CompletionSettings,
    *,
    fim: bool,
    bytes_per_token: float = DEFAULT_BYTES_PER_TOKEN,
    n_ctx: int | None = None,
    n_batch: int | None = None,
) -> Prompt:
    """Windows by token budget (anchors kept), extra context, healing for prefix-only models.

    `n_ctx` and `n_batch` are the server's context and batch sizes when known (see `budget`).
    `ctx` is the document's own view (the tree indexes its text); the prompt is LF whatever
    line breaks the document uses: models see code that way, and the stops are "\n".
    """
    sizes = budget(settings, fim=fim, bytes_per_token=bytes_per_token, n_ctx=n_ctx, n_batch=n_batch)
    definitions = enclosing_definitions(ctx)
    prefix = windowed_prefix(ctx, sizes.prefix, settings.prefix_chars, definitions)
    heal = "" if fim else healing_text(ctx.line_prefix)
    if not prefix.endswith(heal):
        heal = ""  # the cap cut the cursor's line shorter than the word
    suffix = suffix_window(ctx.suffix, sizes.suffix, settings.suffix_chars) if fim else None
    return Prompt(
        prefix=to_lf(prefix[: len(prefix) - len(heal)]),
        suffix=None if suffix is None else to_lf(suffix),
        heal=heal,
        extra=fit_extra(extra_candidates(ctx), sizes.extra) if sizes.extra else (),
        stop_multi=stop_sequences(ctx.language, bool(definitions)),
    )


def build_request(
    prompt: Prompt, mode: Mode, settings: CompletionSettings, *, supports_n: bool = False
) -> CompletionRequest:
    """The backend request for a prompt and a gate decision."""
    multi = mode is Mode.MULTI
    several = supports_n and settings.temperature > 0
    max_tokens = settings.max_tokens if multi else min(settings.max_tokens, SINGLE_LINE_MAX_TOKENS)
    return CompletionRequest(
        prefix=prompt.prefix,
        suffix=prompt.suffix,
        stop=prompt.stop_multi if multi else STOP_SINGLE,
        max_tokens=max_tokens,
        temperature=settings.temperature,
        n=settings.candidates if several else 1,
        top_logprobs=1,
        extra=prompt.extra,
    )


class TokenRatio:
    """Bytes per token of each backend's tokenizer, measured once per backend and model."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str, str], float] = {}

    async def bytes_per_token(self, backend: Backend, info: BackendInfo) -> float:
        """The measured ratio, or `DEFAULT_BYTES_PER_TOKEN` without a tokenizer.

        A failed `/tokenize` is not remembered: the next request measures again.
        """
        key = (info.name, info.url, info.model)
        if key in self._known:
            return self._known[key]
        ratio = DEFAULT_BYTES_PER_TOKEN
        if info.supports_tokenize:
            try:
                tokens = await backend.tokenize(CALIBRATION_SAMPLE)
            except BackendError as exc:
                log.info("tokenize failed, estimating %s bytes per token: %s", ratio, exc)
                return ratio
            if tokens:
                ratio = len(CALIBRATION_SAMPLE.encode()) / len(tokens) * RATIO_MARGIN
        self._known[key] = ratio
        return ratio
