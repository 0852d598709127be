"""features.telemetry: what the editor reports becomes events in a real store on disk."""

from __future__ import annotations

import pathlib
import sqlite3
from collections.abc import Callable

import pytest

from linewright.config import TelemetrySettings
from linewright.core.documents import Document
from linewright.core.positions import Position
from linewright.core.telemetry import FILE_NAME, TelemetryStore, load_events
from linewright.features.completion import CompletionContext, Suggestion, Trigger
from linewright.features.completion.context import from_document
from linewright.features.telemetry import SuggestionTelemetry

URI = "file:///t/m.py"
GRACE = 1.5


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Editor:
    """The documents' versions as the server sees them (None: closed)."""

    def __init__(self) -> None:
        self.versions: dict[str, int | None] = {URI: 1}

    def version_of(self, uri: str) -> int | None:
        return self.versions.get(uri)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def editor() -> Editor:
    return Editor()


def make(
    tmp_path: pathlib.Path, clock: Clock, settings: TelemetrySettings | None = None,
    capacity: int = 512, opener: Callable[[int], TelemetryStore] | None = None,
) -> SuggestionTelemetry:  # fmt: skip
    chosen = settings or TelemetrySettings()
    return SuggestionTelemetry(
        lambda: chosen,
        opener or (lambda limit: TelemetryStore(tmp_path / FILE_NAME, limit)),
        clock=clock,
        grace_s=GRACE,
        capacity=capacity,
    )


def ctx(trigger: Trigger = Trigger.AUTOMATIC) -> CompletionContext:
    doc = Document(URI, "python", 1, "def f(x):\n    return x +\n")
    return from_document(doc, Position(1, 14), trigger)


def offer(t: SuggestionTelemetry, *texts: str, trigger: Trigger = Trigger.AUTOMATIC) -> list[str]:
    suggestions = [Suggestion(f"lw-{i}-{text}", text, -0.5) for i, text in enumerate(texts)]
    t.offered(ctx(trigger), suggestions)
    return [s.id for s in suggestions]


def outcomes(tmp_path: pathlib.Path) -> list[tuple[str, str]]:
    return [(e.suggestion_id, e.outcome) for e in load_events(tmp_path / FILE_NAME)]


def test_shown_then_accepted(tmp_path: pathlib.Path, clock: Clock, editor: Editor) -> None:
    t = make(tmp_path, clock)
    (sid,) = offer(t, " 1")
    t.shown(sid, editor.version_of)
    editor.versions[URI] = 2  # the editor inserts the text, then runs the command
    t.sweep(editor.version_of)
    clock.now += 0.2
    t.accepted(sid)
    t.accepted(sid)  # reported twice, counted once
    clock.now += 10
    t.sweep(editor.version_of)
    assert outcomes(tmp_path) == [(sid, "shown"), (sid, "accepted")]
    assert t.waiting == 0


def test_moved_on_is_rejected_only_after_the_grace(
    tmp_path: pathlib.Path, clock: Clock, editor: Editor
) -> None:
    t = make(tmp_path, clock)
    (sid,) = offer(t, " 1")
    t.shown(sid, editor.version_of)
    t.sweep(editor.version_of)
    clock.now += 60  # still on screen, the document did not move: nothing to decide
    t.sweep(editor.version_of)
    editor.versions[URI] = 2
    t.sweep(editor.version_of)  # first sight of the move
    clock.now += GRACE - 0.1
    t.sweep(editor.version_of)
    assert outcomes(tmp_path) == [(sid, "shown")]
    assert t.waiting == 1
    clock.now += 0.2
    t.sweep(editor.version_of)
    events = load_events(tmp_path / FILE_NAME)
    assert [(e.outcome, e.features.get("reason")) for e in events] == [
        ("shown", None),
        ("rejected", "moved_on"),
    ]
    assert events[1].features["seconds_since_offer"] == pytest.approx(60 + GRACE + 0.1)
    assert t.waiting == 0


