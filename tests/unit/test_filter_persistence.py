"""SuggestionFilter's file: saved as it learns, reloaded, reset from elsewhere."""

from __future__ import annotations

import logging
import pathlib

import pytest

from linewright.features.filtering import SAVE_EVERY, store
from tests.unit.filter_support import Cursor, Offered, make, state_with


def test_learned_state_is_saved_and_reloaded(tmp_path: pathlib.Path) -> None:
    filt = make(state_with(-1.0, -1.0), folder=tmp_path, aggressiveness=0.0)
    for i in range(SAVE_EVERY):
        check = filt.check(Cursor(f"x{i} = "), invoked=False)
        filt.hide(check, [Offered(f"s{i}", "1")])
        filt.observe(f"s{i}", "accepted")
    on_disk = store.load(tmp_path)
    assert on_disk.counters.learned == SAVE_EVERY
    assert on_disk.stage2.bias == pytest.approx(filt.state.stage2.bias, abs=1e-5)
    assert make(folder=tmp_path).state.counters.learned == SAVE_EVERY


def test_close_writes_what_is_unsaved(tmp_path: pathlib.Path) -> None:
    filt = make(state_with(-1.0, -1.0), folder=tmp_path, aggressiveness=0.0)
    check = filt.check(Cursor("x = "), invoked=False)
    filt.hide(check, [Offered("a", "1")])
    filt.observe("a", "rejected")
    assert not (tmp_path / store.STATE_FILE).exists()
    filt.close()
    assert store.load(tmp_path).counters.learned == 1


def test_a_reset_elsewhere_is_adopted_not_overwritten(tmp_path: pathlib.Path) -> None:
    filt = make(folder=tmp_path, aggressiveness=0.0)
    filt.state.counters.learned = 5
    filt.save()
    fresh = store.reset(tmp_path)  # `linewright filter --reset` from another process
    filt.save()
    assert filt.state.token == fresh.token and filt.state.counters.learned == 0
    assert store.load(tmp_path).counters.learned == 0


def test_reset_forgets_what_was_learned(tmp_path: pathlib.Path) -> None:
    filt = make(state_with(2.0, 2.0), folder=tmp_path)
    filt.reset()
    assert filt.state.stage2.bias == store.load_prior().stage2.bias
    assert store.load(tmp_path).token == filt.state.token


def test_an_unwritable_folder_is_logged_and_given_up(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    filt = make(folder=blocker / "filter")
    filt.state.counters.learned = 1
    with caplog.at_level(logging.WARNING):
        filt.save()
        filt.save()
    assert caplog.text.count("cannot save") == 1
