"""What the completion feature knows about the cursor: a plain dataclass built by callers.

The LSP layer and the CLI both build a `CompletionContext` from a `Document`; the feature
never sees LSP types. `decide_mode` is the gate: whether to ask and whether the answer may
span several lines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from linewright.core.documents import Document
from linewright.core.positions import Position
from linewright.core.syntax.languages import LanguageSpec, language_named
from linewright.core.syntax.nodes import (
    Definition,
    captured,
    definitions_at,
    is_in_comment_or_string,
)
from linewright.features.completion.neighbors import Chunk, NeighborRing
from linewright.features.completion.window import Window

_CLOSERS = frozenset(")]}>\"'`;, \t")


def remaining_is_closers(suffix: str) -> bool:
    """True when only closing brackets, quotes and separators follow on the cursor's line."""
    return all(c in _CLOSERS for c in suffix.split("\n", 1)[0])


class Trigger(Enum):
    """Why completion was requested: typing (automatic) or an explicit user action."""

    AUTOMATIC = "automatic"
    INVOKED = "invoked"


@dataclass(frozen=True)
class CompletionContext:
    """The text around the cursor, plus syntax facts computed by the caller."""

    uri: str
    version: int
    language: str
    """Registry name (python, c, ...) or "plaintext"."""
    prefix: str
    """Text before the cursor (the whole document part; windows are cut by the feature)."""
    suffix: str
    """Text after the cursor."""
    trigger: Trigger = Trigger.AUTOMATIC
    block_indent: int | None = None
    """Indentation of the block around the cursor per tree-sitter (None: unknown)."""
    in_comment_or_string: bool = False
    tree: Any = field(default=None, compare=False, repr=False)
    """The document's tree-sitter Tree at `version` (None: plain text); read-only."""
    cursor_byte: int = 0
    """UTF-8 byte offset of the cursor in the document (what `tree` offsets index)."""
    neighbors: NeighborRing | None = field(default=None, compare=False, repr=False)
    """Snippets of other files to choose extra context from; read when the prompt is built
    (`extra_candidates`), so a request answered without the model never pays for it."""
    window: Window | None = field(default=None, compare=False, repr=False)
    """The parse window around the cursor when already cut (`endings.lf_view` cuts it from
    the document's own text: `tree` and `cursor_byte` index that text, not an LF copy)."""

    @property
    def line_prefix(self) -> str:
        """The cursor's line up to the cursor (whatever its line break)."""
        start = self.prefix.rfind("\n") + 1  # O(line), not O(prefix)
        return self.prefix[max(start, self.prefix.rfind("\r", start) + 1) :]

    @property
    def line_suffix(self) -> str:
        """The cursor's line from the cursor on, without its line break."""
        line = self.suffix.split("\n", 1)[0]
        return line.split("\r", 1)[0]


class Mode(Enum):
    """What kind of answer the gate allows."""

    NONE = "none"
    SINGLE = "single"
    MULTI = "multi"


def decide_mode(ctx: CompletionContext) -> Mode:
    """The gate: skip, one line, or a block.

    - text other than closing brackets right of the cursor: skip automatic triggers (the
      user is editing mid-line), one line when invoked;
    - comment or string: one line;
    - an empty line, or a line ending in a block opener (`:`, `{`, `(`, `[`): a block;
    - an explicit request with nothing right of the cursor: a block, cut by the syntax
      unit (the user asked; `for x in xs|` or `items.sort()|` often continue over lines);
    - otherwise (mid-expression, typing): one line.
    """
    if not remaining_is_closers(ctx.line_suffix):
        return Mode.SINGLE if ctx.trigger is Trigger.INVOKED else Mode.NONE
    if ctx.in_comment_or_string:
        return Mode.SINGLE
    head = ctx.line_prefix.rstrip()
    if not head or head.endswith((":", "{", "(", "[")):
        return Mode.MULTI
    if ctx.trigger is Trigger.INVOKED and not ctx.line_suffix.strip():
        return Mode.MULTI
    return Mode.SINGLE


_BLOCK_KINDS = frozenset(
    {"block", "compound_statement", "statement_block", "declaration_list", "field_declaration_list",
     "class_body", "seq_block", "module_or_generate_item"}
)  # fmt: skip


def block_indent_at(tree: Any, byte_offset: int, text_lines: Callable[[int], str]) -> int | None:
    """Indentation of the block around the cursor per tree-sitter (None when there is none).

    The block's indentation is that of its first statement's line: a following line of the
    suggestion indented less than that has left the block.
    """
    probe = tree.root_node.descendant_for_byte_range(byte_offset, byte_offset)
    while probe is not None:
        if probe.type in _BLOCK_KINDS and probe.named_child_count:
            line = text_lines(probe.named_children[0].start_point[0])
            return len(line) - len(line.lstrip(" \t"))
        probe = probe.parent
    return None


AROUND_BEFORE = 2000
AROUND_AFTER = 500
"""Characters before and after the cursor that extra-context chunks are compared with."""
EXTRA_CANDIDATES = 8
"""Most extra-context chunks offered to the prompt (it keeps what fits its budget)."""
IMPORT_SCAN_BYTES = 16384
"""Imports are looked for in the file's first 16 KiB: the query's cost grows with the range,
and the anchors' share of the prompt holds a few dozen import lines at most."""


