"""Fill-in-the-middle quality: the whole completion pipeline on HumanEval-infilling tasks.

Usage:
  python tests/bench/fim_eval.py [--data FILE] [--limit N] [--backend KIND] [--url URL]
      [--model NAME] [--threads N] [--keep-stops] [--overshoot N] [--perf-lines N]
      [--dump FILE]

Each task becomes a `Document` of prompt + suffix with the cursor at the end of the prompt
(column 0 of the next line in the single-line set) and an explicitly invoked trigger; the
`CompletionFeature` answers it through a recording wrapper around the backend, so one
backend call is scored three ways: the feature's post-processed suggestion, the raw answer
cut after its first line break, and the raw answer as returned (the token limit). By
default the wrapper sends requests without stop strings so that the raw answer really runs
to the token limit (`--keep-stops` sends them as the feature builds them).

`--backend oracle` is the over-generating scripted model: it answers the true middle and
then `--overshoot` characters of the real text that follows it; "exact" is then the share
of tasks where post-processing recovers the middle exactly. Other backends: embedded
(default: SmolLM2-135M, fetched on first use), llamacpp, openai, ollama (`--url`, `--model`).

Prints one JSON object: per method pass@1, exact match, share suppressed, and among the
shown suggestions the share that break the parse (the file holds more ERROR/MISSING nodes
with the suggestion than without it) and the share whose file does not parse as cleanly as
the true file; the feature's post-processing time per candidate; and with `--perf-lines`,
post-processing time on a file of that many lines. `--dump FILE` writes each task's
completed middles (per method) as JSON lines, to look at what the model did.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pathlib
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from linewright.config import BackendSettings, EmbeddedSettings, Settings  # noqa: E402
from linewright.core.documents import Document  # noqa: E402
from linewright.core.llm.types import Backend  # noqa: E402
from linewright.features.completion import CompletionFeature  # noqa: E402
from linewright.features.completion.context import (  # noqa: E402
    CompletionContext,
    Trigger,
    decide_mode,
    from_document,
)
from linewright.features.completion.postprocess import process  # noqa: E402
from tests.bench.fim_perf import big_file_timing, percentiles  # noqa: E402
from tests.bench.fim_tasks import (  # noqa: E402
    Task,
    load_tasks,
    program,
    python_errors,
    run_scripts,
)
from tests.bench.oracle import OracleBackend, RecordingBackend, healed_length  # noqa: E402

DATA = pathlib.Path(__file__).resolve().parents[3] / "shared/data/humaneval-infilling"
DEFAULT_DATA = DATA / "HumanEval-SingleLineInfilling.jsonl"
METHODS = ("postprocessed", "raw_first_line", "raw_token_limit")


@dataclass
class Result:
    """What one task produced: the completed file per method (None: nothing shown)."""

    task: Task
    mode: str
    files: dict[str, str | None]
    postprocess_ms: float


def context_for(task: Task) -> CompletionContext:
    """The completion context at the task's cursor."""
    doc = Document("file:///task.py", "python", 1, task.document)
    return from_document(doc, doc.position_at(len(task.prompt)), Trigger.INVOKED)


async def run_task(task: Task, backend: Backend, settings: Settings, drop_stops: bool) -> Result:
    """One backend call through the feature, scored as post-processed and as raw text."""
    ctx = context_for(task)
    recorder = RecordingBackend(backend, drop_stops=drop_stops)
    feature = CompletionFeature(lambda: recorder, lambda: settings.completion)
    suggestions = await feature.suggest(ctx)
    files: dict[str, str | None] = dict.fromkeys(METHODS)
    if suggestions:
        best = suggestions[0]
        files["postprocessed"] = task.prompt + best.text + task.suffix[best.replace_suffix :]
    elapsed = 0.0
    if recorder.answers:
        raw = recorder.answers[0].text
        healed = healed_length(task.prompt, recorder.requests[0].prefix)
        before = task.prompt[: len(task.prompt) - healed]
        newline = raw.find("\n")
        first = raw if newline < 0 else raw[: newline + 1]
        for method, cut in (("raw_first_line", first), ("raw_token_limit", raw)):
            files[method] = before + cut + task.suffix if cut.strip() else None
        start = time.perf_counter()
        process(raw, ctx, decide_mode(ctx), task.prompt[len(before) :])
        elapsed = (time.perf_counter() - start) * 1000
    return Result(task, decide_mode(ctx).value, files, elapsed)


