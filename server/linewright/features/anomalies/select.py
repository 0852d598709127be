"""Which lines of a file are scanned, and the facts about a line that need only the text.

A line is scanned when it carries logic: not blank, not only brackets and separators, not
only a comment, not part of a docstring or the inside of a multi-line string, not longer than
`max_line_chars`. Every line stays in the context the model sees. With a grammar, comments
and strings come from tree-sitter (`@lw.comment` and `@lw.string` in context.scm,
`@lw.skip` in flag.scm), so a trailing comment is cut from the code that is compared;
without one, lines that start with a usual comment marker are skipped. Lines are split at
"\\n" (a trailing "\\r" is dropped), which is what tree-sitter rows count.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from tree_sitter import Node, Tree

from linewright.core.syntax.languages import LanguageSpec
from linewright.core.syntax.nodes import captured
from linewright.core.syntax.queries import capture_nodes, load_query

FLAG_QUERY = "flag"
DUPLICATE_WINDOW = 100
"""Near-duplicates are looked for this many lines above and below (keeps it O(n))."""
NO_COMMENT = 1000
"""Comment distance reported when the file has no comment at all."""
_PUNCTUATION_ONLY = re.compile(r"^[\s()\[\]{};,]*$")
_COMMENT_MARKERS = ("#", "//", "/*", "*", "--")

Span = tuple[int, int]
"""Byte columns [start, end) of one line."""


@dataclass(frozen=True)
class SourceLine:
    """One line that will be scanned."""

    number: int
    """0-based line number."""
    indent: str
    """Its leading whitespace."""
    code: str
    """Its code: stripped, without a trailing comment."""
    comment_distance: int
    """Lines to the nearest line holding a comment (0: this one)."""
    duplicate: bool
    """Another line nearby is (nearly) the same text."""


def split_lines(text: str) -> list[str]:
    """The lines of `text` as tree-sitter counts rows (a "\\r" before "\\n" dropped)."""
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def select_lines(
    text: str,
    tree: Tree | None,
    spec: LanguageSpec | None,
    *,
    max_line_chars: int,
    duplicate_similarity: float,
) -> list[SourceLine]:
    """The lines to scan, in order, with their comment distance and duplicate flag."""
    lines = split_lines(text)
    encoded = [line.encode("utf-8", "surrogatepass") for line in lines]
    if tree is not None and spec is not None:
        comments = _spans(encoded, _nodes(tree, spec, "lw.comment"))
        strings = _spans(encoded, _skipped_strings(tree, spec))
    else:
        comments = [[(0, len(b))] if _starts_with_marker(b) else [] for b in encoded]
        strings = [[] for _ in encoded]
    distances = comment_distances([bool(spans) for spans in comments])
    picked: list[tuple[int, str, str]] = []
    for number, data in enumerate(encoded):
        code = _code(data, comments[number], strings[number])
        if code is None or len(code) > max_line_chars or _PUNCTUATION_ONLY.match(code):
            continue
        line = lines[number]
        picked.append((number, line[: len(line) - len(line.lstrip())], code))
    dups = near_duplicates([code for _, _, code in picked], duplicate_similarity)
    return [
        SourceLine(number, indent, code, distances[number], dup)
        for (number, indent, code), dup in zip(picked, dups, strict=True)
    ]


def _nodes(tree: Tree, spec: LanguageSpec, name: str) -> list[Node]:
    return captured(tree, spec, name)


def _skipped_strings(tree: Tree, spec: LanguageSpec) -> list[Node]:
    """Docstrings (flag.scm) and every string that spans several lines."""
    found = [n for n in _nodes(tree, spec, "lw.string") if n.end_point[0] > n.start_point[0]]
    query = load_query(spec, FLAG_QUERY, frozenset({"lw.skip"}))
    if query is not None:
        found += capture_nodes(query, tree.root_node, "lw.skip")
    return found


def _spans(encoded: Sequence[bytes], nodes: Sequence[Node]) -> list[list[Span]]:
    """Per line, the byte columns the nodes cover."""
    per_line: list[list[Span]] = [[] for _ in encoded]
    for node in nodes:
        (first, start), (last, end) = node.start_point, node.end_point
        for row in range(first, min(last, len(encoded) - 1) + 1):
            per_line[row].append((start if row == first else 0, end if row == last else 10**9))
    return per_line


def _starts_with_marker(data: bytes) -> bool:
    stripped = data.lstrip().decode("utf-8", "replace")
    return stripped.startswith(_COMMENT_MARKERS)


def _code(data: bytes, comments: list[Span], strings: list[Span]) -> str | None:
    """The line's code without a trailing comment; None when nothing but comments/strings."""
    covered = comments + strings
    if not any(not _inside(i, covered) for i, c in enumerate(data) if c not in b" \t\r"):
        return None
    cut = len(data)
    for start, end in sorted(comments, reverse=True):
        if start < cut and end >= len(data.rstrip()) and data[start:cut].strip():
            cut = start
    return data[:cut].decode("utf-8", "replace").strip()


def _inside(index: int, spans: list[Span]) -> bool:
    return any(start <= index < end for start, end in spans)


def comment_distances(has_comment: Sequence[bool]) -> list[int]:
    """Per line, how many lines away the nearest comment is (`NO_COMMENT` when none)."""
    out = [NO_COMMENT] * len(has_comment)
    last = None
    for i, flag in enumerate(has_comment):
        last = i if flag else last
        if last is not None:
            out[i] = i - last
    last = None
    for i in range(len(has_comment) - 1, -1, -1):
        last = i if has_comment[i] else last
        if last is not None:
            out[i] = min(out[i], last - i)
    return out


def normalise(code: str) -> str:
    """Whitespace-insensitive form: runs of whitespace become one space, none at the ends."""
    return " ".join(code.split())


def near_duplicates(codes: Sequence[str], threshold: float) -> list[bool]:
    """Whether each line has a line at most `DUPLICATE_WINDOW` away at least `threshold` alike."""
    norm = [normalise(c) for c in codes]
    out = [False] * len(norm)
    for i, a in enumerate(norm):
        for j in range(i + 1, min(len(norm), i + DUPLICATE_WINDOW + 1)):
            if not (out[i] and out[j]) and _alike(a, norm[j], threshold):
                out[i] = out[j] = True
    return out


def _alike(a: str, b: str, threshold: float) -> bool:
    if a == b:
        return True
    if 2 * min(len(a), len(b)) < threshold * (len(a) + len(b)):
        return False  # the ratio can never reach the threshold
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.quick_ratio() >= threshold and matcher.ratio() >= threshold