def from_document(
    doc: Document,
    position: Position,
    trigger: Trigger,
    *,
    neighbors: NeighborRing | None = None,
) -> CompletionContext:
    """Build the context for `position` in `doc` (tree facts when the document has a tree).

    `neighbors` is the extra-context ring to choose snippets of other files from.
    """
    index = doc.offset_at(position)
    text = doc.text
    block_indent, in_text = None, False
    cursor_byte = doc.byte_offset_at(position)
    if doc.tree is not None and doc.language is not None:
        block_indent = block_indent_at(doc.tree, cursor_byte, doc.line_text)
        in_text = is_in_comment_or_string(doc.tree, cursor_byte, doc.language)
    return CompletionContext(
        uri=doc.uri,
        version=doc.version,
        language=doc.language.name if doc.language else "plaintext",
        prefix=text[:index],
        suffix=text[index:],
        trigger=trigger,
        block_indent=block_indent,
        in_comment_or_string=in_text,
        tree=doc.tree,
        cursor_byte=cursor_byte,
        neighbors=neighbors,
    )


def extra_candidates(ctx: CompletionContext) -> list[Chunk]:
    """Chunks of other files most similar to the text around the cursor, best first."""
    if ctx.neighbors is None or not len(ctx.neighbors):
        return []
    around = ctx.prefix[-AROUND_BEFORE:] + ctx.suffix[:AROUND_AFTER]
    return ctx.neighbors.select(around, ctx.uri, EXTRA_CANDIDATES)


# -- what to keep of the text above the window --------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """Lines above the cursor's line worth keeping when the prefix window leaves them out."""

    start: int
    """UTF-8 byte offset of the start of the anchor's first line."""
    end: int
    """UTF-8 byte offset just past its last code character (the rest of that line counts)."""
    kind: Literal["import", "header"]


def _spec(ctx: CompletionContext) -> LanguageSpec | None:
    return language_named(ctx.language) if ctx.tree is not None else None


def _cursor_line_byte(ctx: CompletionContext) -> int:
    return ctx.cursor_byte - len(ctx.line_prefix.encode("utf-8", "surrogatepass"))


def enclosing_definitions(ctx: CompletionContext) -> list[Definition]:
    """The definitions the cursor is in, outermost first (none without a tree).

    A cursor on a blank line below a Python body is past the end of the definition's
    node, yet it is in that definition when indented deeper than the `def` line: the
    definitions are looked up at the last code character before the cursor and, when a
    line break lies between, kept only if they start left of the cursor's indentation.
    """
    spec = _spec(ctx)
    if spec is None:
        return []
    tail = ctx.prefix[-256:]
    trailing = tail[len(tail.rstrip()) :]
    found = definitions_at(ctx.tree, ctx.cursor_byte - len(trailing), spec)
    if "\n" not in trailing and "\r" not in trailing:
        return found
    width = len(ctx.line_prefix)  # whitespace only: the trailing run reaches the line start
    return [d for d in found if d.node.end_byte >= ctx.cursor_byte or d.node.start_point[1] < width]


def anchors(ctx: CompletionContext, definitions: list[Definition]) -> list[Anchor]:
    """Top-level imports and the headers of `definitions` that end above the cursor's line.

    Imports count when they start a line (column 0) in the first `IMPORT_SCAN_BYTES`: an
    import inside a function or under `if TYPE_CHECKING:` means little without its block.
    A header ends at its last
    code token before the body, so a Python body on the next line is not part of it.
    """
    spec = _spec(ctx)
    if spec is None:
        return []
    limit = _cursor_line_byte(ctx)
    scan = (0, min(limit, IMPORT_SCAN_BYTES))
    found = [
        Anchor(node.start_byte, node.end_byte, "import")
        for node in captured(ctx.tree, spec, "lw.import", byte_range=scan, max_start_depth=3)
        if node.start_point[1] == 0 and node.end_byte <= limit
    ]
    for definition in definitions:
        node = definition.node
        # Its last token before the body; not what an incomplete body made part of it.
        last = min(definition.header_end, limit)
        ends = [c.end_byte for c in node.children if c.end_byte <= last]
        if ends and node.start_byte < limit:
            found.append(Anchor(node.start_byte - node.start_point[1], max(ends), "header"))
    return sorted(found, key=lambda a: a.start)


def anchor_spans(data: bytes, found: list[Anchor], limit: int) -> list[tuple[int, int]]:
    """Whole-line byte spans of the anchors that fit `limit` bytes, merged, in file order.

    `data` is the document's text up to the cursor in UTF-8. Headers are chosen first,
    innermost first (the signature being completed matters most), then imports in order.
    """
    headers = [a for a in reversed(found) if a.kind == "header"]
    ordered = headers + [a for a in found if a.kind == "import"]
    chosen: list[tuple[int, int]] = []
    used = 0
    for anchor in ordered:
        # Through the end of its last line (a node may already end with the line break).
        end = data.find(b"\n", max(anchor.start, anchor.end - 1)) + 1 or len(data)
        if used + end - anchor.start <= limit:
            chosen.append((anchor.start, end))
            used += end - anchor.start
    merged: list[tuple[int, int]] = []
    for start, end in sorted(chosen):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
