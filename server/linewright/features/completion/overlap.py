"""Finding where a suggestion starts repeating the text that already follows the cursor.

Models that see only the prefix, and FIM models that over-generate, write the middle and
then carry on with what the document already has after the cursor: the rest of the line,
the closing brackets, the next lines. The repeated part is recognised by comparing
non-whitespace characters only (a model rarely reproduces indentation and line breaks
exactly), then the whitespace at the seam is settled by `seam`.
"""

from __future__ import annotations

import re
from itertools import islice

_SPACE = re.compile(r"\s+")
_CODE = re.compile(r"\S")
MIN_ANCHOR_CHARS = 4
"""A suffix line shorter than this (in non-space characters) is too common to anchor on."""
TRUNCATION_CHARS = 12
"""A repeated stretch this long (non-space characters) may end inside a word."""
SUFFIX_SCAN_FACTOR = 8
"""How far into the suffix to look, as a multiple of the suggestion's length."""


def _borders(pattern: str) -> list[int]:
    """Knuth-Morris-Pratt prefix function of `pattern`."""
    table = [0] * len(pattern)
    for i in range(1, len(pattern)):
        k = table[i - 1]
        while k and pattern[i] != pattern[k]:
            k = table[k - 1]
        if pattern[i] == pattern[k]:
            k += 1
        table[i] = k
    return table


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _overlap(
    text: str, suffix: str, min_chars: int, line_prefix: str | None
) -> tuple[int, int, bool] | None:
    """(start in `text`, non-space length, covers the whole suffix) of the repeated tail."""
    mine = _SPACE.sub("", text)
    scan = suffix[: len(text) * SUFFIX_SCAN_FACTOR + 256]
    theirs = _SPACE.sub("", scan)[: len(mine)]
    if not theirs:
        return None
    table = _borders(theirs + "\0" + mine[len(mine) - len(theirs) :])
    length = table[-1]
    while length >= max(min_chars, 1):
        start = _nth_code_from_end(text, length)
        last = _nth_code(scan, length)
        if _clean_edges(text, start, scan, last, line_prefix):
            whole = len(scan) == len(suffix) and not scan[last + 1 :].strip()
            return start, length, whole
        length = table[length - 1]
    return None


def _nth_code(text: str, count: int) -> int:
    """Index of the `count`-th non-space character of `text` (1-based)."""
    return next(islice(_CODE.finditer(text), count - 1, None)).start()


def _nth_code_from_end(text: str, count: int) -> int:
    """Index of the `count`-th non-space character of `text` counted from its end."""
    seen = 0
    for index in range(len(text) - 1, -1, -1):
        if not text[index].isspace():
            seen += 1
            if seen == count:
                return index
    raise ValueError("fewer non-space characters than asked for")


def _clean_edges(text: str, start: int, suffix: str, last: int, line_prefix: str | None) -> bool:
    """Whether a repeated part from `text[start]` to `suffix[last]` has sensible edges.

    It must not begin inside a word of `text`, nor end inside a word of `suffix` when it
    is short (`return 1` does not repeat `return 18`; a long stretch ending mid-word is a
    repeat cut by the token limit). With the cursor line's `line_prefix` known: when the
    suffix's code begins a line, the repeated part must begin a line in `text` too, at the
    same column (in Python `        return x` does not repeat `    return x`).
    """
    if start and _is_word(text[start]) and _is_word(text[start - 1]):
        return False
    inside = last + 1 < len(suffix) and _is_word(suffix[last]) and _is_word(suffix[last + 1])
    if inside and len(_SPACE.sub("", suffix[: last + 1])) < TRUNCATION_CHARS:
        return False
    if line_prefix is None:
        return True
    code = len(suffix) - len(suffix.lstrip())
    theirs = _line_column(suffix, code, line_prefix)
    mine = _line_column(text, start, line_prefix)
    return theirs is None or theirs == mine


def _line_column(text: str, index: int, line_prefix: str) -> int | None:
    """Column of `text[index]` when only whitespace precedes it on its line, else None.

    `text` is inserted at the cursor, so its first line continues `line_prefix`.
    """
    begin = text.rfind("\n", 0, index) + 1
    before = text[begin:index] if begin else line_prefix + text[:index]
    return None if before.strip() else len(before)


