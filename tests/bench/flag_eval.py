"""FLAG figures on the injected-bug corpus with the default embedded model.

Usage:
  python tests/bench/flag_eval.py [--split test|dev|all] [--python N] [--c N] [--seed S]
                                  [--cache DIR] [--dump FILE] [--min-score S]

Builds the corpus (`flag_corpus`: functions of the stdlib's pure-Python modules and of
`flag_c/*.c`, one injected single-line bug each; by default 160 Python and 41 C functions
drawn, about half of them in each split), scans the function of every buggy sample and of
its fixed version with `AnomalyFeature` (the code path of `linewright flag` and of the
diagnostics) on `App(Settings())`'s backend (the embedded SmolLM2-135M), and prints one
JSON object: share of injected bugs flagged, share of judged lines flagged (the search
space), flags on the fixed versions, and time per line (lines computed in this run only;
cached lines cost nothing), per language, split and mutation operator. Thresholds are tuned
on the dev split (`flag_tune`); the figures to quote are the test split's. `--dump` writes
every judged line with its features (JSON lines) for `flag_tune`. The line cache defaults to
`<cache dir>/flag-bench` (see `linewright doctor`), so a rerun with other thresholds asks the
model nothing; point `--cache` at an empty folder to time a cold run.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import pathlib
import sys
import time
from collections import defaultdict
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # `python tests/bench/flag_eval.py` as well as `-m`

from linewright.app import App  # noqa: E402
from linewright.config import Settings  # noqa: E402
from linewright.core import paths  # noqa: E402
from linewright.core.documents import Document  # noqa: E402
from linewright.features.anomalies import AnomalyFeature, ScanResult, Snapshot  # noqa: E402
from linewright.features.anomalies.regenerate import Observation  # noqa: E402
from linewright.features.anomalies.score import features  # noqa: E402
from linewright.features.anomalies.store import LineCache  # noqa: E402
from tests.bench.flag_corpus import Sample, build  # noqa: E402


class CountingCache(LineCache):
    """A line cache that counts the lines computed (stored) during this run."""

    computed = 0

    def set(self, key: str, observation: Observation) -> None:
        """Store and count."""
        self.computed += 1
        super().set(key, observation)


def function_lines(sample: Sample) -> range:
    """The rows of the sample's function (the prelude of imports is context only)."""
    return range(sample.start, sample.fixed.count("\n") + 1)


async def scan_text(feature: AnomalyFeature, sample: Sample, text: str) -> ScanResult:
    """One version of a sample, scanned as a file on disk would be."""
    uri = f"file:///corpus/{sample.id.replace(':', '_')}{sample.suffix}"
    doc = Document(uri, sample.language, 1, text)
    return await feature.scan(Snapshot.of(doc), lines=function_lines(sample))


def line_records(sample: Sample, version: str, result: ScanResult) -> list[dict[str, Any]]:
    """Every judged line of one scan, with its features (the tuning input)."""
    flagged = {flag.line for flag in result.flags}
    out = []
    for ctx, observation in result.observed:
        out.append(
            {
                "sample": sample.id,
                "language": sample.language,
                "split": sample.split,
                "operator": sample.operator,
                "version": version,
                "line": ctx.line.number,
                "bug": version == "buggy" and ctx.line.number == sample.line,
                "at_bug_line": ctx.line.number == sample.line,
                "flagged": ctx.line.number in flagged,
                "code": ctx.line.code,
                "context": dataclasses.asdict(ctx),
                "features": dataclasses.asdict(features(observation, ctx)),
                "observation": dataclasses.asdict(observation),
            }
        )
    return out


def write_dump(path: pathlib.Path, records: list[dict[str, Any]]) -> None:
    """Every judged line as one JSON object per line."""
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The four figures for one group of judged lines."""
    buggy = [r for r in records if r["version"] == "buggy"]
    fixed = [r for r in records if r["version"] == "fixed"]
    bugs = [r for r in buggy if r["bug"]]
    samples = {r["sample"] for r in records}
    return {
        "samples": len(samples),
        "bugs_flagged": _share(sum(r["flagged"] for r in bugs), len(bugs)),
        "lines_flagged": _share(sum(r["flagged"] for r in buggy), len(buggy)),
        "fixed_lines_flagged": _share(sum(r["flagged"] for r in fixed), len(fixed)),
        "fixed_bug_line_flagged": _share(
            sum(r["flagged"] for r in fixed if r["at_bug_line"]), len(bugs)
        ),
        "fixed_flags_per_file": _share(sum(r["flagged"] for r in fixed), len(samples)),
        "judged_lines": len(buggy),
    }


def _share(part: float, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def grouped(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Figures overall, per split, per language and per mutation operator."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        for key in ("all", f"split:{r['split']}", f"language:{r['language']}"):
            groups[key].append(r)
        groups[f"operator:{r['operator']}"].append(r)
    return {key: summary(rows) for key, rows in sorted(groups.items())}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Scan every sample (buggy, then fixed) and summarise."""
    samples = [s for s in build(args.python, args.c, args.seed) if args.split in ("all", s.split)]
    settings = Settings()
    if args.min_score is not None:
        flag = dataclasses.replace(settings.flag, min_score=args.min_score)
        settings = dataclasses.replace(settings, flag=flag)
    runtime = App(settings)
    cache = CountingCache(pathlib.Path(args.cache))
    feature = AnomalyFeature(runtime.backend, lambda: settings.flag, cache)
    records: list[dict[str, Any]] = []
    seconds = 0.0
    try:
        await runtime.backend().info()  # model start-up is not part of the time per line
        for number, sample in enumerate(samples, 1):
            for version, text in (("buggy", sample.buggy), ("fixed", sample.fixed)):
                start = time.perf_counter()
                result = await scan_text(feature, sample, text)
                seconds += time.perf_counter() - start
                if result.error:
                    raise SystemExit(f"backend failed on {sample.id}: {result.error}")
                records += line_records(sample, version, result)
            print(f"[{number}/{len(samples)}] {sample.id}", file=sys.stderr, flush=True)
    finally:
        await runtime.aclose()
        cache.close()
    if args.dump:
        await asyncio.to_thread(write_dump, pathlib.Path(args.dump), records)
    computed = cache.computed
    return {
        "model": "embedded default (SmolLM2-135M-Instruct Q4_1)",
        "settings": dataclasses.asdict(settings.flag),
        "corpus": {"python": args.python, "c": args.c, "seed": args.seed, "split": args.split},
        "lines_computed": computed,
        "seconds_per_computed_line": round(seconds / computed, 3) if computed else None,
        "figures": grouped(records),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", type=int, default=160, help="Python functions drawn")
    parser.add_argument("--c", type=int, default=41, help="C functions drawn")
    parser.add_argument("--split", choices=["dev", "test", "all"], default="test")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=str(paths.cache_dir() / "flag-bench"))
    parser.add_argument("--dump", help="write every judged line as JSON lines here")
    parser.add_argument("--min-score", type=float, help="override flag.minScore")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args)), indent=1))


if __name__ == "__main__":
    main()
