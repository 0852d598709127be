"""Line-anomaly features and the decision rule, on hand-built observations."""

from __future__ import annotations

import dataclasses
import math

import pytest

from linewright.config import FlagSettings
from linewright.core.llm.types import TokenLogprob
from linewright.features.anomalies.regenerate import (
    Observation,
    clean_line,
    comment_start,
    forced_divergence,
    free_divergence,
    mean,
)
from linewright.features.anomalies.score import (
    Features,
    decide,
    eligible,
    features,
    levenshtein,
    lexemes,
    string_mask,
)
from linewright.features.anomalies.select import SourceLine
from linewright.features.anomalies.window import LineContext

LINE = SourceLine(
    number=3, indent="    ", code="total += (v - m) * (v + m)", comment_distance=2, duplicate=False
)


def tok(text: str, logprob: float, *top: tuple[str, float]) -> TokenLogprob:
    return TokenLogprob(text, logprob, tuple(top))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param("", "", 0, id="empty"),
        pytest.param("abc", "", 3, id="delete-all"),
        pytest.param("kitten", "sitting", 3, id="classic"),
        pytest.param("a + b", "a - b", 1, id="operator"),
        pytest.param("ab", "ba", 2, id="swap"),
    ],
)
def test_levenshtein(a: str, b: str, expected: int) -> None:
    assert levenshtein(a, b) == expected == levenshtein(b, a)


def test_lexemes_ignore_spacing() -> None:
    assert (
        lexemes("x+=f(a,b)")
        == lexemes("x += f(a, b)")
        == ["x", "+", "=", "f", "(", "a", ",", "b", ")"]
    )


@pytest.mark.parametrize(
    ("tokens", "end", "expected"),
    [
        pytest.param(
            [tok(" a", -0.1, (" a", -0.1), (" b", -2.0)), tok(" +", -0.2, (" +", -0.2))],
            [("\n", -0.05), ("(", -3.0)],
            None,
            id="model-agrees-and-ends-the-line",
        ),
        pytest.param(
            [tok(" a", -0.1, (" a", -0.1)), tok(" -", -4.0, (" +", -0.3), (" -", -4.0))],
            [("\n", -0.1)],
            (-0.3, -4.0),
            id="first-token-that-is-not-the-first-choice",
        ),
        pytest.param(
            [tok(" a", -0.1, (" a", -0.1))],
            [(" +", -0.2), ("\n    ", -1.5), ("\n", -2.5)],
            (-0.2, -1.5),
            id="model-would-go-on",
        ),
        pytest.param(
            [tok(" a", -0.1, (" a", -0.1))], [(" +", -0.2)], (-0.2, -0.2), id="newline-not-listed"
        ),
        pytest.param([tok(" a", -0.1, (" a", -0.1))], [("", -0.01)], None, id="end-of-text"),
        pytest.param([tok(" a", -0.1, (" a", -0.1))], [], None, id="no-end-step"),
    ],
)
def test_forced_divergence(
    tokens: list[TokenLogprob], end: list[tuple[str, float]], expected: tuple[float, float] | None
) -> None:
    assert forced_divergence(tokens, end) == expected


@pytest.mark.parametrize(
    ("tokens", "target", "expected"),
    [
        pytest.param([tok(" x", -0.1), tok(" =", -0.2)], " x =", None, id="same"),
        pytest.param(
            [tok(" x", -0.1), tok(" +", -0.5, (" +", -0.5), (" -", -1.5), (" -=", -2.5))],
            " x - 1",
            (-0.5, -1.5),
            id="best-matching-alternative",
        ),
        pytest.param(
            [tok(" x", -0.1), tok(" +", -0.5, (" +", -0.5), (" *", -3.0))],
            " x - 1",
            (-0.5, -3.0),
            id="not-listed-gives-the-lowest-listed",
        ),
        pytest.param([tok(" x", -0.1)], " x = 1", None, id="model-stopped-early"),
    ],
)
def test_free_divergence(
    tokens: list[TokenLogprob], target: str, expected: tuple[float, float] | None
) -> None:
    assert free_divergence(tokens, target) == expected


@pytest.mark.parametrize(
    ("text", "marker", "expected"),
    [
        pytest.param(" x = 1  # one", "#", "x = 1", id="python"),
        pytest.param(' s = "# not a comment"', "#", 's = "# not a comment"', id="in-string"),
        pytest.param(" s = 'it\\'s' // c", "//", "s = 'it\\'s'", id="escaped-quote"),
        pytest.param("<|fim_middle|>y = 2\nmore", "#", "y = 2", id="tokens-and-newline"),
        pytest.param(" z = 3 # c", None, "z = 3 # c", id="no-marker"),
    ],
)
def test_clean_line(text: str, marker: str | None, expected: str) -> None:
    assert clean_line(text, marker) == expected


def test_comment_start_without_comment() -> None:
    assert comment_start("abc", "#") == 3


def test_mean_caps_infinities() -> None:
    assert mean([]) is None
    assert mean([-1.0, -3.0]) == -2.0
    assert mean([-math.inf, 0.0]) == -25.0


CTX = LineContext(
    line=LINE,
    prefix="def variance(values, m):\n    total = 0\n    for v in values:\n       ",
    suffix=None,
    target=" total += (v - m) * (v + m)",
    heal=" ",
)
TOKENS = (" total", " +=", " (", "v", " -", " m", ")", " *", " (", "v", " +", " m", ")")


