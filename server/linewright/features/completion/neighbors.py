"""The extra-context ring: snippets of other open and recently edited files.

Completion sends the model a few chunks of other files next to the cursor's own file
(llama.cpp `input_extra`, repo-level FIM tokens or a commented preamble, depending on the
backend). Which chunks is decided here, cheaply enough to run on every keystroke:

- **What goes in.** A chunk is `CHUNK_LINES` lines aligned on multiples of that count. Opening
  a file adds its first `OPEN_CHUNKS` chunks (imports and the first definitions: the names
  other files use); an edit adds the chunk around each edited line. Chunks are keyed by
  (uri, first line), so typing in one place replaces that place's chunk instead of filling
  the ring with near-copies, and deduplicated by a hash of their text (the same text in
  two files, or a file reopened unchanged, is held once).
- **How much.** At most `capacity` chunks, least recently added first out, and at most
  `per_file` from one file, so a long session in one file cannot push every other file out.
- **Closing.** A closed file's chunks from opening are dropped (it is neither open nor
  edited any more); its edited chunks stay ("recently edited").
- **What comes out.** `select` scores every chunk not of the current file by the Jaccard
  similarity of its identifiers with the text around the cursor and returns the best,
  best first. Each chunk carries `seq`, the order it entered the ring: the prompt lists the
  chunks it keeps in that order, so the head of the prompt stays byte-identical while the
  chosen set does not change and llama.cpp reuses its KV cache.
- **What never goes in.** Files `exclusion` excludes (secrets, git-ignored files, the
  `context.exclude` globs; see `features.exclusion`) add no chunk, and chunks held when the
  exclusion changed are never selected.
"""

from __future__ import annotations

import hashlib
import itertools
import pathlib
import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import unquote, urlparse

from linewright.core.documents import Document
from linewright.core.llm.types import ExtraChunk
from linewright.core.positions import Range
from linewright.features.exclusion import ContextExclusion

CHUNK_LINES = 30
CAPACITY = 64
OPEN_CHUNKS = 8
PER_FILE = 16
EDIT_BLOCKS = 4
"""Most chunks one change adds (a big paste refreshes its first few blocks, not the file)."""
EXTRA_OVERHEAD = 8
"""Bytes counted per chunk sent besides its text and file name (separator, newlines)."""

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_COMMON = frozenset(
    {"def", "return", "self", "class", "import", "from", "for", "while", "if", "else", "elif",
     "in", "not", "and", "or", "is", "None", "True", "False", "pass", "with", "as", "try",
     "except", "raise", "lambda", "yield", "const", "let", "var", "function", "this", "new",
     "int", "void", "char", "static", "struct", "public", "private", "protected", "package",
     "func", "type", "fn", "pub", "mut", "use", "impl"}
)  # fmt: skip
"""Keywords shared by most code of a language: they would make every chunk look similar."""


