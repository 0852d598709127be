"""Entry point of the sandbox child: contain itself, then run pytest on candidate test files
("pytest" jobs) or call the target on derived inputs ("probe" jobs).

Started from the tools folder (which the tests cannot write) with nothing relative on
`sys.path`, so nothing a test left in the work folder is imported; it moves into the work
folder only once contained. The run's nonce comes on stdin and prefixes every event.

Every result goes out as one JSON line on the stdout the child started with, with the lines
and arcs of the measured file it executed (coverage, branch mode, one test at a time):
`layers`, `start`, `end`, `violation`, `done`, `collect-error`, `import-error`, `finished`.
Each `start` is closed by `end`, `done`, `collected`, `collect-error` or `import-error`
(the parent kills the process when that takes longer than the wall-clock budget).
A run that dies half-way is restarted by the parent without the tests already reported.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import sysconfig
from collections.abc import Sequence
from typing import Any

from . import guard, kernel
from .measure import covered, measured
from .reads import reads_of


def main(job_path: str) -> None:
    """Run the job in `job_path` (JSON written by `sandbox.py`); never returns."""
    with open(job_path, encoding="utf-8") as file:
        job = json.load(file)
    events = guard.Events(_nonce())
    os.environ.pop("PWD", None)  # bwrap sets it; the environment stays what the parent gave
    job["readable"] = [
        *job["readable"],
        sys.executable,
        os.path.dirname(os.__file__),
        sysconfig.get_paths()["purelib"],
    ]
    # nothing relative: what a test writes in the work folder must not shadow an import
    sys.path[:] = [p for p in sys.path if p and os.path.isabs(p)]
    sys.path[:0] = job["sys_path"]
    # a project's virtualenv started without `site` (no .pth file runs): its packages
    # are found by path only, once contained
    sys.path.extend([*job.get("site_paths", ()), *job["extra_path"]])
    reads = reads_of(job)
    applied, missing = kernel.enter(job, reads)
    os.chdir(job["workdir"])
    events.emit({"event": "layers", "applied": applied, "missing": missing})
    held = {name.split(":")[0] for name in applied}
    lacking = [name for name in job.get("required", ()) if name not in held]
    if lacking:
        _fatal(events, kernel.too_weak(lacking))
    try:
        import coverage

        if job["mode"] == "pytest":
            import pytest  # noqa: F401  (imported before the guard is armed)
    except ImportError as exc:
        _fatal(events, f"{exc.name} is not installed for {sys.executable}")
    cov = coverage.Coverage(
        data_file=None, branch=True, include=[job["measure"]], config_file=False
    )
    _add_overlay(job.get("overlay"))
    sandbox = guard.Guard(job, events, reads if "landlock-reads" in applied else None)
    sandbox.install(refusals="python" in job.get("layers", ("python",)))
    if _import_target(job["module"], sandbox, events):
        if job["mode"] == "pytest":
            from .session import Session

            Session(job, sandbox, cov, events).run()
        else:
            probe(job, sandbox, cov, events)
    _finish(events)


def _nonce() -> str:
    """The run's nonce, the first line on stdin; stdin then reads from /dev/null."""
    data = b""
    while not data.endswith(b"\n") and len(data) < 256:
        chunk = os.read(0, 256 - len(data))
        if not chunk:
            break
        data += chunk
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    return data.decode("ascii", "replace").strip()


def _fatal(events: guard.Events, message: str) -> None:
    """Report why nothing can run here (the parent shows it as is, and does not restart)."""
    events.emit({"event": "error", "message": message, "fatal": True})
    _finish(events)


def _finish(events: guard.Events) -> None:
    events.emit({"event": "finished"})
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)  # no atexit handlers or thread joins of the code under test


class _Overlay(importlib.abc.MetaPathFinder):
    """Imports the target module from the editor's unsaved text (written to a file)."""

    def __init__(self, module: str, path: str, package_dir: str | None) -> None:
        self.module, self.path, self.package_dir = module, path, package_dir

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.module:
            return None
        search = [self.package_dir] if self.package_dir else None
        return importlib.util.spec_from_file_location(
            fullname, self.path, submodule_search_locations=search
        )


def _add_overlay(overlay: dict[str, Any] | None) -> None:
    if overlay:
        sys.meta_path.insert(
            0, _Overlay(overlay["module"], overlay["path"], overlay.get("package_dir"))
        )


def _import_target(module: str, sandbox: guard.Guard, events: guard.Events) -> bool:
    """Import the module under test once, under budgets, before any test."""
    events.emit({"event": "start", "id": "import"})
    try:
        with sandbox.per_test("import"):
            importlib.import_module(module)
    except BaseException as exc:  # a SandboxTimeout or SystemExit as much as an error
        event: dict[str, Any] = {"event": "import-error", "message": _describe(exc)}
        if sandbox.violations:
            event["violation"] = list(sandbox.violations[0])
        events.emit(event)
        return False
    events.emit({"event": "end", "id": "import"})
    return True


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__


def probe(job: dict[str, Any], sandbox: guard.Guard, cov: Any, events: Any) -> None:
    """Evaluate each case's call expression twice; report value, exception and coverage."""
    namespace: dict[str, Any] = {}
    events.emit({"event": "start", "id": "setup"})
    with sandbox.per_test("setup"):
        exec(job["setup"], namespace)
    events.emit({"event": "end", "id": "setup"})
    skip = set(job.get("skip", ()))
    for case in job["cases"]:
        if case["id"] in skip:
            continue
        events.emit({"event": "start", "id": case["id"]})
        with measured(cov), sandbox.per_test(case["id"]):
            first = _evaluate(case["expr"], namespace)
        event = {"event": "done", "id": case["id"], **first, **covered(cov)}
        if first["outcome"] in ("value", "raises", "object"):
            events.emit({"event": "start", "id": case["id"]})  # a second wall-clock budget
            with sandbox.per_test(case["id"]):
                again = _evaluate(case["expr"], namespace)
            if again != first:
                event["outcome"] = "nondeterministic"
        if sandbox.violations:
            event["violation"] = list(sandbox.violations[0])
        events.emit(event)


def _evaluate(expr: str, namespace: dict[str, Any]) -> dict[str, Any]:
    try:
        value = eval(expr, dict(namespace))
        return _literal(value)
    except guard.SandboxTimeout:
        return {"outcome": "timeout"}
    except MemoryError:
        return {"outcome": "memory"}
    except BaseException as exc:  # SystemExit too: `pytest.raises(SystemExit)` holds it
        return _raised(exc)


def _literal(value: Any) -> dict[str, Any]:
    """The value as a Python literal that evaluates back to an equal value; for an object,
    its attributes as one; else only its type."""
    text = _as_literal(value)
    if text is not None:
        return {"outcome": "value", "repr": text}
    kind = type(value)
    state = _as_literal(vars(value)) if hasattr(value, "__dict__") and not callable(value) else None
    if state is not None:
        return {
            "outcome": "object",
            "type": kind.__name__,
            "module": kind.__module__,
            "vars": state,
        }
    return {"outcome": "unrepresentable", "type": kind.__name__}


def _as_literal(value: Any) -> str | None:
    try:
        text = repr(value)
        same = len(text) <= 2000 and ast.literal_eval(text) == value
    except Exception:
        return None
    return text if same else None


def _raised(exc: BaseException) -> dict[str, Any]:
    kind = type(exc)
    return {
        "outcome": "raises",
        "exc": kind.__name__,
        "builtin": kind.__module__ == "builtins",
        "message": str(exc)[:200],
    }