def observation(**changes: object) -> Observation:
    """The model prefers '-' where '+' is written (position 10), and agrees elsewhere."""
    base = Observation(
        alternative="total += (v - m) * (v - m)",
        alternative_logprobs=(-0.1, -0.1, -0.2, -0.1),
        original_tokens=TOKENS,
        original_logprobs=(-0.1,) * 10 + (-5.0, -0.1, -0.1),
        best_logprobs=(-0.1,) * 10 + (-0.2, -0.1, -0.1),
        divergence=(-0.2, -5.0),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_features_of_a_one_token_change() -> None:
    f = features(observation(), CTX)
    assert f.same is False
    assert f.anomaly == pytest.approx(math.exp(-0.2) - math.exp(-5.0))
    assert f.anomaly_token == " +"
    assert f.distance == pytest.approx(1 / len("total + = ( v - m ) * ( v + m )"))
    assert f.similarity == pytest.approx(2 * 13 / 28)  # 13 of 14 lexemes in common
    assert f.confidence == pytest.approx(math.exp(-0.125))
    assert f.original_logprob == pytest.approx((-0.1 * 12 - 5.0) / 13)
    assert (f.comment_distance, f.duplicate) == (2, False)


def test_features_when_the_model_writes_the_same_line() -> None:
    agreeing = observation(
        alternative="total  +=  (v - m)*(v + m)",
        original_logprobs=(-0.1,) * 13,
        best_logprobs=(-0.1,) * 13,
        divergence=None,
    )
    f = features(agreeing, CTX)
    assert f.same and f.distance == 0.0 and f.anomaly == 0.0


def test_without_scoring_the_first_divergence_decides() -> None:
    unscored = observation(original_tokens=None, original_logprobs=None, best_logprobs=None)
    f = features(unscored, CTX)
    assert f.original_logprob is None and f.anomaly_token == ""
    assert f.anomaly == pytest.approx(math.exp(-0.2) - math.exp(-5.0))
    assert features(dataclasses.replace(unscored, divergence=None), CTX).anomaly == 0.0


@pytest.mark.parametrize(
    ("tokens", "context", "expected"),
    [
        pytest.param(
            [" total", " +=", " v"], "total = 0\nfor v in x:", [False, True, True], id="first-token"
        ),
        pytest.param(
            [" x", " =", " frob", "nicate", "(", "x", ")"],
            "x = 1",
            [False, True, False, False, True, True, True],
            id="unknown-name-all-pieces",
        ),
        pytest.param(
            [" y", " =", " len", "(", "x", ")", " if", " not", " x", " else", " None"],
            "x = 1",
            [False, True, True, True, True, True, True, True, True, True, True],
            id="keywords-and-builtins-are-known",
        ),
        pytest.param(
            [" m", " =", ' "', "abc", " def", '"', " +", " s", "[", "0", "]"],
            "s = 1",
            [False, True, False, False, False, False, True, True, True, True, True],
            id="string-literal",
        ),
        pytest.param(
            [" a", " =", " '", "it", "\\'", "s", "'", ";"],
            "a",
            [False, True, False, False, False, False, False, True],
            id="escaped-quote",
        ),
        pytest.param([" n", " =", " 10", "0"], "", [False, True, True, True], id="numbers"),
    ],
)
def test_eligible_tokens(tokens: list[str], context: str, expected: list[bool]) -> None:
    assert eligible(tokens, context) == expected


def test_a_surprise_at_a_new_name_is_no_evidence() -> None:
    # the largest gap is at 'v' (position 3), a name the context never mentions
    ctx = dataclasses.replace(CTX, prefix="def variance(values, m):\n   ")
    obs = observation(
        original_logprobs=(-0.1,) * 3 + (-6.0,) + (-0.1,) * 6 + (-2.0, -0.1, -0.1),
        best_logprobs=(-0.1,) * 3 + (-0.05,) + (-0.1,) * 6 + (-0.5, -0.1, -0.1),
    )
    f = features(obs, ctx)
    assert f.anomaly_token == " +"
    assert f.anomaly == pytest.approx(math.exp(-0.5) - math.exp(-2.0))
    assert features(obs, CTX).anomaly_token == "v"  # known once the context has 'v'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a 'b' c", "0011100"),
        pytest.param('x = "a\\"b"', "0000111111"),
        pytest.param("`t` + u", "1110000"),
        pytest.param("'open", "11111"),
    ],
)
def test_string_mask(text: str, expected: str) -> None:
    assert "".join("1" if m else "0" for m in string_mask(text)) == expected


def feature_set(**changes: object) -> Features:
    return dataclasses.replace(features(observation(), CTX), **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("anomaly", "same", "expected"),
    [
        pytest.param(0.95, False, (0.95, True, "warning"), id="warning"),
        pytest.param(0.62, False, None, id="information-or-not-by-settings"),
        pytest.param(0.01, False, (0.01, False, "information"), id="below"),
        pytest.param(0.0, False, (0.0, False, "information"), id="zero"),
        pytest.param(0.95, True, (0.0, False, "information"), id="same-line"),
    ],
)
def test_decide(anomaly: float, same: bool, expected: tuple[float, bool, str] | None) -> None:
    settings = FlagSettings(min_score=0.5, warning_score=0.9)
    verdict = decide(feature_set(anomaly=anomaly, same=same), settings)
    if expected is None:
        expected = (anomaly, True, "information")
    assert (verdict.score, verdict.flagged, verdict.severity) == expected


def test_decide_follows_the_settings() -> None:
    f = feature_set(anomaly=0.3)
    assert decide(f, FlagSettings(min_score=0.3, warning_score=0.3)).severity == "warning"
    assert not decide(f, FlagSettings(min_score=0.31)).flagged
