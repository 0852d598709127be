"""The filter in its places: the completion feature's two hooks, telemetry events,
`linewright filter` and its status text."""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass, field

import pytest

from linewright import cli
from linewright.config import CompletionSettings, FilterSettings
from linewright.core.llm.types import (
    BackendInfo,
    Choice,
    CompletionRequest,
    Generation,
)
from linewright.core.telemetry import Event
from linewright.features.completion import CompletionContext, CompletionFeature, Trigger
from linewright.features.filtering import SuggestionFilter, report, store
from linewright.features.filtering.store import FilterState
from tests.support.scripted import CompletionOnly
from tests.unit.filter_support import state_with


@dataclass
class Backend(CompletionOnly):
    texts: list[str]
    requests: list[CompletionRequest] = field(default_factory=list)
    name: str = "scripted"

    async def info(self) -> BackendInfo:
        return BackendInfo(name="scripted", url="scripted://", supports_fim=True)

    async def complete(self, request: CompletionRequest) -> Generation:
        self.requests.append(request)
        return Generation(tuple(Choice(t, tokens=None) for t in self.texts))


def ctx(prefix: str, trigger: Trigger = Trigger.AUTOMATIC) -> CompletionContext:
    return CompletionContext("file:///a.py", 1, "python", prefix, "\n", trigger)


def feature(backend: Backend, state: FilterState, **settings: object) -> CompletionFeature:
    config = FilterSettings(**{"exploration_rate": 0.0, "max_hide_share": 1.0, **settings})  # type: ignore[arg-type]
    gate = SuggestionFilter(lambda: config, None, state=state)
    return CompletionFeature(lambda: backend, CompletionSettings, suggestion_filter=gate)


async def test_stage_one_saves_the_model_call() -> None:
    backend = Backend(["1"])
    out = await feature(backend, state_with(-12.0, 0.0)).suggest(ctx("x = "))
    assert out == [] and backend.requests == []


async def test_stage_two_hides_after_post_processing() -> None:
    backend = Backend(["1"])
    completion = feature(backend, state_with(-1.0, -12.0))
    assert await completion.suggest(ctx("x = ")) == []
    assert len(backend.requests) == 1
    assert completion.shown.follow(ctx("x = ")) is None  # nothing hidden is typed along


async def test_invoked_requests_reach_the_model_and_the_user() -> None:
    backend = Backend(["1"])
    out = await feature(backend, state_with(-12.0, -12.0)).suggest(ctx("x = ", Trigger.INVOKED))
    assert [s.text for s in out] == ["1"] and len(backend.requests) == 1


async def test_a_likely_suggestion_is_shown_and_learned_from() -> None:
    backend = Backend(["1"])
    completion = feature(backend, state_with(-1.0, -1.0))
    out = await completion.suggest(ctx("x = "))
    assert [s.text for s in out] == ["1"]
    gate = completion.suggestion_filter
    assert gate is not None and gate.pending(out[0].id) is not None
    gate.observe_event(Event(0.0, "s", out[0].id, "accepted", "python", "automatic", {}))
    assert gate.state.counters.learned == 1 and gate.state.stage2.bias > -1.0


def test_observe_event_reads_the_partial_length() -> None:
    config = FilterSettings(aggressiveness=0.0)
    gate = SuggestionFilter(lambda: config, None, state=state_with(-1.0, -1.0))
    check = gate.check(ctx("x = "), invoked=False)

    @dataclass(frozen=True)
    class Offered:
        id: str
        text: str
        mean_logprob: float | None = None

    gate.hide(check, [Offered("a", "compute_everything(now)")])
    details = {"accepted_length": 4, "survived_chars": True}  # a bool is not a count
    gate.observe_event(Event(0.0, "s", "a", "partially_accepted", "python", "automatic", details))
    assert gate.history().previous_outcome == "accepted"
    assert gate.state.counters.learned == 1


def test_status_text(tmp_path: pathlib.Path) -> None:
    state = store.load_prior()
    state.counters.requests, state.counters.skipped, state.counters.hidden = 40, 2, 6
    state.counters.explored, state.counters.explored_rejected = 3, 2
    state.counters.explored_accepted, state.counters.learned = 1, 30
    data = report.status(state, FilterSettings(), tmp_path / "model.json")
    assert data["hide_rate"] == 0.2 and data["estimated_precision"] == pytest.approx(0.6667)
    text = report.format_status(data)
    assert "hides below 10.0% predicted acceptance, skips requests below 5.0%" in text
    assert "prior + 30 outcomes learned" in text
    assert "hidden 6 (hide rate 20.0%)" in text
    assert "estimated precision 66.7% (few samples)" in text
    off = report.format_status(report.status(state, FilterSettings(enabled=False), None))
    assert off.startswith("Suggestion filter: off") and "file: -" in off


def test_filter_command_prints_and_resets(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LINEWRIGHT_STATE_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    learned = store.load_prior()
    learned.counters.learned, learned.counters.requests = 12, 50
    store.save(tmp_path / store.FOLDER, learned)
    assert cli.main(["filter", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["learned_outcomes"] == 12
    assert cli.main(["filter", "--reset"]) == 0
    captured = capsys.readouterr()
    assert "forgot what it learned" in captured.err
    assert "prior (nothing learned yet)" in captured.out
    assert store.load(tmp_path / store.FOLDER).token != learned.token


def test_filter_command_reports_an_unwritable_folder(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("")
    monkeypatch.setenv("LINEWRIGHT_STATE_DIR", str(blocker))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["filter", "--reset"]) == 1
    assert "cannot reset the suggestion filter" in capsys.readouterr().err
