"""filtering.features: one feature function for the live path and the coderec records."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from linewright.features.filtering.features import (
    CONTEXT_NAMES,
    LOGPROB_UNKNOWN,
    LONG_GAP_S,
    SUGGESTION_NAMES,
    Candidate,
    History,
    Situation,
    candidate_from_record,
    char_class,
    context_features,
    record_time,
    similarity,
    situation_from_record,
    situation_of,
    suggestion_features,
)


@dataclass(frozen=True)
class Cursor:
    prefix: str
    suffix: str


def ctx_named(situation: Situation) -> dict[str, float]:
    return dict(zip(CONTEXT_NAMES, context_features(situation), strict=True))


def sugg_named(situation: Situation, candidate: Candidate) -> dict[str, float]:
    return dict(zip(SUGGESTION_NAMES, suggestion_features(situation, candidate), strict=True))


def test_a_record_and_the_live_cursor_give_the_same_features() -> None:
    prompt = "import os\n\ndef walk(root):\n    for name in os.listdir(root):\n        "
    record = {
        "prompt_text": prompt,
        "suggestion_text": "print(name)",
        "pre_display": {"promptEndPos": len(prompt), "documentLength": len(prompt) + 7,
                        "meanLogProb": -0.4},
    }  # fmt: skip
    history = History("rejected", 3.5, "print(root)", "key", frozenset({"x = 1"}))
    live = situation_of(Cursor(prompt, "\nwalk()"), history)
    offline = situation_from_record(record, history)
    assert live == offline
    candidate = Candidate("print(name)", -0.4)
    assert candidate_from_record(record) == candidate
    assert context_features(live) + suggestion_features(live, candidate) == context_features(
        offline
    ) + suggestion_features(offline, candidate_from_record(record))


def test_long_prefixes_are_read_from_their_tail_but_the_offset_is_whole() -> None:
    situation = situation_of(Cursor("x" * 10_000 + "\nabc", ""), History())
    assert situation.cursor_offset == 10_004
    assert situation.prefix.endswith("\nabc") and len(situation.prefix) < 10_000


def test_record_without_measurements_falls_back_to_the_prompt() -> None:
    situation = situation_from_record({"prompt_text": "ab", "pre_display": None}, History())
    assert (situation.cursor_offset, situation.suffix_chars) == (2, 0)
    assert candidate_from_record({"suggestion_text": "c", "pre_display": {}}).mean_logprob is None


@pytest.mark.parametrize(
    ("char", "expected"),
    [
        pytest.param("a", "word", id="letter"),
        pytest.param("_", "word", id="underscore"),
        pytest.param("7", "word", id="digit"),
        pytest.param("\n", "newline", id="newline"),
        pytest.param("\t", "space", id="tab"),
        pytest.param("(", "open", id="open"),
        pytest.param("]", "close", id="close"),
        pytest.param(".", "dot", id="dot"),
        pytest.param("=", "operator", id="operator"),
        pytest.param(",", "separator", id="comma"),
        pytest.param("'", "quote", id="quote"),
        pytest.param("$", "other", id="other"),
        pytest.param("", "other", id="empty"),
    ],
)
def test_char_class(char: str, expected: str) -> None:
    assert char_class(char) == expected


@pytest.mark.parametrize(
    ("outcome", "sign"),
    [("accepted", 1.0), ("rejected", -1.0), (None, 0.0)],
)
def test_previous_outcome_is_signed(outcome: str | None, sign: float) -> None:
    named = ctx_named(Situation("x = ", 4, 0, History(outcome, 2.0)))
    assert named["prev_outcome"] == sign


def test_gap_features() -> None:
    fast = ctx_named(Situation("x", 1, 0, History("accepted", 0.4)))
    assert fast["fast_gap"] == 1.0 and fast["log_gap"] == pytest.approx(math.log1p(0.4))
    unknown = ctx_named(Situation("x", 1, 0, History()))
    assert unknown["fast_gap"] == 0.0 and unknown["log_gap"] == pytest.approx(
        math.log1p(LONG_GAP_S)
    )
    huge = ctx_named(Situation("x", 1, 0, History("rejected", 1e9)))
    assert huge["log_gap"] == unknown["log_gap"]


def test_line_features() -> None:
    named = ctx_named(Situation("def f(a):\n    # total of a\n    ", 30, 12, History()))
    assert named["line_blank"] == 1.0
    assert named["indent"] == pytest.approx(math.log1p(4))
    assert named["prev_line_chars"] == pytest.approx(math.log1p(len("# total of a")))
    assert named["prev_line_opens"] == 0.0
    assert named["last_space"] == 1.0 and named["last_word"] == 0.0
    assert named["log_suffix"] == pytest.approx(math.log1p(12))
    comment = ctx_named(Situation("x = 1\n  // note: ", 20, 0, History()))
    assert comment["in_comment"] == 1.0 and comment["line_blank"] == 0.0
    opened = ctx_named(Situation("if x:\n", 6, 0, History()))
    assert opened["prev_line_opens"] == 1.0 and opened["last_newline"] == 1.0


@pytest.mark.parametrize(
    ("logprob", "value", "missing"),
    [
        pytest.param(-0.25, -0.25, 0.0, id="known"),
        pytest.param(0.0, 0.0, 0.0, id="certain"),
        pytest.param(-50.0, -6.0, 0.0, id="floored"),
        pytest.param(None, LOGPROB_UNKNOWN, 1.0, id="none"),
        pytest.param(float("nan"), LOGPROB_UNKNOWN, 1.0, id="nan"),
        pytest.param(float("-inf"), LOGPROB_UNKNOWN, 1.0, id="minus-inf"),
    ],
)
def test_mean_logprob(logprob: float | None, value: float, missing: float) -> None:
    named = sugg_named(Situation("x = ", 4, 0), Candidate("1", logprob))
    assert (named["mean_logprob"], named["logprob_missing"]) == (value, missing)


def test_suggestion_shape_features() -> None:
    situation = Situation("total = compute_total(items)\nresult = compute_", 40, 0)
    named = sugg_named(situation, Candidate("total(items)\nprint(unknown_name)"))
    assert named["text_lines"] == pytest.approx(math.log1p(2))
    assert named["continues_word"] == 1.0
    # `print` and `unknown_name` do not occur above; `total` and `items` do
    assert named["ungrounded"] == pytest.approx(math.log1p(2))
    assert named["no_word"] == 0.0
    punctuation = sugg_named(situation, Candidate(");"))
    assert punctuation["no_word"] == 1.0 and punctuation["distinct_tokens"] == 1.0


def test_copies_comments_and_newlines() -> None:
    situation = Situation("    value = load(path)\n    # check\n", 40, 0)
    copied = sugg_named(situation, Candidate("value = load(path)\n"))
    assert copied["copied"] == 1.0
    assert copied["comment_text"] == 0.0
    comment = sugg_named(situation, Candidate("    # then save it"))
    assert comment["comment_text"] == 1.0 and comment["copied"] == 0.0
    assert sugg_named(situation, Candidate("\n    save()"))["starts_newline"] == 1.0


def test_history_features_of_a_suggestion() -> None:
    history = History("rejected", 1.0, "print(total)", None, frozenset({"print(total)"}))
    named = sugg_named(Situation("x\n", 2, 0, history), Candidate("print(total)  "))
    assert named["similar_previous"] == 1.0
    assert named["rejected_before"] == 1.0
    fresh = sugg_named(Situation("x\n", 2, 0, history), Candidate("return None"))
    assert fresh["rejected_before"] == 0.0 and fresh["similar_previous"] == 0.0


def test_similarity() -> None:
    assert similarity("abcdef", "abcdef") == 1.0
    assert similarity("ab", "ab") == 0.0  # too short for a trigram
    assert 0.0 < similarity("print(total)", "print(totals)") < 1.0


def test_vectors_match_their_names() -> None:
    situation = Situation("a = 1\n", 6, 3, History("accepted", 5.0, "b = 2"))
    assert len(context_features(situation)) == len(CONTEXT_NAMES)
    assert len(suggestion_features(situation, Candidate("b = 2"))) == len(SUGGESTION_NAMES)
    assert len(set(CONTEXT_NAMES + SUGGESTION_NAMES)) == len(CONTEXT_NAMES + SUGGESTION_NAMES)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        pytest.param("2022-08-11T18:13:53.1Z", 1660241633.1, id="one-digit-fraction"),
        pytest.param("2022-08-11T18:13:53.123456789Z", 1660241633.123456, id="nanoseconds"),
        pytest.param("2022-08-11T18:13:53Z", 1660241633.0, id="no-fraction"),
        pytest.param("2022-08-11T18:13:53", 1660241633.0, id="unmarked-is-utc"),
        pytest.param("2022-08-11T20:13:53.5+02:00", 1660241633.5, id="offset"),
        pytest.param(1660241633.25, 1660241633.25, id="epoch"),
    ],
)
def test_record_time(value: object, seconds: float) -> None:
    assert record_time({"time": value}) == pytest.approx(seconds)
