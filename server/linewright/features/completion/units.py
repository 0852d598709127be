"""Cutting a suggestion at the end of the syntactic unit the cursor is in (tree-sitter).

A *unit* is a node captured as `@lw.unit` by `grammars/<language>/units.scm` (statements,
definitions, blocks); a language without that file uses the statements, blocks,
definitions and imports of its `context.scm`. The window's text before the cursor is
parsed together with the suggestion (not the text after the cursor: we want to know where
the *suggestion* closes what was open). The innermost unit that began before the cursor
and holds the suggestion's first character is the unit the cursor is in; where it ends,
the suggestion ends. A Python block ends where the suggestion dedents out of it; a brace
block ends at its matching close brace. With no such unit (top level), the suggestion
keeps its first top-level construct and the ones that follow it without a blank line.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from tree_sitter import Node, Query, Tree

from linewright.core.syntax.languages import LanguageSpec, parser_for
from linewright.core.syntax.queries import captures, load_query

UNITS = "units"
PARSE_BUDGET_S = 0.005
"""A parse using more CPU time than this marks runaway garbage (tree-sitter's error
recovery is slow on it; a real window parses in about a millisecond): the text is
dropped without further parses. CPU time of this thread, so a busy machine does not
trip it. (py-tree-sitter 0.25 can only stop a parse early through deprecated or crashing
APIs, so the first slow parse still runs to its end.)"""
MAX_SHORTER = 4
"""Shorter cuts offered (the longest ones: most of the suggestion is kept)."""
MAX_DEPTH = 100
"""Units deeper in the tree are not looked for: a query over a pathologically nested tree
(a model writing thousands of `(`) is slow, and real code nests far less."""
_FALLBACK = frozenset({"lw.statement", "lw.block", "lw.definition", "lw.import"})


@dataclass(frozen=True)
class UnitCut:
    """The suggestion cut at its unit's end, and the shorter unit boundaries inside it."""

    text: str
    shorter: tuple[str, ...]
    """Cuts at earlier unit ends, longest first (candidates when `text` does not parse)."""


def unit_query(spec: LanguageSpec) -> tuple[Query, frozenset[str]] | None:
    """The query whose captures are units, and those capture names (None: no query)."""
    query = load_query(spec, UNITS)
    if query is not None:
        return query, frozenset({"lw.unit"})
    fallback = load_query(spec, "context", _FALLBACK)
    return (fallback, _FALLBACK) if fallback is not None else None


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def parse_bounded(spec: LanguageSpec, source: bytes) -> Tree | None:
    """`source` parsed, or None when that took more than `PARSE_BUDGET_S` of CPU time."""
    start = time.thread_time()
    tree = parser_for(spec).parse(source)
    return tree if time.thread_time() - start <= PARSE_BUDGET_S else None


def child_after(node: Node, offset: int) -> Node | None:
    """The first child of `node` ending after `offset`, or None."""
    last = node.child(node.child_count - 1) if node.child_count else None
    if last is None or offset >= last.end_byte:
        return None  # first_child_for_byte crashes (py-tree-sitter 0.25) when none is
    return node.first_child_for_byte(offset)


def cut_at_unit(spec: LanguageSpec, head: str, text: str) -> UnitCut | None:
    """`text` (inserted after `head`, the window before the cursor) cut at its unit's end.

    None when the parse took too long (see `parse_bounded`).
    """
    body = _encode(text)
    if not text.strip():
        return UnitCut(text, ())
    start = len(_encode(head))
    first = start + len(body) - len(body.lstrip())
    last = start + len(body.rstrip())
    source = _encode(head) + body
    tree = parse_bounded(spec, source)
    if tree is None:
        return None
    found = _units(spec, tree.root_node, start)
    unit = min(
        (n for n in found if n.start_byte < start and n.start_byte <= first < n.end_byte),
        key=lambda n: n.end_byte - n.start_byte,
        default=None,
    )
    if unit is not None:
        end = min(unit.end_byte, last)
    else:
        end = _paragraph_end(tree.root_node, source, first, last)
    ends = sorted({n.end_byte for n in found if first < n.end_byte < end}, reverse=True)
    ends = ends[:MAX_SHORTER]
    return UnitCut(
        _chars(body, end - start),
        tuple(_chars(body, e - start) for e in ends),
    )


def _units(spec: LanguageSpec, root: Node, start: int) -> list[Node]:
    """Unit nodes meeting the suggestion (those enclosing it included)."""
    loaded = unit_query(spec)
    if loaded is None:
        return []
    query, names = loaded
    found = captures(
        query,
        root,
        byte_range=(max(start - 1, 0), root.end_byte),
        names=names,
        max_start_depth=MAX_DEPTH,
    )
    return [node for _, node in found]


def _paragraph_end(root: Node, source: bytes, first: int, last: int) -> int:
    """End of the run of top-level nodes from the suggestion's first one, up to a blank line."""
    end = last
    previous: Any = None
    for child in root.children:
        if child.end_byte <= first:
            continue
        if previous is not None:
            gap = source[previous.end_byte : child.start_byte]
            if gap.count(b"\n") >= 2 or child.start_byte >= last:
                return min(previous.end_byte, last)
        previous = child
        end = child.end_byte
    return min(end, last)


def _chars(body: bytes, count: int) -> str:
    """The first `count` bytes of `body` as text (a cut inside a character drops it)."""
    return body[: max(count, 0)].decode("utf-8", "ignore")
