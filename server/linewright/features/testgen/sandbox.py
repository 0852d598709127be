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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHILD = Path(__file__).parent / "child"
BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from lw_child.runner import main; main(sys.argv[2])"
)
KEEP_ENV = ("PATH", "LANG", "LANGUAGE", "TZ", "TERM")
MAX_RESTARTS = 8
OUT_CAP, ERR_CAP = 16 * 1024 * 1024, 16 * 1024


@dataclass(frozen=True)
class Limits:
    """Per-test budgets and per-process resource limits."""

    test_wall_s: float = 5.0
    test_cpu_s: float = 5.0
    memory_mb: int = 1024
    file_mb: int = 16
    nproc: int = 64


@dataclass(frozen=True)
class Subject:
    """The module under test, as the child imports and measures it."""

    module: str
    path: Path
    text: str
    """The editor's text: imported instead of the file on disk when they differ."""
    sys_path: tuple[str, ...]


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
        with self._folder(subject) as (workdir, job):
            for name, text in files.items():
                (workdir / name).write_text(text, encoding="utf-8")
            job.update(mode="pytest", files=sorted(files))
            return await self._run(job, workdir, units=2 * len(files))

    async def probe(self, subject: Subject, setup: str, cases: list[tuple[str, str]]) -> RunResult:
        """Evaluate each (id, expression) after `setup`; one `done` event per case."""
        with self._folder(subject) as (workdir, job):
            job.update(mode="probe", setup=setup, cases=[{"id": i, "expr": e} for i, e in cases])
            return await self._run(job, workdir, units=2 * len(cases))

    @contextlib.contextmanager
    def _folder(self, subject: Subject) -> Iterator[tuple[Path, dict[str, Any]]]:
        workdir = Path(tempfile.mkdtemp(prefix="linewright-testgen-")).resolve()
        try:
            workdir.chmod(0o755)
            shutil.copytree(
                CHILD, workdir / "_lw" / "lw_child", ignore=shutil.ignore_patterns("__pycache__")
            )
            (workdir / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
            yield workdir, self._job(subject, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def _job(self, subject: Subject, workdir: Path) -> dict[str, Any]:
        measure, overlay = str(subject.path), None
        try:
            on_disk = subject.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            on_disk = None
        if on_disk != subject.text:  # unsaved edits: import the editor's text instead
            folder = workdir / "_lw" / "overlay"
            folder.mkdir()
            measure = str(folder / subject.path.name)
            Path(measure).write_text(subject.text, encoding="utf-8")
            package = str(subject.path.parent) if subject.path.stem == "__init__" else None
            overlay = {"module": subject.module, "path": measure, "package_dir": package}
        extra = _fallback_paths()
        job: dict[str, Any] = {
            "workdir": str(workdir),
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

    async def _run(self, job: dict[str, Any], workdir: Path, units: int) -> RunResult:
        """Run, and restart past a crash without what was reported (the culprit blamed)."""
        result = RunResult()
        job["skip"] = []
        for _ in range(MAX_RESTARTS + 1):
            budget = 30 + (units + 4) * (self.limits.test_wall_s + 1)
            job["limits"]["cpu_total_s"] = int(budget)
            events, status, timed_out = await self._once(job, workdir, budget, result)
            culprit, violations = _absorb(result, events)
            if any(e.get("event") == "finished" for e in events):
                unrun = _unrun(result, job)
                if not unrun:
                    return result
                job["files"] = unrun  # pytest stopped early (an internal error): go on
                job["skip"] = sorted(result.done)
                continue
            blamed = violations.get(culprit) if culprit is not None else None
            reason = blamed or death_reason(status, timed_out, self.limits)
            if culprit is None or culprit in ("import", "setup"):
                result.error = f"the test process stopped before any test ran: {reason[1]}"
                return result
            _blame(result, job, culprit, reason)
            job["skip"] = sorted(result.done)
        result.error = "the test process crashed too often; the remaining tests were not run"
        return result

    async def _once(
        self, job: dict[str, Any], workdir: Path, budget: float, result: RunResult
    ) -> tuple[list[dict[str, Any]], int, bool]:
        job_path = workdir / "_lw" / "job.json"
        job_path.write_text(json.dumps(job), encoding="utf-8")
        process = await asyncio.create_subprocess_exec(
            self.python, "-c", BOOT, str(workdir / "_lw"), str(job_path),
            cwd=workdir, env=child_env(workdir), stdin=asyncio.subprocess.DEVNULL,
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
        return _events(out), status, timed_out


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


def _events(out: bytearray) -> list[dict[str, Any]]:
    events = []
    for line in out.decode("utf-8", "replace").splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            event = json.loads(line)
            if isinstance(event, dict):
                events.append(event)
    return events


def _absorb(
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


def _unrun(result: RunResult, job: dict[str, Any]) -> list[str]:
    """Test files of a pytest job that neither failed to import nor reported a test."""
    if job.get("mode") != "pytest":
        return []
    reported = {key.split("::", 1)[0] for key in result.done}
    return [f for f in job["files"] if f not in reported and f not in result.collect_errors]


def _blame(result: RunResult, job: dict[str, Any], culprit: str, reason: list[str]) -> None:
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
