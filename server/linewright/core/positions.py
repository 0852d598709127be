"""LSP positions and the conversions between the four ways we address a place in a text.

* LSP `Position(line, character)`: `character` counts UTF-16 code units; lines break at
  `\\n`, `\\r\\n` and a lone `\\r`.
* Python `str` index (one per code point).
* UTF-8 byte offset (what tree-sitter nodes report).
* tree-sitter `Point(row, column)`: `column` counts UTF-8 bytes and rows break at `\\n`
  only, so with a lone `\\r` a tree-sitter row is not an LSP line.

Everything here is pure and never raises on a bad position: past the end of a line clamps
to the line end, past the last line clamps to the document end, negative values clamp to
zero and a `character` that falls inside a surrogate pair rounds down to the pair's start.
Strings are encoded with `surrogatepass` so a lone surrogate from a sloppy client is
counted (one UTF-16 unit, three UTF-8 bytes) instead of crashing the server.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

_BREAK_CHAR = re.compile(r"[\r\n]")
_ASTRAL = re.compile(r"[\U00010000-\U0010FFFF]")
_LONE_CR = re.compile(r"\r(?!\n)")


@dataclass(frozen=True, order=True)
class Position:
    """A zero-based LSP position; `character` is in UTF-16 code units."""

    line: int
    character: int


@dataclass(frozen=True)
class Range:
    """A half-open LSP range `[start, end)`."""

    start: Position
    end: Position

    def ordered(self) -> Range:
        """This range with start <= end (some clients send them reversed)."""
        return self if self.start <= self.end else Range(self.end, self.start)


def utf8_len(text: str) -> int:
    """Length of `text` in UTF-8 bytes."""
    # isascii() is O(1) in CPython (the string remembers it), so ASCII costs nothing.
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def utf16_len(text: str) -> int:
    """Length of `text` in UTF-16 code units (astral characters count two)."""
    if text.isascii():
        return len(text)
    return len(text) + len(_ASTRAL.findall(text))


def utf16_to_index(line: str, character: int) -> int:
    """Index into `line` (no terminator) of UTF-16 column `character`, clamped and rounded down."""
    if character <= 0:
        return 0
    if line.isascii() or character >= utf16_len(line):
        return min(character, len(line))
    units = 0
    for index, char in enumerate(line):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > character:
            # Either exactly past `character`, or `character` splits a surrogate pair:
            # both round down to this character's start.
            return index
    return len(line)


def line_starts(text: str) -> list[int]:
    """The `str` index where each LSP line starts; always at least `[0]`."""
    return [0, *starts_between(text, 1, len(text))]


def starts_between(text: str, low: int, high: int) -> list[int]:
    """Line starts `p` of `text` with `low <= p <= high`, in order.

    Whether `p` starts a line depends only on `text[p - 1]` and `text[p]`, which is what
    lets a document rescan just the few characters around an edit.
    """
    found = []
    for match in _BREAK_CHAR.finditer(text, max(low - 1, 0), max(high, 0)):
        end = match.end()
        # A "\r" followed by "\n" is the first half of one CRLF break, not a break itself.
        if text[end - 1] == "\r" and text.startswith("\n", end):
            continue
        found.append(end)
    return found


def line_end(text: str, starts: Sequence[int], line: int) -> int:
    """Index just past the content of `line`, before its line break."""
    end = starts[line + 1] if line + 1 < len(starts) else len(text)
    if end > starts[line] and text[end - 1] == "\n":
        end -= 1
    if end > starts[line] and text[end - 1] == "\r":
        end -= 1
    return end


def line_of_index(starts: Sequence[int], index: int) -> int:
    """The line holding `str` index `index` (clamped to the existing lines)."""
    return max(bisect_right(starts, index) - 1, 0)


def position_to_index(text: str, starts: Sequence[int], position: Position) -> int:
    """`str` index of an LSP position, clamped as the module docstring says."""
    if position.line < 0:
        return 0
    if position.line >= len(starts):
        return len(text)
    start = starts[position.line]
    content = text[start : line_end(text, starts, position.line)]
    return start + utf16_to_index(content, position.character)


def index_to_position(text: str, starts: Sequence[int], index: int) -> Position:
    """LSP position of `str` index `index` (clamped to `[0, len(text)]`).

    An index between the `\\r` and `\\n` of a CRLF, or inside a break, maps to the line end.
    """
    index = min(max(index, 0), len(text))
    line = line_of_index(starts, index)
    start = starts[line]
    index = min(index, line_end(text, starts, line))
    return Position(line, utf16_len(text[start:index]))


def has_lone_cr(text: str) -> bool:
    """Whether `text` has a "\\r" line break (not part of "\\r\\n")."""
    return _LONE_CR.search(text) is not None


def text_extent(text: str) -> tuple[int, int]:
    """tree-sitter extent of `text`: (rows it adds, byte column after its last `\\n`)."""
    rows = text.count("\n")
    if rows == 0:
        return 0, utf8_len(text)
    return rows, utf8_len(text[text.rindex("\n") + 1 :])


def advance_point(point: tuple[int, int], text: str) -> tuple[int, int]:
    """The tree-sitter point reached by writing `text` at `point`."""
    rows, column = text_extent(text)
    return (point[0], point[1] + column) if rows == 0 else (point[0] + rows, column)


def index_to_point(text: str, index: int) -> tuple[int, int]:
    """tree-sitter `(row, byte column)` of `str` index `index`; O(index), no line index needed."""
    return text_extent(text[: min(max(index, 0), len(text))])


def byte_to_index(text: str, byte_offset: int) -> int:
    """`str` index of a UTF-8 byte offset into `text`; inside a character rounds down."""
    if byte_offset <= 0:
        return 0
    if text.isascii():
        return min(byte_offset, len(text))
    return utf8_prefix_length(text.encode("utf-8", "surrogatepass"), byte_offset)


def utf8_prefix_length(data: bytes, byte_offset: int) -> int:
    """Number of characters in `data[:byte_offset]`, rounding down inside a character."""
    end = min(max(byte_offset, 0), len(data))
    # Continuation bytes look like 0b10xxxxxx: step back to the character's first byte.
    while 0 < end < len(data) and data[end] & 0xC0 == 0x80:
        end -= 1
    return len(data[:end].decode("utf-8", "surrogatepass"))
