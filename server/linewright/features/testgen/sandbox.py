"""Running generated test code: a contained child process per run, restarted past crashes.

Generated code runs only here, and only when the user asked for tests. Each run gets a new
temporary folder and a child interpreter with a scrubbed environment (`launch.py`). On
Linux the interpreter starts inside bubblewrap (`bwrap.py`): the outer wall, a tool made
for this, holding from the interpreter's first instruction (its `.pth` files included).
Inside, the child still contains itself before any generated code runs (`child/`),
as defence in depth and as the whole sandbox where bwrap is missing:

- kernel: new network, PID and mount namespaces with a /proc of its own (bwrap makes them;
  without it the child does); rlimits on CPU seconds (per test), address space, file size,
  open files and processes; Landlock (reads from an allow-list, writes only in the work
  folder, no TCP, no signals out); seccomp (no fork, exec, mounts, non-Unix sockets or
  connecting to any socket; a refused call traps and is reported);
- Python: an audit hook and replaced `socket.socket`, `os.environ`/`environb` and `os`
  functions taking directory descriptors, each refusal naming the offence;
- time: a wall-clock budget per test, kept in the child (SIGALRM) and here (the process is
  killed when a test's `start` event has no end in time), and one for the run;
- disk: the work folder is a tmpfs of `Limits.disk_mb` inside bwrap; without it, files are
  capped by RLIMIT_FSIZE and the folder's total is watched from here (`runs.DiskWatch`).

Without bwrap on Linux, generated code runs only when the child's own kernel layers
(network namespace, Landlock, seccomp) all hold, or when the user opted in
(`settings.testgen.allow_unsandboxed`). Which layers held is reported back
(`RunResult.layers`/`missing`, "bwrap" first). A run that dies is restarted without the
tests already reported, the one that was running blamed; a child that reports a fatal
start-up error (no pytest for that interpreter) is not restarted: its message is the
error. The language server itself is made non-dumpable, so processes of its user cannot
read its environment through /proc.

Where results come from: see `runs.py` (the parent's view of the event stream).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linewright.features.testgen import bwrap, launch
from linewright.features.testgen.launch import CHILD_KERNEL_NEEDS, Folder, child_env, interpreter
from linewright.features.testgen.records import Limits
from linewright.features.testgen.runs import (
    DiskWatch,
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

__all__ = [
    "Limits",
    "RunResult",
    "Sandbox",
    "Subject",
    "check",
    "child_env",
    "death_reason",
    "interpreter",
]

CHILD = Path(__file__).parent / "child"
MAX_RESTARTS = 8
OUT_CAP, ERR_CAP = 16 * 1024 * 1024, 16 * 1024
GRACE_S = 1.5
"""How long past its budgets a test may go before the parent kills the process."""


@dataclass(frozen=True)
class Subject:
    """The module under test, as the child imports and measures it."""

    module: str
    path: Path
    text: str
    """The editor's text: imported instead of the file on disk when they differ."""
    sys_path: tuple[str, ...]


