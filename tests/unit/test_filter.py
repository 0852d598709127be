"""features.filtering.SuggestionFilter: the cascade's guards, learning, files, and parity
between the offline replay (what the evaluation measures) and the live filter."""

from __future__ import annotations

import json
import logging
import pathlib
from typing import Any

import pytest

from linewright.config import FilterSettings
from linewright.features.filtering import SuggestionFilter, store
from linewright.features.filtering.features import record_time
from linewright.features.filtering.offline import replay
from linewright.features.filtering.store import FilterState
from tests.unit.filter_support import Cursor, Fixed, Offered, make, state_with, warm_up


def hopeless() -> FilterState:
    """Both stages sure of rejection."""
    return state_with(-12.0, -12.0)


def doubtful() -> FilterState:
    """Stage 1 sure of acceptance, stage 2 of rejection."""
    return state_with(8.0, -12.0)


def unsure() -> FilterState:
    """Stage 1 defers, stage 2 is sure of rejection."""
    return state_with(-1.0, -12.0)


def test_invoked_requests_are_never_skipped_nor_hidden() -> None:
    filt = make(hopeless(), aggressiveness=1.0, max_hide_share=1.0)
    check = filt.check(Cursor("x = "), invoked=True)
    assert not check.skip
    assert filt.hide(check, [Offered("a", "1")]) == [Offered("a", "1")]
    assert filt.state.counters.requests == 0


def test_disabled_filter_passes_everything() -> None:
    filt = make(hopeless(), enabled=False, aggressiveness=1.0, max_hide_share=1.0)
    check = filt.check(Cursor("x = "), invoked=False)
    assert (check.skip, filt.hide(check, [Offered("a", "1")])) == (False, [Offered("a", "1")])


def test_stage_one_skips_when_confident() -> None:
    filt = make(hopeless(), max_hide_share=1.0)
    check = filt.check(Cursor("x = "), invoked=False)
    assert check.skip and check.stage1 == "skip"
    assert (filt.state.counters.requests, filt.state.counters.skipped) == (1, 1)


def test_stage_one_skipping_can_be_turned_off() -> None:
    filt = make(hopeless(), max_hide_share=1.0, skip_requests=False)
    check = filt.check(Cursor("x = "), invoked=False)
    assert not check.skip
    assert filt.hide(check, [Offered("a", "1")]) == []
    assert filt.state.counters.hidden == 1


def test_stage_one_confident_of_acceptance_leaves_only_the_rules() -> None:
    filt = make(doubtful(), max_hide_share=1.0)
    check = filt.check(Cursor("x = "), invoked=False)
    assert check.stage1 == "show"
    assert filt.hide(check, [Offered("a", "1")]) == [Offered("a", "1")]
    assert filt.hide(check, [Offered("b", "  ")]) == []  # the empty rule still applies


def test_stage_two_hides_below_the_threshold_only() -> None:
    filt = make(unsure(), max_hide_share=1.0)
    check = filt.check(Cursor("x = "), invoked=False)
    assert check.stage1 == "defer"
    assert filt.hide(check, [Offered("a", "1")]) == []
    keeper = make(unsure(), max_hide_share=1.0, aggressiveness=0.0)
    check = keeper.check(Cursor("x = "), invoked=False)
    assert keeper.hide(check, [Offered("a", "1")]) == [Offered("a", "1")]


def test_some_candidates_may_be_hidden_without_counting_as_a_hidden_request() -> None:
    filt = make(doubtful(), max_hide_share=0.0)
    check = filt.check(Cursor("x = "), invoked=False)
    shown = filt.hide(check, [Offered("a", " "), Offered("b", "1")])
    assert shown == [Offered("b", "1")]
    counters = filt.state.counters
    assert (counters.hidden, counters.hidden_suggestions, counters.suggestions) == (0, 1, 2)


def test_never_more_than_the_max_hide_share() -> None:
    filt = make(hopeless(), max_hide_share=0.3, hide_window=50)
    hidden = 0
    for i in range(200):
        check = filt.check(Cursor(f"v{i} = "), invoked=False)
        hidden += check.skip or not filt.hide(check, [Offered(f"s{i}", "1")])
    assert 0.25 * 200 <= hidden <= 0.3 * 200


def test_exploration_shows_would_be_hidden_and_estimates_precision() -> None:
    filt = make(unsure(), rng=Fixed(0.0), max_hide_share=1.0, exploration_rate=0.1)
    check = filt.check(Cursor("x = "), invoked=False)
    assert filt.hide(check, [Offered("a", "1")]) == [Offered("a", "1")]
    filt.observe("a", "rejected")
    counters = filt.state.counters
    assert (counters.explored, counters.explored_rejected) == (1, 1)
    assert counters.estimated_precision == 1.0


def test_explored_outcomes_count_more_in_learning() -> None:
    plain = make(state_with(-1.0, -2.0), aggressiveness=0.0)
    explored = make(
        state_with(-1.0, -2.0),
        rng=Fixed(0.0),
        aggressiveness=1.0,
        max_hide_share=1.0,
        exploration_rate=0.25,
    )
    for filt in (plain, explored):
        check = filt.check(Cursor("x = "), invoked=False)
        assert filt.hide(check, [Offered("a", "1")])
        filt.observe("a", "accepted")
    assert explored.state.counters.explored == 1 and plain.state.counters.explored == 0
    assert explored.state.stage2.bias > plain.state.stage2.bias > -2.0


