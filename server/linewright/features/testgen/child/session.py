"""The sandbox child's pytest session: a plugin that measures and reports each test.

Only imported for "pytest" jobs, after the child is contained and before the guard is armed.
The session ignores the project's pytest configuration (its own empty ini file, no plugin
autoloading, no cache) so the candidates run the same way everywhere.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Generator
from typing import Any

import pytest

from . import guard
from .measure import covered, measured


class Session:
    """Runs `job["files"]` (minus `job["skip"]` node ids) and reports every test.

    pytest holds only `hooks()`'s object: plain functions whose state (the emitter among
    it) sits in their closures, so nothing reachable from pytest's plugin manager by
    attribute leads to the event stream (a test that finds its plugin cannot report)."""

    def __init__(self, job: dict[str, Any], sandbox: guard.Guard, cov: Any, events: Any):
        self.job, self.sandbox, self.cov, self.events = job, sandbox, cov, events

    def run(self) -> None:
        tests = self.job["tests"]
        args = [
            "-q",
            "-p",
            "no:cacheprovider",
            "--continue-on-collection-errors",
            "--rootdir",
            tests,
            "-c",
            os.path.join(self.job["tools"], "pytest.ini"),
            *[f"--deselect={node}" for node in self.job.get("skip", ())],
            *[os.path.join(tests, name) for name in self.job["files"]],
        ]
        plugin = hooks(self.sandbox, self.cov, self.events.emit)
        del self.job, self.sandbox, self.cov, self.events  # only the closures keep them
        pytest.main(args, plugins=[plugin])


def hooks(sandbox: guard.Guard, cov: Any, emit: Any) -> _Plugin:
    """The plugin: measure and report each test and each test module's collection."""
    reports: list[dict[str, Any]] = []

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(item: Any, nextitem: Any) -> Generator[None, Any, None]:
        emit({"event": "start", "id": item.nodeid})
        reports.clear()
        with measured(cov), sandbox.per_test(item.nodeid):
            yield
        forget_failure()
        event = {"event": "done", "id": item.nodeid, **outcome(reports), **covered(cov)}
        if sandbox.violations:
            event["violation"] = list(sandbox.violations[0])
        emit(event)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(item: Any, call: Any) -> Generator[None, Any, None]:
        result = yield
        reports.append(entry(result.get_result(), call))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_make_collect_report(collector: Any) -> Generator[None, Any, None]:
        module = isinstance(collector, pytest.Module)
        key = f"collect:{collector.nodeid}"
        if module:
            emit({"event": "start", "id": key})
        with sandbox.per_test(key) if module else contextlib.nullcontext():
            result = yield
        if not module:
            return
        report = result.get_result()
        event: dict[str, Any] = {"event": "collected", "id": key}
        if report.failed:
            lines = str(report.longrepr).strip().splitlines() or ["collection failed"]
            event.update(event="collect-error", message=lines[-1][-500:])
        if sandbox.violations:
            event["violation"] = list(sandbox.violations[0])
        emit(event)

    plugin = _Plugin()  # pluggy wants a hashable object; only the hooks hang off it
    plugin.pytest_runtest_protocol = pytest_runtest_protocol
    plugin.pytest_runtest_makereport = pytest_runtest_makereport
    plugin.pytest_make_collect_report = pytest_make_collect_report
    return plugin


class _Plugin:
    """The object pytest registers: three hook functions, nothing else."""

    pytest_runtest_protocol: Any
    pytest_runtest_makereport: Any
    pytest_make_collect_report: Any


def entry(report: Any, call: Any) -> dict[str, Any]:
    """One phase's report (setup, call or teardown) as the parent reads it."""
    found: dict[str, Any] = {"when": report.when, "outcome": report.outcome}
    if report.failed:
        excinfo = call.excinfo
        found["exc"] = excinfo.typename if excinfo else None
        found["errno"] = getattr(excinfo.value, "errno", None) if excinfo else None
        crash = getattr(report.longrepr, "reprcrash", None)
        found["message"] = (crash.message if crash else str(report.longrepr))[-500:]
    elif report.skipped:
        found["message"] = str(report.longrepr)[-300:]
    return found


def forget_failure() -> None:
    """Drop pytest's reference to the last failure (kept for post-mortem debugging): its
    frames may hold what a test allocated up to the memory limit."""
    for name in ("last_type", "last_value", "last_traceback", "last_exc"):
        if hasattr(sys, name):
            setattr(sys, name, None)
    gc.collect()


def outcome(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One test's outcome from its setup/call/teardown reports (a failure wins)."""
    failed = [r for r in reports if r["outcome"] == "failed"]
    if failed:
        return {"outcome": "failed", **{k: v for k, v in failed[0].items() if k != "outcome"}}
    skipped = [r for r in reports if r["outcome"] == "skipped"]
    if skipped:
        return {"outcome": "skipped", "message": skipped[0].get("message", "")}
    if not reports:
        return {"outcome": "failed", "message": "did not run"}
    return {"outcome": "passed"}
