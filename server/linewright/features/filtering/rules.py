"""Cheap rules that hide a suggestion outright, before any model is asked.

Each rule is a pure function of the suggestion and the filter's `History`; `first_rule`
names the first that fires. They are meant to be near-certain: whatever needs weighing is
a feature of the model instead (punctuation-only suggestions, ones rejected earlier in
another place, copies of code above).
"""

from __future__ import annotations

import re
from collections import Counter

from linewright.features.filtering.features import Candidate, History

LOOP_LINES = 3
"""A line of code written this many times in one suggestion is a loop."""
LOOP_TOKENS = 12
"""The same word this many times in a row (`self.self.self...`) is a loop."""
_WORD = re.compile(r"\w+")


def empty(candidate: Candidate, history: History, prefix_key: str) -> bool:
    """Nothing but whitespace."""
    return not candidate.text.strip()


def repetitive(candidate: Candidate, history: History, prefix_key: str) -> bool:
    """The model looped: one line of code many times, or one word many times in a row."""
    lines = Counter(line.strip() for line in candidate.text.split("\n"))
    if any(n >= LOOP_LINES and any(c.isalnum() for c in line) for line, n in lines.items()):
        return True
    run, previous = 0, None
    for word in _WORD.findall(candidate.text):
        run = run + 1 if word == previous else 1
        previous = word
        if run >= LOOP_TOKENS:
            return True
    return False


def duplicate(candidate: Candidate, history: History, prefix_key: str) -> bool:
    """The text the user just rejected, offered again with nothing typed since."""
    return (
        history.previous_outcome == "rejected"
        and history.previous_key == prefix_key
        and (history.previous_text or "").strip() == candidate.text.strip()
    )


RULES = (empty, repetitive, duplicate)


def first_rule(candidate: Candidate, history: History, prefix_key: str) -> str | None:
    """The name of the first rule that hides `candidate`, or None.

    `prefix_key` identifies the text before the cursor (see `prefix_key`).
    """
    return next((r.__name__ for r in RULES if r(candidate, history, prefix_key)), None)


def prefix_key(prefix: str) -> str:
    """What identifies "the same place, nothing typed": the prefix's tail, end-stripped."""
    return prefix[-400:].rstrip()[-200:]
