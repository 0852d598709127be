"""RateLimiter: one message per key per interval, driven by an injected fake clock."""

from __future__ import annotations

import inspect
import time

import pytest

from linewright.core.ratelimit import RateLimiter


class FakeClock:
    """A clock that only moves when the test says so."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("interval_s", "events", "expected"),
    [
        pytest.param(60.0, [(0.0, "a")], [True], id="first-occurrence-allowed"),
        pytest.param(
            60.0, [(0.0, "a"), (0.0, "a")], [True, False], id="same-instant-repeat-suppressed"
        ),
        pytest.param(
            60.0,
            [(0.0, "a"), (59.999, "a"), (60.0, "a")],
            [True, False, True],
            id="allowed-again-exactly-at-interval",
        ),
        pytest.param(
            60.0,
            [(0.0, "a"), (30.0, "a"), (59.0, "a"), (60.0, "a"), (61.0, "a")],
            [True, False, False, True, False],
            id="suppressed-calls-do-not-extend-window",
        ),
        pytest.param(
            60.0,
            [(0.0, "a"), (1.0, "b"), (2.0, "a"), (3.0, "b"), (60.5, "a"), (60.5, "b")],
            [True, True, False, False, True, False],
            id="keys-are-independent",
        ),
        pytest.param(
            60.0,
            [(0.0, "a"), (100.0, "a"), (130.0, "a"), (160.0, "a")],
            [True, True, False, True],
            id="window-restarts-from-last-allowed",
        ),
        pytest.param(
            0.0, [(0.0, "a"), (0.0, "a"), (0.0, "a")], [True, True, True], id="zero-interval"
        ),
        pytest.param(
            0.5,
            [(0.0, "a"), (0.25, "a"), (0.5, "a"), (0.75, "a")],
            [True, False, True, False],
            id="fractional-interval",
        ),
        pytest.param(
            60.0,
            [(0.0, "warn"), (1.0, "Warn"), (2.0, "warn ")],
            [True, True, True],
            id="keys-compared-exactly",
        ),
    ],
)
def test_allow_sequence(
    interval_s: float, events: list[tuple[float, str]], expected: list[bool]
) -> None:
    clock = FakeClock()
    limiter = RateLimiter(interval_s, clock=clock)
    start = clock.now
    results = []
    for at, key in events:
        clock.now = start + at
        results.append(limiter.allow(key))
    assert results == expected


def test_clock_going_backwards_still_suppresses() -> None:
    # a non-monotonic clock must not let a burst through: a negative delta is < interval
    clock = FakeClock(500.0)
    limiter = RateLimiter(10.0, clock=clock)
    assert limiter.allow("k") is True
    clock.now = 400.0
    assert limiter.allow("k") is False


def test_defaults_are_one_minute_on_the_monotonic_clock() -> None:
    parameters = inspect.signature(RateLimiter).parameters
    assert parameters["clock"].default is time.monotonic
    limiter = RateLimiter()
    assert limiter.interval_s == 60.0
    assert [limiter.allow("x"), limiter.allow("x"), limiter.allow("y")] == [True, False, True]
