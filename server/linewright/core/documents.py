"""Open documents: text, line index and an incrementally maintained tree-sitter tree.

Costs (n = characters, L = lines, k = length of the line involved):

* lookups (`offset_at`, `position_at`, `byte_offset_at`, `position_at_byte`,
  `line_text`) are O(log L + k): a bisect in the line-start index, then work on one line.
  Nothing re-encodes the whole text on a request.
* an edit is O(n) in C (string splice, byte splice) plus O(L) in Python to shift the line
  starts after the edit, plus tree-sitter's incremental reparse. A full-text change (clients
  that sync Full) is first narrowed to the differing middle so the reparse stays incremental.

Offsets: `offset` means a Python `str` index, `byte_offset` a UTF-8 byte offset (what
tree-sitter nodes report). Files over `MAX_TREE_BYTES` or containing NUL (binary) get no
tree; they still support every text operation.

Trees handed out are never mutated: an edit works on `tree.copy()` (O(1)), so a feature that
grabbed `doc.tree` before an await still holds a tree that matches the text it grabbed.
A Document is changed only on the thread that runs the LSP handlers; work handed to another
thread should take `text`/`source`/`tree` (immutable snapshots) along, not the Document.
"""

from __future__ import annotations

import logging
import os
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from urllib.parse import unquote, urlparse

from tree_sitter import Tree

from linewright.core import positions as pos
from linewright.core.errors import DocumentError, GrammarError
from linewright.core.positions import Position, Range
from linewright.core.syntax.languages import LanguageSpec, language_for, parser_for

log = logging.getLogger(__name__)

MAX_TREE_BYTES = 5 * 1024 * 1024
"""Documents larger than this (in UTF-8 bytes) are kept as plain text."""


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _path_of(uri: str) -> str:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme else uri


_CHUNK = 4096


def _common_affixes(old: str, new: str) -> tuple[int, int]:
    """Lengths of the common prefix and (non-overlapping) common suffix of two strings.

    Compares 4 KiB slices (memcmp in C) until they differ, then bisects inside the last
    one: O(length of the common part), fast for the usual one-spot edit of a big file.
    """
    limit = min(len(old), len(new))
    prefix = _common_length(lambda a, b: old[a:b] == new[a:b], limit)
    tail_old, tail_new = len(old), len(new)
    suffix = _common_length(
        lambda a, b: old[tail_old - b : tail_old - a] == new[tail_new - b : tail_new - a],
        limit - prefix,
    )
    return prefix, suffix


def _common_length(equal: Callable[[int, int], bool], limit: int) -> int:
    """Largest n <= limit with equal(0, n), given equal(a, b) compares positions [a, b)."""
    low = 0
    while low + _CHUNK <= limit and equal(low, low + _CHUNK):
        low += _CHUNK
    high = min(low + _CHUNK, limit)
    base = low
    while low < high:
        mid = (low + high + 1) // 2
        if equal(base, mid):
            low = mid
        else:
            high = mid - 1
    return low


def line_ending(text: str) -> str:
    """The line break `text` uses most: "\\r\\n", "\\r" or "\\n" ("\\n" on a tie or none)."""
    crlf = text.count("\r\n")
    lf, cr = text.count("\n") - crlf, text.count("\r") - crlf
    if crlf > lf and crlf >= cr:
        return "\r\n"
    return "\r" if cr > lf and cr > crlf else "\n"


def _shifted(values: list[int], begin: int, delta: int) -> list[int]:
    if delta == 0:
        return values[begin:]
    return [value + delta for value in values[begin:]]


