"""Tune the line-anomaly thresholds on a `flag_eval.py --dump` of the dev split.

Usage: python tests/bench/flag_tune.py DUMP.jsonl [--split dev] [--targets 0.05,0.1,0.15]

Recomputes every line's features with the shipped `score.features` (no model call), then
prints one JSON object: for each target share of flagged lines (the search space), the
lowest `minScore` that stays within it and the share of injected bugs it finds, plus the
share of lines and bugs at the shipped defaults. Pick `minScore` from the dev split and
report the test split with `python tests/bench/flag_eval.py --split test`.
"""

from __future__ import annotations

import argparse
import json
import pathlib
from typing import Any

from linewright.config import FlagSettings
from linewright.features.anomalies.regenerate import Observation
from linewright.features.anomalies.score import decide, features
from linewright.features.anomalies.select import SourceLine
from linewright.features.anomalies.window import LineContext


def rebuild(record: dict[str, Any]) -> tuple[LineContext, Observation]:
    """The context and observation of one dumped line."""
    ctx = dict(record["context"])
    ctx["line"] = SourceLine(**ctx["line"])
    obs = {k: tuple(v) if isinstance(v, list) else v for k, v in record["observation"].items()}
    return LineContext(**ctx), Observation(**obs)


def scores(records: list[dict[str, Any]]) -> list[tuple[float, bool, str]]:
    """(score, is the injected bug, version) per judged line."""
    out = []
    for record in records:
        ctx, observation = rebuild(record)
        verdict = decide(features(observation, ctx), FlagSettings(min_score=1.0))
        out.append((verdict.score, record["bug"], record["version"]))
    return out


def at(scored: list[tuple[float, bool, str]], threshold: float) -> dict[str, float]:
    """Shares at one `minScore`."""
    buggy = [(s, bug) for s, bug, version in scored if version == "buggy"]
    fixed = [s for s, _, version in scored if version == "fixed"]
    bugs = [s for s, bug in buggy if bug]
    flagged = [s >= threshold and s > 0 for s, _ in buggy]
    return {
        "min_score": round(threshold, 4),
        "bugs_flagged": round(sum(s >= threshold and s > 0 for s in bugs) / max(len(bugs), 1), 4),
        "lines_flagged": round(sum(flagged) / max(len(buggy), 1), 4),
        "fixed_lines_flagged": round(
            sum(s >= threshold and s > 0 for s in fixed) / max(len(fixed), 1), 4
        ),
    }


def sweep(scored: list[tuple[float, bool, str]], targets: list[float]) -> list[dict[str, float]]:
    """For each target share of flagged lines, the lowest threshold within it."""
    candidates = sorted({s for s, _, v in scored if v == "buggy" and s > 0}, reverse=True)
    out = []
    for target in targets:
        best = None
        for threshold in candidates:
            if at(scored, threshold)["lines_flagged"] > target:
                break
            best = threshold
        if best is not None:
            out.append({"target_lines": target, **at(scored, best)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dump", type=pathlib.Path)
    parser.add_argument("--split", default="dev", choices=["dev", "test", "all"])
    parser.add_argument("--targets", default="0.03,0.05,0.1,0.15,0.2,0.3")
    args = parser.parse_args()
    lines = args.dump.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    records = [r for r in records if args.split in ("all", r["split"])]
    scored = scores(records)
    defaults = FlagSettings()
    report = {
        "split": args.split,
        "bugs": sum(bug for _, bug, _ in scored),
        "sweep": sweep(scored, [float(t) for t in args.targets.split(",")]),
        "defaults": {
            "min_score": at(scored, defaults.min_score),
            "warning_score": at(scored, defaults.warning_score),
        },
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