def test_outcomes_teach_both_stages() -> None:
    filt = make(state_with(-1.0, -1.0), aggressiveness=0.0)
    check = filt.check(Cursor("total = "), invoked=False)
    filt.hide(check, [Offered("a", "compute(items)")])
    filt.observe("a", "shown")  # not an outcome
    assert filt.state.counters.learned == 0
    filt.observe("a", "accepted")
    assert filt.state.stage1.bias > -1.0 and filt.state.stage2.bias > -1.0
    assert filt.state.counters.learned == 1
    filt.observe("a", "accepted")  # already learned
    assert filt.state.counters.learned == 1


def test_learning_can_be_turned_off_but_history_still_counts() -> None:
    filt = make(state_with(-1.0, -1.0), aggressiveness=0.0, learn=False)
    check = filt.check(Cursor("x = "), invoked=False)
    filt.hide(check, [Offered("a", "1")])
    filt.observe("a", "rejected")
    assert filt.state.stage2.bias == -1.0 and filt.state.counters.learned == 0
    assert filt.history().previous_outcome == "rejected"
    assert "1" in filt.history().rejected


def test_unknown_suggestions_update_the_history_only() -> None:
    filt = make(state_with(-1.0, -1.0))
    filt.observe("never-offered", "partially_accepted", accepted_chars=3)
    assert filt.history().previous_outcome == "accepted"
    assert filt.state.counters.learned == 0


def test_the_same_rejected_suggestion_is_not_offered_again_in_place() -> None:
    filt = make(doubtful(), max_hide_share=1.0)
    warm_up(filt, 3)
    check = filt.check(Cursor("def f():\n    "), invoked=False)
    assert filt.hide(check, [Offered("a", "return 1")])
    filt.observe("a", "rejected")
    again = filt.check(Cursor("def f():\n    "), invoked=False)
    assert filt.hide(again, [Offered("b", "return 1")]) == []
    moved = filt.check(Cursor("def f():\n    r"), invoked=False)
    assert filt.hide(moved, [Offered("c", "return 1")])


def test_internal_errors_never_cost_a_suggestion(caplog: pytest.LogCaptureFixture) -> None:
    broken = store.load_prior()
    broken.stage2.weights = broken.stage2.weights[:3]  # zip(strict=True) fails
    broken.stage1.mean = []
    filt = make(broken, max_hide_share=1.0)
    with caplog.at_level(logging.ERROR):
        check = filt.check(Cursor("x = "), invoked=False)
        assert filt.hide(check, [Offered("a", "1")]) == [Offered("a", "1")]
    assert "stage 1 failed" in caplog.text


def test_stage_two_errors_are_contained(caplog: pytest.LogCaptureFixture) -> None:
    broken = state_with(-1.0, -1.0)
    broken.stage2.weights = broken.stage2.weights[:3]
    filt = make(broken, max_hide_share=1.0)
    check = filt.check(Cursor("x = "), invoked=False)
    with caplog.at_level(logging.ERROR):
        assert filt.hide(check, [Offered("a", "1")]) == [Offered("a", "1")]
    assert "stage 2 failed" in caplog.text


def test_the_offline_replay_computes_what_the_live_filter_does() -> None:
    records: list[dict[str, Any]] = [
        {"user_id": 1, "time": "2022-08-08T16:05:32.5Z", "accepted": True,
         "prompt_text": "import os\nfiles = os.", "suggestion_text": "listdir('.')",
         "pre_display": {"meanLogProb": -0.3, "promptEndPos": 21, "documentLength": 30}},
        {"user_id": 1, "time": "2022-08-08T16:05:40Z", "accepted": False,
         "prompt_text": "import os\nfiles = os.listdir('.')\n", "suggestion_text": "print(x)",
         "pre_display": {"meanLogProb": -1.2, "promptEndPos": 34, "documentLength": 43}},
    ]  # fmt: skip
    rows = replay("1", records)
    now = [0.0]
    config = FilterSettings(aggressiveness=0.0, exploration_rate=0.0)
    live = SuggestionFilter(lambda: config, None, clock=lambda: now[0])
    for index, (record, row) in enumerate(zip(records, rows, strict=True)):
        now[0] = record_time(record)
        suffix = " " * (record["pre_display"]["documentLength"] - len(record["prompt_text"]))
        check = live.check(Cursor(record["prompt_text"], suffix), invoked=False)
        assert check.x1 == row.x1
        logprob = record["pre_display"]["meanLogProb"]
        offered = Offered(str(index), record["suggestion_text"], logprob)
        assert live.hide(check, [offered]) == [offered]
        pending = live.pending(str(index))
        assert pending is not None and pending.x2 == row.x2
        live.observe(str(index), "accepted" if record["accepted"] else "rejected")
    assert rows[1].x1[0] == 1.0  # the second saw the first's acceptance


def test_prior_file_is_plain_json() -> None:
    text = (pathlib.Path(store.__file__).parent / store.PRIOR_FILE).read_text()
    assert json.loads(text)["format"] == store.FORMAT


def test_what_is_shown_anyway_is_never_empty() -> None:
    filt = make(unsure(), rng=Fixed(0.0), max_hide_share=1.0, exploration_rate=0.5)
    check = filt.check(Cursor("x = "), invoked=False)
    shown = filt.hide(check, [Offered("a", "  "), Offered("b", "1")])
    assert shown == [Offered("b", "1")]  # explored: the model's hide is undone, not the rule's
    nothing = make(doubtful(), rng=Fixed(0.0), max_hide_share=0.0)
    check = nothing.check(Cursor("x = "), invoked=False)
    assert nothing.hide(check, [Offered("c", " ")]) == []
