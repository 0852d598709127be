"""What a sandbox run reported: the child's events, read as they arrive (`Watch`, which
also keeps the per-test wall clock and, without bwrap, the work folder's size from this
side), folded into a `RunResult`; and why a child that died did (the drop reason of the
test it was running).

Where results come from. Tests run in the runner's own process, so nothing that process
writes is unforgeable in principle: code that reaches the runner's objects can report for
it. What is decided here, from the parent's view, does not rest on the test's word:
- deaths, timeouts and a full disk are seen from outside (exit status, the clock here,
  the folder's size), and blamed on the test whose `start` is open, or that reported
  last when the process ends right after a report (a forged `done` and `os._exit`);
- the stream must be consistent: a `done` for a test other than the one running, or a
  second outcome for one test, marks the running test as forging reports (a crash);
- lines without the run's nonce (a test writing to the events pipe) are ignored.
What keeps a test from reaching the runner's emitter in the first place: the emitter is
not reachable from pytest's objects (the plugin pytest holds exposes only hooks), and the
static screen (`safety.py`) refuses every road to it (frames, closures, `gc`, `sys.modules`,
file descriptors, pytest's plugin manager). A test that gets past both and forges its
whole remaining stream is the residual risk; it is kept as passing but it still ran
contained, and the screen refused it before it ran in any case that reaches the user.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path
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
    fatal: bool = False
    """The child reported that it cannot run at all (`error` says why): not restarted."""
    layers: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    stderr: str = ""
    disk_full: bool = False
    """The last process was killed for filling its work folder (seen from here)."""


FORGED = ["crash", "reported a test outcome that the runner did not (a forged report)"]
ENDS = frozenset({"done", "collected", "collect-error", "import-error", "end", "finished"})
"""Events that close the `start` before them."""


class Watch:
    """The event stream of one child process, as it arrives: only lines after the run's
    nonce count (a test that writes to the events pipe is not believed), and a `start`
    not closed within `limit_s` is overdue, whatever the child did to its own alarm."""

    def __init__(self, nonce: str, limit_s: float, cap: int) -> None:
        self.prefix = nonce.encode() + b" "
        self.limit_s, self.cap, self.size = limit_s, cap, 0
        self.events: list[dict[str, Any]] = []
        self.current: str | None = None
        self.deadline = math.inf
        self.changed = asyncio.Event()
        """Set when the deadline moves."""
        self.disk: DiskWatch | None = None

    def feed(self, line: bytes, now: float) -> None:
        if not line.startswith(self.prefix):
            return
        try:
            event = json.loads(line[len(self.prefix) :])
        except ValueError:
            return
        if not isinstance(event, dict):
            return
        self.size += len(line)
        if self.size <= self.cap:
            self.events.append(event)
        if event.get("event") == "start":
            self.current, self.deadline = str(event.get("id")), now + self.limit_s
            self.changed.set()
        elif event.get("event") in ENDS:
            self.current, self.deadline = None, math.inf
            self.changed.set()

    def overdue(self, now: float) -> str | None:
        """The test running past its limit (or filling the disk), if any."""
        if self.disk is not None and self.disk.over:
            return self.current or "import"
        return self.current if now >= self.deadline else None

    async def read(self, stream: asyncio.StreamReader | None) -> None:
        """Feed every line of `stream` until it ends (a line over the stream's limit is
        dropped)."""
        if stream is None:
            return
        loop = asyncio.get_running_loop()
        while True:
            try:
                line = await stream.readline()
            except ValueError:
                continue
            if not line:
                return
            self.feed(line, loop.time())


class DiskWatch:
    """The size of a work folder, measured from here (the fallback has no tmpfs of its own
    size: RLIMIT_FSIZE caps each file, this the total)."""

    EVERY_S = 0.25

    def __init__(self, folder: Path, limit_mb: int) -> None:
        self.folder, self.limit = folder, limit_mb * 1024 * 1024
        self.over = False

    def measure(self) -> bool:
        """Whether the folder holds more than the limit (files and their count)."""
        total = 0
        for top, dirs, files in os.walk(self.folder):
            total += 4096 * (len(dirs) + len(files))  # each entry costs a block at least
            for name in files:
                with contextlib.suppress(OSError):
                    total += os.lstat(os.path.join(top, name)).st_blocks * 512
            if total > self.limit:
                self.over = True
                break
        return self.over


async def drain(stream: asyncio.StreamReader | None, into: bytearray, cap: int) -> None:
    """Read `stream` to its end, keeping its last `cap` bytes."""
    if stream is None:
        return
    while chunk := await stream.read(65536):
        into += chunk
        if len(into) > cap:
            del into[: len(into) - cap]


def kill(pid: int) -> None:
    """SIGKILL the process group `pid` leads."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