def test_shown_again_on_the_new_version_keeps_it_alive(
    tmp_path: pathlib.Path, clock: Clock, editor: Editor
) -> None:
    t = make(tmp_path, clock)
    (sid,) = offer(t, " 1")
    t.shown(sid, editor.version_of)
    editor.versions[URI] = 2
    t.sweep(editor.version_of)
    t.shown(sid, editor.version_of)  # the user typed a matching character: still displayed
    clock.now += GRACE + 1
    t.sweep(editor.version_of)
    assert outcomes(tmp_path) == [(sid, "shown")]


def test_closed_document_and_exit_reject_at_once(
    tmp_path: pathlib.Path, clock: Clock, editor: Editor
) -> None:
    t = make(tmp_path, clock)
    closed, open_ = offer(t, " 1", " 2")
    t.shown(closed, editor.version_of)
    editor.versions[URI] = None
    t.sweep(editor.version_of)
    editor.versions[URI] = 5
    t.shown(open_, editor.version_of)
    t.sweep(editor.version_of, final=True)
    events = load_events(tmp_path / FILE_NAME)
    assert [(e.suggestion_id, e.outcome, e.features.get("reason")) for e in events] == [
        (closed, "shown", None),
        (closed, "rejected", "closed"),
        (open_, "shown", None),
        (open_, "rejected", "exit"),
    ]


def test_partial_acceptance_is_not_rejected_and_can_become_full(
    tmp_path: pathlib.Path, clock: Clock, editor: Editor
) -> None:
    t = make(tmp_path, clock)
    (sid,) = offer(t, " x + 1")
    t.shown(sid, editor.version_of)
    t.partially_accepted(sid, 2)
    editor.versions[URI] = 2
    t.sweep(editor.version_of)
    clock.now += GRACE * 3
    t.sweep(editor.version_of)
    t.accepted(sid)
    t.partially_accepted(sid, 4)  # after a full acceptance: ignored
    events = load_events(tmp_path / FILE_NAME)
    assert [(e.outcome, e.features.get("accepted_length")) for e in events] == [
        ("shown", None),
        ("partially_accepted", 2),
        ("accepted", None),
    ]


def test_unshown_and_unknown_suggestions_produce_nothing(
    tmp_path: pathlib.Path, clock: Clock, editor: Editor
) -> None:
    t = make(tmp_path, clock)
    offer(t, " 1")
    editor.versions[URI] = None
    clock.now += 100
    t.sweep(editor.version_of, final=True)
    t.shown("lw-unknown", editor.version_of)
    t.accepted("lw-unknown")
    t.partially_accepted("lw-unknown", 3)
    assert not (tmp_path / FILE_NAME).exists()


def test_accepted_without_a_show_report_is_recorded(
    tmp_path: pathlib.Path, clock: Clock, editor: Editor
) -> None:
    t = make(tmp_path, clock)
    (sid,) = offer(t, " 1", trigger=Trigger.INVOKED)
    t.accepted(sid)
    (event,) = load_events(tmp_path / FILE_NAME)
    assert (event.suggestion_id, event.outcome, event.trigger) == (sid, "accepted", "invoked")
    assert event.language == "python" and event.session == t.session


def test_features_carry_the_previous_outcome_and_the_time_since(
    tmp_path: pathlib.Path, clock: Clock, editor: Editor
) -> None:
    t = make(tmp_path, clock)
    (first,) = offer(t, " 1")
    t.accepted(first)
    clock.now += 4.5
    second, _ = offer(t, " 2", " 3")
    t.accepted(second)
    events = load_events(tmp_path / FILE_NAME)
    assert events[0].features["previous_outcome"] is None
    assert events[0].features["time_since_last_event_s"] is None
    assert events[1].features["previous_outcome"] == "accepted"
    assert events[1].features["time_since_last_event_s"] == 4.5
    assert (events[1].features["rank"], events[1].features["suggestion_count"]) == (0, 2)
    assert events[1].features["node_kind"] == "ERROR" and events[1].features["length"] == 2


