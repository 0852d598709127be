"""What the completion feature knows about the cursor: a plain dataclass built by callers.

The LSP layer and the CLI both build a `CompletionContext` from a `Document`; the feature
never sees LSP types. `decide_mode` is the gate: whether to ask and whether the answer may
span several lines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from linewright.core.documents import Document
from linewright.core.positions import Position

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

    @property
    def line_prefix(self) -> str:
        """The cursor's line up to the cursor."""
        return self.prefix.rsplit("\n", 1)[-1]

    @property
    def line_suffix(self) -> str:
        """The cursor's line from the cursor on."""
        return self.suffix.split("\n", 1)[0]


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
    - otherwise (mid-expression): one line.
    """
    if not remaining_is_closers(ctx.line_suffix):
        return Mode.SINGLE if ctx.trigger is Trigger.INVOKED else Mode.NONE
    if ctx.in_comment_or_string:
        return Mode.SINGLE
    head = ctx.line_prefix.rstrip()
    if not head or head.endswith((":", "{", "(", "[")):
        return Mode.MULTI
    return Mode.SINGLE


_BLOCK_KINDS = frozenset(
    {"block", "compound_statement", "statement_block", "declaration_list", "field_declaration_list",
     "class_body", "seq_block", "module_or_generate_item"}
)  # fmt: skip


def syntax_facts(
    tree: Any, byte_offset: int, text_lines: Callable[[int], str]
) -> tuple[int | None, bool]:
    """(indentation of the enclosing block, cursor inside a comment or string) from tree-sitter.

    The block's indentation is that of its first statement's line: a following line of the
    suggestion indented less than that has left the block.
    """
    node = tree.root_node.descendant_for_byte_range(byte_offset, byte_offset)
    in_text = False
    block_indent: int | None = None
    probe = node
    while probe is not None:
        kind = probe.type
        if (
            "comment" in kind or "string" in kind
        ) and probe.start_byte < byte_offset < probe.end_byte:
            in_text = True
        if block_indent is None and kind in _BLOCK_KINDS and probe.named_child_count:
            first = probe.named_children[0]
            line = text_lines(first.start_point[0])
            block_indent = len(line) - len(line.lstrip(" \t"))
        probe = probe.parent
    return block_indent, in_text


def from_document(doc: Document, position: Position, trigger: Trigger) -> CompletionContext:
    """Build the context for `position` in `doc` (tree facts when the document has a tree)."""
    index = doc.offset_at(position)
    text = doc.text
    block_indent, in_text = None, False
    if doc.tree is not None:
        block_indent, in_text = syntax_facts(doc.tree, doc.byte_offset_at(position), doc.line_text)
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
        cursor_byte=doc.byte_offset_at(position),
    )