class Document:
    """One open text document; see the module docstring for costs and offset units."""

    def __init__(self, uri: str, language_id: str, version: int, text: str) -> None:
        self.uri = uri
        self.language_id = language_id
        self.version = version
        self.language: LanguageSpec | None = language_for(language_id, _path_of(uri))
        self._text = text
        self._bytes = _encode(text)
        self._starts = pos.line_starts(text)
        self._byte_starts = self._byte_starts_for(self._starts)
        self._tree: Tree | None = self._parse(None)

    # -- read access ----------------------------------------------------------------------

    @property
    def text(self) -> str:
        """The whole text."""
        return self._text

    @property
    def source(self) -> bytes:
        """The text as UTF-8 (what the tree's byte offsets index into)."""
        return self._bytes

    @property
    def tree(self) -> Tree | None:
        """The syntax tree, or None for plain text, binary or oversized documents."""
        return self._tree

    @property
    def line_ending(self) -> str:
        """The line break the text uses most (see `line_ending`); what edits should write."""
        return line_ending(self._text)

    @property
    def line_count(self) -> int:
        """Number of LSP lines (a trailing line break starts one more, empty line)."""
        return len(self._starts)

    def line_text(self, line: int) -> str:
        """Content of `line` without its line break; "" for a line that does not exist."""
        if not 0 <= line < len(self._starts):
            return ""
        return self._text[self._starts[line] : pos.line_end(self._text, self._starts, line)]

    def lines(self) -> Iterator[str]:
        """Every line's content, without line breaks."""
        return (self.line_text(line) for line in range(len(self._starts)))

    def offset_at(self, position: Position) -> int:
        """`str` index of an LSP position (clamped, never raises)."""
        return pos.position_to_index(self._text, self._starts, position)

    def position_at(self, offset: int) -> Position:
        """LSP position of a `str` index (clamped, never raises)."""
        return pos.index_to_position(self._text, self._starts, offset)

    def byte_offset_at(self, position: Position) -> int:
        """UTF-8 byte offset of an LSP position (clamped, never raises)."""
        return self._byte_of_offset(self.offset_at(position))

    def position_at_byte(self, byte_offset: int) -> Position:
        """LSP position of a UTF-8 byte offset; inside a character rounds down."""
        return self.position_at(self._offset_of_byte(byte_offset))

    def range_at_bytes(self, start_byte: int, end_byte: int) -> Range:
        """LSP range of a byte range, e.g. `doc.range_at_bytes(*node.byte_range)`."""
        return Range(self.position_at_byte(start_byte), self.position_at_byte(end_byte))

    # -- edits ----------------------------------------------------------------------------

    def apply_change(self, range: Range | None, text: str) -> None:
        """Apply one LSP content change; `range` None replaces the whole text.

        Applied exactly as the client sent it (nothing else in the server edits a copy
        first): lines break at "\n", "\r\n" and "\r" only (a form feed or U+2028 is an
        ordinary character); a reversed range (end before start, which the spec does not
        allow but clients send) means the same span as its ordered form; a position past
        the end of its line means the line's end, past the last line the document's end.
        """
        if range is None:
            prefix, suffix = _common_affixes(self._text, text)
            self._splice(prefix, len(self._text) - suffix, text[prefix : len(text) - suffix])
            return
        ordered = range.ordered()
        self._splice(self.offset_at(ordered.start), self.offset_at(ordered.end), text)

    def _splice(self, start: int, end: int, new: str) -> None:
        if start == end and not new:
            return  # nothing changes (e.g. a full-text sync of identical text)
        old_text = self._text
        start_byte = self._byte_of_offset(start)
        old_end_byte = self._byte_of_offset(end)
        start_point = self._point_of(start, start_byte)
        removed = old_text[start:end]
        new_bytes = _encode(new)

        self._text = old_text[:start] + new + old_text[end:]
        self._bytes = self._bytes[:start_byte] + new_bytes + self._bytes[old_end_byte:]
        byte_delta = len(new_bytes) - (old_end_byte - start_byte)
        self._update_line_index(start, end, new, start_byte, byte_delta)

        edited: Tree | None = None
        if self._tree is not None:
            # Edit a copy so trees already handed out keep matching their text.
            edited = self._tree.copy()
            edited.edit(
                start_byte,
                old_end_byte,
                start_byte + len(new_bytes),
                start_point,
                pos.advance_point(start_point, removed),
                pos.advance_point(start_point, new),
            )
        self._tree = self._parse(edited)

    def _update_line_index(
        self, start: int, end: int, new: str, start_byte: int, byte_delta: int
    ) -> None:
        """Splice the line-start index; see `positions.starts_between` for why it is local."""
        starts, byte_starts = self._starts, self._byte_starts
        keep = bisect_left(starts, max(start, 1))
        tail = bisect_right(starts, end)
        middle = pos.starts_between(self._text, max(start, 1), start + len(new))
        middle_bytes = []
        offset, byte_offset = start, start_byte
        for line_start in middle:
            byte_offset += pos.utf8_len(self._text[offset:line_start])
            offset = line_start
            middle_bytes.append(byte_offset)
        delta = len(new) - (end - start)
        # List comprehensions over the tail: the one O(L) Python step of an edit.
        self._starts = starts[:keep] + middle + _shifted(starts, tail, delta)
        self._byte_starts = (
            byte_starts[:keep] + middle_bytes + _shifted(byte_starts, tail, byte_delta)
        )

    # -- helpers --------------------------------------------------------------------------

    def _byte_starts_for(self, starts: Sequence[int]) -> list[int]:
        if self._text.isascii():
            return list(starts)
        result, total, previous = [], 0, 0
        for line_start in starts:
            total += pos.utf8_len(self._text[previous:line_start])
            previous = line_start
            result.append(total)
        return result

    def _byte_of_offset(self, offset: int) -> int:
        offset = min(max(offset, 0), len(self._text))
        line = pos.line_of_index(self._starts, offset)
        return self._byte_starts[line] + pos.utf8_len(self._text[self._starts[line] : offset])

    def _offset_of_byte(self, byte_offset: int) -> int:
        byte_offset = min(max(byte_offset, 0), len(self._bytes))
        line = pos.line_of_index(self._byte_starts, byte_offset)
        line_start = self._byte_starts[line]
        line_end = self._byte_starts[line + 1] if line + 1 < len(self._byte_starts) else None
        # The whole line, not a prefix: rounding down must see where the character ends.
        chunk = self._bytes[line_start:line_end]
        return self._starts[line] + pos.utf8_prefix_length(chunk, byte_offset - line_start)

    def _point_of(self, offset: int, byte_offset: int) -> tuple[int, int]:
        """tree-sitter point of `offset`: rows break at "\\n" only."""
        if "\r" in self._text and pos.has_lone_cr(self._text):
            # A lone "\r" ends an LSP line but not a tree-sitter row; rare, so O(n) is fine.
            return pos.index_to_point(self._text, offset)
        line = pos.line_of_index(self._starts, offset)
        return line, byte_offset - self._byte_starts[line]

    def _parse(self, old_tree: Tree | None) -> Tree | None:
        if self.language is None or len(self._bytes) > MAX_TREE_BYTES or b"\0" in self._bytes:
            return None
        try:
            parser = parser_for(self.language)
        except GrammarError as error:
            log.warning("%s: parsing as plain text: %s", self.uri, error)
            self.language = None
            return None
        if old_tree is None:
            return parser.parse(self._bytes)
        return parser.parse(self._bytes, old_tree)


