"""Pure post-processing of raw model text into a suggestion that fits the cursor.

Each function takes strings and returns a string; none knows about LSP or backends. The
order in `finish()` matters: clean first (so leaked tokens never reach the cuts), then cut,
then remove what the suffix already has.
"""

from __future__ import annotations

import re

from linewright.core.llm.fim import strip_fim_tokens
from linewright.features.completion.context import CompletionContext, Mode

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029\ufffd]")
_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL)
_FENCE = re.compile(r"^\s*```[\w+-]*[ \t]*\n?|\n?```\s*$")
MAX_RAW_CHARS = 20_000
"""Longer model output is cut before any processing (a runaway or hostile server)."""


def clean(text: str) -> str:
    """Remove what must never be shown: FIM tokens, `<think>` blocks, fences, control chars."""
    text = text[:MAX_RAW_CHARS].replace("\r\n", "\n").replace("\r", "\n")
    text = _THINK.sub("", text)
    text = strip_fim_tokens(text)
    if text.lstrip().startswith("```"):
        text = _FENCE.sub("", text)
    return _CONTROL.sub("", text)


def first_line(text: str) -> str:
    """Single-line mode: everything up to the first newline."""
    return text.split("\n", 1)[0]


def indent_of(line: str) -> int:
    """Width of the leading whitespace (a tab counts as one column; compared like with like)."""
    return len(line) - len(line.lstrip(" \t"))


def cut_block(text: str, line_prefix: str, block_indent: int | None) -> str:
    """Multi-line mode: stop at the first blank line or where the text leaves the block.

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

    Models often re-emit the closing brackets or the rest of the line that follows the
    cursor; the longest such overlap with the start of the suffix's first line is removed.
    """
    rest = suffix.split("\n", 1)[0]
    for k in range(min(len(rest), len(text)), 0, -1):
        if text.endswith(rest[:k]) and rest[:k].strip():
            return text[:-k]
    return text


def finish(
    raw: str, *, multiline: bool, line_prefix: str, suffix: str, block_indent: int | None
) -> str:
    """Raw model output -> the text to show (empty when nothing useful is left)."""
    text = clean(raw)
    text = cut_block(text, line_prefix, block_indent) if multiline else first_line(text)
    text = trim_suffix_overlap(text.rstrip(), suffix)
    return text if text.strip() else ""


def unheal(text: str, heal: str) -> str:
    """Remove from the model's text what the document already has (the healed part)."""
    if not heal:
        return text
    if text.startswith(heal):
        return text[len(heal) :]
    first, nl, rest = text.partition("\n")
    return first.lstrip(" \t") + nl + rest if first.strip() else text


def process(raw: str, ctx: CompletionContext, mode: Mode, heal: str) -> str:
    """One candidate from the backend -> the text to show at the cursor ("" to drop it)."""
    return finish(
        unheal(raw, heal),
        multiline=mode is Mode.MULTI,
        line_prefix=ctx.line_prefix,
        suffix=ctx.suffix,
        block_indent=ctx.block_indent,
    )
