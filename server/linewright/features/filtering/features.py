"""The filter's features: one function per stage, fed the same way offline and live.

Stage 1 sees the context only (`context_features`); stage 2 adds the suggestion's own
features (`suggestion_features`). Both read plain inputs: a `Situation` (the text before
the cursor, sizes, the user's recent history) and a `Candidate` (text, mean log-prob).
`situation_of` builds them from the live cursor (anything with `prefix` and `suffix`, such as
`CompletionContext`); `situation_from_record` from one line of the coderec decision files
(prompt text, suggestion text, pre-display measurements). Because both end in the same
feature functions, the offline evaluation measures exactly what ships.

Only what both sources know is used: the coderec data has no text after the cursor (only its
length), no syntax tree, no language but Python and no per-token log-probs (only the mean);
features that need those would be constant offline and so untrained by the prior.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

TAIL_CHARS = 3000
"""How much of the text before the cursor the features read (the recent code)."""
LONG_GAP_S = 3600.0
"""A gap longer than this (or no earlier outcome) counts as this long."""
FAST_GAP_S = 1.0
"""An outcome less than this ago means the user is typing a burst."""
LOGPROB_FLOOR = -6.0
LOGPROB_UNKNOWN = -0.5
"""Mean log-prob used when the backend gave none (`logprob_missing` marks it)."""
SIMILARITY_CHARS = 300

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
_COMMENT_MARKERS = ("#", "//", "/*", "*", "--")
_OPENERS = (":", "{", "(", "[")
_CHAR_CLASSES = (
    ("newline", "\n"),
    ("space", " \t"),
    ("open", "([{"),
    ("close", ")]}"),
    ("dot", "."),
    ("operator", "=+-*/%<>!&|^~@"),
    ("separator", ",:;"),
    ("quote", "\"'`"),
)
_CLASS_NAMES = ("word", *(name for name, _ in _CHAR_CLASSES))
_OUTCOME_SIGN = {"accepted": 1.0, "rejected": -1.0}
"""`prev_outcome`: +1 accepted, -1 rejected, 0 none yet (between the two, not a category of
its own: a new session's first request is rare in any training data)."""

CONTEXT_NAMES: tuple[str, ...] = (
    "prev_outcome", "log_gap", "fast_gap",
    "line_chars", "line_blank", "indent", "prev_line_chars", "prev_line_opens", "in_comment",
    "log_offset", "log_suffix",
    *(f"last_{name}" for name in _CLASS_NAMES),
)  # fmt: skip
"""Stage 1 features, in vector order."""
SUGGESTION_NAMES: tuple[str, ...] = (
    "text_chars", "text_lines", "mean_logprob", "logprob_missing", "no_word",
    "continues_word", "starts_newline", "comment_text", "copied", "ungrounded",
    "distinct_tokens", "similar_previous", "rejected_before",
)  # fmt: skip
"""Features stage 2 adds to stage 1's, in vector order."""


class CursorText(Protocol):
    """What the live path needs of the request (`CompletionContext` has it)."""

    @property
    def prefix(self) -> str: ...

    @property
    def suffix(self) -> str: ...


@dataclass(frozen=True)
class History:
    """What the user did just before: the previous outcome and suggestions."""

    previous_outcome: str | None = None
    """"accepted" or "rejected" (a partial acceptance counts as accepted); None: none yet."""
    seconds_since_outcome: float | None = None
    previous_text: str | None = None
    """The previous suggestion shown."""
    previous_key: str | None = None
    """`rules.prefix_key` of the request the previous suggestion answered."""
    rejected: frozenset[str] = field(default_factory=frozenset)
    """Recently rejected suggestion texts (stripped)."""


@dataclass(frozen=True)
class Situation:
    """The request as the filter sees it."""

    prefix: str
    """The text before the cursor (its last `TAIL_CHARS` are enough)."""
    cursor_offset: int
    """Characters before the cursor in the whole document."""
    suffix_chars: int
    """Characters after the cursor."""
    history: History = field(default_factory=History)


@dataclass(frozen=True)
class Candidate:
    """One suggestion as the filter sees it."""

    text: str
    mean_logprob: float | None = None


def situation_of(cursor: CursorText, history: History) -> Situation:
    """The live request: the completion context plus the filter's own history."""
    prefix = cursor.prefix
    return Situation(prefix[-TAIL_CHARS:], len(prefix), len(cursor.suffix), history)


def situation_from_record(record: Mapping[str, Any], history: History) -> Situation:
    """One coderec decision (`prompt_text`, `pre_display`) as a `Situation`."""
    pre = record.get("pre_display") or {}
    prompt = str(record.get("prompt_text") or "")
    end = int(_number(pre.get("promptEndPos"), len(prompt)))
    length = int(_number(pre.get("documentLength"), end))
    return Situation(prompt[-TAIL_CHARS:], end, max(0, length - end), history)


def candidate_from_record(record: Mapping[str, Any]) -> Candidate:
    """One coderec decision's suggestion (`suggestion_text`, `pre_display.meanLogProb`)."""
    pre = record.get("pre_display") or {}
    logprob = pre.get("meanLogProb")
    return Candidate(
        str(record.get("suggestion_text") or ""),
        None if logprob is None else _number(logprob, LOGPROB_UNKNOWN),
    )


def record_time(record: Mapping[str, Any]) -> float:
    """A coderec decision's time (ISO 8601, UTC when unmarked; or epoch seconds) in seconds.

    Fractions of any length are accepted (Python 3.10's parser wants 3 or 6 digits).
    """
    value = record["time"]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{(rest[:digits] + '000000')[:6]}{rest[digits:]}"
    stamp = datetime.fromisoformat(text)
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)).timestamp()


