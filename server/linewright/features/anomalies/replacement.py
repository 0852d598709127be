"""Whether the model's line may replace a flagged line: the file must parse as well with it.

The model writes its line from a bounded view of the file, one line at a time: it may open
a block (`{`) that nothing closes, stop inside a string, or write nothing at all. Offered
as a one-click replacement, such a line breaks the file. So the document is parsed again
with the flagged code replaced (incrementally, on a copy of its tree) and the line is kept
only when the tree holds no more ERROR and MISSING nodes than before. Without a grammar
there is no syntax to break; a document too big or too binary to parse gets no
replacement (it cannot be checked).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tree_sitter import Tree

from linewright.core.errors import GrammarError
from linewright.core.syntax.languages import LanguageSpec, parser_for
from linewright.core.syntax.nodes import error_count


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def single_line(alternative: str | None) -> str | None:
    """`alternative` when it is one line with code on it, else None."""
    if alternative is None or not alternative.strip() or "\n" in alternative:
        return None
    return None if "\r" in alternative else alternative


@dataclass
class ReplacementCheck:
    """Parse checks of replacements in one document (its baseline error count is kept)."""

    text: str
    tree: Tree | None
    spec: LanguageSpec | None
    _starts: list[int] = field(default_factory=list)
    _baseline: int | None = None

    def keeps_parse(self, line: int, start: int, end: int, alternative: str) -> bool:
        """Whether `alternative` in place of columns [start, end) of `line` (0-based, a row
        ending at "\\n"; `str` indices) adds no syntax error to the document."""
        if self.spec is None:
            return True
        if self.tree is None or line >= len(self._line_starts()):
            return False
        try:
            parser = parser_for(self.spec)
        except GrammarError:
            return False
        row_start = self._line_starts()[line]
        begin, finish = row_start + start, row_start + end
        column = len(_encode(self.text[row_start:begin]))
        start_byte = len(_encode(self.text[:row_start])) + column
        old_end = start_byte + len(_encode(self.text[begin:finish]))
        new = _encode(alternative)
        source = _encode(self.text[:begin]) + new + _encode(self.text[finish:])
        edited = self.tree.copy()  # the snapshot's tree stays as it is
        edited.edit(
            start_byte,
            old_end,
            start_byte + len(new),
            (line, column),
            (line, column + old_end - start_byte),
            (line, column + len(new)),
        )
        return error_count(parser.parse(source, edited)) <= self._errors()

    def _errors(self) -> int:
        if self._baseline is None:
            self._baseline = error_count(self.tree) if self.tree is not None else 0
        return self._baseline

    def _line_starts(self) -> Sequence[int]:
        """`str` index where each "\\n"-ended row starts (tree-sitter's rows)."""
        if not self._starts:
            offset = 0
            for row in self.text.split("\n"):
                self._starts.append(offset)
                offset += len(row) + 1
        return self._starts
