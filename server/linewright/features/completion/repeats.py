"""Recognising degenerate suggestions: echoes of the line above, loops, runaway nesting.

Small models, and large ones at their token limit, fall into loops: the same line or the
same few lines again and again, or the line just written above the cursor once more. Such
a suggestion is dropped whole: a loop says the model has lost the thread, so the part
before it is not trusted either. So is one that opens brackets deeper than any code does
(`((((...`), which would also make tree-sitter's error recovery and queries very slow.
"""

from __future__ import annotations

import re

MAX_BLOCK_LINES = 8
"""Longest run of lines checked for an immediate repetition."""
MAX_NESTING = 64
"""Deepest bracket nesting a suggestion may reach (strings and comments are not told
apart: this is a guard against runaway output, not a parser)."""
_OPENERS = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}
_NOT_BRACKET = re.compile(r"[^()\[\]{}]+")
_ABOVE_CHARS = 8192
"""How far above the cursor to look for a non-blank line (the prefix may be huge)."""


def _meaningful(line: str) -> bool:
    """A line with a letter or digit: `}` or `)` repeat legitimately, code does not."""
    return any(char.isalnum() for char in line)


def line_above(prefix: str) -> str:
    """The nearest non-blank line above the cursor's line (right-stripped; "" at the top)."""
    lines = prefix[-_ABOVE_CHARS:].split("\n")[:-1]
    return next((line.rstrip() for line in reversed(lines) if line.strip()), "")


def repeats_line_above(text: str, line_prefix: str, above: str) -> bool:
    """True when the suggestion's first line completes to the line above the cursor.

    Indentation counts: `return False` one level out is a different statement.
    """
    first = (line_prefix + text.split("\n", 1)[0]).rstrip()
    return bool(above) and first == above and _meaningful(first)


def has_loop(text: str) -> bool:
    """True when some run of up to `MAX_BLOCK_LINES` lines is immediately repeated."""
    lines = [line.rstrip() for line in text.split("\n") if line.strip()]
    for size in range(1, min(MAX_BLOCK_LINES, len(lines) // 2) + 1):
        for start in range(len(lines) - 2 * size + 1):
            block = lines[start : start + size]
            if block == lines[start + size : start + 2 * size] and any(map(_meaningful, block)):
                return True
    return False


def is_repetitive(text: str, line_prefix: str, prefix: str) -> bool:
    """True for a suggestion that echoes the line above the cursor or loops."""
    return repeats_line_above(text, line_prefix, line_above(prefix)) or has_loop(line_prefix + text)


def too_deep(text: str) -> bool:
    """True when the brackets of `text` nest more than `MAX_NESTING` levels deep."""
    depth = 0
    for char in _NOT_BRACKET.sub("", text):
        depth = max(depth + _OPENERS.get(char, 0), 0)
        if depth > MAX_NESTING:
            return True
    return False