class DocumentStore:
    """The documents the client has open, keyed by URI."""

    def __init__(self) -> None:
        self._documents: dict[str, Document] = {}

    def open(self, uri: str, language_id: str, version: int, text: str) -> Document:
        """Start tracking a document (re-opening replaces it)."""
        document = Document(uri, language_id, version, text)
        self._documents[uri] = document
        return document

    def change(
        self, uri: str, version: int, changes: Sequence[tuple[Range | None, str]]
    ) -> Document:
        """Apply LSP content changes in order; raises `DocumentError` for an unknown URI."""
        document = self._documents.get(uri)
        if document is None:
            raise DocumentError(f"change to a document that is not open: {uri}")
        for range, text in changes:
            document.apply_change(range, text)
        document.version = version
        return document

    def close(self, uri: str) -> None:
        """Stop tracking a document (closing an unknown URI is ignored)."""
        self._documents.pop(uri, None)

    def get(self, uri: str) -> Document | None:
        """The open document at `uri`, or None."""
        return self._documents.get(uri)

    def by_path(self, path: str | os.PathLike[str]) -> Document | None:
        """The open document of file `path`, however its URI was spelled by the client
        (percent-encoding, `..` segments, case on case-insensitive systems), or None."""
        wanted = os.path.normcase(os.path.abspath(path))
        for uri, document in self._documents.items():
            if os.path.normcase(os.path.abspath(_path_of(uri))) == wanted:
                return document
        return None

    def __contains__(self, uri: object) -> bool:
        return uri in self._documents

    def __len__(self) -> int:
        return len(self._documents)
