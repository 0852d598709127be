"""Tree-sitter queries: load `grammars/<language>/<purpose>.scm` once, run them simply.

Purposes in use: `textobjects` (nvim-treesitter names such as `@function.outer`) and
`context` (our `@lw.*` captures: imports, definitions, blocks, statements, strings,
comments). A language without a file for a purpose simply has no such query.

Only the text predicates py-tree-sitter evaluates itself (`#eq?`, `#match?`, `#any-of?`
and their `not-` forms) may appear in query files; anything else would be silently ignored.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from tree_sitter import Node, Query, QueryCursor, QueryError

from linewright.core.errors import GrammarError
from linewright.core.paths import grammars_dir
from linewright.core.syntax.languages import LanguageSpec

_CAPTURE = re.compile(r"@([\w.-]+)")

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
def load_query(
    spec: LanguageSpec, purpose: str, only: frozenset[str] | None = None
) -> Query | None:
    """The compiled query for `purpose`, or None if the language has none (cached).

    `only` keeps just the patterns that capture one of those names: a cursor then skips
    the rest of the file's patterns, which matters for whole-file questions such as
    "where are the imports" (several times faster than filtering captures afterwards).

    Raises `GrammarError` when the file does not compile against the grammar: a bug in
    our query files that the query tests catch before release.
    """
    source = query_source(spec, purpose)
    if source is None:
        return None
    try:
        query = Query(spec.ts_language, source)
    except QueryError as error:
        raise GrammarError(f"grammars/{spec.name}/{purpose}.scm: {error}") from error
    if only is not None:
        data = source.encode("utf-8")
        for index in range(pattern_count(query)):
            text = data[query.start_byte_for_pattern(index) : query.end_byte_for_pattern(index)]
            if not only & _capture_names(text.decode("utf-8")):
                query.disable_pattern(index)
    return query


def pattern_count(query: Query) -> int:
    """Number of patterns in `query`."""
    # py-tree-sitter 0.25 has a property here although its stub declares a method.
    count: Any = getattr(query, "pattern_count")  # noqa: B009
    return int(count() if callable(count) else count)


def _capture_names(pattern_source: str) -> set[str]:
    # A pattern's source span runs on to the next pattern, so it may hold "; Section"
    # comment lines; drop them (but not a `";"` string inside the pattern itself).
    code = "\n".join(
        line for line in pattern_source.splitlines() if not line.lstrip().startswith(";")
    )
    return set(_CAPTURE.findall(code))


def captures(
    query: Query,
    node: Node,
    *,
    byte_range: tuple[int, int] | None = None,
    names: frozenset[str] | None = None,
    max_start_depth: int | None = None,
) -> list[Capture]:
    """Every `(capture name, node)` of `query` under `node`, in document order.

    Order: by start byte, then longer nodes first (a definition before its name), then
    capture name, so results are deterministic and outer-before-inner. `byte_range`
    restricts matching to nodes intersecting `[start, end)`; `names` keeps only those
    capture names; `max_start_depth` ignores matches starting deeper than that many levels
    below `node`, which spares walking the whole tree. Captures whose name starts with
    `_` are helpers and are dropped.
    """
    cursor = QueryCursor(query)
    if byte_range is not None:
        cursor.set_byte_range(*byte_range)
    if max_start_depth is not None:
        cursor.set_max_start_depth(max_start_depth)
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
