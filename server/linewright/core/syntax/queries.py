"""Tree-sitter queries: load `grammars/<language>/<purpose>.scm` once, run them simply.

Purposes in use: `textobjects` (nvim-treesitter names such as `@function.outer`) and
`context` (our `@lw.*` captures: imports, definitions, blocks, statements, strings,
comments). A language without a file for a purpose simply has no such query.

Only the text predicates py-tree-sitter evaluates itself (`#eq?`, `#match?`, `#any-of?`
and their `not-` forms) may appear in query files; anything else would be silently ignored.
"""

from __future__ import annotations

from functools import cache

from tree_sitter import Node, Query, QueryCursor, QueryError

from linewright.core.errors import GrammarError
from linewright.core.paths import grammars_dir
from linewright.core.syntax.languages import LanguageSpec

Capture = tuple[str, Node]
"""A `(capture name, node)` pair, e.g. `("lw.import", <import_statement>)`."""


def query_source(spec: LanguageSpec, purpose: str) -> str | None:
    """Text of `grammars/<language>/<purpose>.scm`, or None if there is no such file."""
    path = grammars_dir() / spec.name / f"{purpose}.scm"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


@cache
def load_query(spec: LanguageSpec, purpose: str) -> Query | None:
    """The compiled query for `purpose`, or None if the language has none (cached).

    Raises `GrammarError` when the file does not compile against the grammar: a bug in
    our query files that the query tests catch before release.
    """
    source = query_source(spec, purpose)
    if source is None:
        return None
    try:
        return Query(spec.ts_language, source)
    except QueryError as error:
        raise GrammarError(f"grammars/{spec.name}/{purpose}.scm: {error}") from error


def captures(
    query: Query,
    node: Node,
    *,
    byte_range: tuple[int, int] | None = None,
    names: frozenset[str] | None = None,
) -> list[Capture]:
    """Every `(capture name, node)` of `query` under `node`, in document order.

    Order: by start byte, then longer nodes first (a definition before its name), then
    capture name, so results are deterministic and outer-before-inner. `byte_range`
    restricts matching to nodes intersecting `[start, end)`; `names` keeps only those
    capture names. Captures whose name starts with `_` are helpers and are dropped.
    """
    cursor = QueryCursor(query)
    if byte_range is not None:
        cursor.set_byte_range(*byte_range)
    found: dict[tuple[str, int], Capture] = {}
    for _, match in cursor.matches(node):
        for name, nodes in match.items():
            if name.startswith("_") or (names is not None and name not in names):
                continue
            for captured in nodes:
                # Two patterns may capture the same node under one name; report it once.
                found.setdefault((name, captured.id), (name, captured))
    return sorted(
        found.values(),
        key=lambda item: (item[1].start_byte, -item[1].end_byte, item[0]),
    )


def capture_nodes(query: Query, node: Node, name: str) -> list[Node]:
    """The nodes captured as `name` under `node`, in document order."""
    return [captured for _, captured in captures(query, node, names=frozenset({name}))]


def matches(
    query: Query, node: Node, *, byte_range: tuple[int, int] | None = None
) -> list[dict[str, list[Node]]]:
    """Every match of `query` under `node` as `{capture name: nodes}`, in match order.

    Use this instead of `captures` when captures must stay grouped, e.g. a definition with
    its name and body.
    """
    cursor = QueryCursor(query)
    if byte_range is not None:
        cursor.set_byte_range(*byte_range)
    return [match for _, match in cursor.matches(node)]
