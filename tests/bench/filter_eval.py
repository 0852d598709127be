"""Suggestion filter evaluation on a decision file (coderec format), by users it never saw.

Usage: python tests/bench/filter_eval.py [--data FILE] [--aggressiveness A] [--seed N]
Prints one JSON object. Default data: ../shared/data/coderec-dev/decisions.jsonl.

- `rules`: hiding by fixed rules alone: the completion pipeline's (empty or repetitive,
  `completion.repeats`; its other checks need the document, which the data lacks) and the
  filter's own (`filtering.rules`).
- `static`: leave-one-user-out; each user is scored by a prior built from the other users
  (`build_filter_prior.build`). AUC of stage 1 (context only, moderated) and stage 2; the
  share of rejected suggestions hidden at the lowest-score cut whose precision (share of
  the hidden that were rejected) is >= 0.9 and >= 0.95 (`at_precision_*`, an oracle cut);
  and `policy`: the real `SuggestionFilter` with the shipped settings, not learning.
- `online`: the same filter learning as it goes: each user's decisions replayed in time
  order, outcomes learned only for what was shown (hidden ones give no label, as in use).
  Figures on the second half of each user's decisions, beside the static prior's on the
  same half.
- `decision_ms`: stage 1 + stage 2 of one request (features included), `learn_ms`: one
  outcome learned; p50 and p99 over the online replay, wall-clock. The replay runs
  `--repeats` times (identical decisions, same seed): `p50`/`p99` are over every run,
  `best_of_p50`/`best_of_p99` over each decision's fastest run, which leaves out the time
  other processes took the CPU (on a loaded machine they make the raw tail).
"""

from __future__ import annotations

import argparse
import copy
import json
import pathlib
import random
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from linewright.config import FilterSettings
from linewright.features.completion.repeats import is_repetitive
from linewright.features.filtering import SuggestionFilter
from linewright.features.filtering.features import (
    candidate_from_record,
    record_time,
    situation_from_record,
    suggestion_features,
)
from linewright.features.filtering.offline import Row, by_user, read_records, replay
from linewright.features.filtering.store import FilterState

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from build_filter_prior import DEFAULT_DATA, build

TARGETS = (0.9, 0.95)
TIMINGS = ("decision", "learn")


@dataclass(frozen=True)
class Decision:
    """One replayed decision: truth, scores before its outcome was learned, and fate."""

    accepted: bool
    chars: int
    p1: float
    p2: float
    hidden: bool
    skipped: bool = False
    """Hidden by stage 1, before the model would have been called."""


@dataclass(frozen=True)
class Offered:
    id: str
    text: str
    mean_logprob: float | None


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def auc(scores: Sequence[float], accepted: Sequence[bool]) -> float | None:
    """Area under the ROC curve of `scores` for acceptance (ties count half)."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    positives = sum(accepted)
    negatives = len(accepted) - positives
    if not positives or not negatives:
        return None
    rank_sum = sum(r for r, a in zip(ranks, accepted, strict=True) if a)
    return round((rank_sum - positives * (positives + 1) / 2) / (positives * negatives), 4)


def hidden_figures(hidden: Sequence[bool], rows: Sequence[Decision]) -> dict[str, Any]:
    """What hiding `hidden` costs and saves."""
    rejected = sum(not r.accepted for r in rows)
    chars = sum(r.chars for r in rows if r.accepted)
    hid = [r for r, h in zip(rows, hidden, strict=True) if h]
    hid_rejected = sum(not r.accepted for r in hid)
    return {
        "hidden": len(hid),
        "hidden_rejected": hid_rejected,
        "precision": round(hid_rejected / len(hid), 4) if hid else None,
        "share_of_rejected_hidden": round(hid_rejected / rejected, 4) if rejected else None,
        "share_of_accepted_chars_lost": round(
            sum(r.chars for r in hid if r.accepted) / chars, 4
        ) if chars else None,
    }  # fmt: skip


def at_precision(scores: Sequence[float], rows: Sequence[Decision], target: float) -> dict:
    """Hide the lowest scores, as many as keep precision >= `target` (cuts between ties)."""
    order = sorted(range(len(rows)), key=lambda i: scores[i])
    best, rejected = 0, 0
    for n, i in enumerate(order, 1):
        rejected += not rows[i].accepted
        tie = n < len(order) and scores[order[n]] == scores[i]
        if not tie and rejected / n >= target:
            best = n
    hidden = [False] * len(rows)
    for i in order[:best]:
        hidden[i] = True
    figures = hidden_figures(hidden, rows)
    figures["threshold"] = round(scores[order[best - 1]], 4) if best else None
    return figures


def summary(rows: Sequence[Decision]) -> dict[str, Any]:
    """AUCs, oracle cuts of both stages, and what the policy hid."""
    labels = [r.accepted for r in rows]
    out: dict[str, Any] = {"decisions": len(rows), "accepted": sum(labels)}
    for stage in ("p1", "p2"):
        scores = [getattr(r, stage) for r in rows]
        name = "stage1" if stage == "p1" else "stage2"
        out[name] = {"auc": auc(scores, labels)}
        for target in TARGETS:
            out[name][f"at_precision_{target}"] = at_precision(scores, rows, target)
    out["policy"] = hidden_figures([r.hidden for r in rows], rows)
    out["policy"]["skipped_by_stage1"] = sum(r.skipped for r in rows)
    return out


def run_user(
    records: Sequence[Mapping[str, Any]], state: FilterState, settings: FilterSettings, seed: int,
    timings: dict[str, list[float]],
) -> list[Decision]:  # fmt: skip
    """Replay one user's decisions through a `SuggestionFilter` starting from `state`."""
    clock = Clock()
    live = SuggestionFilter(
        lambda: settings, None, clock=clock, rng=random.Random(seed), state=copy.deepcopy(state)
    )
    out = []
    for index, record in enumerate(records):
        clock.now = record_time(record)
        candidate = candidate_from_record(record)
        offered = Offered(f"s{index}", candidate.text, candidate.mean_logprob)
        start = time.perf_counter()
        check = live.check_situation(situation_from_record(record, live.history()), False)
        shown = [] if check.skip else live.hide(check, [offered])
        timings["decision"].append(time.perf_counter() - start)
        x2 = check.x1 + suggestion_features(check.situation, candidate)
        p2 = live.state.stage2.predict(x2)
        accepted = bool(record["accepted"])
        if shown:
            start = time.perf_counter()
            live.observe(offered.id, "accepted" if accepted else "rejected")
            timings["learn"].append(time.perf_counter() - start)
        chars = len(candidate.text)
        out.append(Decision(accepted, chars, check.p1 or 0.0, p2, not shown, check.skip))
    return out


