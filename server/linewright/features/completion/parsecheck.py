"""The parse check: does a suggestion add syntax errors the window did not already have?

The window is parsed once without the suggestion (the baseline, computed on first use)
and once per suggestion tried. A suggestion passes when the window with it holds no more
breakages than without it: code typed half-way (an open bracket, a header without its
body) is broken before the suggestion, and a suggestion that repairs it or leaves it as it
was is fine; one that adds breakage is not.

Breakages are ERROR and MISSING nodes, counted at the outermost level: an ERROR inside
another ERROR is part of the same breakage (typing one more token into an already broken
line nests a new ERROR node there without breaking anything more). In languages whose
blocks are made by indentation (`@lw.indented` in units.scm), a statement at either seam
of the suggestion (its first statement, and the first one after it) that does not line up
with its block's other statements counts too: tree-sitter's Python grammar accepts
`assert x` followed by a deeper-indented `return y`, Python does not. And code after the
cursor that a suggestion swallows into a comment (`# note` typed before `return x` on
its line) counts as breakage: it parses, but the code is gone.
"""

from __future__ import annotations

import time

from tree_sitter import Node

from linewright.core.syntax.languages import LanguageSpec
from linewright.core.syntax.queries import captures, load_query
from linewright.features.completion.units import MAX_DEPTH, child_after, parse_bounded
from linewright.features.completion.window import Window

INDENTED = "lw.indented"
TOTAL_BUDGET_S = 0.015
"""CPU time all the parses for one candidate may use; past it, the check gives up."""


def breakages(root: Node) -> int:
    """ERROR nodes not inside another ERROR, plus MISSING nodes outside ERRORs."""
    count, pending = 0, [root]
    while pending:
        node = pending.pop()
        if node.is_error or node.is_missing:
            count += 1
        elif node.has_error:  # clean subtrees are skipped whole (has_error is cached)
            pending.extend(node.children)
    return count


def misaligned(spec: LanguageSpec, root: Node, offset: int) -> bool:
    """Whether the statement starting at byte `offset` is out of line with its block.

    The statement is the child starting there of the innermost `@lw.indented` block (or
    the root) around `offset`; it is out of line when its column differs from that of the
    block's first statement. False where the language has no indented blocks. Found from
    the top (never by climbing parents: that is quadratic in a deeply nested tree).
    """
    query = load_query(spec, "units", frozenset({INDENTED}))
    if query is None:
        return False
    found = captures(
        query, root, byte_range=(max(offset - 1, 0), offset + 1), max_start_depth=MAX_DEPTH
    )
    blocks = [n for name, n in found if name == INDENTED and n.start_byte <= offset < n.end_byte]
    block = min(blocks, key=lambda n: n.end_byte - n.start_byte, default=root)
    node = child_after(block, offset)
    if node is None or node.start_byte != offset or node.is_extra:
        return False
    first = next((c for c in block.named_children if not c.is_extra), node)
    return bool(first.start_point[1] != node.start_point[1])


def swallowed(root: Node, offset: int) -> bool:
    """Whether the code at byte `offset` lies inside a comment that starts before it."""
    node = root.descendant_for_byte_range(offset, offset)
    while node is not None:
        if node.is_extra and node.start_byte < offset < node.end_byte:
            return True
        node = node.parent
    return False


class ParseCheck:
    """Breakages of one window with and without suggestions (one per cursor)."""

    def __init__(self, spec: LanguageSpec, window: Window) -> None:
        self._spec = spec
        self._window = window
        self._head = len(window.prefix.encode("utf-8", "surrogatepass"))
        self._baseline: int | None = None
        self.parses = 0
        """How many parses this check has run (the baseline included)."""
        self.cpu_s = 0.0
        """CPU time spent parsing so far."""
        self.gave_up = False
        """A parse took too long (runaway text): nothing more is checked, all fails."""

    def errors(self, middle: str) -> int | None:
        """Breakages in the window with `middle` inserted at the cursor (None: too slow)."""
        if self.gave_up:
            return None
        self.parses += 1
        body = middle.encode("utf-8", "surrogatepass")
        tail = self._window.suffix.encode("utf-8", "surrogatepass")
        start = time.thread_time()
        tree = parse_bounded(
            self._spec, self._window.prefix.encode("utf-8", "surrogatepass") + body + tail
        )
        self.cpu_s += time.thread_time() - start
        if tree is None or self.cpu_s > TOTAL_BUDGET_S:
            self.gave_up = True
            return None
        after = self._head + len(body) + len(tail) - len(tail.lstrip())
        seams = {after}
        if body.strip():
            seams.add(self._head + len(body) - len(body.lstrip()))
        root = tree.root_node
        lined_up = sum(misaligned(self._spec, root, seam) for seam in seams)
        return breakages(root) + lined_up + swallowed(root, after)

    @property
    def baseline(self) -> int | None:
        """Breakages in the window as the document has it (None: too slow to tell)."""
        if self._baseline is None:
            self._baseline = self.errors("")
        return self._baseline

    def keeps_parse(self, middle: str) -> bool:
        """True when inserting `middle` adds no breakage (the baseline is parsed only if
        the window with `middle` has any: a clean result needs no comparison)."""
        found = self.errors(middle)
        if found is None or found == 0:
            return found == 0
        baseline = self.baseline
        return baseline is not None and found <= baseline
