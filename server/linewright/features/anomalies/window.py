"""The context the model sees for each scanned line: a bounded window, never the whole file.

For a line inside a definition the prefix is: the file's imports that lie above the window,
the headers of the enclosing definitions whose start lies above the window, then the lines
of the innermost definition from its start to the line, then the line's indentation. A
definition longer than `prefix_lines` moves the window start in steps of half that, so
consecutive lines share one prompt start (the server's prompt cache then only evaluates the
new line). The suffix, sent only to fill-in-the-middle backends, is the rest of the innermost
definition, at most `suffix_lines` lines. An edit inside one function therefore changes no
other function's contexts, and the line cache (keyed by context) answers for them.

Prefix-only models get token healing: the prompt stops one indentation character short and
the model writes that character with the statement's first word (SmolLM2's tokenizer merges
"newline + spaces" and "space + word"; see `completion.prompt.healing_text`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from tree_sitter import Tree

from linewright.core.syntax.languages import LanguageSpec
from linewright.core.syntax.nodes import Definition, captured, definitions
from linewright.features.anomalies.select import SourceLine

Rows = tuple[int, int]
"""Inclusive first and last row."""


@dataclass(frozen=True)
class LineContext:
    """Everything sent to the model for one line."""

    line: SourceLine
    prefix: str
    """Text before the line, ending where the model starts writing."""
    suffix: str | None
    """Text after the line (fill-in-the-middle backends only)."""
    target: str
    """What the model should write if it agrees: `heal` plus the line's code."""
    heal: str
    """The tail of the indentation left to the model (token healing)."""


@dataclass(frozen=True)
class _Scope:
    start: int
    end: int
    headers: tuple[Rows, ...]
    """Header rows of every enclosing definition, outermost first (the innermost last)."""


def build_contexts(
    lines: Sequence[str],
    tree: Tree | None,
    spec: LanguageSpec | None,
    scanned: Sequence[SourceLine],
    *,
    fim: bool,
    prefix_lines: int,
    suffix_lines: int,
) -> list[LineContext]:
    """The contexts of the scanned lines, in order; `lines` is the whole file. A prefix-only
    model is not asked about a line with nothing above it."""
    defs = definitions(tree, spec) if tree is not None and spec is not None else []
    imports = _import_rows(tree, spec) if tree is not None and spec is not None else []
    scopes = _scopes([line.number for line in scanned], defs, len(lines))
    out = []
    for line, scope in zip(scanned, scopes, strict=True):
        start = window_start(line.number, scope.start, prefix_lines)
        rows = _prefix_rows(line.number, start, scope, imports, max(1, prefix_lines // 2))
        heal = "" if fim else line.indent[-1:]
        prefix = "".join(lines[row] + "\n" for row in rows)
        if not fim and not prefix.strip():
            continue  # nothing above to continue from (the first line of a file)
        prefix += line.indent[: len(line.indent) - len(heal)]
        suffix = None
        if fim:
            last = min(scope.end, line.number + suffix_lines)
            suffix = "".join("\n" + lines[row] for row in range(line.number + 1, last + 1))
        out.append(LineContext(line, prefix, suffix, heal + line.code, heal))
    return out


def window_start(number: int, scope_start: int, prefix_lines: int) -> int:
    """First row of the window for line `number` in a scope starting at `scope_start`."""
    overflow = number - scope_start - prefix_lines
    if overflow <= 0:
        return scope_start
    step = max(1, prefix_lines // 2)
    return scope_start + math.ceil(overflow / step) * step


def _prefix_rows(
    number: int, start: int, scope: _Scope, imports: list[Rows], max_imports: int
) -> list[int]:
    rows: set[int] = set(range(start, number))
    for first, last in scope.headers:
        if first < start:
            rows.update(range(first, min(last, number - 1) + 1))
    kept = 0
    for first, last in imports:
        if first >= start or kept >= max_imports:
            break
        span = range(first, min(last, first + max_imports - kept - 1, number - 1) + 1)
        rows.update(span)
        kept += len(span)
    return sorted(rows)


def _import_rows(tree: Tree, spec: LanguageSpec) -> list[Rows]:
    nodes = captured(tree, spec, "lw.import", max_start_depth=3)
    return sorted({(n.start_point[0], n.end_point[0]) for n in nodes})


def _header_rows(definition: Definition) -> Rows:
    first = definition.node.start_point[0]
    return first, first + definition.header.count("\n")


def _scopes(numbers: Sequence[int], defs: Sequence[Definition], line_count: int) -> list[_Scope]:
    """For each line (ascending), its enclosing definitions: those starting above it and
    ending at or below it (a definition's own header line belongs to the outer scope)."""
    ordered = sorted(defs, key=lambda d: (d.node.start_point[0], -d.node.end_point[0]))
    stack: list[Definition] = []
    index = 0
    out = []
    for number in numbers:
        while index < len(ordered) and ordered[index].node.start_point[0] < number:
            stack.append(ordered[index])
            index += 1
        open_defs = [d for d in stack if d.node.end_point[0] >= number]
        stack = open_defs
        if not open_defs:
            out.append(_Scope(0, line_count - 1, ()))
            continue
        inner = open_defs[-1].node
        headers = tuple(_header_rows(d) for d in open_defs)
        out.append(_Scope(inner.start_point[0], inner.end_point[0], headers))
    return out
