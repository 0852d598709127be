"""What a sandbox run reported: the child's events folded into a `RunResult`, and why a
child that died did (the drop reason of the test it was running)."""

from __future__ import annotations

import contextlib
import json
import signal
from dataclasses import dataclass, field
from typing import Any

from linewright.features.testgen.records import Limits


@dataclass
class RunResult:
    """What one (possibly restarted) run reported."""

    done: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per test (or probe case) id: its `done` event; a crash is a `crashed` outcome."""
    collect_errors: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per test file: why it did not import."""
    collected: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per test file that imported: its `collected` event (it may carry a violation)."""
    import_error: dict[str, Any] | None = None
    error: str | None = None
    layers: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    stderr: str = ""


def events_of(out: bytearray) -> list[dict[str, Any]]:
    events = []
    for line in out.decode("utf-8", "replace").splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            event = json.loads(line)
            if isinstance(event, dict):
                events.append(event)
    return events


def absorb(
    result: RunResult, events: list[dict[str, Any]]
) -> tuple[str | None, dict[str, list[str]]]:
    """Fold one run's events into `result`; returns the unfinished id and the violations."""
    current: str | None = None
    violations: dict[str, list[str]] = {}
    for event in events:
        kind, key = event.get("event"), str(event.get("id"))
        if kind == "layers":
            result.layers, result.missing = tuple(event["applied"]), tuple(event["missing"])
        elif kind == "start":
            current = key
        elif kind == "violation" and event.get("id") is not None:
            violations.setdefault(key, [event["kind"], event["detail"]])
        elif kind == "done":
            result.done[key] = event
            current = None
        elif kind in ("collected", "collect-error"):
            bucket = result.collected if kind == "collected" else result.collect_errors
            bucket[key.removeprefix("collect:")] = event
            current = None
        elif kind == "import-error":
            result.import_error = event
        elif kind == "error":
            result.error = event.get("message")
    return current, violations


def unrun(result: RunResult, job: dict[str, Any]) -> list[str]:
    """Test files of a pytest job that neither failed to import nor reported a test."""
    if job.get("mode") != "pytest":
        return []
    reported = {key.split("::", 1)[0] for key in result.done}
    return [f for f in job["files"] if f not in reported and f not in result.collect_errors]


def blame(result: RunResult, job: dict[str, Any], culprit: str, reason: list[str]) -> None:
    """Record the test (or test file) that was running when the process died."""
    if culprit.startswith("collect:"):
        name = culprit.removeprefix("collect:")
        result.collect_errors[name] = {"id": culprit, "message": reason[1], "violation": reason}
        job["files"] = [f for f in job["files"] if f != name]
    else:
        result.done[culprit] = {"id": culprit, "outcome": "crashed", "violation": reason}


def death_reason(status: int, timed_out: bool, limits: Limits) -> list[str]:
    """Why the process ended: (category, detail) for a drop reason."""
    if timed_out:
        return ["timeout", "ran past the sandbox's wall-clock limit"]
    number = -status if status < 0 else status - 128 if status > 128 else 0
    if number == signal.SIGXCPU:
        return ["cpu", f"used more than {limits.test_cpu_s:g} s of CPU time"]
    if number == signal.SIGKILL:
        return ["crash", "was killed (SIGKILL; out of memory?)"]
    if number:
        return ["crash", f"crashed the test process ({signal.Signals(number).name})"]
    return ["crash", f"ended the test process (exit status {status})"]
