"""Running generated test code: a contained child process per run, restarted past crashes.

Generated code runs only here, and only when the user asked for tests. Each run gets a new
temporary folder and a child interpreter started with a scrubbed environment (locale and
PATH only: no keys, tokens or proxies), from the tools folder the tests cannot write, with
nothing relative on its import path (`-s -B`, '' dropped before any import); it moves into
its work folder (a fresh one for every restart: its cwd, HOME and TMPDIR) once contained.
The child contains itself before any generated code runs (`child/`):

- kernel: new network, PID and mount namespaces with a /proc of its own (no other process
  to read); rlimits on CPU seconds (per test), address space, file size, open files and
  (non-root, or root dropped to `nobody`) processes; Landlock (reads from an allow-list,
  writes only in the work folder, no TCP, no signals out); seccomp (no fork, exec, mounts
  or non-Unix sockets; a refused call traps and is reported);
- Python: an audit hook and replaced `socket.socket`, `os.environ`/`environb` and `os`
  functions taking directory descriptors, each refusal naming the offence;
- time: a wall-clock budget per test, kept in the child (SIGALRM) and here (the process
  group is killed when a test's `start` event has no end in time), and one for the run.

A run that dies (CPU limit, `os._exit`, a segfault, a kill from here) is restarted without
the tests already reported, and the one that was running is blamed. Events carry a random
nonce per process, so lines a test writes to the events pipe are ignored. Which layers held
is reported back (`RunResult.layers`/`missing`); off Linux only rlimits, the Python guard
and the timeouts apply. The language server itself is made non-dumpable on Linux, so
processes of its user cannot read its environment through /proc. Not covered: disk use by
many files below the size limit, and code that digs the runner's own objects out of the
interpreter to report for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import importlib.util
import json
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linewright.features.testgen.records import Limits
from linewright.features.testgen.runs import (
    RunResult,
    Watch,
    absorb,
    blame,
    death_reason,
    drain,
    kill,
    send_nonce,
    unrun,
    wait_for,
)

__all__ = ["Limits", "RunResult", "Sandbox", "Subject", "child_env", "death_reason", "interpreter"]

CHILD = Path(__file__).parent / "child"
BOOT = (  # '' (the cwd) goes before any import: nothing found there may run
    "import sys; sys.path[:] = [p for p in sys.path if p not in ('', '.')]; "
    "sys.path.insert(0, sys.argv[1]); from lw_child.runner import main; main(sys.argv[2])"
)
KEEP_ENV = ("PATH", "LANG", "LANGUAGE", "TZ", "TERM")
MAX_RESTARTS = 8
OUT_CAP, ERR_CAP = 16 * 1024 * 1024, 16 * 1024
GRACE_S = 1.5
"""How long past its budgets a test may go before the parent kills the process."""
PR_SET_DUMPABLE = 4


@dataclass(frozen=True)
class Folder:
    """A run's folders. Only a folder in `work` (a new one per process) is writable from
    inside (its cwd, HOME and TMPDIR); the runner, the job, the test files and the overlay
    sit in `tools`, out of the tests' reach, so nothing a test writes can change what a
    restarted run executes."""

    work: Path
    tools: Path
    tests: Path


@dataclass(frozen=True)
class Subject:
    """The module under test, as the child imports and measures it."""

    module: str
    path: Path
    text: str
    """The editor's text: imported instead of the file on disk when they differ."""
    sys_path: tuple[str, ...]


def interpreter(setting: str, root: Path) -> str:
    """The Python that runs tests: the setting, else the workspace's virtualenv, else ours.

    A workspace virtualenv is used only when it looks made by `venv`/`virtualenv`: a
    `pyvenv.cfg` beside `bin/`, and `bin/python` resolving to an interpreter outside the
    workspace. An executable that lives in the repository itself (a committed script named
    `python`) would run before the child contains itself, so it is never picked.
    """
    if setting:
        return setting
    workspace = root.resolve()
    for folder in (".venv", "venv"):
        candidate = root / folder / "bin" / "python"
        real = candidate.resolve()
        if (
            candidate.is_file()
            and (root / folder / "pyvenv.cfg").is_file()
            and workspace not in real.parents
            and os.access(real, os.X_OK)
        ):
            return str(candidate)
    return sys.executable


