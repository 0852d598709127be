"""The bounded piece of the document that post-processing parses around the cursor.

Parsing a 20,000-line file costs about 265 ms and an incremental reparse of a 2,000-line
one still about 10 ms, while a suggestion must be judged in a few milliseconds. So every
parse in post-processing reads a *window*: whole syntax nodes around the cursor, found in
the document's own tree. Starting at node boundaries keeps the window's edges clean, and
every question is asked twice on the same window (with and without the suggestion), so
whatever the edges still break cancels out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from linewright.features.completion.units import child_after

WINDOW_BYTES = 1024
"""About this many bytes on each side of the cursor (whole nodes, so sometimes more)."""


@dataclass(frozen=True)
class Window:
    """Document text from the window's start to the cursor, and from the cursor to its end."""

    prefix: str
    suffix: str


def window_at(
    prefix: str, suffix: str, tree: Any, cursor_byte: int, budget: int = WINDOW_BYTES
) -> Window:
    """The window around the cursor: node-aligned with a tree, line-aligned without one.

    `prefix`/`suffix` are the whole document text before/after the cursor, `tree` the
    document's tree-sitter tree (or None) and `cursor_byte` the cursor's UTF-8 offset.
    """
    span = _node_span(tree.root_node, cursor_byte, budget) if tree is not None else None
    if span is None:
        return _line_window(prefix, suffix, budget)
    start, end = span
    head = _tail_bytes(prefix, cursor_byte - start)
    cut = len(prefix) - len(head)
    indent = prefix[prefix.rfind("\n", 0, cut) + 1 : cut]
    if not indent.strip():  # keep the first line's indentation (Python blocks)
        head = indent + head
    return Window(head, _head_bytes(suffix, end - cursor_byte))


def _size(node: Any) -> int:
    return int(node.end_byte - node.start_byte)


def _touches(node: Any, offset: int) -> bool:
    return bool(node.start_byte <= offset <= node.end_byte)


def _node_span(root: Any, cursor: int, budget: int) -> tuple[int, int] | None:
    """Byte range of whole nodes around `cursor`, about `budget` bytes on each side.

    Descends from the root into the child holding the cursor while that child is too big,
    then takes the run of its siblings that lie near the cursor (or touch it). Children
    are found by byte (`first_child_for_byte`) and walked outwards, never listed whole:
    the root of a 20,000-line file has thousands.
    """
    cursor = min(max(cursor, root.start_byte), root.end_byte)
    node = root
    while _size(node) > 2 * budget:
        after = child_after(node, cursor)
        before = after.prev_sibling if after is not None else _last_child(node)
        big = [
            k
            for k in (before, after)
            if k is not None and _touches(k, cursor) and _size(k) > 2 * budget
        ]
        if not big:
            break
        node = big[-1]
    if _size(node) <= 2 * budget:
        return node.start_byte, node.end_byte
    return _siblings_near(node, cursor, budget)


def _last_child(node: Any) -> Any:
    return node.child(node.child_count - 1) if node.child_count else None


def _siblings_near(node: Any, cursor: int, budget: int) -> tuple[int, int] | None:
    """Span of the children of `node` within `budget` bytes of the cursor or touching it."""
    low, high = cursor - budget, cursor + budget

    def near(k: Any) -> bool:
        return bool((k.start_byte >= low and k.end_byte <= high) or _touches(k, cursor))

    after = child_after(node, cursor)
    chosen = []
    probe = after
    while probe is not None and near(probe):
        chosen.append(probe)
        probe = probe.next_sibling
    probe = after.prev_sibling if after is not None else _last_child(node)
    while probe is not None and near(probe):
        chosen.append(probe)
        probe = probe.prev_sibling
    if not chosen:
        return None
    return min(k.start_byte for k in chosen), max(k.end_byte for k in chosen)


def _line_window(prefix: str, suffix: str, budget: int) -> Window:
    """Whole lines within about `budget` characters of the cursor (no tree to align to)."""
    head = prefix[-budget:]
    if len(head) < len(prefix) and "\n" in head:
        head = head[head.index("\n") + 1 :]
    tail = suffix[:budget]
    if len(tail) < len(suffix) and "\n" in tail:
        tail = tail[: tail.rindex("\n") + 1]
    return Window(head, tail)


def _tail_bytes(text: str, count: int) -> str:
    """The end of `text` that is `count` UTF-8 bytes long (a character boundary)."""
    if count <= 0:
        return ""
    data = text[-count:].encode("utf-8", "surrogatepass")
    return data[max(len(data) - count, 0) :].decode("utf-8", "replace")


def _head_bytes(text: str, count: int) -> str:
    """The start of `text` that is `count` UTF-8 bytes long (a character boundary)."""
    if count <= 0:
        return ""
    return text[:count].encode("utf-8", "surrogatepass")[:count].decode("utf-8", "replace")