def rule_figures(rows: Sequence[Row]) -> dict[str, Any]:
    decisions = [Decision(r.accepted, len(r.text), 0.0, 0.0, False) for r in rows]
    pipeline = [
        not r.text.strip() or is_repetitive(r.text, r.prefix.rsplit("\n", 1)[-1], r.prefix)
        for r in rows
    ]
    return {
        "pipeline": hidden_figures(pipeline, decisions),
        "filter_rules": hidden_figures([r.rule is not None for r in rows], decisions),
    }


def one_user(
    records: Sequence[Mapping[str, Any]], rows: Sequence[Row], prior: FilterState,
    settings: FilterSettings, seed: int, runs: list[dict[str, list[float]]],
) -> tuple[list[Decision], list[Decision], list[Decision]]:  # fmt: skip
    """(the prior's scores of the dataset rows with the static policy's fates, the static
    replay, the online replay) of one user; the online replay again for each of `runs`."""
    fresh: dict[str, list[float]] = {k: [] for k in TIMINGS}
    static = run_user(records, prior, replace(settings, learn=False), seed, fresh)
    scored = [
        Decision(r.accepted, len(r.text), prior.stage1.moderated(r.x1),
                 prior.stage2.predict(r.x2), d.hidden, d.skipped)
        for r, d in zip(rows, static, strict=True)
    ]  # fmt: skip
    online = run_user(records, prior, replace(settings, learn=True), seed, fresh)
    for clocks in runs:
        run_user(records, prior, replace(settings, learn=True), seed, clocks)
    return scored, static, online


def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    users = by_user(read_records(args.data))
    if len(users) < 2:
        raise SystemExit(f"{args.data}: leave-users-out needs decisions of 2 users or more")
    rows = {user: replay(user, group) for user, group in users.items()}
    settings = FilterSettings(aggressiveness=args.aggressiveness)
    runs: list[dict[str, list[float]]] = [{k: [] for k in TIMINGS} for _ in range(args.repeats)]
    scored: list[Decision] = []
    halves: dict[str, list[Decision]] = {"static": [], "online": []}
    for n, user in enumerate(sorted(users)):
        others = [r for u, group in rows.items() if u != user for r in group]
        prior = build(others, f"without user {user}", utility=not args.no_utility)
        mine, static, online = one_user(
            users[user], rows[user], prior, settings, args.seed + n, runs
        )
        half = len(users[user]) // 2
        scored += mine
        halves["static"] += static[half:]
        halves["online"] += online[half:]
    every = [r for group in rows.values() for r in group]
    return {
        "data": str(args.data),
        "users": len(users),
        "decisions": len(every),
        "accepted": sum(r.accepted for r in every),
        "settings": {"aggressiveness": args.aggressiveness, "utility": not args.no_utility},
        "rules": rule_figures(every),
        "static": summary(scored),
        "online_second_half": {kind: summary(group) for kind, group in halves.items()},
        "decision_ms": percentiles([run["decision"] for run in runs]),
        "learn_ms": percentiles([run["learn"] for run in runs]),
    }


def percentiles(runs: list[list[float]]) -> dict[str, float]:
    """p50 and p99 in milliseconds over every run, and over each measurement's best run."""
    out: dict[str, float] = {"n": len(runs[0]), "runs": len(runs)}
    every = [s for run in runs for s in run]
    best = [min(times) for times in zip(*runs, strict=True)]
    for name, seconds in (("", every), ("best_of_", best)):
        ms = sorted(s * 1000 for s in seconds)
        cuts = statistics.quantiles(ms, n=100) if len(ms) > 1 else ms * 99
        out |= {f"{name}p50": round(cuts[49], 4), f"{name}p99": round(cuts[98], 4)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA)
    parser.add_argument("--aggressiveness", type=float, default=FilterSettings.aggressiveness)
    parser.add_argument("--seed", type=int, default=0, help="exploration's random seed")
    parser.add_argument("--repeats", type=int, default=3, help="timed replays (at least 1)")
    parser.add_argument("--no-utility", action="store_true", help="prior without utility weights")
    args = parser.parse_args(argv)
    args.repeats = max(1, args.repeats)
    print(json.dumps(evaluate(args), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
