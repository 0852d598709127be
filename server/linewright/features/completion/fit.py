"""Fitting cleaned model text to the cursor with tree-sitter: cut, de-overlap, parse-check.

`fit` builds the possible suggestions from one model answer, best first, and returns the
first that keeps the window parseable (see `parsecheck`), or "" when none does:

1. *Suffix anchor*: the answer ends by re-emitting a good stretch of the text after the
   cursor (an over-generating FIM model): what comes before that is the middle. This is
   the strongest evidence there is, so it is tried before any cut.
2. *Unit cut* (`units`): the answer cut where the unit the cursor is in ends; then that
   text with a shorter overlap with the suffix removed (closing brackets, the rest of the
   line), or cut before a line repeating the suffix's next line; then the cut as is.
3. *Shorter cuts*: the same text cut at earlier unit ends, longest first.

*Line opening*: at the start of a line that already has code (the cursor before it, only
indentation to its left), a one-line suggestion is a new line above that code, so each
candidate is first tried with a line break (and the cursor line's indentation) appended.
"""

from __future__ import annotations

from collections.abc import Iterator

from linewright.core.syntax.languages import LanguageSpec
from linewright.features.completion.context import CompletionContext, Mode
from linewright.features.completion.overlap import (
    settle,
    trim_anchor,
    trim_anchored,
    trim_overlap,
)
from linewright.features.completion.parsecheck import ParseCheck
from linewright.features.completion.units import cut_at_unit
from linewright.features.completion.window import Window, window_at

ANCHOR_CHARS = 12
"""A re-emitted stretch of the suffix this long (non-space characters) anchors the cut."""
MAX_TRIES = 6
"""At most this many candidates are parse-checked (each is one parse of the window)."""
MAX_FIT_CHARS = 2048
"""Model text beyond this (about 50 lines) is cut, at a line break, before fitting: ghost
text that long is not read, and parsing it would cost more than the budget."""


def opens_line(ctx: CompletionContext) -> bool:
    """True when the cursor is before the code of its line, with only indentation left of it."""
    return not ctx.line_prefix.strip() and bool(ctx.line_suffix.strip())


def with_line_break(text: str, ctx: CompletionContext) -> list[str]:
    """`text`, preceded by its line-opening form when the cursor opens a line."""
    if opens_line(ctx) and not text.endswith("\n"):
        return [text + "\n" + ctx.line_prefix, text]
    return [text]


def _forms(options: list[str | None], ctx: CompletionContext, seen: set[str]) -> Iterator[str]:
    """The options not tried yet, each in its line-opening form first."""
    for option in options:
        if option is None or not option.strip():
            continue
        for form in with_line_break(option, ctx):
            if form not in seen:
                seen.add(form)
                yield form


def _is_blank(text: str | None) -> bool:
    return text is not None and not text.strip()


def candidates(
    text: str, ctx: CompletionContext, spec: LanguageSpec, window: Window
) -> Iterator[str]:
    """Possible suggestions from one cleaned answer, best first (computed lazily).

    Nothing at all when the answer only repeats what follows the cursor.
    """
    seen: set[str] = set()
    line = ctx.line_prefix
    anchored = trim_anchored(text, ctx.suffix, min_chars=ANCHOR_CHARS, line_prefix=line)
    if _is_blank(anchored):
        return
    yield from _forms([anchored], ctx, seen)
    cut = cut_at_unit(spec, window.prefix, text)
    if cut is None:
        return
    unit = settle(cut.text, text[len(cut.text) :], ctx.suffix)
    overlap = trim_overlap(unit, ctx.suffix, line_prefix=line)
    if _is_blank(overlap):
        return
    shorter = [text.rstrip() for text in cut.shorter]
    yield from _forms([overlap, trim_anchor(unit, ctx.suffix), unit, *shorter], ctx, seen)


def fit(text: str, ctx: CompletionContext, mode: Mode, spec: LanguageSpec) -> str:
    """The best suggestion from cleaned model `text` that keeps the parse ("" if none)."""
    if mode is Mode.SINGLE:
        text = text.split("\n", 1)[0]
    if len(text) > MAX_FIT_CHARS:
        head = text[:MAX_FIT_CHARS]
        text = head[: head.rfind("\n") + 1] or head
    if not text.strip():
        return ""
    window = ctx.window
    if window is None:
        window = window_at(ctx.prefix, ctx.suffix, ctx.tree, ctx.cursor_byte)
    check = ParseCheck(spec, window)
    for tries, candidate in enumerate(candidates(text, ctx, spec, window)):
        if tries >= MAX_TRIES or check.gave_up:
            break
        if check.keeps_parse(candidate):
            return candidate
    return ""
