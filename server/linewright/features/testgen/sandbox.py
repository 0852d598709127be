"""Running generated test code: a contained child process per run, restarted past crashes.

Generated code runs only here, and only when the user asked for tests. Each run gets a new
temporary folder (its working directory, HOME and TMPDIR, removed afterwards) and a child
interpreter started with a scrubbed environment (locale and PATH only: no keys, tokens or
proxies). The child contains itself before any generated code runs (`child/`):

- kernel: new network and PID namespaces; rlimits on CPU seconds (per test), address space,
  file size, open files and (non-root, or root dropped to `nobody`) processes; Landlock
  (writes only inside the folder, no TCP, no signals out); seccomp (no fork, exec or
  non-Unix sockets);
- Python: an audit hook, `socket.socket` and `os.environ` guards that name the offence;
- time: a wall-clock budget per test (SIGALRM) and one for the whole run (SIGKILL to the
  process group from here).

A run that dies (CPU limit, `os._exit`, a segfault) is restarted without the tests already
reported, and the one that was running is blamed. Which layers held is reported back
(`RunResult.layers`/`missing`); off Linux only rlimits, the Python guard and the timeouts
apply. Not covered: reads of world-readable files, disk use by many files below the size
limit, and a test that forges the runner's report lines (it still cannot get out).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linewright.features.testgen.records import Limits
from linewright.features.testgen.runs import (
    RunResult,
    absorb,
    blame,
    death_reason,
    events_of,
    unrun,
)

__all__ = ["Limits", "RunResult", "Sandbox", "Subject", "child_env", "death_reason", "interpreter"]

CHILD = Path(__file__).parent / "child"
BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from lw_child.runner import main; main(sys.argv[2])"
)
KEEP_ENV = ("PATH", "LANG", "LANGUAGE", "TZ", "TERM")
MAX_RESTARTS = 8
OUT_CAP, ERR_CAP = 16 * 1024 * 1024, 16 * 1024


@dataclass(frozen=True)
class Folder:
    """A run's folders. Only `work` is writable from inside (its cwd, HOME and TMPDIR); the
    runner, the job, the test files and the overlay sit in `tools`, out of the tests' reach,
    so nothing a test writes can change what a restarted run executes."""

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
    """The Python that runs tests: the setting, else the workspace's virtualenv, else ours."""
    if setting:
        return setting
    for folder in (".venv", "venv"):
        candidate = root / folder / "bin" / "python"
        if candidate.is_file():
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
            "workdir": str(folder.work),
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
        for _ in range(MAX_RESTARTS + 1):
            budget = 30 + (units + 4) * (self.limits.test_wall_s + 1)
            job["limits"]["cpu_total_s"] = int(budget)
            events, status, timed_out = await self._once(job, folder, budget, result)
            culprit, violations = absorb(result, events)
            if any(e.get("event") == "finished" for e in events):
                left = unrun(result, job)
                if not left:
                    return result
                job["files"] = left  # pytest stopped early (an internal error): go on
                job["skip"] = sorted(result.done)
                continue
            blamed = violations.get(culprit) if culprit is not None else None
            reason = blamed or death_reason(status, timed_out, self.limits)
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
    ) -> tuple[list[dict[str, Any]], int, bool]:
        job_path = folder.tools / "job.json"
        job_path.write_text(json.dumps(job), encoding="utf-8")
        process = await asyncio.create_subprocess_exec(
            self.python, "-c", BOOT, str(folder.tools), str(job_path),
            cwd=folder.work, env=child_env(folder.work), stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        out, err = bytearray(), bytearray()
        readers = {
            asyncio.ensure_future(_drain(process.stdout, out, OUT_CAP, tail=False)),
            asyncio.ensure_future(_drain(process.stderr, err, ERR_CAP, tail=True)),
        }
        try:
            _, pending = await asyncio.wait(readers, timeout=budget)
            timed_out = bool(pending)
            _kill(process.pid)
            if pending:
                _, pending = await asyncio.wait(pending, timeout=5)
                for reader in pending:
                    reader.cancel()
            status = await process.wait()
        except asyncio.CancelledError:
            _kill(process.pid)
            for reader in readers:
                reader.cancel()
            raise
        result.stderr = err.decode("utf-8", "replace")
        return events_of(out), status, timed_out


async def _drain(
    stream: asyncio.StreamReader | None, into: bytearray, cap: int, tail: bool
) -> None:
    """Read `stream` to its end, keeping at most `cap` bytes (the first, or the last)."""
    if stream is None:
        return
    while chunk := await stream.read(65536):
        into += chunk
        if len(into) > cap and tail:
            del into[: len(into) - cap]
        elif len(into) > cap:
            del into[cap:]


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
