"""Post-processing: raw model text -> the suggestion shown at the cursor (or nothing).

`process` is the entry point, called once per candidate; `rank` orders the survivors.
The order matters: clean first (leaked tokens, `<think>` blocks, fences and control
characters never reach the cuts), undo token healing, then fit the text to the cursor:

- when the document has a syntax tree, `fit` (tree-sitter: suffix anchor, unit cut,
  suffix overlap, parse check; see fit.py);
- otherwise (plain text, or a document too big or too binary to parse), `finish` (suffix
  anchor, then line rules: one line, or the block by indentation, then the suffix overlap).

Runaway bracket nesting is dropped before any parsing; last, empty, whitespace-only and
repetitive suggestions are dropped (repeats.py).
"""

from __future__ import annotations

import re

from linewright.core.errors import GrammarError
from linewright.core.llm.fim import TEMPLATES, strip_fim_tokens
from linewright.core.syntax.languages import LanguageSpec, language_named, parser_for
from linewright.features.completion.context import CompletionContext, Mode
from linewright.features.completion.fit import ANCHOR_CHARS, fit, opens_line
from linewright.features.completion.overlap import (
    trim_anchored,
    trim_overlap,
)
from linewright.features.completion.rank import rank
from linewright.features.completion.repeats import is_repetitive, too_deep

__all__ = ["clean", "cut_block", "finish", "process", "rank", "trim_suffix_overlap", "unheal"]

_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029\ufffd\ufeff"
    "\u202a-\u202e\u2066-\u2069\ud800-\udfff]"  # bidi overrides (Trojan Source), surrogates
)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL)
_FENCE = re.compile(r"^\s*```[\w+-]*[ \t]*\n?|\n?```\s*$")
_MARKERS = {tok for t in TEMPLATES.values() for tok in (t.prefix, t.suffix, t.middle) if tok}
_CHAT_ENDS = ("<|im_end|>", "<|im_start|>", "<|eot_id|>", "<|end_of_text|>", "<|endoftext|>")
END_TOKENS = tuple(
    dict.fromkeys(
        [tok for t in TEMPLATES.values() for tok in t.stop if tok not in _MARKERS] + [*_CHAT_ENDS]
    )
)
"""Tokens that end a document: a leaked one means what follows is another document."""
MAX_RAW_CHARS = 20_000
"""Longer model output is cut before any processing (a runaway or hostile server)."""


def clean(text: str) -> str:
    """Remove what must never be shown: FIM tokens, `<think>` blocks, fences, control chars.

    Text after a leaked end-of-document token (`<|endoftext|>`, a file separator) is
    dropped; other special tokens are removed where they stand.
    """
    text = text[:MAX_RAW_CHARS].replace("\r\n", "\n").replace("\r", "\n")
    text = _THINK.sub("", text)
    for token in END_TOKENS:
        text = text.split(token, 1)[0]
    text = strip_fim_tokens(text)
    if text.lstrip().startswith("```"):
        text = _FENCE.sub("", text)
    return _CONTROL.sub("", _ANSI.sub("", text))


def first_line(text: str) -> str:
    """Single-line mode: everything up to the first newline."""
    return text.split("\n", 1)[0]


def indent_of(line: str) -> int:
    """Width of the leading whitespace (a tab counts as one column; compared like with like)."""
    return len(line) - len(line.lstrip(" \t"))


def cut_block(text: str, line_prefix: str, block_indent: int | None) -> str:
    """Multi-line mode without a grammar: stop at a blank line or where the text leaves the block.

    `line_prefix` is the text of the cursor's line before the cursor, `block_indent` the
    indentation of the block the cursor is in (from tree-sitter; None when unknown, then the
    cursor line's own indentation is used). A following line indented less than that ends the
    suggestion, as does a blank line once something has been written.
    """
    lines = text.split("\n")
    limit = block_indent if block_indent is not None else indent_of(line_prefix)
    kept = [lines[0]]
    for line in lines[1:]:
        if not line.strip():
            if "".join(kept).strip():
                break
            kept.append(line)
            continue
        if indent_of(line) < limit:
            break
        kept.append(line)
    return "\n".join(kept).rstrip()


def trim_suffix_overlap(text: str, suffix: str) -> str:
    """Drop the tail of `text` that the document already has right after the cursor.

    Models often re-emit the closing brackets, the rest of the line or the next lines that
    follow the cursor; the longest such tail is removed (see overlap.py).
    """
    trimmed = trim_overlap(text, suffix)
    return text if trimmed is None else trimmed


def finish(
    raw: str, *, multiline: bool, line_prefix: str, suffix: str, block_indent: int | None
) -> str:
    """Raw model output -> the text to show, by line rules (the path without a grammar)."""
    text = clean(raw)
    if multiline:
        anchored = trim_anchored(text, suffix, min_chars=ANCHOR_CHARS, line_prefix=line_prefix)
        if anchored is not None:
            return anchored if anchored.strip() else ""
        text = cut_block(text, line_prefix, block_indent)
    else:
        text = first_line(text)
    trimmed = trim_overlap(text.rstrip(), suffix, line_prefix=line_prefix)
    text = text.rstrip() if trimmed is None else trimmed
    return text if text.strip() else ""


def unheal(text: str, heal: str) -> str:
    """Remove from the model's text what the document already has (the healed part).

    `heal` is the tail of the prefix left out of the prompt (see `prompt.healing_text`).
    Whitespace-only heals are lenient: the model may indent differently. A heal that ends in
    a partial word must be re-generated exactly (after optional spaces or tabs, never a line
    break); otherwise the model disagreed with what the user typed and the candidate is
    dropped ("").
    """
    if not heal:
        return text
    if text.startswith(heal):
        return text[len(heal) :]
    word = heal.lstrip(" \t")
    if word:
        head = text.lstrip(" \t")
        return head[len(word) :] if head.startswith(word) else ""
    first, nl, rest = text.partition("\n")
    return first.lstrip(" \t") + nl + rest if first.strip() else text


def grammar_of(language: str) -> LanguageSpec | None:
    """The usable grammar of a registry language name, or None (plain text)."""
    spec = language_named(language)
    if spec is None:
        return None
    try:
        parser_for(spec)
    except GrammarError:
        return None
    return spec


def _plain(text: str, ctx: CompletionContext, mode: Mode) -> str:
    out = finish(
        text,
        multiline=mode is Mode.MULTI,
        line_prefix=ctx.line_prefix,
        suffix=ctx.suffix,
        block_indent=ctx.block_indent,
    )
    if out and opens_line(ctx) and not out.endswith("\n"):
        out += "\n" + ctx.line_prefix
    return out


def process(raw: str, ctx: CompletionContext, mode: Mode, heal: str) -> str:
    """One candidate from the backend -> the text to show at the cursor ("" to drop it)."""
    if mode is Mode.NONE:
        return ""
    text = unheal(clean(raw), heal)
    if too_deep(text):
        return ""
    spec = grammar_of(ctx.language) if ctx.tree is not None else None
    out = fit(text, ctx, mode, spec) if spec is not None else _plain(text, ctx, mode)
    if not out.strip() or is_repetitive(out, ctx.line_prefix, ctx.prefix):
        return ""
    return out
