"""What `doctor` reports about test generation: the interpreter it will use, whether that
starts in the sandbox, whether pytest and coverage import there, bubblewrap, and which
containment layers hold. Found by running one trivial test the way real candidates run."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

from linewright.features.testgen.records import Limits
from linewright.features.testgen.sandbox import Sandbox, Subject

PROBE = "import coverage\nimport pytest\n\n\ndef test_ok():\n    assert 1 + 1 == 2\n"


async def check_async(
    python: str = sys.executable, *, allow_unsandboxed: bool = False
) -> dict[str, Any]:
    """See the module docstring; never raises for a broken interpreter (it says so)."""
    sandbox = Sandbox(Limits(), python, allow_unsandboxed=allow_unsandboxed)
    wall = sandbox.found.wall
    report: dict[str, Any] = {
        "python": python,
        "bwrap": wall.version if wall else None,
        "bwrap_path": wall.path if wall else None,
        "bwrap_missing": sandbox.found.reason or None,
        "runs": False,
        "pytest": False,
        "coverage": False,
        "layers": [],
        "missing": [],
        "error": None,
    }
    with tempfile.TemporaryDirectory(prefix="linewright-check-") as folder:
        path = Path(folder) / "lw_check_target.py"
        path.write_text("def one():\n    return 1\n", encoding="utf-8")
        subject = Subject("lw_check_target", path, path.read_text(), (folder,))
        try:
            run = await sandbox.pytest(subject, {"test_lw_check.py": PROBE})
        except OSError as exc:  # the interpreter (or bwrap) cannot be started at all
            report["error"] = f"cannot start {python}: {exc}"
            return report
    passed = run.done.get("test_lw_check.py::test_ok", {}).get("outcome") == "passed"
    report.update(
        runs=bool(run.layers) or passed,
        pytest=passed,
        coverage=passed,
        layers=list(run.layers),
        missing=list(run.missing),
        error=run.error or _collect_error(run.collect_errors),
    )
    if run.error and "coverage is not installed" in run.error:
        report["coverage"] = False
    return report


def check(python: str = sys.executable, *, allow_unsandboxed: bool = False) -> dict[str, Any]:
    """`check_async` for callers without an event loop (the CLI's `doctor`)."""
    return asyncio.run(check_async(python, allow_unsandboxed=allow_unsandboxed))


def _collect_error(errors: dict[str, dict[str, Any]]) -> str | None:
    for event in errors.values():
        return str(event.get("message", "the check test did not import"))
    return None
