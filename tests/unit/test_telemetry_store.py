"""core.telemetry: the SQLite store, the per-suggestion summary, and `linewright stats`."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

from linewright.core.telemetry import (
    FILE_NAME,
    Counts,
    Event,
    TelemetryStore,
    format_summary,
    load_events,
    summarize,
)


def event(sid: str, outcome: str, language: str = "python", trigger: str = "automatic",
          session: str = "s1", **features: object) -> Event:  # fmt: skip
    return Event(1000.0, session, sid, outcome, language, trigger, features)


def test_events_round_trip_in_order(tmp_path: pathlib.Path) -> None:
    store = TelemetryStore(tmp_path / "deep" / FILE_NAME)
    written = [
        event("lw-1", "shown", node_kind="block", parse_ok=True, mean_logprob=-0.25),
        event("lw-1", "accepted", node_kind="block", parse_ok=None, mean_logprob=None),
        event("lw-2", "rejected", language="c", reason="moved_on", note="ünïcode"),
    ]
    for e in written:
        store.record(e)
    assert list(store.events()) == written
    store.close()
    assert load_events(tmp_path / "deep" / FILE_NAME) == written


def test_missing_store_has_no_events(tmp_path: pathlib.Path) -> None:
    assert load_events(tmp_path / FILE_NAME) == []
    assert not (tmp_path / FILE_NAME).exists()


def test_prune_keeps_the_newest(tmp_path: pathlib.Path) -> None:
    store = TelemetryStore(tmp_path / FILE_NAME, max_events=3)
    for i in range(5):
        store.record(event(f"lw-{i}", "shown"))
    store.prune()
    assert [e.suggestion_id for e in store.events()] == ["lw-2", "lw-3", "lw-4"]


def test_store_prunes_by_itself_while_recording(tmp_path: pathlib.Path) -> None:
    store = TelemetryStore(tmp_path / FILE_NAME, max_events=100)
    for i in range(1000):
        store.record(event(f"lw-{i}", "shown"))
    ids = [e.suggestion_id for e in store.events()]
    assert len(ids) == 100 and ids[-1] == "lw-999"


def test_to_json_is_flat() -> None:
    assert event("lw-3", "accepted", node_kind="call", length=7).to_json() == {
        "time": 1000.0,
        "session": "s1",
        "suggestion_id": "lw-3",
        "outcome": "accepted",
        "language": "python",
        "trigger": "automatic",
        "node_kind": "call",
        "length": 7,
    }


def test_summary_counts_each_suggestion_once_with_its_best_outcome() -> None:
    summary = summarize(
        [
            event("lw-1", "shown"),
            event("lw-1", "partially_accepted"),
            event("lw-1", "accepted"),
            event("lw-2", "shown"),
            event("lw-2", "rejected"),
            event("lw-3", "shown", trigger="invoked"),  # still on screen: not decided
            event("lw-1", "shown", language="c", session="s2"),  # same id, other session
            event("lw-1", "partially_accepted", language="c", session="s2"),
            event("lw-9", "accepted", language="c", trigger="invoked"),  # no show report
        ]
    )
    assert summary.by_language == {
        "python": Counts(shown=3, accepted=1, rejected=1),
        "c": Counts(shown=2, accepted=1, partially_accepted=1),
    }
    assert summary.by_trigger == {
        "automatic": Counts(shown=3, accepted=1, partially_accepted=1, rejected=1),
        "invoked": Counts(shown=2, accepted=1),
    }
    assert summary.total == Counts(shown=5, accepted=2, partially_accepted=1, rejected=1)
    assert summary.total.acceptance_rate == pytest.approx(0.5)
    assert Counts(shown=4).acceptance_rate is None


def test_format_summary_table() -> None:
    summary = summarize(
        [event("a", "accepted"), event("b", "rejected"), event("c", "accepted", language="go")]
    )
    assert format_summary(summary).splitlines() == [
        "                 shown  accepted  partial  rejected    rate",
        "by language",
        "  go                 1         1        0         0  100.0%",
        "  python             2         1        0         1   50.0%",
        "by trigger",
        "  automatic          3         2        0         1   66.7%",
        "all                  3         2        0         1   66.7%",
    ]
    assert format_summary(summarize([event("x", "shown")])).splitlines()[-1].endswith("-")


def run_stats(state: pathlib.Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "linewright", "stats", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "LINEWRIGHT_STATE_DIR": str(state)},
        check=False,
    )


def test_stats_command_prints_rates_and_exports_jsonl(tmp_path: pathlib.Path) -> None:
    state = tmp_path / "state"
    store = TelemetryStore(state / FILE_NAME)
    written = [event("lw-1", "shown"), event("lw-1", "accepted"), event("lw-2", "rejected")]
    for e in written:
        store.record(e)
    store.close()
    export = tmp_path / "events.jsonl"
    result = run_stats(state, "--export", str(export))
    assert result.returncode == 0, result.stderr
    assert "  python             2         1        0         1   50.0%" in result.stdout
    assert [json.loads(line) for line in export.read_text().splitlines()] == [
        e.to_json() for e in written
    ]
    assert "wrote 3 events" in result.stderr
    as_json = json.loads(run_stats(state, "--json").stdout)
    assert as_json["store"] == str(state / FILE_NAME)
    assert as_json["by_language"]["python"]["acceptance_rate"] == 0.5


def test_stats_command_without_a_store(tmp_path: pathlib.Path) -> None:
    result = run_stats(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("No telemetry yet")
