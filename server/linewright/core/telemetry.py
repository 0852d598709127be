"""The local telemetry store: suggestion events in SQLite, their export and their summary.

One row per event (`shown`, `accepted`, `partially_accepted`, `rejected`) of one suggestion.
A suggestion is named by `(session, suggestion_id)`: ids restart with each server process,
the session (a random token per server) keeps them apart. Each row repeats the features
known when the suggestion was requested, so a row alone is a training example for the
suggestion filter. The file lives in the user state folder and is never sent anywhere;
code is stored only when the user opted in (`telemetry.includeCode`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linewright.core import paths

FILE_NAME = "telemetry.sqlite3"
OUTCOMES = ("shown", "accepted", "partially_accepted", "rejected")
_RANK = {"shown": 0, "rejected": 1, "partially_accepted": 2, "accepted": 3}
_PRUNE_EVERY = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time REAL NOT NULL,
    session TEXT NOT NULL,
    suggestion_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    language TEXT NOT NULL,
    trigger TEXT NOT NULL,
    features TEXT NOT NULL
)
"""


def default_path() -> Path:
    """Where the server and `linewright stats` keep the events."""
    return paths.state_dir() / FILE_NAME


@dataclass(frozen=True)
class Event:
    """One thing that happened to one suggestion, with the request-time features."""

    time: float
    """Unix time of the event."""
    session: str
    suggestion_id: str
    outcome: str
    """One of `OUTCOMES`."""
    language: str
    trigger: str
    """How the request was triggered: "automatic" (typing) or "invoked"."""
    features: Mapping[str, Any] = field(default_factory=dict)
    """JSON scalars: request-time and suggestion features, plus outcome details."""

    def to_json(self) -> dict[str, Any]:
        """The event as one flat JSON object (what `linewright stats --export` writes)."""
        return {
            "time": self.time,
            "session": self.session,
            "suggestion_id": self.suggestion_id,
            "outcome": self.outcome,
            "language": self.language,
            "trigger": self.trigger,
            **self.features,
        }


class TelemetryStore:
    """Append-only SQLite file of events, pruned to the newest `max_events`."""

    def __init__(self, path: Path, max_events: int = 100_000) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.max_events = max_events
        self._db = sqlite3.connect(path, timeout=5.0, isolation_level=None)
        # WAL + NORMAL: a commit is a write, not an fsync; the CLI can read while we write
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)
        self._written = 0

    def record(self, event: Event) -> None:
        """Append `event` (and now and then drop the oldest rows beyond `max_events`)."""
        self._db.execute(
            "INSERT INTO events (time, session, suggestion_id, outcome, language, trigger,"
            " features) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                event.time,
                event.session,
                event.suggestion_id,
                event.outcome,
                event.language,
                event.trigger,
                json.dumps(dict(event.features), ensure_ascii=False),
            ),
        )
        self._written += 1
        if self._written % _PRUNE_EVERY == 0:
            self.prune()

    def prune(self) -> None:
        """Keep only the newest `max_events` rows."""
        self._db.execute(
            "DELETE FROM events WHERE seq <= (SELECT MAX(seq) FROM events) - ?",
            (self.max_events,),
        )

    def events(self) -> Iterator[Event]:
        """Every stored event, oldest first."""
        rows = self._db.execute(
            "SELECT time, session, suggestion_id, outcome, language, trigger, features"
            " FROM events ORDER BY seq"
        )
        for time, session, sid, outcome, language, trigger, features in rows:
            yield Event(time, session, sid, outcome, language, trigger, json.loads(features))

    def close(self) -> None:
        """Close the file."""
        self._db.close()


@dataclass
class Counts:
    """Final outcomes of the suggestions in one group."""

    shown: int = 0
    accepted: int = 0
    partially_accepted: int = 0
    rejected: int = 0

    @property
    def decided(self) -> int:
        """Suggestions whose fate is known (shown but still pending ones are not)."""
        return self.accepted + self.partially_accepted + self.rejected

    @property
    def acceptance_rate(self) -> float | None:
        """Accepted (fully) out of decided; None when nothing was decided."""
        return self.accepted / self.decided if self.decided else None

    def add(self, outcome: str) -> None:
        self.shown += 1
        if outcome != "shown":
            setattr(self, outcome, getattr(self, outcome) + 1)


@dataclass
class Summary:
    """Acceptance per language and per trigger kind."""

    total: Counts = field(default_factory=Counts)
    by_language: dict[str, Counts] = field(default_factory=dict)
    by_trigger: dict[str, Counts] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        def one(c: Counts) -> dict[str, Any]:
            return {**vars(c), "acceptance_rate": c.acceptance_rate}

        return {
            "total": one(self.total),
            "by_language": {k: one(v) for k, v in sorted(self.by_language.items())},
            "by_trigger": {k: one(v) for k, v in sorted(self.by_trigger.items())},
        }


def summarize(events: Iterable[Event]) -> Summary:
    """Each suggestion counts once, with its best outcome (accepted > partial > rejected)."""
    final: dict[tuple[str, str], Event] = {}
    for event in events:
        key = (event.session, event.suggestion_id)
        best = final.get(key)
        if best is None or _RANK.get(event.outcome, 0) > _RANK.get(best.outcome, 0):
            final[key] = event
    summary = Summary()
    for event in final.values():
        summary.total.add(event.outcome)
        summary.by_language.setdefault(event.language, Counts()).add(event.outcome)
        summary.by_trigger.setdefault(event.trigger, Counts()).add(event.outcome)
    return summary


def format_summary(summary: Summary) -> str:
    """A plain-text table of `summary` (what `linewright stats` prints)."""
    header = f"{'':<14}{'shown':>8}{'accepted':>10}{'partial':>9}{'rejected':>10}{'rate':>8}"
    lines = [header]
    sections = (("language", summary.by_language), ("trigger", summary.by_trigger))
    for title, groups in sections:
        lines.append(f"by {title}")
        for name, counts in sorted(groups.items()):
            lines.append(_row(f"  {name}", counts))
    lines.append(_row("all", summary.total))
    return "\n".join(lines)


def _row(name: str, c: Counts) -> str:
    rate = "-" if c.acceptance_rate is None else f"{100 * c.acceptance_rate:.1f}%"
    return (
        f"{name:<14}{c.shown:>8}{c.accepted:>10}{c.partially_accepted:>9}{c.rejected:>10}{rate:>8}"
    )


def load_events(path: Path) -> list[Event]:
    """Every event in the store at `path`; [] when there is none yet."""
    if not path.is_file():
        return []
    store = TelemetryStore(path)
    try:
        return list(store.events())
    finally:
        store.close()
