"""Line endings: completion reasons on "\\n" lines; suggestions use the document's break.

A document may break its lines with "\\r\\n", "\\r" or a mix of them. Every stage after the
gate (cuts, overlaps, repeats, parse checks) splits lines at "\\n", and the prompt's stop
sequences are written with "\\n" too, so the feature works on an LF view of the cursor
(`lf_view`) and writes each finished suggestion with the document's dominant line break
(`to_document`): the edge conversion, in one place.

Positions need no mapping: a suggestion is inserted at the cursor, and an LSP position is
never inside a line break ("\\r" belongs to the break, not to the line). The syntax tree and
`cursor_byte` keep indexing the document's own text, so what is read through the tree (the
prompt's anchors, the parse window) is cut from that text first and turned to LF after.
"""

from __future__ import annotations

from dataclasses import replace

from linewright.core.documents import line_ending
from linewright.features.completion.context import CompletionContext
from linewright.features.completion.window import Window, window_at


def to_lf(text: str) -> str:
    """`text` with every "\\r\\n" and lone "\\r" written as "\\n"."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def to_document(text: str, eol: str) -> str:
    """LF `text` written with the line break `eol` ("\\n", "\\r\\n" or "\\r")."""
    return text if eol == "\n" else text.replace("\n", eol)


def document_line_ending(ctx: CompletionContext) -> str:
    """The line break the document around the cursor uses most."""
    if "\r" not in ctx.prefix and "\r" not in ctx.suffix:
        return "\n"
    return line_ending(ctx.prefix + ctx.suffix)


def lf_view(ctx: CompletionContext) -> CompletionContext:
    """`ctx` with LF text, and its parse window cut from the document's own text first.

    The same object when the text holds no "\\r" (the common case costs two scans).
    """
    if "\r" not in ctx.prefix and "\r" not in ctx.suffix:
        return ctx
    window = ctx.window
    if window is None and ctx.tree is not None:
        window = window_at(ctx.prefix, ctx.suffix, ctx.tree, ctx.cursor_byte)
    if window is not None:
        window = Window(to_lf(window.prefix), to_lf(window.suffix))
    prefix, suffix = ctx.prefix, ctx.suffix
    if prefix.endswith("\r") and suffix.startswith("\n"):
        suffix = suffix[1:]  # not an LSP position; keep one line break, not two
    return replace(ctx, prefix=to_lf(prefix), suffix=to_lf(suffix), window=window)
