"""Decision files in the coderec format, replayed into the filter's training rows.

One JSON object per line: `user_id`, `time` (ISO), `accepted`, `prompt_text`,
`suggestion_text`, `pre_display` (`meanLogProb`, `promptEndPos`, `documentLength`, ...).
Each user's decisions are replayed in time order through the same `Recent` history the live
filter keeps, then through the same feature functions (see features.py): the rows are
exactly what the filter would have computed had it been in the loop.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linewright.features.filtering.features import (
    candidate_from_record,
    context_features,
    record_time,
    situation_from_record,
    suggestion_features,
)
from linewright.features.filtering.history import Recent
from linewright.features.filtering.rules import first_rule, prefix_key

REQUIRED = ("user_id", "time", "accepted", "prompt_text", "suggestion_text")


@dataclass(frozen=True)
class Row:
    """One decision as the filter sees it."""

    user: str
    time: float
    accepted: bool
    x1: list[float]
    x2: list[float]
    rule: str | None
    """The rule that would hide it outright (rules.py), if any."""
    text: str
    prefix: str
    """The prompt's tail (for rule sets that read the text before the cursor)."""


def read_records(path: Path) -> list[dict[str, Any]]:
    """The decisions in a JSONL file; ValueError naming the line of a malformed one."""
    records = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON: {exc}") from None
            missing = [k for k in REQUIRED if not isinstance(record, dict) or k not in record]
            if missing:
                raise ValueError(f"{path}:{number}: missing {', '.join(missing)}")
            records.append(record)
    return records


def by_user(records: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Records grouped by `user_id`, each group in time order (stable for equal times)."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for record in records:
        groups.setdefault(str(record["user_id"]), []).append(record)
    return {user: sorted(group, key=record_time) for user, group in groups.items()}


def replay(user: str, records: Iterable[Mapping[str, Any]]) -> list[Row]:
    """One user's decisions, in order, with the history each one was made in."""
    recent = Recent()
    rows = []
    for record in records:
        at = record_time(record)
        situation = situation_from_record(record, recent.history(at))
        candidate = candidate_from_record(record)
        key = prefix_key(situation.prefix)
        x1 = context_features(situation)
        x2 = x1 + suggestion_features(situation, candidate)
        rule = first_rule(candidate, situation.history, key)
        accepted = bool(record["accepted"])
        rows.append(Row(user, at, accepted, x1, x2, rule, candidate.text, situation.prefix))
        recent.shown(candidate.text, key)
        recent.outcome(accepted, at, candidate.text)
    return rows


def rows_by_user(path: Path) -> dict[str, list[Row]]:
    """Every user's replayed rows from the decision file at `path`."""
    return {user: replay(user, group) for user, group in by_user(read_records(path)).items()}
