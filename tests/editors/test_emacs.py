"""linewright.el in a real Emacs (batch) with eglot against the real server.

One session: an inline suggestion shown and accepted with TAB, `completion-at-point`
through `textDocument/completion`, and a line-anomaly diagnostic in flymake. Then the
telemetry store must hold what the editor reported.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
from typing import Any

from linewright.core.telemetry import FILE_NAME, load_events
from tests.editors.conftest import ROOT

TIMEOUT_S = 400


def run_session(
    emacs: str, model: pathlib.Path, source: pathlib.Path, tmp_path: pathlib.Path,
    entry: str = "lw-test-run",
) -> dict[str, Any]:  # fmt: skip
    result_file = tmp_path / "result.json"
    env = {
        **os.environ,
        "LW_TEST_PYTHON": sys.executable,
        "LW_TEST_MODEL": str(model),
        "LW_TEST_FILE": str(source),
        "LW_TEST_RESULT": str(result_file),
        "HOME": str(tmp_path / "home"),  # no user init, no eglot state from elsewhere
    }
    process = subprocess.run(
        [
            emacs, "--batch",  # site files stay: Debian puts elpa-eglot on the load path there
            "-L", str(ROOT / "editors" / "emacs"),
            "-l", str(ROOT / "tests" / "editors" / "emacs_session.el"),
            "-f", entry,
        ],
        capture_output=True, text=True, timeout=TIMEOUT_S, env=env, check=False,
    )  # fmt: skip
    assert result_file.exists(), process.stderr[-3000:]
    result: dict[str, Any] = json.loads(result_file.read_text())
    assert process.returncode == 0 and not result["errors"], (result, process.stderr[-3000:])
    return result


def test_inline_completion_and_diagnostics_in_emacs(
    emacs_binary: str, tiny_model_path: pathlib.Path, source_file: pathlib.Path,
    state_dir: pathlib.Path, tmp_path: pathlib.Path,
) -> None:  # fmt: skip
    result = run_session(emacs_binary, tiny_model_path, source_file, tmp_path)
    assert result["major-mode"] == "python-mode"
    # inline: shown, then TAB inserted it and the server answered the accept command
    (shown,) = result["shown"]
    assert result["line-after"].startswith(result["line-before"].rstrip("\n"))
    assert len(result["line-after"]) > len(result["line-before"])
    # completion-at-point: items arrived and the chosen one ran its command too
    assert result["capf-candidates"] >= 1
    inline_id, capf_id = result["accepted"][1], result["accepted"][0]
    assert inline_id == shown and capf_id != shown
    # flymake shows the server's line-anomaly diagnostics
    assert result["diagnostics"] and all(isinstance(d, str) and d for d in result["diagnostics"])
    events = load_events(state_dir / FILE_NAME)
    assert [(e.suggestion_id, e.outcome) for e in events] == [
        (shown, "shown"),
        (shown, "accepted"),
        (capf_id, "accepted"),
    ]
    assert {e.language for e in events} == {"python"}
    assert events[1].features["length"] == len(result["line-after"]) - len(result["line-before"])


def test_the_overlay_follows_its_text_and_test_generation_does_not_block(
    emacs_binary: str, tiny_model_path: pathlib.Path, source_file: pathlib.Path,
    state_dir: pathlib.Path, tmp_path: pathlib.Path,
) -> None:  # fmt: skip
    result = run_session(
        emacs_binary, tiny_model_path, source_file, tmp_path, entry="lw-test-run-overlay"
    )
    text = result["suggestion"]
    # typing the suggestion's first character keeps it on screen, less that character
    assert result["kept-while-typing"] is True and result["rest-while-typing"] == text[1:]
    # Backspace past its start: the text no longer leads to it, so it is gone
    assert not result["overlay-after-backspace"]  # nil: no overlay
    assert result["line-after-backspace"] == "    #\n"
    # M-RET as a terminal sends it (ESC RET) accepts the first line
    assert result["terminal-accept-line"] == "linewright-accept-line"
    # the command returned at once (it used to wait for the answer, up to 10 s)
    assert result["command-seconds"] < 1.0
    assert result["responsive"] is True


def test_linewright_el_byte_compiles_without_warnings(
    emacs_binary: str, tmp_path: pathlib.Path
) -> None:
    names = ["linewright-inline.el", "linewright.el"]
    for name in names:
        (tmp_path / name).write_text((ROOT / "editors" / "emacs" / name).read_text())
    # the contract, where a copy of the package beside it finds it
    (tmp_path / "protocol.json").write_text((ROOT / "editors" / "protocol.json").read_text())
    process = subprocess.run(
        [
            emacs_binary, "--batch", "-L", str(tmp_path),
            "--eval", "(setq byte-compile-error-on-warn t)",
            "-f", "batch-byte-compile", *(str(tmp_path / name) for name in names),
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr
    assert [p.name for p in sorted(tmp_path.glob("*.elc"))] == [
        "linewright-inline.elc",
        "linewright.elc",
    ]