async def send_nonce(stdin: asyncio.StreamWriter | None, nonce: str) -> None:
    """The nonce on the child's stdin, which is then closed."""
    if stdin is None:
        return
    with contextlib.suppress(OSError):  # the child died at once: its status tells why
        stdin.write(nonce.encode() + b"\n")
        await stdin.drain()
        stdin.close()


async def wait_for(
    readers: set[asyncio.Task[None]], watch: Watch, budget: float
) -> tuple[set[asyncio.Task[None]], str | None]:
    """Until the child's output ends, the run's budget is spent, or a test is overdue;
    returns the readers still pending and the overdue test."""
    loop = asyncio.get_running_loop()
    end = loop.time() + budget
    pending = readers
    while pending:
        now = loop.time()
        if now >= end or watch.overdue(now) is not None:
            break
        watch.changed.clear()
        moved = asyncio.ensure_future(watch.changed.wait())
        timeout = min(end, watch.deadline) - now
        if watch.disk is not None:
            if await asyncio.to_thread(watch.disk.measure):
                moved.cancel()
                break
            timeout = min(timeout, DiskWatch.EVERY_S)
        await asyncio.wait({*pending, moved}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        moved.cancel()
        pending = {reader for reader in pending if not reader.done()}
    return pending, watch.overdue(loop.time()) if pending else None


def absorb(
    result: RunResult, events: list[dict[str, Any]]
) -> tuple[str | None, dict[str, list[str]]]:
    """Fold one run's events into `result`; returns the unfinished id and the violations."""
    current: str | None = None
    last: str | None = None
    violations: dict[str, list[str]] = {}
    reported: set[str] = set()
    for event in events:
        kind, key = event.get("event"), str(event.get("id"))
        if kind == "layers":
            result.layers, result.missing = tuple(event["applied"]), tuple(event["missing"])
        elif kind == "start":
            current = key
        elif kind == "end":
            current = None
        elif kind == "violation" and event.get("id") is not None:
            violations.setdefault(key, [event["kind"], event["detail"]])
        elif kind == "done" and (key != current or key in reported):
            forger = current or key
            result.done[forger] = {"id": forger, "outcome": "crashed", "violation": FORGED}
            violations[forger] = FORGED
            reported.add(forger)
        elif kind == "done":
            result.done[key] = event
            reported.add(key)
            current, last = None, key
        elif kind in ("collected", "collect-error"):
            bucket = result.collected if kind == "collected" else result.collect_errors
            bucket[key.removeprefix("collect:")] = event
            current = None
        elif kind == "import-error":
            result.import_error = event
        elif kind == "error":
            result.error = event.get("message")
            result.fatal = bool(event.get("fatal"))
        if kind != "done":
            last = None if kind in ("start", "finished") else last
    if (
        current is None
        and last is not None
        and not any(e.get("event") == "finished" for e in events)
    ):
        current = last  # it reported, then the process ended: a report does not clear it
        result.done.pop(last, None)
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
    if number == getattr(signal, "SIGSYS", None):  # it ignored or blocked the seccomp trap
        return ["native", "made a system call the sandbox forbids (killed by SIGSYS)"]
    if number:
        return ["crash", f"crashed the test process ({signal.Signals(number).name})"]
    return ["crash", f"ended the test process (exit status {status})"]