def _number(value: Any, default: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default


def char_class(char: str) -> str:
    """The class of one character (see `_CLASS_NAMES`); "other" for the rest and for ""."""
    if char.isalnum() or char == "_":
        return "word"
    return next((name for name, chars in _CHAR_CLASSES if char and char in chars), "other")


def is_comment(line: str) -> bool:
    """The line (stripped) starts with a common comment marker."""
    return line.lstrip().startswith(_COMMENT_MARKERS)


def context_features(situation: Situation) -> list[float]:
    """Stage 1: the context alone, in `CONTEXT_NAMES` order."""
    history = situation.history
    gap = history.seconds_since_outcome
    gap = LONG_GAP_S if gap is None else min(max(gap, 0.0), LONG_GAP_S)
    lines = situation.prefix[-TAIL_CHARS:].split("\n")
    line = lines[-1]
    above = next((text for text in reversed(lines[:-1]) if text.strip()), "")
    last = char_class(situation.prefix[-1:])
    return [
        _OUTCOME_SIGN.get(history.previous_outcome or "", 0.0),
        math.log1p(gap),
        float(gap < FAST_GAP_S),
        math.log1p(len(line.strip())),
        float(not line.strip()),
        math.log1p(len(line) - len(line.lstrip(" \t"))),
        math.log1p(len(above.strip())),
        float(above.rstrip().endswith(_OPENERS)),
        float(is_comment(line)),
        math.log1p(situation.cursor_offset),
        math.log1p(situation.suffix_chars),
        *(float(last == name) for name in _CLASS_NAMES),
    ]


def suggestion_features(situation: Situation, candidate: Candidate) -> list[float]:
    """What stage 2 adds: the suggestion itself, in `SUGGESTION_NAMES` order."""
    text = candidate.text
    stripped = text.strip()
    tail = situation.prefix[-TAIL_CHARS:]
    line_prefix = tail.rsplit("\n", 1)[-1]
    rows = [row.strip() for row in (line_prefix + text).split("\n") if row.strip()]
    own = [row.strip() for row in text.split("\n") if row.strip()]
    logprob = candidate.mean_logprob
    usable = logprob is not None and math.isfinite(logprob)
    confidence = max(LOGPROB_FLOOR, min(0.0, logprob)) if logprob is not None and usable else 0.0
    words = _IDENT.findall(text)
    known = set(_IDENT.findall(tail)) if words else set()
    history = situation.history
    return [
        math.log1p(len(stripped)),
        math.log1p(len(own)),
        confidence if usable else LOGPROB_UNKNOWN,
        float(not usable),
        float(not any(c.isalnum() for c in text)),
        float(char_class(tail[-1:]) == "word" and char_class(text[:1]) == "word"),
        float(text.startswith("\n")),
        sum(map(is_comment, rows)) / len(rows) if rows else 0.0,
        sum(1 for row in own if len(row) >= 4 and row in tail) / len(own) if own else 0.0,
        math.log1p(sum(1 for word in words if word not in known)),
        len(set(words)) / len(words) if words else 1.0,
        similarity(stripped, (history.previous_text or "").strip()),
        float(bool(stripped) and stripped in history.rejected),
    ]


def _trigrams(text: str) -> set[str]:
    text = text[:SIMILARITY_CHARS]
    return {text[i : i + 3] for i in range(len(text) - 2)}


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the character trigrams of `a` and `b` (0 when either is short)."""
    left, right = _trigrams(a), _trigrams(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)