class Sandbox:
    """Runs pytest jobs and probe jobs for one subject in contained child processes."""

    def __init__(
        self,
        limits: Limits,
        python: str = sys.executable,
        layers: tuple[str, ...] | None = None,
        *,
        wall: bwrap.Found | bool | None = None,
        allow_unsandboxed: bool = False,
    ):
        self.limits = limits
        self.python = python
        self.layers = layers
        """Only these child layers (tests of the kernel layers turn the Python guard off)."""
        if wall is None or wall is True:
            wall = bwrap.find()
        self.found = wall if isinstance(wall, bwrap.Found) else bwrap.Found(None, "turned off")
        self.allow_unsandboxed = allow_unsandboxed
        launch.undumpable()
        launch.remove_stale()

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
        base = launch.new_base()
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
        extra = launch.fallback_paths()
        venv = None if self.found.wall else launch.project_venv(self.python, subject.sys_path)
        job: dict[str, Any] = {
            "tools": str(folder.tools),
            "home": str(Path.home()),
            "module": subject.module,
            "measure": measure,
            "overlay": overlay,
            "sys_path": list(subject.sys_path),
            "site_paths": launch.site_packages(venv) if venv else [],
            "isolated": venv is not None,
            "extra_path": extra,
            "readable": [*subject.sys_path, str(subject.path), *extra],
            "bwrap": self.found.wall is not None,
            "host_uid": os.getuid(),
            "required": self._required(),
            "limits": {
                "test_wall_s": self.limits.test_wall_s,
                "test_cpu_s": self.limits.test_cpu_s,
                "memory_mb": self.limits.memory_mb,
                "file_mb": self.limits.file_mb,
                "nproc": self.limits.nproc,
                "disk_mb": self.limits.disk_mb,
            },
            "measure_disk": self.found.wall is None,
        }
        if self.layers is not None:
            job["layers"] = list(self.layers)
        return job

    def _required(self) -> list[str]:
        """The child's own layers that must hold before generated code runs: without bwrap
        on Linux, unless the user opted in (or a test picks the layers itself)."""
        linux = sys.platform.startswith("linux")
        if self.found.wall or not linux or self.allow_unsandboxed or self.layers is not None:
            return []
        return list(CHILD_KERNEL_NEEDS)

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
            self._report_wall(result)
            if result.fatal:
                return result  # the child said why it cannot run: restarting cannot help
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
            if result.disk_full:
                reason = ["filesize", f"wrote more than {self.limits.disk_mb} MiB in its temp dir"]
                result.disk_full = False
            elif overdue and not blamed:
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

    def _argv(self, job: dict[str, Any], folder: Folder, job_path: Path) -> list[str]:
        """The command line: the interpreter inside bwrap, or alone (the fallback)."""
        argv = launch.argv(self.python, folder, job_path, isolated=job["isolated"])
        wall = self.found.wall
        if wall is None:
            Path(job["workdir"]).mkdir()
            return argv
        readable = [*bwrap.interpreter_paths(self.python), *job["extra_path"], job["tools"]]
        return bwrap.command(
            wall,
            argv,
            readable=readable,
            projects=job["sys_path"],
            work=str(folder.work),
            workdir=job["workdir"],
            disk_mb=self.limits.disk_mb,
            cwd=job["tools"],
        )

    async def _once(
        self, job: dict[str, Any], folder: Folder, budget: float, result: RunResult
    ) -> tuple[list[dict[str, Any]], int, bool, str | None]:
        """One child process: (its events, exit status, past the run's budget, the test
        killed for outliving its own budget or filling the disk)."""
        job_path = folder.tools / "job.json"
        job_path.write_text(json.dumps(job), encoding="utf-8")
        argv = self._argv(job, folder, job_path)
        nonce = secrets.token_hex(16)
        process = await asyncio.create_subprocess_exec(
            *argv, cwd=folder.tools, env=child_env(Path(job["workdir"])),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, start_new_session=True, limit=OUT_CAP,
        )  # fmt: skip
        # past the CPU limit too: a loop in C (no SIGALRM handler runs) meets that one first
        # and is reported as such; what this catches waits, or defused its own alarm
        limit = max(self.limits.test_wall_s, self.limits.test_cpu_s + 1) + GRACE_S
        watch = Watch(nonce, limit, OUT_CAP)
        if self.found.wall is None:
            watch.disk = DiskWatch(Path(job["workdir"]), self.limits.disk_mb)
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
        result.disk_full = watch.disk is not None and watch.disk.over
        return watch.events, status, timed_out, overdue

    def _report_wall(self, result: RunResult) -> None:
        """bwrap is a layer like the others: first among those applied, or missing."""
        if self.found.wall is not None and result.layers[:1] != ("bwrap",):
            result.layers = ("bwrap", *result.layers)
        elif self.found.wall is None and "bwrap" not in result.missing:
            result.missing = ("bwrap", *result.missing)


def check(python: str = sys.executable, *, allow_unsandboxed: bool = False) -> dict[str, Any]:
    """What `doctor` reports about test generation with `python` (see `checkup.check`)."""
    from linewright.features.testgen.checkup import check as run_check  # it imports us

    return run_check(python, allow_unsandboxed=allow_unsandboxed)