def overlap_start(
    text: str, suffix: str, *, min_chars: int = 1, line_prefix: str | None = None
) -> int | None:
    """Index in `text` where its longest tail that re-emits the start of `suffix` begins.

    Whitespace is ignored on both sides. The tail must hold at least `min_chars`
    non-whitespace characters and must not start inside a word (`ab` does not repeat the
    `b...` after the cursor; see `_clean_edges`). None when no tail qualifies. Linear time.
    """
    found = _overlap(text, suffix, min_chars, line_prefix)
    return None if found is None else found[0]


def anchored_start(
    text: str, suffix: str, *, min_chars: int, line_prefix: str | None = None
) -> int | None:
    """Like `overlap_start`, for a repeated tail long enough to be trusted before any cut.

    It must hold `min_chars` non-space characters, or be the whole (non-space) suffix
    when that is at least `MIN_ANCHOR_CHARS` long: a model that re-emitted all the rest
    of the file has shown where its middle ends.
    """
    found = _overlap(text, suffix, MIN_ANCHOR_CHARS, line_prefix)
    if found is None:
        return None
    start, length, whole = found
    return start if length >= min_chars or whole else None


def line_anchor(text: str, suffix: str) -> int | None:
    """Where the first line after the first one that equals the suffix's next line starts.

    The index is that of the line's first non-space character, so `seam` sees the
    indentation the model wrote before it.

    A model that re-emits the line following the cursor and then goes its own way is not
    caught by `overlap_start`; the repeated line is. The suffix's first non-blank line is
    the anchor (at least `MIN_ANCHOR_CHARS` non-space characters, one a letter or digit).
    """
    anchor = next((line.strip() for line in suffix.split("\n", 8)[:8] if line.strip()), "")
    if len(_SPACE.sub("", anchor)) < MIN_ANCHOR_CHARS or not any(map(_is_word, anchor)):
        return None
    offset = 0
    for index, line in enumerate(text.split("\n")):
        if index and line.strip() == anchor:
            return offset + len(line) - len(line.lstrip())
        offset += len(line) + 1
    return None


def seam(kept: str, suffix: str) -> str:
    """`kept` (the suggestion before a repeated part) with the whitespace at the seam settled.

    The model's own whitespace before the repeated part is kept, less what the suffix
    already starts with: `x = 1⏎` before a suffix `y` stays `x = 1⏎` (the line break is
    needed), `a()⏎    ` before a suffix `⏎    b()` becomes `a()`. When they do not line
    up the trailing whitespace is dropped.
    """
    body = kept.rstrip()
    model_space = kept[len(body) :]
    suffix_space = suffix[: len(suffix) - len(suffix.lstrip())]
    if model_space.endswith(suffix_space):
        return body + model_space[: len(model_space) - len(suffix_space)]
    return body


def trim_overlap(
    text: str, suffix: str, *, min_chars: int = 1, line_prefix: str | None = None
) -> str | None:
    """`text` without a tail that repeats the start of `suffix`, or None if it has none."""
    start = overlap_start(text, suffix, min_chars=min_chars, line_prefix=line_prefix)
    return None if start is None else seam(text[:start], suffix)


def trim_anchored(
    text: str, suffix: str, *, min_chars: int, line_prefix: str | None = None
) -> str | None:
    """`text` without a trusted repeated tail (see `anchored_start`), or None."""
    start = anchored_start(text, suffix, min_chars=min_chars, line_prefix=line_prefix)
    return None if start is None else seam(text[:start], suffix)


def settle(kept: str, rest: str, suffix: str) -> str:
    """`kept` (a cut of the model's text, `rest` what it wrote after) with its seam settled.

    Trailing whitespace goes, except one line break where the model ended its answer with
    more line breaks than the suffix starts with (the last line of a file, a line the
    model closed before stopping): that line break is part of what it wrote.
    """
    body = kept.rstrip()
    if rest.strip():
        return body
    model_space = kept[len(body) :] + rest
    suffix_space = suffix[: len(suffix) - len(suffix.lstrip())]
    if not model_space.endswith(suffix_space):
        return body
    extra = model_space[: len(model_space) - len(suffix_space)]
    return body + "\n" if "\n" in extra else body


def trim_anchor(text: str, suffix: str) -> str | None:
    """`text` cut before a line repeating the suffix's next line, or None if there is none."""
    start = line_anchor(text, suffix)
    return None if start is None else seam(text[:start], suffix)
