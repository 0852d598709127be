"""Verification: only tests that parsed, imported, passed on the current code in the sandbox
and added coverage of the target are kept.

1. static review (`smells.review`): parse, smells fixed or dropped, calls the target;
   exact duplicates dropped; names made unique;
2. every candidate in its own test module (an import error sinks only its own tests), all
   run in one sandboxed pytest session with per-test coverage of the target;
3. greedy selection by added line and branch coverage (ties: model tests, then shorter);
4. the kept tests rendered together as the file block a new test file holds, run once more
   (a test that only passed alone is dropped), and its coverage measured;
5. `place`: when the tests extend an existing test file, the WHOLE resulting file is run:
   our tests must pass in it, and no test of the file that passes without ours may stop
   passing (the file alone is run only when one of its tests does not pass with ours). A
   file that fails this is left alone and the next place is tried (a separate new file).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from linewright.features.testgen import render
from linewright.features.testgen.measure import Item, Universe, greedy
from linewright.features.testgen.records import Candidate, Dropped, TestgenError, Verdict
from linewright.features.testgen.sandbox import RunResult, Sandbox, Subject
from linewright.features.testgen.smells import review
from linewright.features.testgen.target import Target

FINAL_FILE = "test_lw_final.py"
FINAL_ROUNDS = 3
SHOWN = 3


def subject_of(target: Target) -> Subject:
    """What the sandbox imports: the editor's text of the target's module."""
    paths = dict.fromkeys([str(target.sys_path_root), str(target.root)])
    return Subject(target.module, target.path, target.text, tuple(paths))


def module_text(target: Target, candidate: Candidate) -> str:
    """A test module holding one candidate, as the sandbox runs it."""
    preamble = "\n".join(candidate.preamble)
    return f"import pytest\n{target.import_line}\n{preamble}\n\n\n{candidate.source}"


async def verify(
    target: Target,
    candidates: list[Candidate],
    sandbox: Sandbox,
    universe: Universe,
    max_tests: int,
    *,
    screen: bool = True,
) -> Verdict:
    """Keep what passes and adds coverage; drop the rest with a reason (`screen`: see
    `smells.review`)."""
    reviewed, dropped = prepare(candidates, target, screen=screen)
    if not reviewed:
        return Verdict((), tuple(dropped))
    files = {f"test_lwc_{i}.py": module_text(target, c) for i, c in enumerate(reviewed)}
    run = await sandbox.pytest(subject_of(target), files)
    _raise_for_setup(run, target)
    passing: list[tuple[Candidate, frozenset[Item]]] = []
    for index, candidate in enumerate(reviewed):
        covers, problem = _result_of(run, f"test_lwc_{index}.py", candidate.name, universe)
        if problem is not None:
            dropped.append(Dropped(candidate.name, candidate.origin, *problem))
        else:
            passing.append((candidate, covers))
    preference = [(c.origin != "derived", -len(c.source)) for c, _ in passing]
    picked = set(greedy([covers for _, covers in passing], preference, max_tests))
    reached = {item for index in picked for item in passing[index][1]}
    for index, (candidate, covers) in enumerate(passing):
        if index not in picked:
            full = bool(covers - reached)  # it would add coverage: the limit stopped it
            reason = (
                ("limit", f"over the limit of {max_tests} tests")
                if full
                else ("no-coverage", "adds no line or branch coverage to the kept tests")
            )
            dropped.append(Dropped(candidate.name, candidate.origin, *reason))
    kept = [candidate for index, (candidate, _) in enumerate(passing) if index in picked]
    return await _final(target, kept, dropped, sandbox, universe, run.layers)


def prepare(
    candidates: Iterable[Candidate], target: Target, *, screen: bool = True
) -> tuple[list[Candidate], list[Dropped]]:
    """Static review, duplicates out, unique test names."""
    kept: list[Candidate] = []
    dropped: list[Dropped] = []
    seen: dict[str, str] = {}
    names: set[str] = set()
    for candidate in candidates:
        fixed, problem = review(candidate, target, screen=screen)
        if problem is not None:
            dropped.append(problem)
        for test in fixed:
            # the preamble counts: the same body under a broken import is another test
            body = "\n".join((*test.preamble, test.source))
            key = re.sub(r"def \w+", "def _", re.sub(r"\s+", " ", body))
            if key in seen:
                dropped.append(
                    Dropped(test.name, test.origin, "duplicate", f"same test as {seen[key]}")
                )
                continue
            name = render.unique_name(test.name, names)
            seen[key] = name
            kept.append(render.renamed(test, name))
    return kept, dropped


def _raise_for_setup(run: RunResult, target: Target) -> None:
    """The module under test must import, and the runner must work, for any verdict."""
    if run.import_error is not None:
        message = run.import_error.get("message", "")
        violation = run.import_error.get("violation")
        detail = f"{violation[1]}" if violation else message
        raise TestgenError(f"`{target.module}` does not import in the sandbox: {detail}")
    if run.error and not run.done:
        raise TestgenError(run.error)


def _result_of(
    run: RunResult, file: str, name: str, universe: Universe
) -> tuple[frozenset[Item], tuple[str, str] | None]:
    """(coverage, None) for a passing candidate, else (empty, (reason, detail))."""
    if file in run.collect_errors:
        event = run.collect_errors[file]
        return frozenset(), _problem(
            event, default=("import", f"does not import: {event.get('message', '')}")
        )
    events = [
        e
        for key, e in run.done.items()
        if key == f"{file}::{name}" or key.startswith(f"{file}::{name}[")
    ]
    if not events:
        return frozenset(), ("crash", "did not run (the test process stopped)")
    collect = run.collected.get(file, {})
    covered: set[Item] = set()
    for event in events:
        problem = _problem(collect, None) or _problem(event, _failure(event))
        if problem is not None:
            return frozenset(), problem
        covered |= universe.items(event.get("lines", ()), event.get("arcs", ()))
    return frozenset(covered), None


def _problem(event: dict[str, Any], default: tuple[str, str] | None) -> tuple[str, str] | None:
    violation = event.get("violation")
    if violation:
        return violation[0], violation[1]
    return default


def _failure(event: dict[str, Any]) -> tuple[str, str] | None:
    """Why a test that ran did not pass, or None when it passed."""
    outcome = event.get("outcome")
    if outcome == "passed":
        return None
    if outcome == "skipped":
        return "skip", f"skipped: {event.get('message', '')[:200]}"
    exc, message = event.get("exc"), (event.get("message") or "").strip()
    if exc == "MemoryError":
        return "memory", "exceeded the memory limit"
    if event.get("errno") == 27:
        return "filesize", "exceeded the file size limit"
    if event.get("errno") == 28:  # ENOSPC: the work folder's tmpfs (bwrap) is full
        return "filesize", "filled its temp dir (the disk limit)"
    first = message.splitlines()[0][:200] if message else exc or "failed"
    where = "" if event.get("when") in (None, "call") else f" (in {event.get('when')})"
    return "fail", f"fails on the current code{where}: {first}"


async def _final(
    target: Target,
    kept: list[Candidate],
    dropped: list[Dropped],
    sandbox: Sandbox,
    universe: Universe,
    layers: tuple[str, ...],
) -> Verdict:
    """Run the kept tests together, as offered; drop those that fail there."""
    for _ in range(FINAL_ROUNDS):
        if not kept:
            return Verdict((), tuple(dropped), universe.coverage(()), layers)
        run = await sandbox.pytest(subject_of(target), {FINAL_FILE: render.block(target, kept)})
        _raise_for_setup(run, target)
        items: set[Item] = set()
        failing = []
        for candidate in kept:
            covers, problem = _result_of(run, FINAL_FILE, candidate.name, universe)
            items |= covers
            if problem is not None:
                detail = f"fails next to the other kept tests: {problem[1]}"
                failing.append(Dropped(candidate.name, candidate.origin, problem[0], detail))
        if not failing:
            return Verdict(tuple(kept), tuple(dropped), universe.coverage(items), layers)
        gone = {d.name for d in failing}
        kept = [c for c in kept if c.name not in gone]
        dropped += failing
    return Verdict((), tuple(dropped), universe.coverage(()), layers)


async def place(
    target: Target,
    verdict: Verdict,
    sandbox: Sandbox,
    universe: Universe,
    files: list[tuple[Path, str | None]],
) -> tuple[Verdict, render.FileEdit | None, list[str]]:
    """The edit for the first of `files` (path, current text or None for a new file) that
    takes the kept tests, and notes on those left alone. When none does, the tests are
    dropped: a test file that does not pass is never offered."""
    kept, notes = list(verdict.kept), []
    for path, existing in files:
        try:
            edit = render.edit_for(target, kept, path, existing)
        except TestgenError as exc:
            notes.append(f"{path} was left alone: {exc}")
            continue
        # a new file is the block `_final` ran; an extension runs here, whole
        problem = None if existing is None else await _misfit(target, edit, existing, sandbox)
        if problem is None:
            return verdict, edit, notes
        notes.append(f"{path} was left alone: {problem}")
    detail = "passed, but no test file could take it (see the notes)"
    dropped = tuple(Dropped(c.name, c.origin, "fail", detail) for c in kept)
    empty = dataclasses.replace(verdict.coverage, lines=frozenset(), arcs=frozenset())
    return Verdict((), verdict.dropped + dropped, empty, verdict.layers), None, notes


async def _misfit(
    target: Target, edit: render.FileEdit, existing: str, sandbox: Sandbox
) -> str | None:
    """Why the extended file is not offered, or None when it can be."""
    run = await sandbox.pytest(subject_of(target), {FINAL_FILE: edit.text})
    failed = run.collect_errors.get(FINAL_FILE)
    reason = _problem(failed, ("import", failed.get("message", ""))) if failed else None
    reason = reason or _problem(run.collected.get(FINAL_FILE, {}), None)
    if reason is not None or (run.error and not run.done):
        return f"with our tests it does not run: {reason[1] if reason else run.error}"[:300]
    for name in edit.tests:
        problem = _outcome(run, name)
        if problem is not None:
            return f"our `{name}` does not pass in it ({problem})"
    ours = set(edit.tests)
    theirs = {key for key in _ran(run) if key.split("[", 1)[0] not in ours}
    passing = {key for key in theirs if _outcome(run, key) is None}
    if passing == theirs:
        return None
    alone = await sandbox.pytest(subject_of(target), {FINAL_FILE: existing})
    broken = sorted(key for key in _ran(alone) if _outcome(alone, key) is None)
    broken = [key for key in broken if key not in passing]
    if not broken:
        return None
    shown = ", ".join(f"`{key}`" for key in broken[:SHOWN])
    more = f" and {len(broken) - SHOWN} more" if len(broken) > SHOWN else ""
    return f"our tests would break {shown}{more}, which pass without them"


def _ran(run: RunResult) -> set[str]:
    """The tests of the final file that ran (`name`, `Class::name`, `name[param]`)."""
    prefix = f"{FINAL_FILE}::"
    return {key.removeprefix(prefix) for key in run.done if key.startswith(prefix)}


def _outcome(run: RunResult, test: str) -> str | None:
    """None when `test` (every parameter of it, when it is a bare name) passed, else why
    not, in a few words."""
    key = f"{FINAL_FILE}::{test}"
    events = [e for k, e in run.done.items() if k == key or k.startswith(f"{key}[")]
    if not events:
        return "did not run"
    for event in events:
        problem = _problem(event, _failure(event))
        if problem is not None:
            return problem[1]
    return None
