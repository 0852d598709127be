"""The features recorded with each suggestion: what was known when it was requested.

Pure functions of a `CompletionContext` and a `Suggestion`. They describe the code without
storing it: syntax node kinds, position facts, the class (not the value) of the characters
around the cursor, sizes, the model's confidence and whether the suggestion parses. The
code itself is added only by `code_features`, which the caller uses when the user opted in.
"""

from __future__ import annotations

from typing import Any

from tree_sitter import Node, Point, Tree

from linewright.core.syntax.languages import language_named, parser_for
from linewright.core.syntax.nodes import node_at
from linewright.features.completion import CompletionContext, Suggestion

MAX_PARSE_CHECK_CHARS = 1_000_000
"""Larger documents skip the parse check (`parse_ok` is None)."""
CODE_PREFIX_CHARS = 2000
CODE_SUFFIX_CHARS = 500

_CLASSES = (
    ("newline", "\n\r"),
    ("space", " \t"),
    ("open", "([{"),
    ("close", ")]}"),
    ("quote", "\"'`"),
    ("dot", "."),
    ("colon", ":"),
    ("comma", ","),
    ("semicolon", ";"),
    ("operator", "=+-*/%<>!&|^~"),
)


def char_class(text: str) -> str:
    """The class of one character: word, digit, space, open, close, ..., or none for ""."""
    if not text:
        return "none"
    c = text[0]
    if c.isalpha() or c == "_":
        return "word"
    if c.isdigit():
        return "digit"
    return next((name for name, chars in _CLASSES if c in chars), "other")


def request_features(ctx: CompletionContext) -> dict[str, Any]:
    """Position and syntax facts at the cursor, without any code text."""
    line_prefix, line_suffix = ctx.line_prefix, ctx.line_suffix
    line = ctx.prefix.count("\n")
    total_lines = line + ctx.suffix.count("\n") + 1
    node_kind, parent_kind = _node_kinds(ctx.tree, ctx.cursor_byte)
    return {
        "node_kind": node_kind,
        "parent_kind": parent_kind,
        "line": line,
        "column": len(line_prefix),
        "relative_line": round(line / total_lines, 4),
        "indent": len(line_prefix) - len(line_prefix.lstrip(" \t")),
        "line_is_blank": not (line_prefix + line_suffix).strip(),
        "at_line_end": not line_suffix.strip(),
        "in_comment_or_string": ctx.in_comment_or_string,
        "char_before": char_class(ctx.prefix[-1:]),
        "char_after": char_class(ctx.suffix[:1]),
        "document_chars": len(ctx.prefix) + len(ctx.suffix),
        "document_lines": total_lines,
    }


def _node_kinds(tree: Tree | None, cursor_byte: int) -> tuple[str | None, str | None]:
    """Kind of the smallest named node at the cursor (the one just typed) and of its parent."""
    if tree is None:
        return None, None
    node = node_at(tree, cursor_byte, before=True)
    return node.type, node.parent.type if node.parent is not None else None


def suggestion_features(ctx: CompletionContext, suggestion: Suggestion) -> dict[str, Any]:
    """Size, confidence and parse-check result of one suggestion."""
    text = suggestion.text
    return {
        "length": len(text),
        "lines": text.count("\n") + 1,
        "mean_logprob": suggestion.mean_logprob,
        "replace_suffix": suggestion.replace_suffix,
        "parse_ok": parse_check(ctx, suggestion),
    }


def code_features(ctx: CompletionContext, suggestion: Suggestion) -> dict[str, Any]:
    """The code itself: only stored when the user set `telemetry.includeCode`."""
    return {
        "prefix": ctx.prefix[-CODE_PREFIX_CHARS:],
        "suffix": ctx.suffix[:CODE_SUFFIX_CHARS],
        "text": suggestion.text,
    }


def parse_check(ctx: CompletionContext, suggestion: Suggestion) -> bool | None:
    """Does the inserted text sit in error-free syntax? None: no grammar, or too large.

    True when no ERROR or MISSING node of the document with the suggestion inserted touches
    the inserted text: a suggestion that completes a broken line passes, one that leaves a
    bracket open fails, and errors elsewhere in the file do not count. Reparses
    incrementally from a copy of the request's tree, so it costs an edit, not a parse.
    """
    spec = language_named(ctx.language)
    if ctx.tree is None or spec is None:
        return None
    if len(ctx.prefix) + len(ctx.suffix) > MAX_PARSE_CHECK_CHARS:
        return None
    replaced = ctx.suffix[: suggestion.replace_suffix]
    before = ctx.prefix.encode("utf-8", "surrogatepass")
    inserted = suggestion.text.encode("utf-8", "surrogatepass")
    removed = replaced.encode("utf-8", "surrogatepass")
    after = ctx.suffix[len(replaced) :].encode("utf-8", "surrogatepass")
    tree = ctx.tree.copy()
    start, end = len(before), len(before) + len(inserted)
    tree.edit(
        start_byte=start,
        old_end_byte=start + len(removed),
        new_end_byte=end,
        start_point=_point_after(b"", before),
        old_end_point=_point_after(before, removed),
        new_end_point=_point_after(before, inserted),
    )
    new_tree = parser_for(spec).parse(before + inserted + after, old_tree=tree)
    return not _error_touches(new_tree.root_node, start, end)


def _error_touches(root: Node, start: int, end: int) -> bool:
    """An ERROR or MISSING node under `root` overlaps bytes [start, end] (ends included)."""
    pending = [root]
    while pending:
        node = pending.pop()
        if node.end_byte < start or node.start_byte > end:
            continue
        if node.is_error or node.is_missing:
            return True
        if node.has_error:  # error-free subtrees are skipped whole
            pending.extend(node.children)
    return False


def _point_after(before: bytes, added: bytes) -> Point:
    """The tree-sitter point (row, byte column) at the end of `before + added`."""
    text = before + added
    row = text.count(b"\n")
    return Point(row, len(text) - (text.rfind(b"\n") + 1))
