"""Syntax-tree questions the features ask: what is here, what encloses it, is it broken.

All offsets are UTF-8 byte offsets into the parsed source (`Document.byte_offset_at`
converts from LSP positions). Functions that take a `LanguageSpec` read that language's
`grammars/<language>/context.scm` captures, so supporting a construct in a new language
is a query edit, not a code change; a language without the query answers "nothing here".

"Encloses offset b" means `start <= b <= end`: a cursor just after the last character of a
Python function body is still in that function, which is where people type.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass

from tree_sitter import Node, Tree

from linewright.core.syntax.languages import LanguageSpec
from linewright.core.syntax.queries import captures, load_query, matches

CONTEXT = "context"


@dataclass(frozen=True)
class Definition:
    """A function, class or similar declaration found through `@lw.definition`."""

    node: Node
    """The whole definition."""
    name: Node | None
    """Its name (None for anonymous ones, e.g. `typedef struct { ... } t;`)."""
    header_end: int
    """Byte offset where the header ends (the body's start)."""

    @property
    def name_text(self) -> str | None:
        """The name as text, or None."""
        return _text(self.name) if self.name is not None else None

    @property
    def header(self) -> str:
        """The signature line(s): the definition's text up to its body, right-stripped."""
        raw = self.node.text or b""
        return raw[: self.header_end - self.node.start_byte].decode("utf-8", "replace").rstrip()


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _touches(node: Node, byte_offset: int) -> bool:
    return node.start_byte <= byte_offset <= node.end_byte


def _around(byte_offset: int) -> tuple[int, int]:
    """Query range catching every node that touches `byte_offset` (inclusive ends)."""
    return max(byte_offset - 1, 0), byte_offset + 1


# -- plain tree navigation ---------------------------------------------------------------


def node_at(tree: Tree, byte_offset: int, *, before: bool = False) -> Node:
    """The smallest named node holding the character at `byte_offset`.

    With `before=True`, the character just before the offset (what was just typed): at
    `foo|.bar` that is the identifier `foo`, where the default answers the attribute.
    """
    if before and byte_offset > 0:
        byte_offset -= 1
    root = tree.root_node
    return root.named_descendant_for_byte_range(byte_offset, byte_offset) or root


def ancestors(node: Node, *, include_self: bool = False) -> Iterator[Node]:
    """The node's parents, innermost first (the node itself first if `include_self`)."""
    current = node if include_self else node.parent
    while current is not None:
        yield current
        current = current.parent


def enclosing(node: Node, kinds: Collection[str], *, include_self: bool = True) -> Node | None:
    """The innermost node of one of `kinds` (node types) around `node`, or None."""
    return next((n for n in ancestors(node, include_self=include_self) if n.type in kinds), None)


def error_count(tree_or_node: Tree | Node) -> int:
    """How many ERROR and MISSING nodes the tree (or subtree) holds; 0 for clean code."""
    root = tree_or_node.root_node if isinstance(tree_or_node, Tree) else tree_or_node
    count, depth, cursor = 0, 0, root.walk()
    while True:
        node = cursor.node
        if node is None:
            return count
        if node.is_error or node.is_missing:
            count += 1
        # Subtrees without errors are skipped whole: has_error is cached per node.
        if node.has_error and cursor.goto_first_child():
            depth += 1
            continue
        while depth > 0 and not cursor.goto_next_sibling():
            cursor.goto_parent()
            depth -= 1
        if depth == 0:
            return count


# -- context.scm driven ------------------------------------------------------------------


def _innermost(tree: Tree, byte_offset: int, spec: LanguageSpec, name: str) -> Node | None:
    found = [
        node
        for node in captured(tree, spec, name, byte_range=_around(byte_offset))
        if _touches(node, byte_offset)
    ]
    return min(found, key=lambda n: n.end_byte - n.start_byte, default=None)


def captured(
    tree: Tree,
    spec: LanguageSpec,
    name: str,
    *,
    byte_range: tuple[int, int] | None = None,
    max_start_depth: int | None = None,
) -> list[Node]:
    """Nodes captured as `name` (e.g. "lw.statement") by the language's context query."""
    names = frozenset({name})
    query = load_query(spec, CONTEXT, names)
    if query is None:
        return []
    found = captures(
        query,
        tree.root_node,
        byte_range=byte_range,
        names=names,
        max_start_depth=max_start_depth,
    )
    return [node for _, node in found]


def enclosing_block(tree: Tree, byte_offset: int, spec: LanguageSpec) -> Node | None:
    """The innermost `@lw.block` touching `byte_offset`, or None."""
    return _innermost(tree, byte_offset, spec, "lw.block")


def enclosing_statement(tree: Tree, byte_offset: int, spec: LanguageSpec) -> Node | None:
    """The innermost `@lw.statement` touching `byte_offset`, or None."""
    return _innermost(tree, byte_offset, spec, "lw.statement")


def import_ranges(
    tree: Tree, spec: LanguageSpec, *, max_depth: int | None = 3
) -> list[tuple[int, int]]:
    """Byte ranges `(start, end)` of the import statements, in document order.

    Only imports at most `max_depth` levels below the root are looked for: top level,
    under `if TYPE_CHECKING:` / `#ifdef` / a Python function. That skips walking every
    method body (7x faster on a 2,000-line file); pass None to search everywhere.
    """
    found = captured(tree, spec, "lw.import", max_start_depth=max_depth)
    return [node.byte_range for node in found]


def is_in_comment_or_string(tree: Tree, byte_offset: int, spec: LanguageSpec) -> bool:
    """Whether a cursor at `byte_offset` is inside a comment or a string literal.

    Inside means strictly between the delimiters; the end of a line comment counts (typing
    continues it). Code inside an f-string / template interpolation is not "in a string".
    """
    names = frozenset({"lw.comment", "lw.string", "lw.interpolation"})
    query = load_query(spec, CONTEXT, names)
    if query is None:
        return False
    found = captures(query, tree.root_node, byte_range=_around(byte_offset), names=names)
    inside = [(name, node) for name, node in found if _inside(name, node, byte_offset, spec)]
    if not inside:
        return False
    name, _ = min(inside, key=lambda item: item[1].end_byte - item[1].start_byte)
    return name != "lw.interpolation"


def _inside(name: str, node: Node, byte_offset: int, spec: LanguageSpec) -> bool:
    if not node.start_byte < byte_offset <= node.end_byte:
        return False
    if byte_offset < node.end_byte:
        return True
    last = node.child(node.child_count - 1) if node.child_count else None
    if last is not None and last.is_missing:
        return True  # `"abc` repaired with a MISSING quote: still open at its end
    if name != "lw.comment":
        return False
    # At the very end: only a line comment is still open there.
    text = node.text or b""
    is_line = spec.line_comment is not None and text.startswith(spec.line_comment.encode())
    return is_line and not text.endswith((b"\n", b"\r"))


def definitions(
    tree: Tree, spec: LanguageSpec, *, byte_range: tuple[int, int] | None = None
) -> list[Definition]:
    """Every `@lw.definition` (optionally only those meeting `byte_range`), outer first."""
    query = load_query(spec, CONTEXT, frozenset({"lw.definition"}))
    if query is None:
        return []
    grouped: dict[int, dict[str, list[Node]]] = {}
    for match in matches(query, tree.root_node, byte_range=byte_range):
        for node in match.get("lw.definition", ()):
            # Several patterns (or matches) may describe one definition: pool their parts.
            parts = grouped.setdefault(node.id, {"lw.definition": [node]})
            for part in ("lw.name", "lw.body", "lw.header"):
                parts.setdefault(part, []).extend(match.get(part, ()))
    found = [_definition(parts) for parts in grouped.values()]
    return sorted(found, key=lambda d: (d.node.start_byte, -d.node.end_byte))


def _definition(parts: dict[str, list[Node]]) -> Definition:
    node = parts["lw.definition"][0]
    names = sorted(parts["lw.name"], key=lambda n: n.start_byte)
    if parts["lw.body"]:
        header_end = min(n.start_byte for n in parts["lw.body"])
    elif parts["lw.header"]:
        header_end = min(n.end_byte for n in parts["lw.header"])
    else:  # no body captured: the first line stands for the header
        first_line = (node.text or b"").split(b"\n", 1)[0]
        header_end = node.start_byte + len(first_line)
    return Definition(node, names[0] if names else None, header_end)


def definitions_at(tree: Tree, byte_offset: int, spec: LanguageSpec) -> list[Definition]:
    """The definitions touching `byte_offset`, outermost first (class, then method)."""
    found = definitions(tree, spec, byte_range=_around(byte_offset))
    return [d for d in found if _touches(d.node, byte_offset)]


def enclosing_definition(tree: Tree, byte_offset: int, spec: LanguageSpec) -> Definition | None:
    """The innermost definition touching `byte_offset`, or None."""
    found = definitions_at(tree, byte_offset, spec)
    return found[-1] if found else None


def definition_header(tree: Tree, byte_offset: int, spec: LanguageSpec) -> str | None:
    """Signature line(s) of the innermost enclosing definition, e.g. "def area(self) -> float:"."""
    definition = enclosing_definition(tree, byte_offset, spec)
    return definition.header if definition is not None else None


def definition_headers(tree: Tree, byte_offset: int, spec: LanguageSpec) -> list[str]:
    """Signature line(s) of every enclosing definition, outermost first."""
    return [definition.header for definition in definitions_at(tree, byte_offset, spec)]