def score(results: list[Result], timeout_s: float, workers: int) -> dict[str, object]:
    """pass@1, exact match, suppressed and parse-breaking shares per method."""
    scripts = [program(r.task, f) for r in results for f in r.files.values() if f is not None]
    passed = run_scripts(scripts, timeout_s, workers)
    total = len(results) or 1
    out: dict[str, object] = {}
    for method in METHODS:
        shown = [(r, r.files[method]) for r in results if r.files[method] is not None]
        passes = sum(passed[program(r.task, f)] for r, f in shown if f is not None)
        exact = sum(f == r.task.truth for r, f in shown)
        errors = [(python_errors(f or ""), r) for r, f in shown]
        breaks = sum(count > python_errors(r.task.document) for count, r in errors)
        broken = sum(count > python_errors(r.task.truth) for count, r in errors)
        out[method] = {
            "pass@1": round(passes / total, 4),
            "exact": round(exact / total, 4),
            "suppressed": round(1 - len(shown) / total, 4),
            "breaks_parse_of_shown": round(breaks / (len(shown) or 1), 4),
            "not_parsing_like_truth_of_shown": round(broken / (len(shown) or 1), 4),
        }
    out["by_mode"] = by_mode(results, passed)
    return out


def by_mode(results: list[Result], passed: dict[str, bool]) -> dict[str, dict[str, float]]:
    """Post-processed pass@1 and exact match per gate decision (single / multi)."""
    counts = Counter(r.mode for r in results)
    out = {}
    for mode, count in sorted(counts.items()):
        files = [(r, r.files["postprocessed"]) for r in results if r.mode == mode]
        shown = [(r, f) for r, f in files if f is not None]
        out[mode] = {
            "tasks": count,
            "pass@1": round(sum(passed[program(r.task, f)] for r, f in shown) / count, 4),
            "exact": round(sum(f == r.task.truth for r, f in shown) / count, 4),
        }
    return out


def dump_row(result: Result) -> dict[str, object]:
    """One task's outcome: the true middle and what each method would insert there."""
    task = result.task
    middles = {
        method: None if text is None else text[len(task.prompt) :].removesuffix(task.suffix)
        for method, text in result.files.items()
    }
    return {"task_id": task.task_id, "mode": result.mode, "middle": task.middle, **middles}


def settings_for(args: argparse.Namespace) -> Settings:
    """Settings for a real backend from the command line."""
    backend = BackendSettings(kind=args.backend, url=args.url, model=args.model)
    return Settings(backend=backend, embedded=EmbeddedSettings(threads=args.threads))


async def evaluate(args: argparse.Namespace, tasks: list[Task]) -> list[Result]:
    """Run every task against the chosen backend (one call each)."""
    settings = settings_for(args) if args.backend != "oracle" else Settings()
    runtime = None
    make: Callable[[Task], Backend]
    if args.backend == "oracle":

        def make(task: Task) -> Backend:
            end = len(task.prompt) + len(task.middle)
            return OracleBackend(task.truth, len(task.prompt), end, args.overshoot)
    else:
        from linewright.app import App

        runtime = App(settings, progress=lambda line: print(line, file=sys.stderr))
        runtime.start()
        shared = runtime.backend()

        def make(task: Task) -> Backend:
            return shared

    results = []
    try:
        for number, task in enumerate(tasks, 1):
            results.append(await run_task(task, make(task), settings, not args.keep_stops))
            if number % 50 == 0:
                print(f"{number}/{len(tasks)} tasks", file=sys.stderr)
    finally:
        if runtime is not None:
            await runtime.aclose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=None, help="tasks, spread over the file")
    parser.add_argument(
        "--backend",
        default="embedded",
        choices=["embedded", "llamacpp", "openai", "ollama", "oracle"],
    )
    parser.add_argument("--url", default="")
    parser.add_argument("--model", default="")
    parser.add_argument("--threads", type=int, default=1, help="llama.cpp threads (embedded)")
    parser.add_argument("--keep-stops", action="store_true", help="send the feature's stops")
    parser.add_argument("--overshoot", type=int, default=400, help="oracle: chars after middle")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per test run")
    parser.add_argument("--workers", type=int, default=2, help="test runs in parallel")
    parser.add_argument("--perf-lines", type=int, default=0, help="also time a file this long")
    parser.add_argument("--dump", type=pathlib.Path, default=None, help="per-task JSON lines")
    args = parser.parse_args()
    tasks = load_tasks(args.data, args.limit)
    started = time.perf_counter()
    results = asyncio.run(evaluate(args, tasks))
    report: dict[str, object] = {
        "data": args.data.name,
        "backend": args.backend,
        "tasks": len(results),
        "stops_sent": args.keep_stops,
        **({"overshoot_chars": args.overshoot} if args.backend == "oracle" else {}),
        **score(results, args.timeout, args.workers),
        "postprocess_ms_per_candidate": percentiles([r.postprocess_ms for r in results]),
        "wall_s": round(time.perf_counter() - started, 1),
    }
    if args.perf_lines:
        report["big_file"] = big_file_timing(tasks, args.perf_lines)
    if args.dump:
        args.dump.write_text("".join(json.dumps(dump_row(r)) + "\n" for r in results))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