def test_code_only_with_the_opt_in(tmp_path: pathlib.Path, clock: Clock, editor: Editor) -> None:
    plain = make(tmp_path / "plain", clock)
    (sid,) = offer(plain, " 1")
    plain.accepted(sid)
    coded = make(tmp_path / "coded", clock, TelemetrySettings(include_code=True))
    (sid,) = offer(coded, " 1")
    coded.accepted(sid)
    (without,) = load_events(tmp_path / "plain" / FILE_NAME)
    (with_code,) = load_events(tmp_path / "coded" / FILE_NAME)
    assert set(with_code.features) - set(without.features) == {"prefix", "suffix", "text"}
    assert with_code.features["text"] == " 1"
    assert "def f(x)" not in repr(without.to_json())


def test_disabled_records_nothing(tmp_path: pathlib.Path, clock: Clock, editor: Editor) -> None:
    t = make(tmp_path, clock, TelemetrySettings(enabled=False))
    (sid,) = offer(t, " 1")
    t.shown(sid, editor.version_of)
    t.accepted(sid)
    assert not t.enabled and t.waiting == 0
    assert not (tmp_path / FILE_NAME).exists()


def test_the_map_is_bounded_and_evicted_shown_items_are_rejected(
    tmp_path: pathlib.Path, clock: Clock, editor: Editor
) -> None:
    t = make(tmp_path, clock, capacity=3)
    (oldest,) = offer(t, " 0")
    t.shown(oldest, editor.version_of)
    later = offer(t, " 1", " 2", " 3")
    t.accepted(oldest)  # forgotten: too late to count
    assert outcomes(tmp_path) == [(oldest, "shown"), (oldest, "rejected")]
    t.accepted(later[0])
    assert outcomes(tmp_path)[-1] == (later[0], "accepted")


def test_a_broken_store_turns_telemetry_off(
    tmp_path: pathlib.Path, clock: Clock, editor: Editor
) -> None:
    def refuse(limit: int) -> TelemetryStore:
        raise sqlite3.OperationalError("unable to open database file")

    t = make(tmp_path, clock, opener=refuse)
    (sid,) = offer(t, " 1")
    t.accepted(sid)  # no exception reaches the editor
    assert not t.enabled
    offer(t, " 2")
    assert t.waiting == 0


def test_typing_along_keeps_the_suggestion_alive_with_its_first_features(
    tmp_path: pathlib.Path, clock: Clock, editor: Editor
) -> None:
    t = make(tmp_path, clock)
    (sid,) = offer(t, " x + 1")
    t.shown(sid, editor.version_of)
    editor.versions[URI] = 2  # the user typed " x" by hand...
    t.sweep(editor.version_of)
    doc = Document(URI, "python", 2, "def f(x):\n    return x + x\n")
    t.offered(from_document(doc, Position(1, 16), Trigger.AUTOMATIC), [Suggestion(sid, " + 1")])
    clock.now += GRACE * 2  # ...and the rest stays on screen: not rejected
    t.sweep(editor.version_of)
    t.accepted(sid)
    events = load_events(tmp_path / FILE_NAME)
    assert [e.outcome for e in events] == ["shown", "accepted"]
    assert events[1].features["typed_along"] == 2
    assert events[1].features["column"] == 14 and events[1].features["length"] == 6


def test_listeners_get_every_event_and_cannot_break_recording(
    tmp_path: pathlib.Path, clock: Clock, editor: Editor
) -> None:
    t = make(tmp_path, clock)
    heard: list[tuple[str, str]] = []

    def broken(event: object) -> None:
        raise RuntimeError("listener bug")

    t.add_listener(broken)
    t.add_listener(lambda e: heard.append((e.outcome, e.features.get("accepted_length"))))
    (sid,) = offer(t, " x + 1")
    t.shown(sid, editor.version_of)
    t.partially_accepted(sid, 2)
    t.accepted(sid)
    assert heard == [("shown", None), ("partially_accepted", 2), ("accepted", None)]
    assert [o for _, o in outcomes(tmp_path)] == ["shown", "partially_accepted", "accepted"]
