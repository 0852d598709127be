"""filtering.store: the shipped prior, the learned state file, reset."""

from __future__ import annotations

import json
import logging
import pathlib

import pytest

from linewright.features.filtering import store
from linewright.features.filtering.features import CONTEXT_NAMES, SUGGESTION_NAMES
from linewright.features.filtering.store import Counters, FilterState

REPO = pathlib.Path(__file__).resolve().parents[2]
DEV_DATA = REPO.parent / "shared" / "data" / "coderec-dev" / "decisions.jsonl"


def test_the_prior_loads_for_this_version_of_the_features() -> None:
    prior = store.load_prior()
    assert prior.stage1.names == CONTEXT_NAMES
    assert prior.stage2.names == CONTEXT_NAMES + SUGGESTION_NAMES
    assert prior.counters == Counters()
    assert "build_filter_prior.py" in prior.source
    assert prior.token != store.load_prior().token  # each fresh state is its own


@pytest.mark.skipif(not DEV_DATA.is_file(), reason="the coderec dev data is not here")
def test_the_prior_is_what_the_documented_command_builds(tmp_path: pathlib.Path) -> None:
    import sys

    sys.path.insert(0, str(REPO / "tests" / "bench"))
    import build_filter_prior

    out = tmp_path / "prior.json"
    assert build_filter_prior.main(["--data", str(DEV_DATA), "--out", str(out)]) == 0
    shipped = (REPO / "server/linewright/features/filtering/prior.json").read_text()
    assert json.loads(out.read_text()) == json.loads(shipped)


def test_missing_state_means_the_prior_and_one_log_line(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="linewright.features.filtering.store"):
        state = store.load(tmp_path)
    assert state.stage2.weights == store.load_prior().stage2.weights
    assert [r.message for r in caplog.records if "prior" in r.message] == [
        f"suggestion filter: no learned model yet ({tmp_path / store.STATE_FILE});"
        " starting from the prior"
    ]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("{not json", id="not-json"),
        pytest.param("[]", id="not-an-object"),
        pytest.param('{"format": "other"}', id="other-format"),
        pytest.param('{"format": "linewright-filter", "version": 99}', id="newer-version"),
        pytest.param('{"format": "linewright-filter", "version": 1}', id="no-models"),
        pytest.param("\udcff", id="not-utf8"),
    ],
)
def test_corrupt_state_means_the_prior_and_a_warning(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture, content: str
) -> None:
    (tmp_path / store.STATE_FILE).write_bytes(content.encode("utf-8", "surrogateescape"))
    with caplog.at_level(logging.INFO, logger="linewright.features.filtering.store"):
        state = store.load(tmp_path)
    assert state.stage1.weights == store.load_prior().stage1.weights
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "starting from the prior" in warnings[0].message


def test_save_then_load_round_trips(tmp_path: pathlib.Path) -> None:
    state = store.load_prior()
    state.stage2.bias = 0.25
    state.counters.requests, state.counters.skipped = 10, 2
    store.save(tmp_path / "filter", state)
    again = store.load(tmp_path / "filter")
    assert again.stage2.bias == 0.25
    assert again.counters == state.counters
    assert again.token == state.token
    assert [p.name for p in (tmp_path / "filter").iterdir()] == [store.STATE_FILE]


def test_the_state_file_holds_no_text(tmp_path: pathlib.Path) -> None:
    store.save(tmp_path, store.load_prior())
    data = json.loads((tmp_path / store.STATE_FILE).read_text())
    assert set(data) == {"format", "version", "source", "token", "stage1", "stage2", "counters"}


def test_reset_writes_the_prior_with_a_new_token(tmp_path: pathlib.Path) -> None:
    learned = store.load_prior()
    learned.stage1.bias = 3.0
    learned.counters.learned = 7
    store.save(tmp_path, learned)
    fresh = store.reset(tmp_path)
    on_disk = store.load(tmp_path)
    assert on_disk.token == fresh.token != learned.token
    assert on_disk.stage1.bias == store.load_prior().stage1.bias
    assert on_disk.counters == Counters()
    assert store.replaced(tmp_path, learned.token) is not None
    assert store.replaced(tmp_path, fresh.token) is None


def test_replaced_ignores_unusable_files(tmp_path: pathlib.Path) -> None:
    assert store.replaced(tmp_path, "mine") is None
    (tmp_path / store.STATE_FILE).write_text('{"format": "linewright-filter", "token": "x"}')
    assert store.replaced(tmp_path, "mine") is None


def test_counters_rates() -> None:
    assert Counters().hide_rate is None and Counters().estimated_precision is None
    counters = Counters(requests=20, skipped=1, hidden=3, explored_rejected=9, explored_accepted=1)
    assert counters.hide_rate == pytest.approx(0.2)
    assert counters.estimated_precision == pytest.approx(0.9)


def test_counters_from_json_keeps_only_valid_counts() -> None:
    counters = Counters.from_json({"requests": 5, "hidden": -1, "skipped": True, "other": 3})
    assert counters == Counters(requests=5)
    assert Counters.from_json(None) == Counters()


def test_state_json_is_versioned() -> None:
    data = FilterState(store.load_prior().stage1, store.load_prior().stage2).to_json()
    assert (data["format"], data["version"]) == (store.FORMAT, store.VERSION)