def child_env(workdir: Path, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The child's whole environment: locale and PATH from ours, nothing else inherited."""
    source = os.environ if environ is None else environ
    env = {k: v for k, v in source.items() if k in KEEP_ENV or k.startswith("LC_")}
    env.setdefault("PATH", os.defpath)
    env.update(
        HOME=str(workdir),
        TMPDIR=str(workdir),
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONHASHSEED="0",
        PYTHONNOUSERSITE="1",
        PYTHONIOENCODING="utf-8",
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    return env


def _undumpable() -> None:
    """Make this process non-dumpable (Linux): processes of the same user (without
    CAP_SYS_PTRACE) can no longer read its /proc entries (its environment may hold API
    keys) or ptrace it, and it leaves no core dump. Cheap and idempotent; what this process
    does itself is unchanged (a root sandbox child is kept out by its own /proc instead)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def _fallback_paths() -> list[str]:
    """Our site-packages for coverage and pytest, appended to the child's sys.path so a
    workspace interpreter without them still runs (its own copies come first)."""
    found = []
    for name in ("coverage", "pytest"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            found.append(str(Path(spec.origin).parent.parent))
    return list(dict.fromkeys(found))


class Sandbox:
    """Runs pytest jobs and probe jobs for one subject in contained child processes."""

    def __init__(
        self, limits: Limits, python: str = sys.executable, layers: tuple[str, ...] | None = None
    ):
        self.limits = limits
        self.python = python
        self.layers = layers
        """Only these layers (tests of the kernel layers turn the Python guard off)."""
        _undumpable()

    async def pytest(self, subject: Subject, files: dict[str, str]) -> RunResult:
        """Run the test files (name -> text) with pytest; one `done` event per test."""
        with self._folder(subject) as (folder, job):
            for name, text in files.items():
                (folder.tests / name).write_text(text, encoding="utf-8")
            job.update(mode="pytest", files=sorted(files), tests=str(folder.tests))
            return await self._run(job, folder, units=2 * len(files))

    async def probe(self, subject: Subject, setup: str, cases: list[tuple[str, str]]) -> RunResult:
        """Evaluate each (id, expression) after `setup`; one `done` event per case."""
        with self._folder(subject) as (folder, job):
            job.update(mode="probe", setup=setup, cases=[{"id": i, "expr": e} for i, e in cases])
            return await self._run(job, folder, units=2 * len(cases))

    @contextlib.contextmanager
    def _folder(self, subject: Subject) -> Iterator[tuple[Folder, dict[str, Any]]]:
        base = Path(tempfile.mkdtemp(prefix="linewright-testgen-")).resolve()
        folder = Folder(base / "work", base / "tools", base / "tools" / "tests")
        try:
            base.chmod(0o755)
            folder.tests.mkdir(parents=True)
            folder.work.mkdir()
            shutil.copytree(
                CHILD, folder.tools / "lw_child", ignore=shutil.ignore_patterns("__pycache__")
            )
            (folder.tools / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
            yield folder, self._job(subject, folder)
        finally:
            shutil.rmtree(base, ignore_errors=True)

    def _job(self, subject: Subject, folder: Folder) -> dict[str, Any]:
        measure, overlay = str(subject.path), None
        try:
            on_disk = subject.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            on_disk = None
        if on_disk != subject.text:  # unsaved edits: import the editor's text instead
            (folder.tools / "overlay").mkdir()
            measure = str(folder.tools / "overlay" / subject.path.name)
            Path(measure).write_text(subject.text, encoding="utf-8")
            package = str(subject.path.parent) if subject.path.stem == "__init__" else None
            overlay = {"module": subject.module, "path": measure, "package_dir": package}
        extra = _fallback_paths()
        job: dict[str, Any] = {
            "tools": str(folder.tools),
            "home": str(Path.home()),
            "module": subject.module,
            "measure": measure,
            "overlay": overlay,
            "sys_path": list(subject.sys_path),
            "extra_path": extra,
            "readable": [*subject.sys_path, str(subject.path), *extra],
            "limits": {
                "test_wall_s": self.limits.test_wall_s,
                "test_cpu_s": self.limits.test_cpu_s,
                "memory_mb": self.limits.memory_mb,
                "file_mb": self.limits.file_mb,
                "nproc": self.limits.nproc,
            },
        }
        if self.layers is not None:
            job["layers"] = list(self.layers)
        return job

    async def _run(self, job: dict[str, Any], folder: Folder, units: int) -> RunResult:
        """Run, and restart past a crash without what was reported (the culprit blamed)."""
        result = RunResult()
        job["skip"] = []
        for attempt in range(MAX_RESTARTS + 1):
            budget = 30 + (units + 4) * (self.limits.test_wall_s + 1)
            job["limits"]["cpu_total_s"] = int(budget)
            job["workdir"] = str(folder.work / str(attempt))  # nothing left by a crashed run
            events, status, timed_out, overdue = await self._once(job, folder, budget, result)
            culprit, violations = absorb(result, events)
            if any(e.get("event") == "finished" for e in events):
                left = unrun(result, job)
                if not left:
                    return result
                job["files"] = left  # pytest stopped early (an internal error): go on
                job["skip"] = sorted(result.done)
                continue
            culprit = overdue or culprit
            blamed = violations.get(culprit) if culprit is not None else None
            reason = blamed or death_reason(status, timed_out, self.limits)
            if overdue and not blamed:
                reason = ["timeout", f"ran longer than {self.limits.test_wall_s:g} s"]
            if culprit is None or culprit in ("import", "setup"):
                last = result.stderr.strip().splitlines()[-1:] or [""]
                result.error = f"the test process stopped before any test ran: {reason[1]}"
                result.error += f" ({last[0][:300]})" if last[0] else ""
                return result
            blame(result, job, culprit, reason)
            job["skip"] = sorted(result.done)
        result.error = "the test process crashed too often; the remaining tests were not run"
        return result

    async def _once(
        self, job: dict[str, Any], folder: Folder, budget: float, result: RunResult
    ) -> tuple[list[dict[str, Any]], int, bool, str | None]:
        """One child process: (its events, exit status, past the run's budget, the test
        killed for outliving its own)."""
        work = Path(job["workdir"])
        work.mkdir()
        job_path = folder.tools / "job.json"
        job_path.write_text(json.dumps(job), encoding="utf-8")
        nonce = secrets.token_hex(16)
        process = await asyncio.create_subprocess_exec(
            self.python, "-s", "-B", "-c", BOOT, str(folder.tools), str(job_path),
            cwd=folder.tools, env=child_env(work), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            start_new_session=True, limit=OUT_CAP,
        )  # fmt: skip
        # past the CPU limit too: a loop in C (no SIGALRM handler runs) meets that one first
        # and is reported as such; what this catches waits, or defused its own alarm
        limit = max(self.limits.test_wall_s, self.limits.test_cpu_s + 1) + GRACE_S
        watch = Watch(nonce, limit, OUT_CAP)
        err = bytearray()
        readers = {
            asyncio.ensure_future(watch.read(process.stdout)),
            asyncio.ensure_future(drain(process.stderr, err, ERR_CAP)),
        }
        try:
            await send_nonce(process.stdin, nonce)
            pending, overdue = await wait_for(readers, watch, budget)
            timed_out = bool(pending) and overdue is None
            kill(process.pid)
            if pending:
                _, pending = await asyncio.wait(pending, timeout=5)
                for reader in pending:
                    reader.cancel()
            status = await process.wait()
        except asyncio.CancelledError:
            kill(process.pid)
            for reader in readers:
                reader.cancel()
            raise
        result.stderr = err.decode("utf-8", "replace")
        return watch.events, status, timed_out, overdue