def identifiers(text: str) -> frozenset[str]:
    """The distinct identifiers of `text` (two characters or more, common keywords left out)."""
    return frozenset(w for w in _IDENTIFIER.findall(text) if len(w) > 1 and w not in _COMMON)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a & b| / |a | b|, 0.0 when both are empty."""
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def display_name(uri: str, root: pathlib.Path | None = None) -> str:
    """The name a chunk is shown under: the path relative to `root` when inside it."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return unquote(parsed.path) or uri
    path = pathlib.PurePosixPath(unquote(parsed.path))
    if root is not None:
        try:
            return path.relative_to(root.as_posix()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def changed_line(old: str, new: str) -> int:
    """The first line where `new` differs from `old` (for clients that send the whole text).

    Bisects on prefix equality: each comparison is a C memcmp, log2(n) of them.
    """
    low, high = 0, min(len(old), len(new))
    while low < high:
        mid = (low + high + 1) // 2
        if old[:mid] == new[:mid]:
            low = mid
        else:
            high = mid - 1
    return new.count("\n", 0, low)


def edited_lines(changes: Sequence[tuple[Range | None, str]], before: str, after: str) -> list[int]:
    """Lines of the new text touched by LSP content `changes` (applied to `before`, giving
    `after`); a whole-text change counts from the first line that differs."""
    lines: list[int] = []
    for changed, text in changes:
        if changed is None:
            lines.append(changed_line(before, after))
            continue
        first = changed.ordered().start.line
        lines.extend(range(first, first + min(text.count("\n"), EDIT_BLOCKS * CHUNK_LINES) + 1))
    return lines


@dataclass(frozen=True)
class Chunk:
    """A few lines of one file, as held by the ring."""

    uri: str
    filename: str
    first_line: int
    text: str
    edited: bool = False
    """Added by an edit (kept when the file closes) rather than by opening the file."""
    seq: int = 0
    """Order of entry into the ring (the prompt lists chunks in this order)."""
    words: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    size: int = 0
    """Length of `text` in UTF-8 bytes."""
    digest: bytes = field(default=b"", compare=False, repr=False)
    """Hash of `text` (what deduplication compares)."""


class NeighborRing:
    """A bounded, deduplicated set of chunks of open and recently edited files."""

    def __init__(
        self,
        capacity: int = CAPACITY,
        chunk_lines: int = CHUNK_LINES,
        open_chunks: int = OPEN_CHUNKS,
        per_file: int = PER_FILE,
        exclusion: ContextExclusion | None = None,
    ) -> None:
        self.exclusion = exclusion or ContextExclusion()
        """Replaced by the LSP layer when the workspace or the settings change."""
        self.capacity = capacity
        self.chunk_lines = chunk_lines
        self.open_chunks = open_chunks
        self.per_file = per_file
        self._chunks: OrderedDict[tuple[str, int], Chunk] = OrderedDict()
        self._by_hash: dict[bytes, tuple[str, int]] = {}
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._chunks)

    def chunks(self) -> list[Chunk]:
        """Every chunk held, least recently added first."""
        return list(self._chunks.values())

    def excludes(self, uri: str) -> bool:
        """Whether no text of `uri` may be sent to the model (see `features.exclusion`)."""
        return self.exclusion.excludes(uri)

    def opened(self, doc: Document, filename: str) -> None:
        """A file was opened (or reopened): hold its first chunks, replacing older ones."""
        self._drop_opened(doc.uri)
        if self.excludes(doc.uri):
            return
        last = min(doc.line_count, self.open_chunks * self.chunk_lines)
        for first in range(0, last, self.chunk_lines):
            self._put(self._chunk(doc, filename, first, edited=False))

    def edited(self, doc: Document, filename: str, lines: Iterable[int]) -> None:
        """`doc` changed at `lines` (in its new text): hold the chunks around them."""
        if self.excludes(doc.uri):
            return
        blocks = sorted({line - line % self.chunk_lines for line in lines if line >= 0})
        for first in blocks[:EDIT_BLOCKS]:
            if first < doc.line_count:
                self._put(self._chunk(doc, filename, first, edited=True))

    def closed(self, uri: str) -> None:
        """A file was closed: forget what opening it added, keep what was edited."""
        self._drop_opened(uri)

    def select(self, around: str, exclude_uri: str, limit: int) -> list[Chunk]:
        """Up to `limit` chunks of other files sharing identifiers with `around`, best first.

        Ties go to the more recently added chunk; chunks with nothing in common are left out.
        """
        words = identifiers(around)
        scored = [
            (score, chunk.seq, chunk)
            for chunk in self._chunks.values()
            if chunk.uri != exclude_uri
            and (score := jaccard(words, chunk.words)) > 0.0
            and not self.excludes(chunk.uri)
        ]
        scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
        return [chunk for _, _, chunk in scored[:limit]]

    # -- internals ----------------------------------------------------------------------

    def _chunk(self, doc: Document, filename: str, first: int, *, edited: bool) -> Chunk:
        last = min(first + self.chunk_lines, doc.line_count)
        lines = [doc.line_text(line) for line in range(first, last)]
        if last == doc.line_count and lines and not lines[-1]:
            lines.pop()  # the empty "line" after a final line break
        text = "".join(line + "\n" for line in lines)
        return Chunk(doc.uri, filename, first, text, edited)

    def _put(self, chunk: Chunk) -> None:
        key = (chunk.uri, chunk.first_line)
        data = chunk.text.encode("utf-8", "surrogatepass")
        digest = hashlib.blake2b(data, digest_size=16).digest()
        held_key = self._by_hash.get(digest)
        if held_key is not None:
            # Same text already held: refresh it; this key's older text (if any) is stale.
            held = self._chunks.pop(held_key)
            if key != held_key:
                self._remove(key)
            self._chunks[held_key] = replace(held, edited=held.edited or chunk.edited)
            return
        self._remove(key)
        words = identifiers(chunk.text)
        if not words:
            return  # blank or punctuation only: can never be selected
        seq = next(self._seq)
        self._chunks[key] = replace(chunk, seq=seq, words=words, size=len(data), digest=digest)
        self._by_hash[digest] = key
        self._evict(chunk.uri)

    def _evict(self, uri: str) -> None:
        same_file = [key for key in self._chunks if key[0] == uri]
        for key in same_file[: max(0, len(same_file) - self.per_file)]:
            self._remove(key)
        while len(self._chunks) > self.capacity:
            self._remove(next(iter(self._chunks)))

    def _remove(self, key: tuple[str, int]) -> None:
        chunk = self._chunks.pop(key, None)
        if chunk is not None:
            self._by_hash.pop(chunk.digest, None)

    def _drop_opened(self, uri: str) -> None:
        for key in [k for k, c in self._chunks.items() if k[0] == uri and not c.edited]:
            self._remove(key)


def fit_extra(chunks: Sequence[Chunk], budget: int) -> tuple[ExtraChunk, ...]:
    """The best chunks (given best first) that fit `budget` bytes, in ring order."""
    picked: list[Chunk] = []
    used = 0
    for chunk in chunks:
        cost = chunk.size + len(chunk.filename.encode()) + EXTRA_OVERHEAD
        if used + cost <= budget:
            picked.append(chunk)
            used += cost
    return tuple(ExtraChunk(c.filename, c.text) for c in sorted(picked, key=lambda c: c.seq))
